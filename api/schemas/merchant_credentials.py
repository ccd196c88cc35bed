"""`GET/PUT /v1/merchant/credentials`: the merchant's own EasyPost and Stripe keys go in, never come out."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

# Shapes only (the provider checks the key when it is used); a refusal names the pattern, never quotes the key.
EASYPOST_KEY = r"^EZ[A-Za-z0-9]{8,200}$"
STRIPE_KEY = r"^(sk|rk)_(test|live)_[A-Za-z0-9_]{4,240}$"


class CredentialsIn(BaseModel):
    """A key given: set (replacing the one stored); `null`: cleared (the platform's account is used again);
    left out: unchanged."""

    model_config = ConfigDict(extra="forbid")

    easypost_api_key: str | None = Field(
        default=None, max_length=202, pattern=EASYPOST_KEY, description="an EasyPost API key (EZAK…, EZTK…)"
    )
    stripe_secret_key: str | None = Field(
        default=None, max_length=248, pattern=STRIPE_KEY, description="a Stripe secret or restricted key (sk_…, rk_…)"
    )


class CredentialOut(BaseModel):
    set: bool  # False: the platform's account is used
    last4: str | None = None


class CredentialsOut(BaseModel):
    """Which of the merchant's own keys are set and their last 4 characters; never a key."""

    easypost: CredentialOut
    stripe: CredentialOut
    updated_at: datetime | None = None

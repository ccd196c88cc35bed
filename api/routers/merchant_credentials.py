"""`GET/PUT /v1/merchant/credentials`: the merchant's own EasyPost and Stripe keys, used for its labels,
refunds and payment checks instead of the platform's (activities/merchant_accounts.py). Stored
encrypted (db/credentials.py); the answers say which are set and their last 4 characters, never a key."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import DbDep, Owner, Reader, SettingsDep
from api.errors import ApiError
from api.schemas.merchant_credentials import CredentialOut, CredentialsIn, CredentialsOut
from db.credentials import CredentialsSummary, credentials_summary, save_credentials
from db.merchants import get_merchant
from settings import LIVE_STRIPE

router = APIRouter(prefix="/v1/merchant/credentials", tags=["merchant: settings"])


def _out(summary: CredentialsSummary) -> CredentialsOut:
    return CredentialsOut(
        easypost=CredentialOut(set=summary.easypost_last4 is not None, last4=summary.easypost_last4),
        stripe=CredentialOut(set=summary.stripe_last4 is not None, last4=summary.stripe_last4),
        updated_at=summary.updated_at,
    )


@router.get("", response_model=CredentialsOut)
async def get_merchant_credentials(principal: Reader, db: DbDep) -> CredentialsOut:
    """Which of the merchant's own keys are set (else the platform's account is used), never the keys."""
    return _out(await db.run(credentials_summary, principal.merchant_id))


@router.put("", response_model=CredentialsOut)
async def put_merchant_credentials(
    body: CredentialsIn, principal: Owner, db: DbDep, settings: SettingsDep
) -> CredentialsOut:
    """Set, replace or clear the merchant's own keys: a key given replaces the stored one, `null` clears it,
    a key left out stays. Used from the next carrier or payment call on."""
    key = settings.stored_credentials_key()
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    live = any(v and (v.startswith("EZAK") or v.startswith(LIVE_STRIPE)) for v in changes.values())
    if live and not settings.credentials_key.get_secret_value():
        # Unset, the Fernet key is derived from a public seed: a live key stored with it is as good as plaintext.
        raise ApiError(
            422, "live_key_refused", "this deployment stores test keys only (RETURNFLOW_CREDENTIALS_KEY is unset)"
        )

    def save(session, merchant_id: str) -> CredentialsSummary | None:
        if get_merchant(session, merchant_id) is None:
            return None
        return save_credentials(session, merchant_id, changes, key)

    summary = await db.run(save, principal.merchant_id)
    if summary is None:  # a key outlived its merchant
        raise ApiError(404, "merchant_not_found", "this key's merchant no longer exists")
    return _out(summary)

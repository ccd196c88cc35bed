"""A merchant's own EasyPost and Stripe keys: stored as Fernet tokens, read back as plaintext only
by `own_keys`, which only the code building a client calls (activities/merchant_accounts.py).

The Fernet key comes from the caller (Settings.stored_credentials_key(): the API and the worker pass it);
the API answers `credentials_summary` (which are set, their last 4 characters), never a key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from db.tables import MerchantCredentials
from db.types import utcnow

KINDS = ("easypost_api_key", "stripe_secret_key")
_LAST4 = {"easypost_api_key": "easypost_last4", "stripe_secret_key": "stripe_last4"}


class UnreadableCredentials(Exception):
    """A stored key does not decrypt with the configured key (RETURNFLOW_CREDENTIALS_KEY changed)."""


@dataclass(frozen=True)
class CredentialsSummary:
    easypost_last4: str | None
    stripe_last4: str | None
    updated_at: datetime | None


@dataclass(frozen=True)
class OwnKeys:
    """The merchant's own keys, decrypted; None: it has none of that kind (the platform's is used)."""

    easypost_api_key: SecretStr | None = None
    stripe_secret_key: SecretStr | None = None


def _summary(row: MerchantCredentials | None) -> CredentialsSummary:
    if row is None:
        return CredentialsSummary(None, None, None)
    return CredentialsSummary(row.easypost_last4, row.stripe_last4, row.updated_at)


def credentials_summary(session: Session, merchant_id: str) -> CredentialsSummary:
    return _summary(session.get(MerchantCredentials, merchant_id))


def save_credentials(
    session: Session, merchant_id: str, changes: dict[str, str | None], key: SecretStr
) -> CredentialsSummary:
    """Set (a string) or clear (None) each kind named in `changes`; kinds left out stay as they are.
    Saving the same keys again changes nothing but `updated_at`."""
    fernet = Fernet(key.get_secret_value().encode())
    # The row made if missing in one statement (two first saves at once never both insert it), then locked, so
    # each save applies its changes to what the other committed.
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(MerchantCredentials)
        .values(merchant_id=merchant_id, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["merchant_id"])
    )
    row = session.get(MerchantCredentials, merchant_id, with_for_update=True, populate_existing=True)
    assert row is not None
    for kind, value in changes.items():
        if kind not in KINDS:
            raise ValueError(f"unknown credential {kind!r}")
        setattr(row, kind, fernet.encrypt(value.encode()).decode() if value else None)
        setattr(row, _LAST4[kind], value[-4:] if value else None)
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return _summary(row)


def own_keys(session: Session, merchant_id: str, key: SecretStr) -> OwnKeys:
    """The merchant's own keys in plaintext, for building its clients; UnreadableCredentials if a stored
    one does not decrypt (never silently the platform's: that would act on the wrong account)."""
    row = session.get(MerchantCredentials, merchant_id)
    if row is None:
        return OwnKeys()
    fernet = Fernet(key.get_secret_value().encode())

    def plain(token: str | None) -> SecretStr | None:
        if not token:
            return None
        try:
            return SecretStr(fernet.decrypt(token.encode()).decode())
        except InvalidToken:
            raise UnreadableCredentials(
                f"merchant {merchant_id}'s stored keys do not decrypt with RETURNFLOW_CREDENTIALS_KEY"
            ) from None

    return OwnKeys(easypost_api_key=plain(row.easypost_api_key), stripe_secret_key=plain(row.stripe_secret_key))

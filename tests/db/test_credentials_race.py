"""Saving a merchant's own keys for the first time from two requests at once (two PUT
/v1/merchant/credentials): one row, no error; the second insert of the merchant's row was a 500."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

from sqlmodel import select

from db.credentials import own_keys, save_credentials
from db.session import make_engine, session_scope
from db.tables import MerchantCredentials
from settings import Settings
from tests.factories import new_merchant


def test_concurrent_first_saves_of_credentials_leave_one_row(database_url):
    engine = make_engine(database_url)
    merchant_id, _, _ = new_merchant(engine)
    key = Settings().stored_credentials_key()
    start = Barrier(8)

    def save(i: int) -> None:
        start.wait()
        with session_scope(engine) as session:
            save_credentials(session, merchant_id, {"stripe_secret_key": f"sk_test_race_{i:04d}"}, key)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(save, range(8)))  # any IntegrityError would surface here
    with session_scope(engine) as session:
        rows = session.exec(select(MerchantCredentials).where(MerchantCredentials.merchant_id == merchant_id)).all()
        assert len(rows) == 1
        stored = own_keys(session, merchant_id, key).stripe_secret_key
        assert stored is not None and stored.get_secret_value().startswith("sk_test_race_")
        assert rows[0].stripe_last4 == stored.get_secret_value()[-4:]
    engine.dispose()

"""Saving a merchant's document for the first time from two requests at once: one row, no error
(found by the nasty-value sweep: the second insert of the merchant's row was a 500)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

from sqlmodel import select

from db.registry import load_disposition_rules, save_disposition_rules
from db.session import make_engine, session_scope
from db.tables import DispositionPolicyRecord
from domain.disposition import DispositionPolicy
from tests.factories import new_merchant


def test_concurrent_first_saves_of_disposition_rules_leave_one_row(database_url):
    engine = make_engine(database_url)
    merchant_id, _, _ = new_merchant(engine)
    start = Barrier(8)

    def save(_: int) -> None:
        start.wait()
        with session_scope(engine) as session:
            save_disposition_rules(session, merchant_id, DispositionPolicy())

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(save, range(8)))  # any IntegrityError would surface here
    with session_scope(engine) as session:
        rows = session.exec(
            select(DispositionPolicyRecord).where(DispositionPolicyRecord.merchant_id == merchant_id)
        ).all()
        assert len(rows) == 1
        assert load_disposition_rules(session, merchant_id) == DispositionPolicy()
    engine.dispose()

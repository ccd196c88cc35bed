"""Attack: two attention items of one return share one event id, so the merchant never hears of the second.

An event's id is `evt_<return>_<key>` with every "." of the key made "_" (workflows/ids.py `merchant_event_id`),
and the key of an attention announcement is `return.needs_attention:<attention key>`, the attention key holding
the line id it is about (workflows/ids.py `attention_key`). Order line ids may hold both "." and "_"
(domain/validation.py ID_PATTERN), so lines `SKU.1` and `SKU_1` of one order flagged for the same kind make one
event id; `add_event` (db/outbox.py) finds the id taken and drops the second event without a word: the
merchant's ERP hears about one line needing a person, and the other waits unseen (GET /v1/attention has it).

A fix: an id mapping that is one-to-one (escape "_" before replacing ".", or a digest of the key past a
length), and keep the announcement's key (not the lossy id) as what de-duplicates.
"""

from __future__ import annotations

from sqlmodel import select

from db import outbox
from db import webhook_endpoints as endpoints
from db.session import session_scope
from db.tables import MerchantEvent
from domain.notifications import Progress, announcements
from tests.activities.test_webhook_sender import T0
from tests.factories import new_merchant
from workflows.ids import attention_key

RETURN_ID = "ret_0123456789abcdef01234567"


def test_two_attention_items_about_lines_differing_by_a_dot_are_two_events(engine):
    merchant_id, _, _ = new_merchant(engine)
    with session_scope(engine) as session:
        endpoints.create_endpoint(session, merchant_id, "https://erp.example/hooks", None, None, T0)
    flagged = tuple(
        (
            attention_key(RETURN_ID, "item_step_failed", line),
            "item_step_failed",
            f"opening a work order for line {line}",
        )
        for line in ("SKU.1", "SKU_1")
    )
    said = announcements(Progress(status="received", status_before="received", new_attention=flagged))
    assert len({a.key for a in said}) == 2  # the domain tells them apart
    with session_scope(engine) as session:
        outbox.keep(session, merchant_id, RETURN_ID, "received", said, {"return_id": RETURN_ID}, T0)
    with session_scope(engine) as session:
        subjects = [e.payload.get("subject") for e in session.exec(select(MerchantEvent)).all()]
    assert sorted(subjects) == sorted(key for key, _, _ in flagged), f"events written: {subjects}"

"""The payments sandbox's records in its data dir, so a restart keeps them.

PaymentIntents, Charges, Refunds and stored Idempotency-Key responses are saved (persist.py) before each
answer: a refund and the key that made it are saved together, so a client retrying after a restart gets
the stored refund, never a second one. Webhook events and in-flight keys are not kept.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from .idempotency import StoredResponse
from .state import Charge, PaymentIntent, Refund

if TYPE_CHECKING:
    from .pipeline import Sandbox


def _encode_response(stored: StoredResponse) -> dict[str, Any]:
    return {**asdict(stored), "body": base64.b64encode(stored.body).decode("ascii")}


def _decode_response(body: dict[str, Any]) -> StoredResponse:
    return StoredResponse(**{**body, "body": base64.b64decode(body["body"])})


def attach(sandbox: Sandbox) -> None:
    """Load what the journal holds into the sandbox's (empty) store, and save its changes from now on."""
    journal, store = sandbox.journal, sandbox.store
    tables: list[tuple[str, dict[str, Any], type]] = [
        ("payment_intents", store.payment_intents, PaymentIntent),
        ("charges", store.charges, Charge),
        ("refunds", store.refunds, Refund),
    ]
    for kind, table, cls in tables:
        for key, body in journal.load(kind):
            dict.__setitem__(table, key, cls(**body))
        journal.track(kind, table, encode=asdict)
    store.resume_seq(max((r.seq for r in dict.values(store.refunds)), default=0) + 1)

    entries = sandbox.idempotency.entries
    for key, body in journal.load("idempotency"):
        dict.__setitem__(entries, tuple(json.loads(key)), _decode_response(body))
    journal.track(
        "idempotency",
        entries,
        encode=_encode_response,
        key=lambda scope: json.dumps(list(scope)),
    )

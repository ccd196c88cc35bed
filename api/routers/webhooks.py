"""Inbound EasyPost webhooks: verified, de-duplicated, and turned into workflow signals.

The work happens in the workflow; this endpoint only checks, records and signals,
so it answers fast and never refuses an event because a worker is down.

Issue 3's contract: the HMAC as the SDK's `validate_webhook` checks it, with the
`X-Hmac-Signature` header read case-insensitively (a bad or missing one: 401);
bodies over 1 MiB refused with 413, declared or streamed (api/body_limit.py, the
limit on every request body: settings.max_request_body_bytes); each event recorded
once by its id. Only a Tracker result can move a return; an event whose `result`
is a Refund, a Batch, anything else or nothing is recorded and answered 2xx.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from activities.carrier_gateway import BadWebhookSignature, verified_webhook_event
from api.deps import DbDep, SettingsDep
from api.errors import ApiError
from api.returns_gateway import ReturnsGatewayDep
from db.carrier_events import (
    find_return_for_carrier,
    last_signalled_tracking_status,
    record_carrier_event,
    seen_event,
)
from db.tables import CarrierEventRecord
from domain.carrier import worth_signalling
from domain.status import ReturnStatus
from workflows.messages import CarrierEvent

router = APIRouter(prefix="/v1/webhooks", tags=["carrier webhooks"])

SIGNATURE_HEADER = "X-Hmac-Signature"
MAX_EVENT_ID = 64  # carrier_events.event_id; EasyPost's are "evt_" + 32 hex


def _result(event: dict) -> dict:
    """The event's object (a Tracker, a Refund, ...); {} when it has none or it is not an object."""
    result = event.get("result")
    return result if isinstance(result, dict) else {}


def _text(value: object, limit: int) -> str | None:
    """A string field of the result as we store it; anything else is not one we can use."""
    return value[:limit] if isinstance(value, str) and value else None


def _tracking_status(result: dict) -> str:
    return _text(result.get("status"), 32) or "unknown"


def _match(session: Session, event: dict) -> tuple[CarrierEventRecord | None, str | None, bool]:
    """(this event if already seen, the return it concerns, whether the update can change what the return does)."""
    result = _result(event)
    seen = seen_event(session, event["id"])
    if result.get("object") != "Tracker":
        return seen, None, False
    tracker_id, tracking_code = _text(result.get("id"), 64), _text(result.get("tracking_code"), 64)
    row = find_return_for_carrier(session, tracker_id, tracking_code)
    if row is None:
        return seen, None, False
    last = last_signalled_tracking_status(session, row.id, tracker_id, tracking_code)  # this parcel's
    news = worth_signalling(ReturnStatus(row.status), _tracking_status(result), last)
    return seen, row.id, news


def _record(event: dict, return_id: str | None, signalled: bool) -> CarrierEventRecord:
    result = _result(event)
    is_tracker = result.get("object") == "Tracker"
    return CarrierEventRecord(
        event_id=event["id"],
        description=_text(event.get("description"), 64) or "",
        return_id=return_id,
        tracker_id=_text(result.get("id"), 64) if is_tracker else None,
        tracking_code=_text(result.get("tracking_code"), 64) if is_tracker else None,
        tracking_status=_text(result.get("status"), 32) if is_tracker else None,
        payload=event,
        signalled=signalled,
    )


@router.post("/easypost")
async def easypost_event(request: Request, db: DbDep, workflows: ReturnsGatewayDep, settings: SettingsDep) -> dict:
    body = await request.body()  # at most settings.max_request_body_bytes (api/body_limit.py)
    # The SDK looks the header up case-sensitively; HTTP header names are not.
    headers = {SIGNATURE_HEADER: request.headers.get(SIGNATURE_HEADER)} if SIGNATURE_HEADER in request.headers else {}
    try:
        event = verified_webhook_event(body, headers, settings.easypost_webhook_secret.get_secret_value())
    except BadWebhookSignature as err:
        raise ApiError(401, "bad_signature", str(err)) from err
    except ValueError as err:
        raise ApiError(400, "malformed_json", "the webhook body is not valid JSON") from err
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not event["id"]:
        raise ApiError(422, "invalid_event", "an EasyPost event needs a string `id`")
    if len(event["id"]) > MAX_EVENT_ID:
        raise ApiError(422, "invalid_event", f"an EasyPost event id has at most {MAX_EVENT_ID} characters")

    seen, return_id, news = await db.run(_match, event)
    if seen is not None:
        return {"received": True, "duplicate": True, "return_id": seen.return_id}
    signalled = False
    result = _result(event)
    # Signal only news (domain.carrier.worth_signalling): every signal is a billed action; GET .../tracking keeps all.
    if return_id is not None and news:
        signal = CarrierEvent(
            event_id=event["id"],
            tracking_status=_tracking_status(result),
            status_detail=_text(result.get("status_detail"), 200),
            occurred_at=_time(result.get("updated_at")) or datetime.now(UTC),
        )
        signalled = await workflows.deliver_carrier_event(
            return_id, signal
        )  # False: closed returns just keep the record
    try:
        await db.run(record_carrier_event, _record(event, return_id, signalled))
    except IntegrityError:  # the same event delivered twice at once; the workflow drops the copy
        return {"received": True, "duplicate": True, "return_id": return_id}
    return {"received": True, "duplicate": False, "return_id": return_id}


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

"""A merchant's webhook endpoints (several, each with an event filter and its own secret), the deliveries of its
events to them, a test ping and a redelivery; and the single endpoint of before (PUT/GET /v1/webhook-endpoint)
as the merchant's first endpoint. How the events are sent: activities/webhook_sender.py, docs/webhooks.md."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Path, Query, Request, Response
from limits import parse

from activities import webhook_targets
from activities.webhook_sender import WebhookSender
from api.deps import DbDep, Owner, Reader, SettingsDep
from api.errors import ApiError
from api.pages import CursorQuery, decode_cursor, page
from api.schemas.common import PathId
from api.schemas.merchant_webhooks import (
    Attempts,
    Deliveries,
    DeliveryOut,
    Endpoint,
    EndpointCreate,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
    Endpoints,
    EndpointWithSecret,
    PingIn,
    PingOut,
    PingResult,
    RotateIn,
)
from api.shopper.lookup import limiter
from db import webhook_deliveries as deliveries
from db import webhook_endpoints as endpoints
from db.types import utcnow
from domain.notifications import SUBSCRIBABLE
from domain.validation import ID_PATTERN, MAX_ID_LENGTH, MAX_RETURN_ID_LENGTH

router = APIRouter(tags=["merchant: webhooks"])
DeliveryId = Annotated[int, Path(ge=1, le=2**31 - 1)]
# Id filters take the path ids' pattern: a NUL or a control character is a 422, never a query (PostgreSQL refuses
# a NUL in text). An event id is up to 200 characters (an attention event names the item's key).
IdQuery = Annotated[str | None, Query(min_length=1, max_length=MAX_ID_LENGTH, pattern=ID_PATTERN)]
EventIdQuery = Annotated[str | None, Query(min_length=1, max_length=200, pattern=ID_PATTERN)]
ReturnIdQuery = Annotated[str | None, Query(min_length=1, max_length=MAX_RETURN_ID_LENGTH, pattern=ID_PATTERN)]
PING_TIMEOUT_SECONDS = 10.0
KNOWN = {e.value for e in SUBSCRIBABLE}
STATUSES = ("pending", "delivered", "failed", "cancelled")


def _endpoint(row, shape: type[Endpoint] = Endpoint) -> Endpoint:
    fields = {name: getattr(row, name) for name in shape.model_fields}
    return shape.model_validate({**fields, "events": row.events or ["*"], "url": endpoints.shown_url(row.url)})


def _with_secret(row) -> EndpointWithSecret:
    return _endpoint(row, EndpointWithSecret)


def _known_events(events: list[str] | None) -> list[str] | None:
    unknown = [e for e in events or [] if e != "*" and e not in KNOWN]
    if unknown:
        raise ApiError(
            422, "unknown_events", f"unknown event types: {', '.join(unknown)}", unknown=unknown, known=sorted(KNOWN)
        )
    return events


async def _reachable(url: str, settings) -> str:
    """The URL, if this deployment may call it (activities/webhook_targets.py); else a 422 saying why."""
    if urlsplit(url).username is not None:
        # The URL is shown to read-only keys and copied into every attempt's log: no place for a password.
        raise ApiError(
            422,
            "endpoint_credentials_in_url",
            "the endpoint URL may not hold a user name or password (user:password@): the URL is shown to read-only"
            " keys and kept in the delivery log; to know a request is ours, verify its webhook-signature with the"
            " endpoint's secret instead (or put a secret of yours in the path)",
        )
    if not settings.allows_private_webhook_targets and (why := await webhook_targets.refusal(url)):
        raise ApiError(422, "endpoint_not_public", why)
    return url


def _not_found(endpoint_id: str) -> ApiError:
    return ApiError(404, "webhook_endpoint_not_found", f"webhook endpoint {endpoint_id!r} not found")


@router.post("/v1/webhook-endpoints", response_model=EndpointWithSecret, status_code=201)
async def create_webhook_endpoint(
    body: EndpointCreate, principal: Owner, db: DbDep, settings: SettingsDep
) -> EndpointWithSecret:
    """A new endpoint with its own secret, shown only in this answer. Events in `events` only (`["*"]`: all)."""
    events = _known_events(body.events)
    url = await _reachable(str(body.url), settings)
    try:
        row = await db.run(endpoints.create_endpoint, principal.merchant_id, url, events, body.description, utcnow())
    except endpoints.TooManyEndpoints as err:
        raise ApiError(409, "too_many_webhook_endpoints", str(err), limit=endpoints.MAX_ENDPOINTS) from err
    return _with_secret(row)


@router.get("/v1/webhook-endpoints", response_model=Endpoints)
async def list_webhook_endpoints(principal: Reader, db: DbDep) -> Endpoints:
    rows = await db.run(endpoints.endpoints, principal.merchant_id)
    return Endpoints(data=[_endpoint(r) for r in rows])


@router.get("/v1/webhook-endpoints/{endpoint_id}", response_model=Endpoint)
async def get_webhook_endpoint(endpoint_id: PathId, principal: Reader, db: DbDep) -> Endpoint:
    row = await db.run(endpoints.endpoint, principal.merchant_id, endpoint_id)
    if row is None:
        raise _not_found(endpoint_id)
    return _endpoint(row)


@router.patch("/v1/webhook-endpoints/{endpoint_id}", response_model=Endpoint)
async def update_webhook_endpoint(
    endpoint_id: PathId, body: EndpointPatch, principal: Owner, db: DbDep, settings: SettingsDep
) -> Endpoint:
    """Change what is given; `enabled: true` on a disabled endpoint lets the deliveries it held go on."""
    changes = body.model_dump(exclude_unset=True)
    for field in ("url", "events", "enabled"):
        if field in changes and changes[field] is None:
            raise ApiError(422, "invalid_request", f"{field} cannot be null")
    if "url" in changes:
        changes["url"] = await _reachable(str(body.url), settings)
    _known_events(changes.get("events"))
    row = await db.run(endpoints.update_endpoint, principal.merchant_id, endpoint_id, changes, utcnow())
    if row is None:
        raise _not_found(endpoint_id)
    return _endpoint(row)


@router.delete("/v1/webhook-endpoints/{endpoint_id}", status_code=204)
async def delete_webhook_endpoint(endpoint_id: PathId, principal: Owner, db: DbDep) -> Response:
    """Remove the endpoint; its pending deliveries are cancelled (the delivery log stays)."""
    if not await db.run(endpoints.delete_endpoint, principal.merchant_id, endpoint_id, utcnow()):
        raise _not_found(endpoint_id)
    return Response(status_code=204)


@router.post("/v1/webhook-endpoints/{endpoint_id}/rotate-secret", response_model=EndpointWithSecret)
async def rotate_secret(endpoint_id: PathId, body: RotateIn, principal: Owner, db: DbDep) -> EndpointWithSecret:
    """A new secret, shown only here; the old one keeps signing beside it for `overlap_hours`. While a secret
    replaced before still overlaps, 409 `rotation_in_progress` (until when); `overlap_hours: 0` is always taken
    and retires every old secret at once."""
    overlap = timedelta(hours=body.overlap_hours)
    try:
        row = await db.run(endpoints.rotate_secret, principal.merchant_id, endpoint_id, overlap, utcnow())
    except endpoints.RotationInProgress as err:
        raise ApiError(409, "rotation_in_progress", str(err), until=err.until.isoformat()) from err
    if row is None:
        raise _not_found(endpoint_id)
    return _with_secret(row)


PING_LIMIT = parse("10/minute")


@router.post("/v1/webhook-endpoint/test", response_model=PingOut)
async def ping(body: PingIn, principal: Owner, db: DbDep, settings: SettingsDep, request: Request) -> PingOut:
    """Send a `webhook.ping` event now to one endpoint (or every one) and answer what each said."""
    # Each ping makes outbound requests and rows: a few a minute per merchant is plenty to test with. The limits
    # live where the portal's do (memory://, or Redis shared by every API process).
    if not await limiter(request).moving.hit(PING_LIMIT, "webhook-ping", principal.merchant_id):
        raise ApiError(429, "too_many_pings", f"at most {PING_LIMIT} test pings per merchant; try again in a minute")
    now = utcnow()
    sender = WebhookSender(
        db.engine,
        timeout_seconds=PING_TIMEOUT_SECONDS,
        give_up_after=timedelta(hours=settings.notification_give_up_hours),
        allow_private=settings.allows_private_webhook_targets,
    )
    lease = timedelta(seconds=PING_TIMEOUT_SECONDS * 2 + 30)  # the outbox drain leaves them to this request
    ids = await db.run(deliveries.add_ping, principal.merchant_id, body.endpoint_id, now, lease)
    if ids is None:
        raise _not_found(body.endpoint_id)
    if not ids:
        raise ApiError(409, "no_webhook_endpoint", "this merchant has no webhook endpoint to test")
    sent = await sender.send_now(ids, now)
    results = [
        PingResult(
            delivery_id=job.delivery_id,
            endpoint_id=job.endpoint_id,
            url=endpoints.shown_url(job.url),
            delivered=outcome.delivered,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            error=outcome.error,
        )
        for job, outcome, _ in sent
    ]
    return PingOut(event_id=sent[0][0].event_id if sent else None, results=results)


@router.get("/v1/webhook-deliveries", response_model=Deliveries)
async def list_deliveries(
    principal: Reader,
    db: DbDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    endpoint_id: IdQuery = None,
    event_id: EventIdQuery = None,
    return_id: ReturnIdQuery = None,
    status: Annotated[str | None, Query(max_length=16, description="pending, delivered, failed, cancelled")] = None,
    cursor: CursorQuery = None,
) -> Deliveries:
    """Each event's delivery to each endpoint, newest first: its status, attempts and the last answer."""
    if status is not None and status not in STATUSES:
        raise ApiError(422, "invalid_status", f"status is one of {', '.join(STATUSES)}")
    after = decode_cursor(cursor, int)
    filters = {"endpoint_id": endpoint_id, "event_id": event_id, "return_id": return_id, "status": status}
    rows = await db.run(lambda s: deliveries.delivery_rows(s, principal.merchant_id, limit + 1, after, **filters))
    shown, next_cursor = page(rows, limit, lambda r: (r.delivery.created_at, r.delivery.id))
    return Deliveries(data=[_delivery(r) for r in shown], next_cursor=next_cursor)


def _delivery(row: deliveries.DeliveryRow) -> DeliveryOut:
    d = row.delivery
    return DeliveryOut(
        **d.model_dump(exclude={"next_attempt_at"}),
        event_type=row.event_type,
        url=endpoints.shown_url(row.url),
        next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
    )


@router.get("/v1/webhook-deliveries/{delivery_id}/attempts", response_model=Attempts)
async def list_attempts(delivery_id: DeliveryId, principal: Reader, db: DbDep) -> Attempts:
    """Every attempt at one delivery, first first: when, the answer's status code, how long it took."""
    rows = await db.run(deliveries.attempts, principal.merchant_id, delivery_id)
    if rows is None:
        raise ApiError(404, "webhook_delivery_not_found", f"webhook delivery {delivery_id} not found")
    return Attempts(data=[r.model_dump() | {"url": endpoints.shown_url(r.url)} for r in rows])


@router.post("/v1/webhook-deliveries/{delivery_id}/redeliver", response_model=DeliveryOut, status_code=202)
async def redeliver(delivery_id: DeliveryId, principal: Owner, db: DbDep) -> DeliveryOut:
    """Send a delivered, failed or cancelled delivery again (pending, due now, a fresh give-up period); the outbox
    sends it within seconds. A pending one is 409 `delivery_pending`: it is tried on its own."""

    def work(session) -> deliveries.DeliveryRow | None:
        row = deliveries.redeliver(session, principal.merchant_id, delivery_id, utcnow())
        if row is None:
            return None
        return deliveries.delivery_rows(
            session, principal.merchant_id, 1, None, event_id=row.event_id, endpoint_id=row.endpoint_id
        )[0]

    try:
        row = await db.run(work)
    except deliveries.EndpointGone as err:
        raise ApiError(409, "webhook_endpoint_deleted", str(err)) from err
    except deliveries.DeliveryPending as err:
        raise ApiError(409, "delivery_pending", str(err)) from err
    if row is None:
        raise ApiError(404, "webhook_delivery_not_found", f"webhook delivery {delivery_id} not found")
    return _delivery(row)


# ---- the single endpoint of before ----


@router.put("/v1/webhook-endpoint", response_model=EndpointOut)
async def set_endpoint(body: EndpointIn, principal: Owner, db: DbDep, settings: SettingsDep) -> EndpointOut:
    """Set (or move) the merchant's first endpoint, every event; a new secret each time, shown only here."""
    url = await _reachable(str(body.url), settings)
    row = await db.run(endpoints.put_single_endpoint, principal.merchant_id, url, utcnow())
    return EndpointOut(url=row.url, secret=row.secret)


@router.get("/v1/webhook-endpoint", response_model=EndpointOut)
async def get_endpoint(principal: Reader, db: DbDep) -> EndpointOut:
    """The merchant's first endpoint (see GET /v1/webhook-endpoints for all of them)."""
    row = await db.run(endpoints.first_endpoint, principal.merchant_id)
    return EndpointOut(url=endpoints.shown_url(row.url) if row else None)

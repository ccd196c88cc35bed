"""`GET/PUT /v1/merchant/notifications`: which of the shopper's emails the merchant sends (every kind on by
default), and `GET /v1/returns/{id}/notifications`: what a return's emails and events became."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import DbDep, Owner, Reader
from api.errors import ApiError
from api.schemas.common import ReturnPathId
from api.schemas.notifications import (
    EmailSwitchesIn,
    EmailSwitchesOut,
    EventDeliveryOut,
    ReturnEmailOut,
    ReturnEventOut,
    ReturnNotificationsOut,
)
from db.return_notifications import return_notifications
from db.shopper_emails import PENDING, set_switches, switches
from domain.notifications import MailKind

router = APIRouter(tags=["merchant: notifications"])


def _gone() -> ApiError:  # a key outlived its merchant
    return ApiError(404, "merchant_not_found", "this key's merchant no longer exists")


@router.get("/v1/merchant/notifications", response_model=EmailSwitchesOut)
async def get_notification_settings(principal: Reader, db: DbDep) -> EmailSwitchesOut:
    """Every kind of shopper email, on or off."""
    found = await db.run(switches, principal.merchant_id)
    if found is None:
        raise _gone()
    return EmailSwitchesOut(emails=found)


@router.put("/v1/merchant/notifications", response_model=EmailSwitchesOut)
async def put_notification_settings(body: EmailSwitchesIn, principal: Owner, db: DbDep) -> EmailSwitchesOut:
    """Switch the kinds named on or off; the others stay as they are. An email already waiting to be sent is
    checked again when its turn comes: switched off meanwhile, it is not sent."""
    changes = {MailKind(kind): on for kind, on in body.emails.items()}
    found = await db.run(set_switches, principal.merchant_id, changes)
    if found is None:
        raise _gone()
    return EmailSwitchesOut(emails=found)


@router.get("/v1/returns/{return_id}/notifications", response_model=ReturnNotificationsOut)
async def get_return_notifications(return_id: ReturnPathId, principal: Reader, db: DbDep) -> ReturnNotificationsOut:
    """The return's shopper emails (kind, status, when sent, the SMTP answer; never the address) and the events
    sent to the merchant's endpoints with each delivery's status."""
    found = await db.run(return_notifications, principal.merchant_id, return_id)
    if found is None:
        raise ApiError(404, "return_not_found", f"return {return_id!r} not found")
    return ReturnNotificationsOut(
        return_id=return_id,
        emails=[
            ReturnEmailOut(
                kind=e.kind,
                status=e.status,
                scheduled=e.scheduled,
                due_at=e.next_attempt_at if e.status == PENDING else None,
                attempts=e.attempts,
                sent_at=e.sent_at,
                smtp_code=e.smtp_code,
                last_error=e.last_error,
            )
            for e in found.emails
        ],
        events=[
            ReturnEventOut(
                id=event.id,
                type=event.type,
                created_at=event.created_at,
                deliveries=[
                    EventDeliveryOut(
                        endpoint_id=d.endpoint_id,
                        status=d.status,
                        attempts=d.attempts,
                        last_status_code=d.last_status_code,
                        last_error=d.last_error,
                        delivered_at=d.delivered_at,
                    )
                    for d in deliveries
                ],
            )
            for event, deliveries in found.events
        ],
    )

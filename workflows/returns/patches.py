"""Patch ids: code added after returns were already in flight. Returns recorded before a patch
replay without its branch (see tests/replay); a new patch is a new member here, never a bare string.
Members are in the order they were added: a lean return asks only the newest it knows
(ReturnState.patched), and every member above it holds there."""

from __future__ import annotations

from enum import StrEnum


class Patch(StrEnum):
    WAREHOUSE_ROUTING = "warehouse-routing"  # items routed to facilities after inspection; findings flagged
    VOID_FOLLOW_UP = "void-follow-up"  # a voided label's carrier refund followed to the end
    LABEL_EMAIL = "label-email"  # the label and its QR code emailed to the shopper
    INSTANT_REFUND = "instant-refund"  # trusted shoppers refunded at the first scan (marker only)
    MERCHANT_WEBHOOKS = "merchant-webhooks"  # settlement events announced to the merchant's endpoint
    # a pickup asked for while `run` was booking one is refused once that one is scheduled
    ONE_PICKUP_AT_A_TIME = "one-pickup-at-a-time"
    # a return held for review is an attention item (NeedsAttention), closed when the review or a cancel ends the wait
    REVIEW_ATTENTION = "review-attention"
    # the OrderId search attribute at start, TrackingCode when the label is bought and at each relabel
    LOOKUP_ATTRIBUTES = "lookup-attributes"
    # a return sent to a store: no label; it waits in awaiting_hand_in for a store receipt, deadline as a label's
    STORE_HAND_IN = "store-hand-in"
    # past domain.carrier.MOST_PICKUPS_PER_RETURN bookings a queued booking is refused once it holds the label lock
    PICKUP_BOOKING_CAP = "pickup-booking-cap"
    # the merchant's events and the shopper's emails are written by the projection into an outbox (db/outbox.py);
    # returns recorded before it announced their settlement through MerchantNotificationWorkflow children
    NOTIFICATION_OUTBOX = "notification-outbox"
    # fewer billable actions and history events per return: search attributes set at start (the API) or in one
    # upsert per durable wait, only when changed; no other patch consulted (each costs a marker); projection writes
    # coalesced (notes alone wake nothing); database-only steps (stock, routing, item steps) as local activities
    LEAN_HISTORY = "lean-history"
    # an exchange's price counts only the replacements sent: one the carrier refused for good is not charged for
    # (asked only when a replacement did not ship)
    PRICE_OF_WHAT_SHIPPED = "price-of-what-shipped"
    # the label email is an outbox email written with the label (activities/shopper_mail.py), not an activity of
    # the return's; a return asking this patch asks no other (it holds LEAN_HISTORY and every patch above)
    LABEL_MAIL_OUTBOX = "label-mail-outbox"

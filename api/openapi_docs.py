"""What the OpenAPI document says of each operation: a summary, a description, a request-body example and the
4xx answers it can give (keyed by operation id). api/openapi.py puts it into the document; a test fails for an
operation missing here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.facilities_example import example_facilities


@dataclass(frozen=True)
class Doc:
    summary: str
    description: str = ""  # used when the route has no docstring
    example: Any = None  # the request body's example
    errors: dict[int, str] = field(default_factory=dict)  # 4xx beyond those read off the route


RETURN_BODY = {
    "order_id": "1001",
    "resolution": "refund",
    "items": [{"line_id": "L1", "quantity": 1, "reason": "too_small", "comment": "tight at the shoulders"}],
}
POLICY = {
    "currency": "USD",  # of the flat amounts (review.order_value_above) outside the markets listed
    "markets": [{"code": "US", "window_days": 30, "currency": "USD"}],
    "rules": [
        {
            "id": "shoes",
            "description": "Shoes: 10 %",
            "priority": 1,
            "match": {"categories": ["shoes"], "price_min": 0},
            "restocking_fee": {"kind": "percent", "percent": 10, "waived_for_tiers": ["gold"]},
        }
    ],
    "tiers": [{"name": "gold", "extra_window_days": 30}],
    "review": {"order_value_above": 100_000},
}
ORDER = {
    "placed_at": "2026-11-20T10:00:00Z",
    "delivered_at": "2026-11-22T15:00:00Z",
    "currency": "USD",
    "customer": {
        "email": "sam.shopper@example.com",
        "name": "Sam Shopper",
        "address": {
            "name": "Sam Shopper",
            "street1": "417 Montgomery St",
            "city": "San Francisco",
            "state": "CA",
            "zip": "94104",
            "country": "US",
            "phone": "4155559999",
        },
    },
    "lines": [
        {
            "id": "L1",
            "sku": "TEE-BLK-M",
            "title": "T-shirt black M",
            "quantity": 2,
            "unit_price": 2500,
            "category": "apparel",
        }
    ],
    "payment": {"provider": "stripe", "reference": "pi_3QxExample"},
}
NOT_FOUND_RETURN = "the return's order is not one of this merchant's (`order_not_found`)"
WRONG_STATE = "the return's state does not allow it now (`wrong_state`, `update_failed`)"

DOCS: dict[str, Doc] = {
    "health-healthz": Doc(
        "Is the service up", "200 once the database and Temporal both answer; 503 naming the one that does not."
    ),
    "orders-put_order": Doc(
        "Create or replace an order",
        "Push an order snapshot (customer, lines, the Stripe payment); returns are checked against it. "
        "201 when new, 200 when replaced.",
        ORDER,
    ),
    "orders-get_order": Doc("Read an order", "The order snapshot as last pushed."),
    "policy-get_policy": Doc(
        "Read the return policy",
        "The policy in force (404 until one is saved: returns use the default).",
        None,
        {404: "no policy saved yet (`policy_not_found`)"},
    ),
    "policy-put_policy": Doc(
        "Save a new policy version", example=POLICY, errors={409: "saved at once by another request; retry"}
    ),
    "policy-list_versions": Doc("List policy versions", "Every saved version, newest first."),
    "policy-get_version": Doc(
        "Read one policy version",
        "That version's document as saved.",
        None,
        {404: "no such version for this merchant (`policy_version_not_found`)"},
    ),
    "facilities-get_facilities": Doc("Read the facility registry", "Every facility: capabilities, address, capacity."),
    "facilities-put_facilities": Doc("Replace the facility registry", example=example_facilities()),
    "facilities-facility_receipt": Doc(
        "Confirm a transferred item arrived",
        example={"tracking_code": "EZ4000000004"},
        errors={409: "not shipped yet, or already received (`not_shipped`, `already_received`)"},
    ),
    "facilities-get_rules": Doc("Read the disposition rules"),
    "facilities-put_rules": Doc(
        "Replace the disposition rules",
        example={
            "rules": [
                {
                    "id": "r1",
                    "grades": ["A"],
                    "categories": ["shoes"],
                    "disposition": "restock",
                    "recovery_percent": 90,
                    "priority": 1,
                }
            ]
        },
    ),
    "catalog-get_catalog": Doc("Read the catalog", "The variants a shopper may exchange for."),
    "catalog-put_catalog": Doc(
        "Replace the catalog",
        example={
            "variants": [
                {
                    "sku": "TEE-BLK-L",
                    "product_id": "TEE-BLK",
                    "title": "T-shirt black L",
                    "options": {"size": "L"},
                    "price": {"amount": 2500, "currency": "USD"},
                    "category": "apparel",
                }
            ]
        },
    ),
    "catalog-put_stock": Doc(
        "Set stock on hand",
        example={"levels": [{"sku": "TEE-BLK-L", "facility_id": "wh_demo_nl", "on_hand": 5}]},
        errors={409: "below what is reserved for exchanges (`below_reserved`)"},
    ),
    "catalog-get_stock": Doc("Read stock", "Units on hand and reserved per SKU and warehouse."),
    "reports-label_report": Doc("Label spend and void savings"),
    "label_rules-get_label_rules": Doc(
        "Read the label rules", errors={404: "the key's merchant no longer exists (`merchant_not_found`)"}
    ),
    "label_rules-put_label_rules": Doc(
        "Replace the label rules",
        example={"carriers": ["USPS"], "max_cost": {"amount": 900, "currency": "USD"}, "selection": "cheapest"},
        errors={404: "the key's merchant no longer exists (`merchant_not_found`)"},
    ),
    "inventory-levels": Doc("Inventory levels"),
    "inventory-trail": Doc("One returned item's trail"),
    "work_orders-list_work_orders": Doc(
        "List refurbishment work orders", "Work orders, oldest first, by status and facility."
    ),
    "work_orders-complete": Doc(
        "Complete a work order",
        example={"grade": "A", "notes": "new sole, cleaned"},
        errors={409: "already completed (`work_order_completed`)"},
    ),
    "returns-quote_return": Doc("Quote a return", example=RETURN_BODY, errors={404: NOT_FOUND_RETURN}),
    "returns-create_return": Doc(
        "Create a return",
        example=RETURN_BODY,
        errors={404: NOT_FOUND_RETURN, 409: "the Idempotency-Key was used with another body (`idempotency_conflict`)"},
    ),
    "returns-list_returns": Doc(
        "List returns",
        errors={400: "a cursor this API did not return (`invalid_cursor`), or `email` in the URL (`email_in_url`)"},
    ),
    "returns-search_returns": Doc(
        "Search returns",
        "`GET /v1/returns`' filters in a body, plus the shopper's email (customer data stays out of URLs).",
        example={"email": "sam.shopper@example.com", "status": "label_created", "limit": 20},
        errors={400: "a cursor this API did not return (`invalid_cursor`)"},
    ),
    "returns-get_return": Doc("Read a return", "The return: status, items, quote, label, refund, timeline summary."),
    "returns-get_timeline": Doc("A return's timeline", "Every status change and note, oldest first."),
    "returns-get_tracking": Doc("A return's carrier events"),
    "returns-schedule_pickup": Doc(
        "Book a carrier pickup",
        example={"min_datetime": "2026-12-24T09:00:00Z", "max_datetime": "2026-12-24T17:00:00Z"},
        errors={409: WRONG_STATE},
    ),
    "returns-cancel_pickup": Doc(
        "Cancel a booked pickup",
        "Calls the carrier's pickup off; the shopper drops the parcel off instead.",
        {"reason": "the shopper will drop it off"},
        {409: WRONG_STATE},
    ),
    "returns-cancel_return": Doc(
        "Cancel a return",
        "Until the carrier scans the parcel; an unused label is voided (its cost refunded).",
        {"reason": "the shopper keeps the items"},
        {409: WRONG_STATE},
    ),
    "documents-get_label": Doc("Download the return label"),
    "documents-get_packing_slip": Doc("Download the packing slip"),
    "documents-get_dropoff_qr_png": Doc("Drop-off QR code (PNG)"),
    "documents-get_dropoff_qr_svg": Doc("Drop-off QR code (SVG)"),
    "portal-get_portal_link": Doc("The shopper's portal link"),
    "photos-upload_order_photo": Doc(
        "Upload a shopper's photo of an item",
        example={"line_id": "L1", "photo": "(the JPEG, PNG or HEIC file)"},
        errors={415: "the file is no JPEG, PNG or HEIC photo, whatever its name says (`unsupported_photo`)"},
    ),
    "photos-list_return_photos": Doc("A return's photos"),
    "photos-get_return_photo": Doc("Download one of a return's photos"),
    "store_credit-lookup_store_credit": Doc(
        "Look up a customer's store credit", example={"email": "sam.shopper@example.com"}
    ),
    "store_credit-redeem_store_credit": Doc(
        "Redeem store credit",
        example={"email": "sam.shopper@example.com", "amount": 1500, "currency": "EUR", "reference": "checkout-8812"},
        errors={409: "over the balance, or the reference used for another redemption"},
    ),
    "settings-get_merchant_settings": Doc("Read the shop's settings"),
    "settings-put_merchant_settings": Doc(
        "Replace the shop's settings",
        example={
            "display_name": "Fietsenwinkel",
            "support_email": "help@fietsenwinkel.example",
            "logo_url": "https://fietsenwinkel.example/logo.png",
            "brand_color": "#0a7d4f",
            "locale": "nl",
            "timezone": "Europe/Amsterdam",
        },
    ),
    "settings-get_merchant_credentials": Doc(
        "Which of the shop's own carrier and payment keys are set",
        "Whether the shop's own EasyPost and Stripe keys are set, and their last 4 characters; never a key. "
        "A key not set: the platform's account is used.",
    ),
    "settings-put_merchant_credentials": Doc(
        "Set the shop's own carrier and payment keys",
        "A key given replaces the stored one (kept encrypted, never shown again), `null` clears it (the "
        "platform's account is used again), a key left out stays. Labels, refunds and payment checks use "
        "the shop's own account from then on.",
        example={"easypost_api_key": "EZTK0123456789abcdef", "stripe_secret_key": "sk_test_0123456789abcdef"},
        errors={404: "the key's merchant no longer exists (`merchant_not_found`)"},
    ),
    "notifications-get_notification_settings": Doc("Which shopper emails the shop sends"),
    "notifications-put_notification_settings": Doc(
        "Switch shopper emails on or off",
        example={"emails": {"label_reminder": False, "pickup_reminder": True}},
        errors={404: "the key's merchant no longer exists (`merchant_not_found`)"},
    ),
    "notifications-get_return_notifications": Doc(
        "A return's emails and events", errors={404: "no return of yours has that id (`return_not_found`)"}
    ),
    "webhooks-get_endpoint": Doc("Read the first webhook endpoint", "The merchant's first endpoint's URL."),
    "webhooks-set_endpoint": Doc(
        "Set the first webhook endpoint",
        "Creates the merchant's first endpoint (every event) or moves it; a new secret each time.",
        example={"url": "https://shop.example/hooks/returnflow"},
    ),
    "webhooks-create_webhook_endpoint": Doc(
        "Add a webhook endpoint",
        example={
            "url": "https://shop.example/hooks/returnflow",
            "events": ["return.created", "refund.succeeded"],
            "description": "ERP",
        },
        errors={409: "the merchant has the most endpoints allowed (`too_many_webhook_endpoints`)"},
    ),
    "webhooks-list_webhook_endpoints": Doc("List webhook endpoints", "Every endpoint of the merchant, whole."),
    "webhooks-get_webhook_endpoint": Doc("Read a webhook endpoint", "The secret is never shown again."),
    "webhooks-update_webhook_endpoint": Doc(
        "Change a webhook endpoint", example={"events": ["*"], "enabled": True, "description": "ERP"}
    ),
    "webhooks-delete_webhook_endpoint": Doc("Delete a webhook endpoint"),
    "webhooks-rotate_secret": Doc(
        "Rotate an endpoint's secret",
        example={"overlap_hours": 24},
        errors={409: "a secret replaced before still overlaps (`rotation_in_progress`, with `until`)"},
    ),
    "webhooks-ping": Doc(
        "Send a test event",
        example={"endpoint_id": "we_0123456789abcdef01234567"},
        errors={409: "the merchant has no webhook endpoint (`no_webhook_endpoint`)"},
    ),
    "webhooks-list_deliveries": Doc("List webhook deliveries"),
    "webhooks-list_attempts": Doc("List a delivery's attempts"),
    "webhooks-redeliver": Doc(
        "Redeliver an event",
        errors={
            409: "the delivery's endpoint was deleted (`webhook_endpoint_deleted`), or the delivery is still pending "
            "(`delivery_pending`: it is tried on its own)"
        },
    ),
    "warehouse-receive": Doc(
        "Record a dock scan",
        example={"tracking_code": "EZ1000000001", "notes": "box dented"},
        errors={409: WRONG_STATE},
    ),
    "warehouse-unidentified": Doc("List unidentified parcels"),
    "stores-list_stores": Doc("List the stores"),
    "stores-receive": Doc(
        "Receive a return handed in at a store",
        example={"code": "RMA-RET_0A1B2C3D4E5F60718293A4B5"},
        errors={
            404: "not one of your stores, or no return of yours has that code (`store_not_found`, `return_not_found`)",
            409: "not sent to a store (`not_sent_to_a_store`), or no longer waiting to be handed in (cancelled, "
            "expired, received at a warehouse: `wrong_state`)",
        },
    ),
    "warehouse-inspect": Doc(
        "Inspect a received return",
        "Grade each item (and say whether it matches the reason); answers each item's disposition and the refund.",
        {"items": [{"line_id": "L1", "grade": "A", "notes": "as new"}]},
        {409: "not received yet, or already inspected (`wrong_state`, `already_inspected`)"},
    ),
    "ops-review": Doc(
        "Approve or reject a held return",
        example={"decision": "approve", "note": "regular customer"},
        errors={409: WRONG_STATE},
    ),
    "ops-attention": Doc("What needs a person"),
    "ops-resolve": Doc(
        "Resolve an attention item",
        example={"note": "refunded by hand"},
        errors={409: "already resolved (`already_resolved`)"},
    ),
    "carrier_webhooks-easypost_event": Doc(
        "EasyPost event webhook",
        "EasyPost's tracker events, verified by HMAC (`X-Hmac-Signature`), de-duplicated by event id, "
        "signalled to the return they concern. Called by EasyPost, not by merchants.",
        {"id": "evt_0123456789abcdef", "description": "tracker.updated", "result": {"object": "Tracker"}},
        {401: "a missing or wrong HMAC signature (`bad_signature`)"},
    ),
}

"""The shopper's address, verified by EasyPost before a return is started (one call).

A label can only be bought for an address the carrier can find, so an address
EasyPost cannot verify is refused up front, as the merchant's to fix, instead of a
return rejected later at label time: 422 `address_unverifiable` naming the field
EasyPost's verification errors point at (`customer.address.zip`, ...), or the
whole `customer.address` when EasyPost only says it cannot find it. EasyPost
unreachable or failing: 503, retry later; never a 500.

`address.create_and_verify` is strict: EasyPost answers 422 ADDRESS.VERIFY.FAILURE
with its field errors (WIRE.md section 3/7; recorded in the cassettes).
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool

from activities.carrier_gateway import CarrierError, CarrierRefused, verify_address
from activities.easypost_client import EasyPostSettings
from activities.merchant_accounts import is_own_account
from api.assessment import Assessment
from api.errors import ApiError

log = logging.getLogger("returnflow.api")

# The order address fields EasyPost knows (our latitude/longitude are for routing only).
ADDRESS_FIELDS = ("name", "company", "street1", "street2", "city", "state", "zip", "country", "phone")
FIELD_PREFIX = "customer.address"


def _field_errors(err: CarrierRefused) -> list[dict[str, str]]:
    """EasyPost's error list, each at our field path; errors may be objects or plain strings."""
    out = []
    for item in err.errors:
        if isinstance(item, dict):
            field = item.get("field")
            path = f"{FIELD_PREFIX}.{field}" if field in ADDRESS_FIELDS else FIELD_PREFIX
            out.append({"field": path, "code": str(item.get("code") or ""), "message": str(item.get("message") or "")})
        else:
            out.append({"field": FIELD_PREFIX, "code": "", "message": str(item)})
    return out


def _unverifiable(err: CarrierRefused, order_id: str) -> ApiError:
    details = _field_errors(err)
    # The most specific error names the field: a field of the address, else the address itself.
    named = next((d for d in details if d["field"] != FIELD_PREFIX), details[0] if details else None)
    field = named["field"] if named else FIELD_PREFIX
    why = "; ".join(f"{d['message']} ({d['field']})" for d in details if d["message"]) or (err.message or "")
    return ApiError(
        422,
        "address_unverifiable",
        f"EasyPost could not verify the shopper's address: {why}. Correct the order's customer address "
        f"(PUT /v1/orders/{order_id}) and retry.",
        field=field,
        details=details,
    )


async def verify_shopper_address(settings: EasyPostSettings, found: Assessment) -> None:
    """Raise ApiError 422 when EasyPost cannot verify the order's customer address, 503 when it
    does not answer. A return whose items are all kept needs no label, so no check."""
    if found.quote.keep_items:
        return
    address = {
        k: v
        for k, v in (found.order.customer.get("address") or {}).items()
        if k in ADDRESS_FIELDS and v not in (None, "")
    }
    try:
        await run_in_threadpool(verify_address, settings, address)
    except CarrierRefused as err:
        if err.http_status == 422:
            raise _unverifiable(err, found.order.id) from err
        if err.http_status in (401, 403) and is_own_account(settings):
            log.warning("address verification refused the merchant's own EasyPost key: %s", err.code)
            raise ApiError(
                422,
                "carrier_account_refused",
                "EasyPost refused your own API key; set a working one (or clear it) with PUT /v1/merchant/credentials",
            ) from err
        log.warning("address verification failed: EasyPost %s %s", err.http_status, err.code)
        raise ApiError(503, "carrier_unavailable", "the carrier's address check is unavailable; retry later") from err
    except CarrierError as err:  # timeouts, connection errors, unreadable answers
        log.warning("address verification failed: %s", err)
        raise ApiError(503, "carrier_unavailable", "the carrier's address check is unreachable; retry later") from err

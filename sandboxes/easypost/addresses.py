"""Addresses and their (deterministic, offline) verification; EndShippers reuse the same fields.

An address verifies when it has a house-numbered street1, a city, a zip and a country, a valid
US state and a plausible 5-digit ZIP for the US.  Failures list the recorded E.ADDRESS.NOT_FOUND
first, then one error per offending field, so callers can see which field was wrong.

The house number leads street1 in the US ("417 Montgomery St", else E.HOUSE_NUMBER.MISSING, as
recorded for street1 "invalid"); elsewhere it may follow the street ("Damrak 1", "Hoofdweg 12").

An address that cannot be found: house number 0 (the recorded "000 unknown street").  Such an
address does not exist, so verification fails with E.ADDRESS.NOT_FOUND alone and no field
errors, whatever the other fields say, exactly as api.easypost.com answered for the recorded
"000 unknown street, Not A City, ZZ 00001" (create_and_verify: 422 ADDRESS.VERIFY.FAILURE;
create with verify: delivery.success false; with a verify_carrier: success, errors listed).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from sandboxes.easypost.errors import ApiError, param_required
from sandboxes.easypost.state import MODE, Sandbox, as_bool, new_id, now_iso

FIELDS = ("name", "company", "street1", "street2", "city", "state", "zip", "country", "phone", "email")
US_STATES = set(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM "
    "NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR VI GU AS MP AA AE AP".split()
)
PACIFIC = {"CA", "WA", "OR", "NV"}
MOUNTAIN = {"AZ", "CO", "ID", "MT", "NM", "UT", "WY"}
EASTERN = {
    "CT",
    "DE",
    "DC",
    "FL",
    "GA",
    "IN",
    "KY",
    "ME",
    "MD",
    "MA",
    "MI",
    "NH",
    "NJ",
    "NY",
    "NC",
    "OH",
    "PA",
    "RI",
    "SC",
    "VT",
    "VA",
    "WV",
}
NOT_FOUND_ERROR = {
    "code": "E.ADDRESS.NOT_FOUND",
    "field": "address",
    "message": "Address not found",
    "suggestion": None,
}


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def record(params: dict[str, Any], prefix: str = "adr") -> dict[str, Any]:
    """A new Address (or EndShipper) record from request params; not stored yet."""
    ts = now_iso()
    rec: dict[str, Any] = {
        "id": new_id(prefix),
        "object": "Address" if prefix == "adr" else "EndShipper",
        "created_at": ts,
        "updated_at": ts,
        "mode": MODE,
    }
    for key in FIELDS:
        rec[key] = _clean(params.get(key))
    rec["country"] = (rec["country"] or "US").upper()
    if prefix == "adr":
        rec.update(
            carrier_facility=_clean(params.get("carrier_facility")),
            residential=params.get("residential"),
            federal_tax_id=_clean(params.get("federal_tax_id")),
            state_tax_id=_clean(params.get("state_tax_id")),
            verifications={},
        )
    return rec


def field_errors(addr: dict[str, Any]) -> list[dict[str, Any]]:
    """Why this address cannot be verified ([] when it can)."""
    errors: list[dict[str, Any]] = []

    def err(code: str, field: str, message: str) -> None:
        errors.append({"code": code, "field": field, "message": message, "suggestion": None})

    street1, country = addr.get("street1") or "", addr.get("country") or ""
    house = re.match(r"^\s*(\d+)", street1) if country == "US" else re.search(r"(?<!\w)(\d+)", street1)
    if house and int(house.group(1)) == 0:
        return [NOT_FOUND_ERROR]  # no such address (see the module docstring)
    if not street1:
        err("E.STREET.MISSING", "street1", "Street is missing")
    elif not house:
        err("E.HOUSE_NUMBER.MISSING", "street1", "House number is missing")
    if not addr.get("city"):
        err("E.CITY.MISSING", "city", "City is missing")
    zip_code = addr.get("zip") or ""
    if not zip_code:
        err("E.ZIP.MISSING", "zip", "Zip is missing")
    elif country == "US" and (not re.fullmatch(r"\d{5}(-\d{4})?", zip_code) or zip_code[:5] < "00501"):
        err("E.ZIP.INVALID", "zip", "Invalid zip")
    if not re.fullmatch(r"[A-Z]{2}", country):
        err("E.COUNTRY.INVALID", "country", "Invalid country")
    elif country == "US" and (addr.get("state") or "").upper() not in US_STATES:
        err("E.STATE.INVALID", "state", "Invalid state")
    return [NOT_FOUND_ERROR, *errors] if errors else []


def _time_zone(state: str | None) -> str:
    state = (state or "").upper()
    if state in PACIFIC:
        return "America/Los_Angeles"
    if state in MOUNTAIN:
        return "America/Denver"
    if state in EASTERN:
        return "America/New_York"
    return "America/Chicago"


def _normalize(addr: dict[str, Any]) -> None:
    """What a successful verification does to the fields (as recorded): upper case, street2
    folded into street1, ZIP+4, residential flag."""
    digest = int(hashlib.sha256((addr["street1"] + addr["zip"]).encode()).hexdigest(), 16)
    for key in ("name", "company", "city", "state"):
        if addr.get(key):
            addr[key] = addr[key].upper()
    street = addr["street1"] + (" " + addr["street2"] if addr.get("street2") else "")
    addr["residential"] = bool(addr.get("street2")) or not addr.get("company")
    addr["street1"], addr["street2"] = street.upper(), ""
    if addr["country"] == "US" and len(addr["zip"]) == 5:
        addr["zip"] = f"{addr['zip']}-{digest % 9000 + 1000}"


def _geo(addr: dict[str, Any]) -> dict[str, Any]:
    digest = int(hashlib.sha256((addr.get("zip") or "").encode()).hexdigest(), 16)
    return {
        "latitude": round(25 + (digest % 2300) / 100, 5),
        "longitude": round(-70 - (digest % 5000) / 100, 5),
        "time_zone": _time_zone(addr.get("state")),
    }


def verify(addr: dict[str, Any], carrier: str | None = None) -> bool:
    """Fill `verifications` in place; returns whether delivery verification succeeded."""
    errors = field_errors(addr)
    if not errors:
        _normalize(addr)
        details: dict[str, Any] = _geo(addr)
    elif carrier is not None:
        # Recorded (test_address_create_verify_carrier.yaml): carrier verification in test mode
        # reports success even for an unknown address, while still listing the errors.
        for key in ("company", "street1", "city"):
            addr[key] = addr[key].upper() if addr.get(key) else addr.get(key)
        addr["street2"] = addr.get("street2") or ""
        details = {"latitude": None, "longitude": None, "time_zone": None}
    else:
        details = {}
    success = not errors or carrier is not None
    addr["verifications"] = {
        "zip4": {"success": success, "errors": list(errors), "details": None},
        "delivery": {"success": success, "errors": list(errors), "details": details},
    }
    if carrier is not None:
        addr["verifications"]["verify_carrier"] = str(carrier).lower()
    addr["updated_at"] = now_iso()
    return success


def verify_failure(addr: dict[str, Any]) -> ApiError:
    return ApiError(422, "ADDRESS.VERIFY.FAILURE", "Unable to verify address.", field_errors(addr))


def create(sb: Sandbox, body: dict[str, Any]) -> dict[str, Any]:
    """POST /addresses: flags sit beside "address" (older clients put them inside it)."""
    params = body.get("address") if isinstance(body.get("address"), dict) else {}
    return sb.add(_checked(params, body))


def _checked(params: dict[str, Any], flags: dict[str, Any]) -> dict[str, Any]:
    """Build and, if asked, verify; strict verification failing stores nothing."""
    strict = as_bool(flags.get("verify_strict") or params.get("verify_strict"))
    loose = as_bool(flags.get("verify") or params.get("verify"))
    carrier = flags.get("verify_carrier") or params.get("verify_carrier")
    addr = record(params)
    if (strict or loose or carrier) and not verify(addr, carrier) and strict:
        raise verify_failure(addr)
    return addr


def resolve(sb: Sandbox, value: Any, field: str) -> dict[str, Any]:
    """An address given inline or as {"id": "adr_..."} (or a bare id string)."""
    if isinstance(value, str):
        return sb.get(value, "adr")
    if not isinstance(value, dict) or not value:
        raise param_required(field)
    if value.get("id"):
        return sb.get(value["id"], "adr")
    return sb.add(_checked(value, {}))


def verified_copy(sb: Sandbox, addr: dict[str, Any], carrier: str | None = None) -> dict[str, Any]:
    """GET /addresses/{id}/verify answers with a new, verified address (recorded: a new id)."""
    copy = record(addr)
    if not verify(copy, carrier):
        raise verify_failure(copy)
    return sb.add(copy)


def create_and_verify(sb: Sandbox, body: dict[str, Any]) -> dict[str, Any]:
    """POST /addresses/create_and_verify: strict; nothing is stored when verification fails."""
    params = body.get("address") if isinstance(body.get("address"), dict) else {}
    if not params:
        raise param_required("address")
    addr = record(params)
    if not verify(addr, body.get("verify_carrier") or params.get("verify_carrier")):
        raise verify_failure(addr)
    return sb.add(addr)

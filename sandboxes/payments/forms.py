"""Decoding of Stripe's bracket-notation form bodies and typed access to the result.

stripe-python sends `metadata[k]=v` with raw brackets, other clients send `metadata%5Bk%5D=v`;
`parse_qsl` percent-decodes keys before we split them, so both land in the same nested dict.
Lists arrive as `expand[0]=a` (stripe-python) or `expand[]=a`; both become Python lists.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from .errors import invalid, invalid_integer, missing_param, unknown_param

_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_INT = re.compile(r"-?\d+")

# Stripe's documented metadata limits; enforcing them catches clients that stuff blobs in metadata.
METADATA_MAX_KEYS = 50
METADATA_MAX_KEY_LEN = 40
METADATA_MAX_VALUE_LEN = 500

REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")


def _split_key(key: str) -> list[str]:
    head, bracket, rest = key.partition("[")
    if not bracket:
        return [key]
    rest = "[" + rest
    segments = _SEGMENT.findall(rest)
    if "".join(f"[{s}]" for s in segments) != rest:
        raise invalid(f"Invalid parameter name: {key}", param=key)
    return [head, *segments]


def decode_form(body: bytes) -> dict[str, Any]:
    """Turn `a=1&metadata[k]=v&expand[0]=x` into `{"a": "1", "metadata": {"k": "v"}, "expand": ["x"]}`."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid("Request body is not valid UTF-8.") from None
    root: dict[str, Any] = {}
    for raw_key, value in parse_qsl(text, keep_blank_values=True):
        path = _split_key(raw_key)
        node = root
        for segment in path[:-1]:
            child = node.get(segment)
            if child is None or isinstance(child, str):
                # `metadata=` followed by `metadata[k]=v` : the nested form wins.
                child = {}
                node[segment] = child
            node = child
        leaf = path[-1]
        if leaf == "" and len(path) > 1:  # `expand[]=x` appends
            leaf = str(sum(1 for k in node if k.isdigit()))
        node[leaf] = value
    return {k: _listify(k, v) for k, v in root.items()}


def _listify(key: str, value: Any) -> Any:
    # Only `expand` is a list in the endpoints we model; metadata keys like "0" must stay a dict.
    if key == "expand" and isinstance(value, dict):
        return [value[k] for k in sorted(value, key=lambda k: int(k) if k.isdigit() else 0)]
    return value


def fingerprint(params: dict[str, Any]) -> str:
    """Order-insensitive identity of a request's parameters (for Idempotency-Key comparison)."""
    return json.dumps(params, sort_keys=True, separators=(",", ":"))


class Params:
    """Typed, validating view of decoded params; errors are Stripe-shaped 400s."""

    def __init__(self, data: dict[str, Any], allowed: set[str]) -> None:
        for key in data:
            if key not in allowed and key != "expand":  # expand is accepted and ignored
                raise unknown_param(key)
        self.data = data

    def has(self, name: str) -> bool:
        return name in self.data

    def string(self, name: str, *, required: bool = False) -> str | None:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise missing_param(name)
            return None
        if not isinstance(value, str):
            raise invalid(f"Invalid string: {name} must be a string.", param=name)
        return value

    def integer(self, name: str, *, required: bool = False) -> int | None:
        value = self.data.get(name)
        if value is None:
            if required:
                raise missing_param(name)
            return None
        if not isinstance(value, str) or not _INT.fullmatch(value) or int(value) <= 0:
            raise invalid_integer(name)
        return int(value)

    def boolean(self, name: str) -> bool:
        value = self.data.get(name)
        if value is None:
            return False
        if value not in ("true", "false"):
            raise invalid(f"Invalid boolean: {value}", param=name)
        return value == "true"

    def currency(self, name: str, *, required: bool = False) -> str | None:
        value = self.string(name, required=required)
        if value is None:
            return None
        if not re.fullmatch(r"[A-Za-z]{3}", value):
            raise invalid(f"Invalid currency: {value}.", param=name)
        return value.lower()  # Stripe stores and returns currencies lowercase

    def reason(self) -> str | None:
        value = self.string("reason")
        if value is not None and value not in REFUND_REASONS:
            raise invalid(
                "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer",
                param="reason",
            )
        return value

    def metadata(self) -> dict[str, str] | None:
        """None = not sent; {} = `metadata=` (clear all); '' values mean "unset this key"."""
        if "metadata" not in self.data:
            return None
        value = self.data["metadata"]
        if value == "":
            return {}
        if not isinstance(value, dict):
            raise invalid("Invalid metadata: must be a hash of string keys and values.", param="metadata")
        if len(value) > METADATA_MAX_KEYS:
            raise invalid(f"Invalid metadata: at most {METADATA_MAX_KEYS} keys.", param="metadata")
        for key, item in value.items():
            if not isinstance(item, str):
                raise invalid("Invalid metadata: nested objects are not allowed.", param=f"metadata[{key}]")
            if len(key) > METADATA_MAX_KEY_LEN:
                raise invalid(
                    f"Metadata keys can be at most {METADATA_MAX_KEY_LEN} characters.",
                    param=f"metadata[{key}]",
                )
            if len(item) > METADATA_MAX_VALUE_LEN:
                raise invalid(
                    f"Metadata values can be at most {METADATA_MAX_VALUE_LEN} characters.",
                    param=f"metadata[{key}]",
                )
        return dict(value)


def merge_metadata(current: dict[str, str], update: dict[str, str] | None) -> dict[str, str]:
    """Stripe's merge rule: sent keys overwrite, empty values delete, `metadata=` clears all."""
    if update is None:
        return current
    if update == {}:
        return {}
    merged = dict(current)
    for key, value in update.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


__all__ = ["Params", "decode_form", "fingerprint", "merge_metadata"]

"""Every value a request can carry is bounded, read off our own OpenAPI document.

A field added later without a limit (a bare `int`, `str`, `list` or `dict`) fails here, naming it:
use a type from domain/validation.py. The rules (what the document must say):
- integers and numbers: a minimum and a maximum;
- strings: a maxLength, and a pattern (or an enum, or a format that is itself a rule: email, uri,
  date-time; binary, a file) in bodies and paths; a query or header string needs only its maxLength;
- arrays: maxItems; free-form objects (maps): maxProperties.
"""

from __future__ import annotations

from typing import Any

import pytest

from api.app import create_app
from settings import Settings

RULED_FORMATS = {"email", "uri", "date-time", "binary"}  # binary: an uploaded file, checked by its content


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    return create_app(Settings(database_url="sqlite://")).openapi()


def unbounded(schema: dict, where: str, defs: dict, strict_strings: bool, seen: frozenset = frozenset()) -> list[str]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return [] if name in seen else unbounded(defs[name], where, defs, strict_strings, seen | {name})
    found: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            found += unbounded(option, where, defs, strict_strings, seen)
    kind = schema.get("type")
    if "enum" in schema or "const" in schema:
        return found
    if kind in ("integer", "number"):
        if not ({"minimum", "exclusiveMinimum"} & schema.keys() and {"maximum", "exclusiveMaximum"} & schema.keys()):
            found.append(f"{where}: a number without a minimum and a maximum")
    elif kind == "string":
        fmt = schema.get("format")
        if "maxLength" not in schema and fmt != "date-time":
            found.append(f"{where}: a string without a maxLength")
        if strict_strings and "pattern" not in schema and fmt not in RULED_FORMATS:
            found.append(f"{where}: a string without a pattern")
    elif kind == "array":
        if "maxItems" not in schema:
            found.append(f"{where}: a list without maxItems")
        found += unbounded(schema.get("items", {}), f"{where}[]", defs, strict_strings, seen)
    elif kind == "object" or "properties" in schema:
        for name, prop in schema.get("properties", {}).items():
            found += unbounded(prop, f"{where}.{name}", defs, strict_strings, seen)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            if "maxProperties" not in schema:
                found.append(f"{where}: a map without maxProperties")
            found += unbounded(extra, f"{where}{{key}}", defs, strict_strings, seen)
    elif kind is None and not any(k in schema for k in ("anyOf", "oneOf", "allOf")):
        found.append(f"{where}: a value of any type")
    return found


def test_every_number_string_list_and_map_a_request_can_carry_is_bounded(openapi: dict):
    defs = openapi["components"]["schemas"]
    found: list[str] = []
    operations = 0
    for path, ops in openapi["paths"].items():
        for method, op in ops.items():
            operations += 1
            for param in op.get("parameters", []):
                where = f"{method.upper()} {path} {param['in']} {param['name']}"
                found += unbounded(param["schema"], where, defs, strict_strings=param["in"] == "path")
            for content in op.get("requestBody", {}).get("content", {}).values():
                found += unbounded(
                    content.get("schema", {}), f"{method.upper()} {path} body", defs, strict_strings=True
                )
    assert operations > 40
    assert found == []


def test_every_path_id_has_the_same_rule(openapi: dict):
    rules = {
        (p["name"], p["schema"].get("pattern"), p["schema"].get("maxLength"))
        for ops in openapi["paths"].values()
        for op in ops.values()
        for p in op.get("parameters", [])
        if p["in"] == "path" and p["schema"].get("type") == "string" and p["schema"].get("format") != "email"
    }
    patterns = {pattern for _, pattern, _ in rules}
    assert patterns == {r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"}, rules
    assert {name for name, _, length in rules if length == 64} == {"return_id"}
    assert {length for name, _, length in rules if name != "return_id"} == {128}

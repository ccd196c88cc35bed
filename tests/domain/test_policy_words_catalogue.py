"""The `policy` catalogue: every template of domain/policy is translated in its own catalogue, and
every translation can be filled in (a lone `%` would raise only when a shopper's quote is worded)."""

from __future__ import annotations

from functools import cache

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from activities.translations import LOCALE_DIR
from domain.shopper_locale import LANGUAGES
from tests.test_translations import ROOT, placeholders


@cache
def policy_templates() -> list[str]:
    """What `pybabel extract -F babel.cfg` finds in domain/policy (as tests/test_translations.py extracts)."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = set()
    for filename, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords={"_": None, "gettext": None, "N_": None}
    ):
        if filename.startswith("domain/policy/"):
            found.add(message)
    return sorted(found)


def policy_catalogue(lang: str) -> dict[str, str]:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "policy.po").open("rb") as f:
        return {m.id: m.string for m in read_po(f, locale=lang) if m.id and not m.fuzzy}


def test_babel_finds_the_policy_templates():
    found = policy_templates()
    assert "The %(days)s-day return window ended on %(date)s." in found
    assert "Too small" in found and "the item is too small" in found
    assert len(found) > 60


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_policy_template_is_in_the_policy_catalogue_and_fills_in(lang):
    catalogue = policy_catalogue(lang)
    problems = []
    for msgid in policy_templates():
        if msgid not in catalogue:
            problems.append(f"missing: {msgid!r}")
            continue
        text = catalogue[msgid] or (msgid if lang == "en" else "")
        if not text:
            problems.append(f"untranslated: {msgid!r}")
            continue
        if placeholders(text) != placeholders(msgid):
            problems.append(f"placeholders: {msgid!r} -> {text!r}")
        names = placeholders(msgid)
        if names:
            try:
                filled = text % {name: "X" for name in names}
            except (ValueError, TypeError, KeyError) as e:
                problems.append(f"does not fill in ({e}): {text!r}")
                continue
            assert "%(" not in filled
    assert not problems, "\n".join(problems)
    assert not set(catalogue) - set(policy_templates()), "entries no template uses any more"


def test_english_keeps_the_source_text():
    assert set(policy_catalogue("en").values()) == {""}

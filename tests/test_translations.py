"""Every string shown to a shopper has a translation in each of the portal's languages.

The strings are what `pybabel extract -F babel.cfg` finds (templates' `{% trans %}` and `_()`,
Python's `_()`/`gettext()`); the catalogues are `locale/<lang>/LC_MESSAGES/*.po`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from activities.translations import LOCALE_DIR, compile_all, gettext_for, translations
from domain.shopper_locale import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent


def shopper_strings() -> dict[str, str]:
    """msgid -> where it was found."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords={"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def catalogue(lang: str) -> dict[str, object]:
    entries = {}
    for po in sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as f:
            for message in read_po(f, locale=lang):
                if message.id:
                    entries[message.id if isinstance(message.id, str) else message.id[0]] = message
    return entries


PLACEHOLDER = re.compile(r"%\((\w+)\)s|\{(\w+)\}")


def placeholders(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_shopper_string_has_a_translation(lang: str):
    strings = shopper_strings()
    have = catalogue(lang)
    missing = sorted(f"{where}: {msgid!r}" for msgid, where in strings.items() if msgid not in have)
    assert not missing, f"{len(missing)} strings have no entry in locale/{lang}:\n" + "\n".join(missing[:40])
    if lang == "en":
        return  # English is the source text: an empty msgstr shows the msgid
    untranslated, fuzzy, broken = [], [], []
    for msgid in strings:
        message = have[msgid]
        text = message.string if isinstance(message.string, str) else (message.string or ("",))[0]
        if not text:
            untranslated.append(msgid)
        elif message.fuzzy:
            fuzzy.append(msgid)
        elif placeholders(text) != placeholders(msgid):
            broken.append(f"{msgid!r} -> {text!r}")
    assert not untranslated, f"untranslated in {lang}: {untranslated[:40]}"
    assert not fuzzy, f"fuzzy (unchecked) in {lang}: {fuzzy[:40]}"
    assert not broken, f"placeholders differ in {lang}: {broken[:40]}"


def test_the_catalogues_compile_and_are_used():
    written = compile_all()
    assert {p.parent.parent.name for p in written} == set(LANGUAGES)
    translations.cache_clear()
    strings = shopper_strings()
    assert strings, "babel.cfg finds no shopper strings"
    sample = next(iter(sorted(strings)))
    for lang in ("nl", "de", "fr"):
        assert gettext_for(lang)(sample) != sample or catalogue(lang)[sample].string == sample


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_string_in_two_catalogues_reads_the_same_in_both(lang: str):
    """The catalogues of a language are merged into one: a msgid translated twice differently would show
    whichever loads last, so the portal's and the policy's "Too small" must agree."""
    first: dict[str, tuple[str, str]] = {}
    clashes = []
    for po in sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as f:
            for message in read_po(f, locale=lang):
                if not message.id:
                    continue
                msgid = message.id if isinstance(message.id, str) else message.id[0]
                text = message.string if isinstance(message.string, str) else message.string[0]
                if msgid in first and first[msgid][1] != text:
                    clashes.append(f"{msgid!r}: {first[msgid][0]} {first[msgid][1]!r} vs {po.stem} {text!r}")
                first.setdefault(msgid, (po.stem, text))
    assert not clashes, "\n".join(clashes)

"""The shopper's languages: gettext catalogues in `locale/<lang>/LC_MESSAGES/<domain>.po`.

One home for loading them, used by the portal's pages (api/) and by the emails and packing slip
(activities/). `make` compiles every `.po` to its `.mo` at install and test time (`python -m
activities.translations compile`); a `.mo` older than its `.po` (someone edited a catalogue and ran
pytest by hand) is compiled again in memory, so a page never shows a stale catalogue.

Domains: `portal` (starting a return), `follow` (the return's own page, the layout, errors), `policy` (the policy's sentences to the shopper), `email` (mails and
the packing slip), `photos` (the shopper's photos of the items). Every string shown to a shopper has a translation in each of `LANGUAGES`
(`tests/test_translations.py` fails otherwise); English keeps the source text.
"""

from __future__ import annotations

import io
import sys
from functools import cache
from pathlib import Path

import jinja2
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from domain.shopper_locale import LANGUAGES

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAINS = ("portal", "follow", "policy", "email", "photos")


def catalogue_paths(lang: str) -> list[Path]:
    return [LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po" for domain in DOMAINS]


def _load_one(po: Path) -> Translations | None:
    if not po.exists():
        return None
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as f:
            return Translations(f, domain=po.stem)
    buf = io.BytesIO()
    with po.open("rb") as f:
        write_mo(buf, read_po(f, locale=po.parent.parent.name))
    buf.seek(0)
    return Translations(buf, domain=po.stem)


@cache
def translations(lang: str) -> Translations:
    """Every domain of one language merged; an unknown language is English (the source text)."""
    if lang not in LANGUAGES:
        lang = "en"
    merged = Translations()
    for po in catalogue_paths(lang):
        one = _load_one(po)
        if one is not None:
            merged.merge(one)
    return merged


def gettext_for(lang: str):
    """`_` for Python code that words a sentence for the shopper (pure code takes it as an argument)."""
    return translations(lang).gettext


def template_environment(folder: Path) -> dict[str, jinja2.Environment]:
    """One Jinja environment per language over `folder`, with `{% trans %}` and `_()` in that language."""
    envs = {}
    for lang in LANGUAGES:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(folder),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            extensions=["jinja2.ext.i18n"],
        )
        env.install_gettext_translations(translations(lang), newstyle=True)
        env.globals["lang"] = lang
        envs[lang] = env
    return envs


def compile_all() -> list[Path]:
    """Write each `.po`'s `.mo` beside it (make's install and test steps call this)."""
    written = []
    for po in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as f:
            catalog = read_po(f, locale=po.parent.parent.name)
        with po.with_suffix(".mo").open("wb") as f:
            write_mo(f, catalog)
        written.append(po.with_suffix(".mo"))
    return written


if __name__ == "__main__":
    if sys.argv[1:] != ["compile"]:
        sys.exit("usage: python -m activities.translations compile")
    print(f"compiled {len(compile_all())} catalogues")

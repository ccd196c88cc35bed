"""The packing slip in the shopper's language and on the merchant's paper, rendered alone and read back with pypdf."""

from __future__ import annotations

import io

import pypdf
import pytest

from activities.audience import Audience
from activities.documents import packing_slip_pdf
from domain.money import Money
from domain.paper import paper_size
from domain.shopper_locale import moment, money
from tests.api.test_documents import NOW, row
from tests.factories import LINES

A4 = (595, 842)  # points, rounded: 210 x 297 mm
LETTER = (612, 792)  # 8.5 x 11 in


def audience(language: str, paper: str, timezone: str = "Europe/Amsterdam") -> Audience:
    return Audience(language=language, send_method="label", merchant_name="Mode & Zo", timezone=timezone, paper=paper)


def read(pdf: bytes) -> tuple[list[tuple[int, int]], str]:
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    sizes = [(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in pages]
    return sizes, "\n".join(p.extract_text() for p in pages).replace("\xa0", " ")


def plain(text: str) -> str:
    return text.replace("\xa0", " ").replace("\u202f", " ")


def test_a_dutch_slip_for_a_european_shop_is_a4_and_dutch():
    sizes, text = read(packing_slip_pdf(row(), LINES, audience("nl", paper_size("NL")), "EUR"))
    assert sizes == [A4]
    for dutch in ("Retourpakbon", "Stop deze pakbon in het pakket", "Retournummer", "Bestelnummer", "Trackingcode"):
        assert dutch in text
    assert "Reden van retour" in text and "te klein" in text and "niet zoals" in text  # the reasons, translated
    assert plain(money(Money(amount=2 * 2500, currency="EUR"), "nl")) in text  # € 50,00: two T-shirts
    assert "€ 89,99" in text
    assert plain(moment(NOW, "nl", "Europe/Amsterdam", "short")) in text  # 25-11-2026, 13:00: Amsterdam time
    for english in ("Return packing slip", "Order", "too small"):
        assert english not in text


def test_a_us_shops_slip_is_letter_and_english():
    sizes, text = read(packing_slip_pdf(row(), LINES, audience("en", paper_size("US"), "America/New_York"), "USD"))
    assert sizes == [LETTER]
    assert "Return packing slip" in text and "too small" in text and "$89.99" in text and "$50.00" in text
    assert plain(moment(NOW, "en", "America/New_York", "short")) in text  # 11/25/26, 7:00 AM


@pytest.mark.parametrize(
    ("language", "title", "amount"), [("de", "Retourenschein", "89,99 €"), ("fr", "Bordereau de retour", "89,99 €")]
)
def test_german_and_french_slips(language, title, amount):
    sizes, text = read(packing_slip_pdf(row(), LINES, audience(language, "A4"), "EUR"))
    assert sizes == [A4] and title in text and amount in text


def test_french_thousands_print_without_a_missing_glyph():
    many = [{"line_id": "L2", "sku": "SHOE-42", "quantity": 200, "reason": "changed_mind"}]
    _, text = read(packing_slip_pdf(row(items=many), LINES, audience("fr", "A4"), "EUR"))
    assert "17 998,00 €" in text and "changement d'avis" in text


def test_paper_follows_the_merchants_country():
    assert [paper_size(c) for c in ("NL", "de", "FR", "GB", "CH", "NO", "IS")] == ["A4"] * 7
    assert [paper_size(c) for c in ("US", "CA", "MX", None, "")] == ["letter"] * 5

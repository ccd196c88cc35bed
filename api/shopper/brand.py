"""A merchant's look on its portal pages: name, logo, and its colour as a stylesheet (the CSP allows no inline style).

The colour must stay readable: buttons get white or near-black text, whichever contrasts more with it, and
links use it only when it reads on white (WCAG AA, 4.5:1); otherwise the default accent stays.
"""

from __future__ import annotations

import re
from typing import Any

DEFAULT_ACCENT = "#0f766e"
DARK, LIGHT = "#1c1917", "#ffffff"


def _luminance(colour: str) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def colour_of(merchant: Any) -> str | None:
    colour = getattr(merchant, "brand_color", None)
    return colour.lower() if isinstance(colour, str) and re.fullmatch(r"#[0-9a-fA-F]{6}", colour) else None


def stylesheet(merchant: Any) -> str:
    """`:root` variables for this merchant's colour (portal.css reads --brand, --brand-ink, --link)."""
    colour = colour_of(merchant) or DEFAULT_ACCENT
    ink = LIGHT if contrast(colour, LIGHT) >= contrast(colour, DARK) else DARK
    link = colour if contrast(colour, LIGHT) >= 4.5 else DEFAULT_ACCENT
    return f":root {{ --brand: {colour}; --brand-ink: {ink}; --link: {link}; }}\n"


def branding(merchant: Any) -> dict[str, Any] | None:
    """What a template shows of the merchant; the logo only when served by us (the CSP allows images from 'self')."""
    if merchant is None:
        return None
    logo = getattr(merchant, "logo_url", None) or ""
    slug = getattr(merchant, "slug", None)
    return {
        "name": merchant.display_name or merchant.name,
        "slug": slug,
        "logo": logo if logo.startswith("/") and not logo.startswith("//") else None,
        "brand_css": f"/portal/{slug}/brand.css" if slug and colour_of(merchant) else None,
        "home": f"/portal/{slug}" if slug else None,
        "support_email": getattr(merchant, "support_email", None),
    }

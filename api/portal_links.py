"""Portal links from the settings (the signing itself: activities/portal_links.py, shared with the label email)."""

from __future__ import annotations

from activities.portal_links import portal_link, portal_token, read_portal_token
from settings import Settings

__all__ = ["portal_token", "portal_url", "read_portal_token"]


def portal_url(settings: Settings, return_id: str, merchant_id: str) -> str:
    """The absolute link a shopper opens (in the label email, or sent by the merchant)."""
    return portal_link(settings.public_url, settings.portal_secret, return_id, merchant_id)

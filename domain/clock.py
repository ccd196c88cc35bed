"""Checks on the times the domain is handed (it never reads a clock itself)."""

from __future__ import annotations

from datetime import datetime

__all__ = ["require_aware"]


def require_aware(value: datetime, name: str) -> datetime:
    """`value` itself, if it carries a UTC offset; ValueError naming it otherwise.

    A naive time cannot be compared with a deadline or a window end: whose midnight would it be?
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value

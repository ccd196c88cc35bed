"""The documents a shopper prints or shows, as the API hands them out.

One implementation, in `activities.documents` (the label email attaches the same drop-off QR
code the API serves); re-exported here for the API's side.
"""

from __future__ import annotations

from activities.documents import QrKind, dropoff_qr, live_label, packing_slip_pdf

__all__ = ["QrKind", "dropoff_qr", "live_label", "packing_slip_pdf"]

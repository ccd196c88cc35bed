"""The files behind a bought label's URLs (`/_files/labels/<label id>.<ext>`).

With a data dir each file is written to `data_dir/labels/` when the label is saved (every format its
URLs name) and served from there, so a restarted sandbox serves the very same bytes; without one it is
rendered on request from the shipment.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from sandboxes.easypost import labels
from sandboxes.easypost.state import Sandbox

LABEL_ID = re.compile(r"pl_[0-9a-f]{32}")
URL_KEYS = [key for _, _, key in labels.FORMATS.values()]


def _dir(sb: Sandbox) -> Path | None:
    return sb.data_dir / "labels" if sb.data_dir else None


def render(sb: Sandbox, shipment: dict[str, Any], ext: str) -> bytes:
    rate = sb.objects[shipment["_selected"]]
    dest = sb.objects[shipment["_from" if shipment["is_return"] else "_to"]]
    lines = [
        f"{rate['carrier']} {rate['service']}",
        dest.get("name") or dest.get("company") or "",
        f"{dest.get('city') or ''} {dest.get('state') or ''} {dest.get('zip') or ''}",
        "SANDBOX - NOT VALID FOR POSTAGE",
    ]
    return labels.render_file(ext, lines, shipment["tracking_code"])


def save(sb: Sandbox, shipment: dict[str, Any]) -> None:
    """Write the files a saved shipment's label names and that are not on disk yet."""
    folder, label = _dir(sb), shipment.get("postage_label")
    if folder is None or not label:
        return
    for key in URL_KEYS:
        ext = str(label.get(key) or "").rpartition(".")[2]
        if ext not in labels.MEDIA_TYPES:
            continue
        path = folder / f"{label['id']}.{ext}"
        if path.exists():
            continue
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{ext}.partial")
        partial.write_bytes(render(sb, shipment, ext))
        os.replace(partial, path)  # never a half-written label under the real name


def read(sb: Sandbox, label_id: str, ext: str) -> bytes | None:
    """The label file, from disk if kept there, else rendered; None if no shipment has this label."""
    folder = _dir(sb)
    if folder is not None and LABEL_ID.fullmatch(label_id) and (folder / f"{label_id}.{ext}").is_file():
        return (folder / f"{label_id}.{ext}").read_bytes()
    for shipment in sb.all("shp"):
        if (shipment["postage_label"] or {}).get("id") == label_id:
            return render(sb, shipment, ext)
    return None

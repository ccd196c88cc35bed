"""Postage labels and the small label/form files the sandbox serves at /_files/...

Files are generated on request from the label record, so nothing is stored on disk: a tiny valid
PNG (barcode-like stripes), a one-page PDF, ZPL and EPL2 text.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from typing import Any

from sandboxes.easypost.state import MODE, new_id, now_iso

FORMATS = {  # file_format -> (extension, MIME type, postage_label url key)
    "PNG": ("png", "image/png", "label_url"),
    "PDF": ("pdf", "application/pdf", "label_pdf_url"),
    "ZPL": ("zpl", "application/zpl", "label_zpl_url"),
    "EPL2": ("epl2", "application/epl2", "label_epl2_url"),
}
MEDIA_TYPES = {ext: mime for ext, mime, _ in FORMATS.values()}


def normalize_format(value: Any) -> str | None:
    fmt = str(value or "").strip().upper()
    return fmt if fmt in FORMATS else None


def build(base_url: str, label_format: str | None) -> dict[str, Any]:
    """A PostageLabel; label_url is in the requested format (PNG by default)."""
    ts = now_iso()
    label_id = new_id("pl")
    fmt = label_format or "PNG"
    ext, mime, _ = FORMATS[fmt]
    label = {
        "object": "PostageLabel",
        "id": label_id,
        "created_at": ts,
        "updated_at": ts,
        "date_advance": 0,
        "integrated_form": "none",
        "label_date": ts,
        "label_resolution": 300,
        "label_size": "4x6",
        "label_type": "default",
        "label_file_type": mime,
        "label_url": f"{base_url}_files/labels/{label_id}.{ext}",
        "label_pdf_url": None,
        "label_zpl_url": None,
        "label_epl2_url": None,
        "label_file": None,
        "mode": MODE,
    }
    add_format(label, base_url, fmt)
    return label


def add_format(label: dict[str, Any], base_url: str, fmt: str) -> None:
    ext, _, key = FORMATS[fmt]
    if key != "label_url":
        label[key] = f"{base_url}_files/labels/{label['id']}.{ext}"
        label["updated_at"] = now_iso()


def png(text: str) -> bytes:
    width, height = 120, 40
    bits = bin(int(hashlib.sha256(text.encode()).hexdigest(), 16))[2:].zfill(256)
    row = bytes([0]) + bytes(0 if bits[x % 256] == "1" and 10 <= x < 110 else 255 for x in range(width))
    raw = row * height

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def pdf(lines: list[str]) -> bytes:
    """A minimal one-page PDF with correct xref offsets."""
    text = " ".join(f"({ln.replace('(', '[').replace(')', ']')}) Tj 0 -24 Td" for ln in lines)
    stream = f"BT /F1 18 Tf 36 380 Td {text} ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 288 432] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def zpl(lines: list[str], barcode: str) -> bytes:
    fields = "".join(f"^FO40,{40 + 50 * i}^A0N,36,36^FD{ln}^FS" for i, ln in enumerate(lines))
    return f"^XA{fields}^FO40,{60 + 50 * len(lines)}^BCN,120,Y,N,N^FD{barcode}^FS^XZ\n".encode()


def epl2(lines: list[str], barcode: str) -> bytes:
    text = "".join(f'A40,{40 + 50 * i},0,4,1,1,N,"{ln}"\n' for i, ln in enumerate(lines))
    return f'N\n{text}B40,{60 + 50 * len(lines)},0,1,2,6,120,B,"{barcode}"\nP1\n'.encode()


def render_file(ext: str, lines: list[str], barcode: str) -> bytes:
    if ext == "png":
        return png(barcode)
    if ext == "pdf":
        return pdf(lines + [barcode])
    if ext == "zpl":
        return zpl(lines, barcode)
    return epl2(lines, barcode)

"""Photos as phones make them, for the photo tests: a JPEG with GPS and an orientation, a PNG, a HEIC."""

from __future__ import annotations

import io

import pillow_heif
from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE = 0x010F
ROTATED_90 = 6  # EXIF: the camera was held on its side; shown turned 90° clockwise


def jpeg_with_gps(width: int = 60, height: int = 30) -> bytes:
    """A landscape JPEG with a GPS position, the phone's make, an orientation, an XMP packet and a comment."""
    exif = Image.Exif()
    exif[ORIENTATION] = ROTATED_90
    exif[MAKE] = "SnoopPhone"
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (52.0, 22.0, 12.5), 3: "E", 4: (4.0, 53.0, 30.0)})
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(
        buf, "JPEG", exif=exif.tobytes(), comment=b"home-address", xmp=b"<x:xmpmeta>secret-xmp</x:xmpmeta>"
    )
    return buf.getvalue()


def png_bytes(width: int = 20, height: int = 10) -> bytes:
    buf = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 90, 200, 255)).save(buf, "PNG")
    return buf.getvalue()


def heic_bytes(width: int = 64, height: int = 48) -> bytes:
    pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (10, 160, 60)).save(buf, "HEIF", quality=80)
    return buf.getvalue()


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))

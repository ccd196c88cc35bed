"""An uploaded file made into a photo fit to keep: read in chunks up to the limit, recognised by its bytes, decoded
and encoded again by Pillow without its metadata (EXIF with GPS, XMP, comments), upright.

Encoding again is what makes it safe: whatever rode along in the file (location, the phone's serial, a script in a
comment, a second file appended) is not in the pixels. HEIC comes out as JPEG, which every browser shows.
"""

from __future__ import annotations

import io
import threading
import warnings
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError
from starlette.datastructures import UploadFile

from domain.photos import (
    CONTENT_TYPES,
    MAX_PHOTO_BYTES,
    MAX_PHOTO_PIXELS,
    SNIFF_BYTES,
    PhotoRefusal,
    PhotoRefused,
    PhotoType,
    sniff,
    stored_type,
)

pillow_heif.register_heif_opener()
# Pillow's decompression-bomb guard warns past Image.MAX_IMAGE_PIXELS (and raises past twice that): in this process
# the warning is an error too. Set once here, not with catch_warnings per call: that swaps the process-wide filter
# list and is not safe while photos are cleaned in several threads at once. (MAX_PHOTO_PIXELS refuses sooner.)
warnings.simplefilter("error", Image.DecompressionBombWarning)

CHUNK_BYTES = 64 * 1024
JPEG_QUALITY = 90
# The Pillow decoders each type may use: a file that starts like a PNG is never handed to another decoder.
DECODERS = {PhotoType.JPEG: ["JPEG"], PhotoType.PNG: ["PNG"], PhotoType.HEIC: ["HEIF"]}
PILLOW_FORMATS = {PhotoType.JPEG: "JPEG", PhotoType.PNG: "PNG"}
# What survives of the source's info: how to show the colours and which colour is transparent; nothing about
# the shopper, their phone or their whereabouts.
KEPT_INFO = ("icc_profile", "transparency")
# A 48-megapixel photo takes ~150 MB decoded: at most this many at once per process, whatever the number of uploads
# (a thread semaphore, not an asyncio one: it holds across event loops and is taken in the worker thread).
CONCURRENT_DECODES = 2
_decoding = threading.BoundedSemaphore(CONCURRENT_DECODES)


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    kind: PhotoType  # as stored

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.kind]

    @property
    def size(self) -> int:
        return len(self.data)


async def read_upload(upload: UploadFile, limit: int = MAX_PHOTO_BYTES) -> bytes:
    """The file's bytes, read a chunk at a time and refused (TOO_LARGE) once past `limit`; EMPTY when none."""
    parts: list[bytes] = []
    total = 0
    while chunk := await upload.read(CHUNK_BYTES):
        total += len(chunk)
        if total > limit:
            raise PhotoRefused(PhotoRefusal.TOO_LARGE)
        parts.append(chunk)
    if total == 0:
        raise PhotoRefused(PhotoRefusal.EMPTY)
    return b"".join(parts)


def clean(data: bytes) -> CleanPhoto:
    """The photo encoded again, upright, without metadata; PhotoRefused when it is not one of ours (CPU: call it
    off the event loop)."""
    kind = sniff(data[:SNIFF_BYTES])
    if kind is None:
        raise PhotoRefused(PhotoRefusal.NOT_A_PHOTO)
    out = stored_type(kind)
    try:
        with _decoding, Image.open(io.BytesIO(data), formats=DECODERS[kind]) as source:
            if source.width * source.height > MAX_PHOTO_PIXELS:  # read from the header: nothing decoded yet
                raise PhotoRefused(PhotoRefusal.TOO_LARGE)
            encoded = _encode(ImageOps.exif_transpose(source), out)
    except PhotoRefused:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise PhotoRefused(PhotoRefusal.TOO_LARGE) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, TypeError) as err:
        raise PhotoRefused(PhotoRefusal.NOT_A_PHOTO) from err
    if sniff(encoded[:SNIFF_BYTES]) is not out:  # what we keep is checked like what we were sent
        raise PhotoRefused(PhotoRefusal.NOT_A_PHOTO)
    return CleanPhoto(encoded, out)


def _encode(picture: Image.Image, kind: PhotoType) -> bytes:
    kept = {k: picture.info[k] for k in KEPT_INFO if k in picture.info}
    picture.info = {}  # EXIF, XMP, comments, text chunks: Pillow would write some of them back from here
    if kind is PhotoType.JPEG:
        kept.pop("transparency", None)
        if picture.mode not in ("RGB", "L", "CMYK"):
            picture = picture.convert("RGB")
    buf = io.BytesIO()
    options = {"quality": JPEG_QUALITY} if kind is PhotoType.JPEG else {"optimize": False}
    picture.save(buf, PILLOW_FORMATS[kind], **kept, **options)
    return buf.getvalue()

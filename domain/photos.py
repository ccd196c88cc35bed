"""Shoppers' photos of a returned item: which files are photos (by their bytes, never their name), how big, how many.

A photo is a JPEG, a PNG or a HEIC/HEIF (what iPhones take), recognised by its first bytes. The name and the
Content-Type the browser sends are the shopper's device's guess and are never trusted.
"""

from __future__ import annotations

from enum import StrEnum

MAX_PHOTO_BYTES = 10 * 1024 * 1024  # each file, as uploaded
MIN_PHOTOS_PER_ITEM = 1  # where the reason asks for photos
MAX_PHOTOS_PER_ITEM = 5
# A 48-megapixel phone camera's photo fits; a few kilobytes that decode to gigabytes of pixels (a decompression
# bomb) do not.
MAX_PHOTO_PIXELS = 64_000_000
# Enough of the file's start to recognise it: the JPEG/PNG signature, or the HEIF `ftyp` box with its brands.
SNIFF_BYTES = 64

JPEG_SIGNATURE = b"\xff\xd8\xff"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# ISO base media file brands of HEIC/HEIF still images and sequences (major or compatible brand).
HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"})


class PhotoType(StrEnum):
    JPEG = "jpeg"
    PNG = "png"
    HEIC = "heic"


CONTENT_TYPES = {PhotoType.JPEG: "image/jpeg", PhotoType.PNG: "image/png", PhotoType.HEIC: "image/heic"}


class PhotoRefusal(StrEnum):
    """Why a file is not kept as a photo; each has its own sentence for the shopper."""

    NOT_A_PHOTO = "not_a_photo"  # not JPEG, PNG or HEIC by content, or not decodable as one
    TOO_LARGE = "too_large"  # over MAX_PHOTO_BYTES, or more pixels than a photo has (a decompression bomb)
    TOO_MANY = "too_many"  # MAX_PHOTOS_PER_ITEM already
    EMPTY = "empty"  # no file chosen


class PhotoRefused(Exception):
    def __init__(self, why: PhotoRefusal) -> None:
        super().__init__(why.value)
        self.why = why


def sniff(head: bytes) -> PhotoType | None:
    """The photo type of a file from its first bytes (SNIFF_BYTES is enough), or None."""
    if head.startswith(JPEG_SIGNATURE):
        return PhotoType.JPEG
    if head.startswith(PNG_SIGNATURE):
        return PhotoType.PNG
    if _heif_brands(head) & HEIF_BRANDS:
        return PhotoType.HEIC
    return None


def _heif_brands(head: bytes) -> set[bytes]:
    """The major and compatible brands of a leading `ftyp` box (size, 'ftyp', major, minor version, brands...)."""
    if len(head) < 12 or head[4:8] != b"ftyp":
        return set()
    size = int.from_bytes(head[0:4], "big")
    end = min(size, len(head)) if size >= 16 else 12
    brands = {head[8:12]}
    brands.update(head[i : i + 4] for i in range(16, end - 3, 4))
    return brands


def stored_type(uploaded: PhotoType) -> PhotoType:
    """What a photo is kept as: JPEG and PNG as they came; HEIC as JPEG, which every browser shows to ops."""
    return PhotoType.JPEG if uploaded is PhotoType.HEIC else uploaded


def room_for(already: int) -> bool:
    """Whether an item holding `already` photos takes one more."""
    return already < MAX_PHOTOS_PER_ITEM

"""A photo is recognised by its bytes: JPEG, PNG, HEIC/HEIF by its brands; anything else is not a photo."""

from __future__ import annotations

import pytest

from domain.photos import (
    MAX_PHOTO_BYTES,
    MAX_PHOTOS_PER_ITEM,
    SNIFF_BYTES,
    PhotoType,
    room_for,
    sniff,
    stored_type,
)
from tests.photo_samples import heic_bytes, jpeg_with_gps, png_bytes


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = b"ftyp" + major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return (len(body) + 4).to_bytes(4, "big") + body + b"\x00" * 16


def test_real_files_are_recognised_from_their_first_bytes():
    assert sniff(jpeg_with_gps()[:SNIFF_BYTES]) is PhotoType.JPEG
    assert sniff(png_bytes()[:SNIFF_BYTES]) is PhotoType.PNG
    assert sniff(heic_bytes()[:SNIFF_BYTES]) is PhotoType.HEIC


@pytest.mark.parametrize("brand", [b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"])
def test_every_heif_brand_is_a_heic_as_major_or_compatible_brand(brand: bytes):
    assert sniff(ftyp(brand)) is PhotoType.HEIC
    assert sniff(ftyp(b"isom", b"mp41", brand)) is PhotoType.HEIC


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"hello, this is text named x.jpg",
        b"GIF89a\x01\x00\x01\x00",
        b"%PDF-1.7\n",
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        b"\xff\xd8",  # half a JPEG signature
        b"\x89PNG\r\n",  # half a PNG signature
        ftyp(b"isom", b"mp41", b"avc1"),  # an MP4 video
        ftyp(b"avif"),  # AVIF is not among the photos we take
        b"\x00\x00\x00\x08ftyp",  # a box too short to name a brand
    ],
)
def test_anything_else_is_not_a_photo(head: bytes):
    assert sniff(head) is None


def test_a_brand_beyond_the_box_is_not_read():
    # The box says 16 bytes (no compatible brands): "heic" after it belongs to the next box, not to this one.
    head = (16).to_bytes(4, "big") + b"ftypisom\x00\x00\x00\x00" + b"heic" + b"\x00" * 16
    assert sniff(head) is None


def test_limits_and_what_is_kept():
    assert MAX_PHOTO_BYTES == 10 * 1024 * 1024 and MAX_PHOTOS_PER_ITEM == 5
    assert [room_for(n) for n in range(7)] == [True] * 5 + [False] * 2
    assert stored_type(PhotoType.HEIC) is PhotoType.JPEG
    assert stored_type(PhotoType.PNG) is PhotoType.PNG and stored_type(PhotoType.JPEG) is PhotoType.JPEG

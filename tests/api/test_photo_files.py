"""Cleaning a photo (api/photo_files.clean) on its own: what is refused, and what a kept PNG no longer carries."""

from __future__ import annotations

import io
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image, PngImagePlugin

from api import photo_files
from domain.photos import PhotoRefusal, PhotoRefused, PhotoType
from tests.photo_samples import jpeg_with_gps, opened


def png(size: tuple[int, int], mode: str = "1", **save) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size).save(buf, "PNG", **save)
    return buf.getvalue()


def refusal(data: bytes) -> PhotoRefusal:
    with pytest.raises(PhotoRefused) as refused:
        photo_files.clean(data)
    return refused.value.why


def test_a_decompression_bomb_is_refused_by_our_pixel_limit_and_by_pillows_own_guard(monkeypatch):
    bomb = png((9_000, 9_000))  # 81 megapixels in a few kB
    assert len(bomb) < 100_000 and refusal(bomb) is PhotoRefusal.TOO_LARGE
    monkeypatch.setattr(photo_files, "MAX_PHOTO_PIXELS", 10**12)  # Pillow's guard alone: its error past 2x its limit,
    assert refusal(png((14_000, 14_000))) is PhotoRefusal.TOO_LARGE
    with warnings.catch_warnings():  # and its warning, an error as api.photo_files makes it (pytest resets filters)
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        assert refusal(png((10_000, 9_500))) is PhotoRefusal.TOO_LARGE


def test_a_file_that_only_starts_like_a_photo_is_not_one():
    whole = jpeg_with_gps()
    assert refusal(whole[: len(whole) // 3]) is PhotoRefusal.NOT_A_PHOTO  # truncated
    assert refusal(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100) is PhotoRefusal.NOT_A_PHOTO
    assert refusal(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64) is PhotoRefusal.NOT_A_PHOTO


def test_a_kept_png_has_no_text_chunks_no_exif_and_nothing_appended():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "taken at Keizersgracht 1")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>secret-xmp</x:xmpmeta>")
    exif = Image.Exif()
    exif[0x010F] = "SnoopPhone"
    sent = png((8, 4), "RGB", pnginfo=info, exif=exif.tobytes()) + b"<script>appended</script>"
    kept = photo_files.clean(sent)
    assert kept.kind is PhotoType.PNG and kept.content_type == "image/png"
    for secret in (b"Keizersgracht", b"secret-xmp", b"SnoopPhone", b"appended", b"tEXt", b"iTXt", b"eXIf"):
        assert secret not in kept.data
    assert opened(kept.data).size == (8, 4)


def test_at_most_two_photos_are_decoded_at_once(monkeypatch):
    """Six uploads at once: never more than CONCURRENT_DECODES decoded photos in memory. A barrier for one more
    than that would meet only if a third photo were decoded beside two others; it must time out instead."""
    real = photo_files.ImageOps.exif_transpose
    lock, active, most = threading.Lock(), [0], [0]
    one_too_many = threading.Barrier(photo_files.CONCURRENT_DECODES + 1, timeout=2)

    def decoding(image):
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        try:
            one_too_many.wait()
        except threading.BrokenBarrierError:
            pass
        with lock:
            active[0] -= 1
        return real(image)

    monkeypatch.setattr(photo_files.ImageOps, "exif_transpose", decoding)
    with ThreadPoolExecutor(6) as pool:
        kept = list(pool.map(photo_files.clean, [jpeg_with_gps()] * 6))
    assert len(kept) == 6 and most[0] == photo_files.CONCURRENT_DECODES and one_too_many.broken

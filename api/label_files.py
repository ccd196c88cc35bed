"""A return label's file, fetched from the carrier and handed on through our API.

PNG is the format the label was bought in (its `label_url`); PDF and ZPL are converted
by EasyPost on request, then downloaded. Used by the merchant's documents endpoints
and by the shopper portal, so neither the shopper nor the merchant needs EasyPost's
URLs or our EasyPost key. Every failure is the carrier's: an ApiError 502.
"""

from __future__ import annotations

from typing import Any, Literal

import httpx
from starlette.concurrency import run_in_threadpool

from activities.carrier_gateway import CarrierError, converted_label_url
from activities.easypost_client import EasyPostSettings
from api.errors import ApiError

LabelFormat = Literal["png", "pdf", "zpl"]
# What a file of each binary format starts with: a wrong file is the carrier's fault (502), not the shopper's.
MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-"}
MAX_LABEL_BYTES = 10 * 1024 * 1024  # a 4x6 label is tens of KB; anything near this is not a label
DOWNLOAD_TIMEOUT_SECONDS = 20


async def label_file(settings: EasyPostSettings, label: dict[str, Any], fmt: LabelFormat) -> bytes:
    """The bytes of `label` (a live label as the read model keeps it) in `fmt`."""
    if fmt == "png":
        url = label["label_url"]
    else:
        url = await run_in_threadpool(_converted_url, settings, label["shipment_id"], fmt)
    return await _download(url, fmt)


def _converted_url(settings: EasyPostSettings, shipment_id: str, fmt: str) -> str:
    """EasyPost's URL of the label in `fmt` (blocking: the SDK uses requests; activities/carrier_gateway.py)."""
    try:
        url = converted_label_url(settings, shipment_id, fmt)
    except CarrierError as err:
        raise ApiError(502, "carrier_error", f"EasyPost could not convert the label to {fmt.upper()}: {err}") from err
    if not url:
        raise ApiError(502, "carrier_error", f"EasyPost answered without a {fmt.upper()} label URL")
    return url


async def _download(url: str, fmt: str) -> bytes:
    what = f"the {fmt.upper()} label file"
    try:
        async with httpx.AsyncClient(timeout=DOWNLOAD_TIMEOUT_SECONDS, follow_redirects=True) as client:
            async with client.stream("GET", url) as r:
                if r.status_code != 200:
                    raise ApiError(502, "carrier_error", f"{what} could not be downloaded: HTTP {r.status_code}")
                content = bytearray()
                async for chunk in r.aiter_bytes():
                    content += chunk
                    if len(content) > MAX_LABEL_BYTES:
                        raise ApiError(502, "carrier_error", f"{what} is over {MAX_LABEL_BYTES // 1024 // 1024} MB")
    except (httpx.HTTPError, httpx.InvalidURL) as err:
        raise ApiError(502, "carrier_error", f"{what} could not be downloaded: {type(err).__name__}") from err
    if not content.startswith(MAGIC.get(fmt, b"")):
        raise ApiError(502, "carrier_error", f"{what} is not a {fmt.upper()} file")
    return bytes(content)

"""The codec endpoint the Temporal UI (and `temporal --codec-endpoint`) calls to read encrypted histories:
`POST /temporal-codec/decode` and `/encode`, `{"payloads": [...]}` in and out (Temporal's remote codec
protocol, Payloads as protobuf JSON), with the worker's codec (workers/codec.py).

Whoever calls it reads every shopper's data in every history, so:
- no RETURNFLOW_PAYLOAD_CODEC_KEYS: 404, like an unknown path (nothing is encrypted, nothing to show);
- `Authorization: Bearer <RETURNFLOW_ADMIN_KEY>`, the platform operator's key (a merchant's ops key is not
  enough: the codec decrypts every merchant's histories alike). The temporal CLI sends it with `--codec-auth`;
  the UI cannot (it forwards only its own OIDC token), so an exposed UI reaches this through a proxy that
  signs ops in and adds the header;
- without a header, only where nothing else can reach it: a deployment that is not exposed
  (Settings.is_exposed), with the API bound to loopback, called from this machine by a loopback name
  (`make run`'s UI; a Host of another name is a DNS rebinding page);
- any other Authorization header, a foreign Origin, or another namespace (X-Namespace): refused.
CORS lets the dev server's UI (temporal_ui_port) and RETURNFLOW_TEMPORAL_UI_URL read the answers.
Kept out of the OpenAPI document, as the admin API is: nothing here is a merchant's.
"""

from __future__ import annotations

import ipaddress
from typing import Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from api.deps import SettingsDep, bearer_is
from api.errors import ApiError, ErrorResponse, error_body
from settings import LOOPBACK_HOSTS, Settings
from workers.codec import EncryptionCodec

router = APIRouter(prefix="/temporal-codec", tags=["temporal codec"], include_in_schema=False)
Action = Literal["encode", "decode"]
ALLOWED_HEADERS = "authorization, content-type, x-namespace"


def ui_origins(settings: Settings) -> set[str]:
    origins = {f"http://{host}:{settings.temporal_ui_port}" for host in ("localhost", "127.0.0.1", "[::1]")}
    if settings.temporal_ui_url:
        url = urlsplit(settings.temporal_ui_url)
        origins.add(f"{url.scheme}://{url.netloc}")
    return origins


def _cors(request: Request, settings: Settings) -> dict[str, str]:
    origin = request.headers.get("origin")
    if origin is None:
        return {}  # not a browser: the temporal CLI, curl
    if origin not in ui_origins(settings):
        raise ApiError(403, "origin_not_allowed", "this origin is not the Temporal UI's (RETURNFLOW_TEMPORAL_UI_URL)")
    return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true", "Vary": "Origin"}


def _from_this_machine(request: Request, settings: Settings) -> bool:
    if settings.is_exposed or settings.api_host not in LOOPBACK_HOSTS or request.client is None:
        return False
    # DNS rebinding: a page whose name now points at 127.0.0.1 calls us from the browser here with its own Host.
    try:
        host = urlsplit(f"//{request.headers.get('host', '')}").hostname
    except ValueError:
        return False
    if host not in LOOPBACK_HOSTS:
        return False
    try:
        return ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:
        return False


def _authorize(request: Request, settings: Settings) -> None:
    if "authorization" not in request.headers and _from_this_machine(request, settings):
        return
    if not bearer_is(request, settings.admin_key.get_secret_value()):
        raise ApiError(401, "unauthorized", "send the admin key as 'Authorization: Bearer <key>'")


async def _apply(codec: EncryptionCodec, action: Action, body: bytes) -> list[Payload]:
    try:
        payloads = list(json_format.Parse(body or b"{}", Payloads()).payloads)
    except (json_format.ParseError, UnicodeDecodeError) as err:
        raise ApiError(400, "malformed_payloads", 'the body is not {"payloads": [...]} (protobuf JSON)') from err
    if action == "encode":
        return await codec.encode(payloads)
    try:
        return await codec.decode(payloads)
    except ValueError as err:  # an unknown key id, or a payload that does not decrypt
        raise ApiError(400, "payload_undecodable", str(err)) from err


@router.options("/{action}")
async def preflight(action: Action, request: Request, settings: SettingsDep) -> Response:
    """The browser's CORS preflight: never authenticated (browsers send no credentials with it)."""
    try:
        cors = _cors(request, settings)
    except ApiError as err:
        return ErrorResponse(error_body(err.code, err.message), status_code=err.status)
    methods = {"Access-Control-Allow-Methods": "POST", "Access-Control-Allow-Headers": ALLOWED_HEADERS}
    return Response(status_code=204, headers={**cors, **methods, "Access-Control-Max-Age": "600"})


@router.post("/{action}")
async def transcode(action: Action, request: Request, settings: SettingsDep) -> Response:
    """Decode (or encode) payloads with the deployment's codec."""
    codec: EncryptionCodec | None = request.app.state.payload_codec
    cors: dict[str, str] = {}
    try:
        if codec is None:
            raise ApiError(404, "not_found", "Not Found")
        cors = _cors(request, settings)
        _authorize(request, settings)
        namespace = request.headers.get("x-namespace")
        if namespace is not None and namespace != settings.temporal_namespace:
            raise ApiError(400, "namespace_not_served", f"this codec serves namespace {settings.temporal_namespace}")
        payloads = await _apply(codec, action, await request.body())
    except ApiError as err:
        return ErrorResponse(error_body(err.code, err.message), status_code=err.status, headers=cors)
    return JSONResponse({"payloads": [json_format.MessageToDict(p) for p in payloads]}, headers=cors)

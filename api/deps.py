"""Request dependencies: the database runner, the Temporal connection (used through api/returns_gateway.py), and the caller's key."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from temporalio.client import Client

from api.errors import ApiError
from db.merchants import authenticate
from db.session import session_scope
from db.tables import ApiKey
from db.types import utcnow
from settings import Settings
from workers.client import connect

T = TypeVar("T")


class Db:
    """Runs short blocking database work off the event loop, one transaction per call."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        def work() -> T:
            with session_scope(self.engine) as session:
                return fn(session, *args)

        return await run_in_threadpool(work)


class Temporal:
    """Connects on first use, so the API starts (and /healthz can say why) while Temporal is down."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def client(self) -> Client:
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    try:
                        self._client = await asyncio.wait_for(
                            connect(
                                self._settings.temporal_address,
                                self._settings.temporal_namespace,
                                settings=self._settings,
                            ),
                            timeout=5,
                        )
                    except Exception as err:
                        raise ApiError(
                            503, "temporal_unavailable", "the workflow service is unreachable; retry later"
                        ) from err
        return self._client


def get_db(request: Request) -> Db:
    return request.app.state.db


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


DbDep = Annotated[Db, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


@dataclass(frozen=True)
class Principal:
    merchant_id: str
    scope: str
    key_prefix: str = ""  # names the caller in timelines without revealing the key
    store_id: str | None = None  # a store key tied to one store receives only there (None: at any of them)


def bearer_is(request: Request, secret: str) -> bool:
    """Whether the request sends `Authorization: Bearer <secret>`, compared in constant time (an empty secret matches
    nothing): the operator's key (admin API, Temporal codec endpoint), the metrics key."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return bool(secret) and scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), secret.encode())


def require(*scopes: str) -> Callable[..., Any]:
    async def dependency(request: Request, db: DbDep) -> Principal:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "unauthorized", "send an API key as 'Authorization: Bearer <key>'")
        # Records the key's last use too (at most one write a minute per key).
        key = await db.run(authenticate, ApiKey.hash(token.strip()), utcnow())
        if key is None:
            raise ApiError(401, "unauthorized", "unknown, revoked or expired API key")
        if key.scope not in scopes:
            raise ApiError(403, "forbidden", f"this endpoint needs a {' or '.join(scopes)} key; yours is {key.scope}")
        return Principal(
            merchant_id=key.merchant_id, scope=key.scope, key_prefix=key.key_prefix, store_id=key.facility_id
        )

    dependency.scopes = scopes  # read by the OpenAPI document (api/openapi.py) and the scope tests
    return dependency


# The scopes, written down once: every route in api/routers/ takes exactly one of these (tests/api/test_scopes.py).
# `read` reads everything of its merchant and changes nothing; `ops` reads every return, timeline, order and item
# trail of its merchant and reviews/resolves; `warehouse` receives and inspects; `merchant` reads and manages
# everything of its own (its configuration, orders and returns); `store` is a shop's counter: it takes returns
# shoppers hand in at the merchant's stores, nothing else. A key of the wrong scope: 403.
SCOPES = ("merchant", "ops", "warehouse", "read", "store")
Owner = Annotated[Principal, Depends(require("merchant"))]  # changes the merchant's own data and settings
Reader = Annotated[Principal, Depends(require("merchant", "ops", "read"))]  # reads (GETs, quotes, look-ups)
FloorReader = Annotated[Principal, Depends(require("merchant", "warehouse", "ops", "read"))]  # the floor's lists
Operator = Annotated[Principal, Depends(require("merchant", "ops"))]  # facilities and disposition rules
Reviewer = Annotated[Principal, Depends(require("ops"))]  # reviews held returns, resolves attention items
Receiver = Annotated[Principal, Depends(require("warehouse"))]  # dock receipts and inspections
Handler = Annotated[Principal, Depends(require("warehouse", "ops"))]  # facility receipts, work orders done
StoreClerk = Annotated[Principal, Depends(require("store"))]  # a store receives a return a shopper hands in

# The names used before the scopes above (kept for code written against them; new routes use the names above).
MerchantKey = Owner
WarehouseKey = Receiver
OpsKey = Reviewer
MerchantOrOpsKey = Operator
WarehouseOrOpsKey = Handler

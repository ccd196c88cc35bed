"""Liveness for deployers: 200 once the database and Temporal both answer."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import DbDep, TemporalDep
from api.errors import ApiError

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(db: DbDep, temporal: TemporalDep) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        await db.run(lambda s: s.exec(text("SELECT 1")).one())
        checks["database"] = "ok"
    except Exception as err:  # the point is to report it, not to fail
        checks["database"] = f"unreachable: {type(err).__name__}"
    try:
        client = await temporal.client()
        await asyncio.wait_for(client.service_client.check_health(), timeout=3)
        checks["temporal"] = "ok"
    except (ApiError, Exception) as err:
        checks["temporal"] = f"unreachable: {type(err).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ok" if ok else "degraded", "checks": checks}, status_code=200 if ok else 503)

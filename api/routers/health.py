"""Liveness for deployers: 200 once the database and Temporal both answer."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import DbDep
from api.errors import ApiError
from api.returns_gateway import ReturnsGatewayDep
from db.session import ping

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(db: DbDep, workflows: ReturnsGatewayDep) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        await db.run(ping)
        checks["database"] = "ok"
    except Exception as err:  # the point is to report it, not to fail
        checks["database"] = f"unreachable: {type(err).__name__}"
    try:
        await workflows.check_health(timeout_seconds=3)
        checks["temporal"] = "ok"
    except (ApiError, Exception) as err:
        checks["temporal"] = f"unreachable: {type(err).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ok" if ok else "degraded", "checks": checks}, status_code=200 if ok else 503)

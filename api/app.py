"""The FastAPI application: routers per audience over one database and one Temporal client."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute

from api import errors, log_redaction, metrics, openapi, photo_uploads, request_ids, tracing
from api.body_limit import BodyLimit
from api.deps import Db, Temporal
from api.routers import (
    admin,
    catalog,
    disposition,
    documents,
    facilities,
    health,
    inventory,
    label_rules,
    merchant_credentials,
    merchant_notifications,
    merchant_settings,
    merchant_webhooks,
    ops,
    orders,
    photos,
    policy,
    portal,
    portal_photos,
    portal_start,
    reports,
    returns,
    store_credit,
    stores,
    temporal_codec,
    warehouse,
    webhooks,
    work_orders,
)
from api.shopper import web as portal_web
from db.session import make_engine
from settings import Settings, get_settings
from workers.codec import payload_codec
from workers.logs import setup_logging


def _operation_id(route: APIRoute) -> str:
    return f"{route.tags[0].split(':')[-1].strip().replace(' ', '_')}-{route.name}" if route.tags else route.name


def create_app(settings: Settings | None = None) -> FastAPI:
    log_redaction.install()
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        engine = make_engine(settings.database_url)
        app.state.settings = settings
        app.state.db = Db(engine)
        app.state.temporal = Temporal(settings)
        yield
        engine.dispose()

    app = FastAPI(
        title="Returnflow",
        version="0.1.0",
        description="Returns management and reverse logistics on Temporal.",
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        docs_url=None,  # api/openapi.py serves /docs and /redoc from the app's own assets, not a CDN
        redoc_url=None,
        # Spans come from OpenTelemetry's instrumentation (api/tracing.py redacts their URLs), not FastAPI's own.
        telemetry={"tracing": False, "logs": False},
    )
    app.state.payload_codec = payload_codec(settings)  # a bad RETURNFLOW_PAYLOAD_CODEC_KEYS stops the start here
    errors.install(app)
    portal_web.install(app)  # under /portal: localized HTML error pages instead of JSON
    photo_limits = (*photo_uploads.BODY_LIMITS, portal_photos.BODY_LIMIT)  # a photo's upload: 10 MB and a form
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_body_bytes, per_path=photo_limits)
    routers = (
        health.router,
        orders.router,
        policy.router,
        facilities.router,
        disposition.router,
        catalog.router,
        reports.router,
        label_rules.router,
        inventory.router,
        work_orders.router,
        returns.router,
        documents.router,
        photos.router,
        portal.router,
        store_credit.router,
        merchant_settings.router,
        merchant_credentials.router,
        merchant_webhooks.router,
        merchant_notifications.router,
        warehouse.router,
        stores.router,
        ops.router,
        webhooks.router,
        admin.router,
        temporal_codec.router,  # the Temporal UI's codec endpoint
        portal_photos.router,  # before portal.pages too
        portal_start.router,  # before portal.pages: its /portal/{token}/... catch-all
        portal.pages,
    )
    for router in routers:
        app.include_router(router)
    openapi.install(app)
    metrics.install(app)  # GET /metrics; its middleware wraps the ones above (a 413 is counted)
    tracing.instrument(app, settings)
    request_ids.install(app)  # after tracing: outermost, so every answer (a 500 too) carries its request id
    return app


def app_factory() -> FastAPI:
    """For `uvicorn --factory api.app:app_factory`. A live or publicly reachable deployment refuses to start with
    any secret at its public development default (Settings.refuse_public_secrets names them)."""
    settings = get_settings()
    settings.refuse_public_secrets()
    # uvicorn configured its loggers before calling this factory: reroute them to JSON lines too.
    setup_logging(settings.log_format, settings.log_level)
    return create_app(settings)

"""create_app(settings): the FastAPI app with GraphQL, material endpoints and start-up work."""

from __future__ import annotations

import asyncio
import logging
import uuid
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.requests import HTTPConnection

from api.accounts.sms import configure_sms
from api.aid_items.service import watch_writes as watch_item_writes
from api.analytics.routes import router as analytics_router
from api.audit import service as audit
from api.disbursements.routes import router as disbursements_router
from api.graphql.context import bearer_token, build_context
from api.graphql.schema import build_schema
from api.graphql.websocket import GraphQLRoute, session_watch
from api.kit.broker import configure_broker
from api.kit.crypto import configure_cipher
from api.kit.db import UNAVAILABLE, close_db, database_unavailable, init_db, unit_of_work
from api.kit.heap import freeze_start_up
from api.kit.http import BodySizeLimit, NoBatching, SecurityHeaders
from api.kit.ratelimit import configure_rate_limits
from api.kit.requests import RequestContext, current_request_id
from api.kit.static import mount_pwa
from api.kit.storage import configure_store
from api.materials.routes import router as materials_router
from api.ops.routes import router as ops_router
from api.province.routes import router as province_router
from api.settings import Settings, get_settings, use_settings

log = logging.getLogger("dachuan")


async def prepare_database(settings: Settings) -> None:
    """Applies migrations and loads the catalogue, regions and (in development) demo data."""
    from api.aid_items import service as aid_items
    from api.regions import service as regions

    if not settings.migrate_on_start:
        await init_db(settings.database_url, migrate=False)
        return
    await init_db(settings.database_url)
    async with unit_of_work():
        await regions.ensure_sample_tree()
        await aid_items.ensure_defaults()
        if settings.load_demo_data and settings.environment != "production":
            from api import demo

            await demo.load_demo_data()


def create_app(settings: Settings | None = None, *, manage_database: bool = True) -> FastAPI:
    """Returns the application; `manage_database=False` when the caller has set the database up."""
    settings = use_settings(settings or get_settings())
    configure_cipher(settings)
    configure_sms(settings.sms_backend,
                  settings.storage_root.parent / "sms-inbox.txt" if settings.is_development else None)
    configure_store(settings.storage_root)
    broker = configure_broker(settings)
    limiter = configure_rate_limits(settings)

    sim_app = _province_sim(settings) if settings.embedded_province_sim else None

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        async with AsyncExitStack() as stack:
            if manage_database:
                await prepare_database(settings)
                stack.push_async_callback(close_db)
            await broker.start()
            stack.push_async_callback(broker.stop)
            session_watch.start()  # ended sessions close their live connections from the first one on
            watch_item_writes()  # another process's edit of an aid item drops this one's copies
            stack.push_async_callback(limiter.close)
            if sim_app is not None and manage_database:
                await stack.enter_async_context(sim_app.router.lifespan_context(sim_app))
            if settings.embedded_workers and manage_database:
                await stack.enter_async_context(_embedded_workers(settings))
            freeze_start_up()
            yield

    app = FastAPI(title="达川救助", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    async def get_context(request: HTTPConnection):
        # a WebSocket signs in later, with the token of its connection_init (GraphQLRoute.on_ws_connect)
        return await build_context(bearer_token(request.headers), current_request_id())

    graphql = GraphQLRoute(build_schema(settings), context_getter=get_context,
                           graphql_ide="graphiql" if settings.graphiql_enabled else None,
                           allowed_origins=settings.cors_origins)
    app.include_router(graphql, prefix="/graphql")
    app.include_router(ops_router)
    app.include_router(materials_router)
    app.include_router(province_router)
    app.include_router(disbursements_router)
    app.include_router(analytics_router)
    if sim_app is not None:
        app.mount("/province-sim", sim_app)
    app.add_middleware(NoBatching)
    # uploads may carry one 10 MB file plus form overhead; everything else is small JSON
    app.add_middleware(BodySizeLimit, default_limit=1024 * 1024,
                       limits={"/api/materials": settings.max_upload_bytes + 256 * 1024})
    # bearer tokens, never cookies: cross-origin callers need no credentials, only the configured origins get in
    app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                       allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
                       expose_headers=["X-Request-ID"], allow_credentials=False, max_age=600)
    app.add_middleware(SecurityHeaders, trust_forwarded_proto=settings.trust_forwarded_for,
                       exempt=("/graphql",) if settings.graphiql_enabled else ())

    mount_pwa(app, settings.pwa_dist)  # last: it answers every path the API does not own

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = current_request_id() or uuid.uuid4().hex[:16]
        if database_unavailable(exc):
            log.warning("database unavailable, request %s: %r", request_id, exc)
            return JSONResponse({"error": {"code": "unavailable", "message": UNAVAILABLE, "requestId": request_id}},
                                status_code=503, headers={"Retry-After": "2"})
        log.exception("unexpected error, request %s", request_id)
        return JSONResponse({"error": {"code": "internal_error", "message": "系统繁忙，请稍后再试",
                                       "requestId": request_id}}, status_code=500)

    # outermost: every request, GraphQL or not, gets an id and has its audit entries written before it answers
    app.add_middleware(RequestContext, finish=audit.flush, trust_forwarded=settings.trust_forwarded_for)

    return app


def _province_sim(settings: Settings):
    """Returns the province simulator to mount in-process (the embedded default)."""
    from province_sim.app import create_sim_app
    from province_sim.config import SimConfig

    app_key, secret = next(iter(settings.province_callback_keys.items()))
    config = SimConfig(database_path=str(settings.storage_root.parent / "province_sim.sqlite3"),
                       district_keys={settings.province_app_key: settings.province_secret},
                       app_key=app_key, secret=secret)
    return create_sim_app(config)


@asynccontextmanager
async def _embedded_workers(settings: Settings):
    """Runs the worker loops as a task of the API process."""
    from workers.runner import run_workers

    stop = asyncio.Event()
    task = asyncio.create_task(run_workers(settings, stop, name="embedded"))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)

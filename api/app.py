"""create_app(settings): the FastAPI app with GraphQL, material endpoints and start-up work."""

from __future__ import annotations

import logging
import uuid
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from strawberry.fastapi import GraphQLRouter

from api.accounts.sms import configure_sms
from api.graphql.context import bearer_token, build_context
from api.graphql.schema import build_schema
from api.kit.crypto import configure_cipher
from api.kit.db import close_db, init_db, unit_of_work
from api.kit.http import BodySizeLimit
from api.kit.storage import configure_store
from api.materials.routes import router as materials_router
from api.settings import Settings, get_settings, use_settings

log = logging.getLogger("dachuan")


async def prepare_database(settings: Settings) -> None:
    """Applies migrations and loads the catalogue, regions and (in development) demo data."""
    from api.aid_items import service as aid_items
    from api.regions import service as regions

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

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if manage_database:
            await prepare_database(settings)
        yield
        if manage_database:
            await close_db()

    app = FastAPI(title="达川救助", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    async def get_context(request: Request):
        return await build_context(bearer_token(request.headers), request.headers.get("x-request-id"))

    graphql = GraphQLRouter(build_schema(settings), context_getter=get_context,
                            graphql_ide="graphiql" if settings.is_development else None)
    app.include_router(graphql, prefix="/graphql")
    app.include_router(materials_router)
    # uploads may carry one 10 MB file plus form overhead; everything else is small JSON
    app.add_middleware(BodySizeLimit, default_limit=1024 * 1024,
                       limits={"/api/materials": settings.max_upload_bytes + 256 * 1024})

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = uuid.uuid4().hex[:16]
        log.exception("unexpected error, request %s", request_id)
        return JSONResponse({"error": {"code": "internal_error", "message": "系统繁忙，请稍后再试",
                                       "requestId": request_id}}, status_code=500)

    return app

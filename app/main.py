"""The application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI

from app import handlers, ids
from app.api import control, health
from app.api.fault_injection import FAULTY_ROUTERS
from app.config import Settings
from app.db import Database
from app.journal import Journal
from app.middleware import BodyLimit
from app.services import bootstrap, clock, tokens


def create_app(settings: Settings | None = None, *, prepare: bool = True) -> FastAPI:
    """The c1-mock ASGI app. `prepare` migrates the database and makes sure of the signing key and
    admin client first; `c1-mock serve` does that once before it starts its workers."""
    settings = settings or Settings()
    ids.seed(settings.random_seed)
    db = Database(settings.database_url)
    if prepare:
        bootstrap.prepare(db, settings)
    with db.session() as session:
        signer = tokens.load_signer(session, settings=settings, now=clock.now(session))
    # Deterministic mode: requests draw from the seeded stream from its start, as after a reset.
    ids.seed(settings.random_seed)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        to_thread.current_default_thread_limiter().total_tokens = db.threads
        yield
        db.dispose()

    app = FastAPI(
        title="c1-mock",
        version="0.1.0",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        # C1's gateway answers 404 for a path it does not serve; a redirect would also turn
        # ids like "%2F" into another operation for clients that follow it.
        redirect_slashes=False,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.signer = signer
    handlers.install(app)
    _include_routers(app, settings)
    app.add_middleware(BodyLimit, limit=settings.max_body_size)
    if settings.control:
        app.add_middleware(Journal, db=db, keep=settings.journal_size)
    return app


def _include_routers(app: FastAPI, settings: Settings) -> None:
    """The C1 routes (which answer injected faults, app.api.deps.Work); the control plane only
    exists when on."""
    app.include_router(health.router)
    for router in FAULTY_ROUTERS:
        app.include_router(router)
    if settings.control:
        app.include_router(control.router)


def create_app_from_env() -> FastAPI:
    """Factory for uvicorn worker processes: settings from C1MOCK_ variables, already prepared."""
    return create_app(Settings(), prepare=False)

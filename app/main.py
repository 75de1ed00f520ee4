"""The application factory."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI
from starlette.exceptions import HTTPException

from . import health
from .config import Settings
from .control import clock
from .control import endpoints as control
from .core.db import Database
from .core.ids import Random
from .introspect import endpoints as introspect
from .oauth import endpoints as oauth
from .oauth.signer import load_signer
from .request.operations import Operations, Registry
from .request.route import DropConnections, internal_error, mount, not_found
from .request.unit import Server
from .server import bootstrap
from .tunnel import endpoints as tunnel
from .users import endpoints as users

# Every feature's operations: what an app serves.
C1_OPERATIONS = (oauth.operations, introspect.operations, tunnel.operations, users.operations)


def operations(settings: Settings) -> list[Operations]:
    """The operations an app with these settings serves: the control plane only when on."""
    return [health.operations, *C1_OPERATIONS, *([control.operations] if settings.control else [])]


def create_app(settings: Settings | None = None, *, prepare: bool = True) -> FastAPI:
    """The c1-mock ASGI app. `prepare` migrates the database and makes sure of the signing key and
    admin client first; `c1-mock serve` does that once before it starts its workers."""
    settings = settings or Settings()
    db = Database(settings.database_url)
    random = Random(settings.random_seed)
    if prepare:
        bootstrap.prepare(db, settings, random)
    with db.session() as session:
        signer = load_signer(
            session,
            tenant_domain=settings.tenant_domain,
            lifetime=settings.token_lifetime,
            random=random,
            now=clock.now(session),
        )
    # Deterministic mode: requests draw from the seeded stream from its start, as after a reset.
    random.restart()

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
    registry = Registry(operations(settings))
    app.state.server = Server(settings, db, signer, random, registry)
    mount(app, registry)
    app.add_exception_handler(HTTPException, not_found)
    app.add_exception_handler(Exception, internal_error)
    return app


# A served process's GIL switch interval. A worker's thread that waited for the SQLite write turn
# (core/write_turn.py) holds it while it waits for the GIL, which the event loop, busy with other
# requests, gives up only after the switch interval: Python's 5 ms kept every worker waiting.
SWITCH_INTERVAL = 0.0005


def create_app_from_env() -> DropConnections:
    """Factory for uvicorn worker processes: settings from C1MOCK_ variables, already prepared;
    a connection an injected fault drops gets no answer. The process is a server's own, so its
    GIL switch interval is set here (never in an app made in a test's process)."""
    sys.setswitchinterval(SWITCH_INTERVAL)
    return DropConnections(create_app(Settings(), prepare=False))

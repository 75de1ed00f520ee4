"""Dependencies shared by the routers, declared once as Annotated aliases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import Database
from app.errors import PermissionDenied, Unauthenticated
from app.services import clock, tokens
from app.services.clients import ADMIN, Principal
from app.services.tokens import Signer

_READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_signer(request: Request) -> Signer:
    signer: Signer = request.app.state.signer
    return signer


def get_session(request: Request) -> Iterator[Session]:
    """One unit of work per request, committed before the response is sent (scope="function"):
    a client never holds a secret whose row failed to commit. Requests that may write start it
    with the write lock (BEGIN IMMEDIATE on SQLite)."""
    db: Database = request.app.state.db
    with db.session(write=request.method not in _READ_METHODS) as session:
        yield session


def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
SignerDep = Annotated[Signer, Depends(get_signer)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_now(session: SessionDep) -> datetime:
    return clock.now(session)


NowDep = Annotated[datetime, Depends(get_now)]


def get_principal(
    request: Request, session: SessionDep, signer: SignerDep, now: NowDep
) -> Principal:
    """The caller behind `Authorization: Bearer <access token>`; 401 without a working one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("missing bearer token")
    principal = tokens.authenticate_bearer(session, token=token.strip(), signer=signer, now=now)
    request.state.client_id = principal.client_id
    return principal


def get_admin(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    if principal.kind != ADMIN:
        raise PermissionDenied("this credential may only call Introspect")
    return principal


AnyPrincipal = Annotated[Principal, Depends(get_principal)]
AdminPrincipal = Annotated[Principal, Depends(get_admin)]

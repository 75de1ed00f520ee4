"""GET /healthz: 200 once the database answers."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.db import Database

router = APIRouter(tags=["Health"])


@router.get("/healthz", operation_id="healthz")
def healthz(request: Request) -> JSONResponse:
    db: Database = request.app.state.db
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return JSONResponse({"status": "unavailable"}, 503)
    return JSONResponse({"status": "ok"})

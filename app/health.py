"""GET /healthz: 200 once the database answers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from .request.operations import Caller, Operations
from .request.unit import Unit

operations = Operations(caller=Caller.PUBLIC, c1=False, tags=("Health",))


@operations.get("/healthz", "healthz")
def healthz(unit: Unit) -> dict[str, Any]:
    """A database that does not answer is 503, as any unit's would be."""
    unit.session.execute(text("SELECT 1"))
    return {"status": "ok"}

"""GET /api/v1/users/{id}: C1's UserService.Get, which `cone whoami` calls with the userId that
Introspect answered. Only admin clients may call it: a tunnel credential is not a user, and its
token answers 403 here as at every other admin operation."""

from __future__ import annotations

from typing import Any

from ..request.operations import Caller, Operations
from ..request.unit import Unit
from . import service, views

operations = Operations(prefix="/api/v1/users", caller=Caller.ADMIN, c1=True, tags=("User",))


@operations.get("/{id}", "c1.api.user.v1.UserService.Get")
def get_user(unit: Unit, id: str) -> dict[str, Any]:
    return views.get_response(service.get(unit.session, user_id=id))

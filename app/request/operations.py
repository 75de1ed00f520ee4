"""The registry of operations. Every route declares, where it is defined, its operationId, who may
call it, whether it answers injected faults and is journaled, and which error body it speaks:

    tunnel = Operations(prefix="/api/v1/iam/tunnel", caller=Caller.ADMIN, c1=True)

    @tunnel.post("/bridges/{bridge_id}/credentials", OP + "CreateBridgeCredential", no_store=True)
    def create_bridge_credential(unit: Unit, bridge_id: str, body: Empty = None) -> Json: ...

The app mounts what is registered here (request/route.py), and the names a fault accepts, the
permissions Introspect reports and the authorization tests all read it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, TypeVar

from fastapi import params

from ..core.errors import Dialect

Function = TypeVar("Function", bound=Callable[..., Any])
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Caller(Enum):
    """Who may call an operation; the request wrapper authenticates them before the operation's
    body runs."""

    ADMIN = "admin"  # an admin client's access token
    CLIENT = "client"  # any client's access token: an admin's or a tunnel credential's
    PUBLIC = "public"  # no bearer token: the token endpoint, jwks, health
    CONTROL = "control"  # the control plane: C1MOCK_CONTROL_TOKEN when one is set


@dataclass(frozen=True)
class Operation:
    """One route and its policy."""

    method: str
    path: str
    operation_id: str
    function: Callable[..., Any]
    caller: Caller
    # A C1 operation (or the token endpoint): it answers injected faults and is journaled.
    c1: bool
    dialect: Dialect = Dialect.C1
    status_code: int = 200
    no_store: bool = False  # the answer carries a secret or a token
    tags: tuple[str, ...] = ()
    dependencies: tuple[params.Depends, ...] = ()
    # What Introspect calls the right to call it; derived from the operationId when not given.
    permission: str = ""
    # Its unit runs on the event loop on SQLite (request/unit.py): only for a unit that uses
    # `unit.connection` alone (no session) and never waits.
    inline: bool = False
    # Work that needs no database, done before the unit takes the write turn: called with the
    # app's Server and the request's Facts; what it returns is the unit's `prepared`.
    prepare: Callable[[Any, Any], Any] | None = None

    @property
    def writes(self) -> bool:
        """Whether its unit of work may write (and so takes the write turn first)."""
        return self.method in WRITE_METHODS

    @property
    def names(self) -> set[str]:
        """What a fault may call it: the operationId, and its last segment."""
        return {self.operation_id, self.operation_id.rsplit(".", 1)[-1]}


def permission_name(operation_id: str) -> str:
    """C1's permission name for an operation: `c1.api.iam.v1.TunnelCredentialsService.GetBridge`
    is `IamV1TunnelCredentialsServiceGetBridge`."""
    parts = operation_id.removeprefix("c1.api.").split(".")
    return "".join(part[:1].upper() + part[1:] for part in parts)


@dataclass
class Operations:
    """A feature's operations, declared with its decorators (as an APIRouter's routes are), with
    the policy they share unless one says otherwise."""

    caller: Caller
    c1: bool
    prefix: str = ""
    dialect: Dialect = Dialect.C1
    tags: tuple[str, ...] = ()
    dependencies: tuple[params.Depends, ...] = ()
    declared: list[Operation] = field(default_factory=list)

    def route(
        self, method: str, path: str, operation_id: str, **policy: Any
    ) -> Callable[[Function], Function]:
        """Register the decorated function as `method path`. `policy` overrides the shared
        fields of Operation (caller, c1, dialect, status_code, no_store, permission, inline,
        prepare)."""

        def register(function: Function) -> Function:
            operation = Operation(
                method=method,
                path=self.prefix + path,
                operation_id=operation_id,
                function=function,
                caller=self.caller,
                c1=self.c1,
                dialect=self.dialect,
                tags=self.tags,
                dependencies=self.dependencies,
            )
            operation = replace(operation, **policy)
            if operation.caller in (Caller.ADMIN, Caller.CLIENT) and not operation.permission:
                operation = replace(operation, permission=permission_name(operation_id))
            self.declared.append(operation)
            return function

        return register

    def get(self, path: str, operation_id: str, **policy: Any) -> Callable[[Function], Function]:
        return self.route("GET", path, operation_id, **policy)

    def post(self, path: str, operation_id: str, **policy: Any) -> Callable[[Function], Function]:
        return self.route("POST", path, operation_id, **policy)

    def put(self, path: str, operation_id: str, **policy: Any) -> Callable[[Function], Function]:
        return self.route("PUT", path, operation_id, **policy)

    def patch(self, path: str, operation_id: str, **policy: Any) -> Callable[[Function], Function]:
        return self.route("PATCH", path, operation_id, **policy)

    def delete(self, path: str, operation_id: str, **policy: Any) -> Callable[[Function], Function]:
        return self.route("DELETE", path, operation_id, **policy)


class Registry:
    """Every operation one app serves."""

    def __init__(self, groups: Sequence[Operations]) -> None:
        self.operations = [operation for group in groups for operation in group.declared]
        # The literal segments of every path: what the journal keeps of a path as it was sent.
        self.words = frozenset(
            segment
            for operation in self.operations
            for segment in operation.path.split("/")
            if not segment.startswith("{")
        )

    def __iter__(self) -> Iterator[Operation]:
        return iter(self.operations)

    def fault_names(self) -> set[str]:
        """What a fault may name: the operations that answer faults, by full or short name."""
        return {name for operation in self if operation.c1 for name in operation.names}

    def permissions(self, caller: Caller) -> list[str]:
        """What Introspect reports for a caller of this kind (ADMIN, or CLIENT for a tunnel
        credential): the operations it may call."""
        allowed = {Caller.ADMIN, Caller.CLIENT} if caller is Caller.ADMIN else {Caller.CLIENT}
        return [op.permission for op in self if op.caller in allowed and op.permission]

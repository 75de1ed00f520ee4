"""The control plane under /_mock/: an index of itself and the contract (openapi.yaml), reset,
state, seeding, the virtual clock, the request journal, faults and the appliance. Open on a local
server; with C1MOCK_CONTROL_TOKEN set, every call needs `Authorization: Bearer <that token>`;
`--no-control` leaves these routes out (404)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Query, Response

from ..request.operations import Caller, Operations, RawBody
from ..request.unit import Unit
from . import appliance, clock, contract, faults, journal, seeding, state
from .schemas import ApplianceState, ClockChange, FaultSpec

operations = Operations(prefix="/_mock", caller=Caller.CONTROL, c1=False, tags=("Mock",))
OP = "c1mock.Control."
Json = dict[str, Any]


@operations.get("/", OP + "GetIndex")
def get_index(unit: Unit) -> Json:
    """What the control plane offers, with links."""
    return contract.index(unit.server.registry)


@operations.get("/openapi.yaml", OP + "GetContract")
def get_contract(unit: Unit) -> Response:
    """openapi.yaml, the contract of everything this server serves."""
    return Response(contract.document(), media_type="application/yaml")


@operations.post("/reset", OP + "Reset", status_code=204)
def reset(unit: Unit) -> None:
    state.reset(unit.session, settings=unit.settings, random=unit.random)


@operations.get("/state", OP + "GetState")
def get_state(unit: Unit) -> Json:
    return state.snapshot(unit.session, now=unit.now)


@operations.post("/seed", OP + "Seed")
def seed(unit: Unit, body: RawBody) -> Json:
    """A seed document, YAML or JSON (JSON is YAML)."""
    document = seeding.parse(body)
    seeded = seeding.apply(
        unit.session, document=document, settings=unit.settings, random=unit.random, now=unit.now
    )
    return seeding.view(seeded, now=unit.now)


@operations.get("/clock", OP + "GetClock")
def get_clock(unit: Unit) -> Json:
    return clock.view(clock.current(unit.session))


@operations.post("/clock", OP + "SetClock")
def set_clock(unit: Unit, body: Annotated[ClockChange, Body()]) -> Json:
    changed = clock.change(unit.session, when=body.now, advance=body.advance, frozen=body.frozen)
    return clock.view(changed)


@operations.delete("/clock", OP + "ResetClock")
def reset_clock(unit: Unit) -> Json:
    return clock.view(clock.real_time(unit.session))


@operations.get("/requests", OP + "ListRequests")
def list_requests(
    unit: Unit,
    operation_id: Annotated[str | None, Query(alias="operationId", max_length=128)] = None,
    status: Annotated[int | None, Query(ge=100, le=599)] = None,
) -> Json:
    entries = journal.entries(
        unit.session, keep=unit.settings.journal_size, operation=operation_id, status=status
    )
    return {"requests": [journal.view(e) for e in entries]}


@operations.delete("/requests", OP + "ClearRequests", status_code=204)
def clear_requests(unit: Unit) -> None:
    journal.clear(unit.session)


@operations.get("/faults", OP + "ListFaults")
def list_faults(unit: Unit) -> Json:
    return {"faults": [faults.view(f) for f in faults.listed(unit.session)]}


@operations.post("/faults", OP + "AddFault")
def add_fault(unit: Unit, body: Annotated[FaultSpec, Body()]) -> Json:
    fault = faults.add(
        unit.session,
        operation=body.operation,
        status=body.status,
        times=body.times,
        delay_ms=body.delay_ms,
        retry_after=body.retry_after,
        error=body.error,
        known=unit.server.registry.fault_names(),
        now=unit.now,
    )
    return faults.view(fault)


@operations.delete("/faults", OP + "ClearFaults", status_code=204)
def clear_faults(unit: Unit) -> None:
    faults.clear(unit.session)


@operations.put("/bridges/{id}/appliance", OP + "SetAppliance")
def set_appliance(unit: Unit, id: str, body: Annotated[ApplianceState, Body()]) -> Json:
    services = body.announced_services
    bridge = appliance.set_state(
        unit.session,
        bridge_id=id,
        status=body.status,
        last_seen_at=body.last_seen_at,
        services=None if services is None else [s.model_dump(by_alias=True) for s in services],
        now=unit.now,
    )
    return appliance.view(bridge)

"""The control plane under /_mock/: an index of itself and the contract (openapi.yaml), reset,
state, seeding, the virtual clock, the request journal, faults, the appliance, a bridge's
credential timeline and the dashboard page. Open on a local server; with C1MOCK_CONTROL_TOKEN
set, every call needs `Authorization: Bearer <that token>`, except for the dashboard's own files,
which hold no data; `--no-control` leaves these routes out (404)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Query
from fastapi.responses import Response

from ..request.operations import Caller, Operations
from ..request.unit import Unit
from . import appliance, clock, contract, faults, journal, page, seeding, state, timeline
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
def seed(unit: Unit) -> Json:
    """A seed document, YAML or JSON (JSON is YAML), never in a form's content type."""
    seeding.check_media_type(unit.facts.content_type)
    document = seeding.parse(unit.facts.body)
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
    known = unit.server.registry.fault_names()
    fault = faults.add(unit.session, spec=body, known=known, now=unit.now)
    return faults.view(fault)


@operations.delete("/faults", OP + "ClearFaults", status_code=204)
def clear_faults(unit: Unit) -> None:
    faults.clear(unit.session)


@operations.delete("/faults/{id}", OP + "ClearFault", status_code=204)
def clear_fault(unit: Unit, id: str) -> None:
    faults.clear_one(unit.session, fault_id=id)


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


@operations.get("/bridges/{id}/timeline", OP + "GetBridgeTimeline")
def get_bridge_timeline(unit: Unit, id: str) -> Json:
    return timeline.timeline(unit.session, bridge_id=id, now=unit.now)


# The dashboard's files: public, since a browser navigating to the page cannot send a token.
@operations.get("/ui", OP + "GetDashboard", caller=Caller.PUBLIC)
def get_dashboard(unit: Unit) -> Response:
    # The short names only ("CreateBridge", "token"): the full ones add nothing to a choice.
    names = sorted(n for n in unit.server.registry.fault_names() if "." not in n)
    return page.page(names)


@operations.get("/ui/{name}", OP + "GetDashboardFile", caller=Caller.PUBLIC)
def get_dashboard_file(unit: Unit, name: str) -> Response:
    return page.asset(name)

"""The control plane under /_mock/: reset, state, seeding, the virtual clock, the request journal,
faults and the appliance. Open on a local server; with C1MOCK_CONTROL_TOKEN set, every call needs
`Authorization: Bearer <that token>`; `--no-control` leaves these routes out (404)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response

from app.api.control_models import ApplianceState, ClockChange, FaultSpec
from app.api.deps import NowDep, SessionDep, SettingsDep
from app.api.fault_injection import operations
from app.errors import Unauthenticated
from app.security import constant_time_equals
from app.services import appliance, clock, faults, journal, seeding, state


def require_control_token(request: Request, settings: SettingsDep) -> None:
    if settings.control_token is None:
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not constant_time_equals(
        given.strip(), settings.control_token
    ):
        raise Unauthenticated("the control plane needs its control token")


router = APIRouter(prefix="/_mock", tags=["Mock"], dependencies=[Depends(require_control_token)])
OP = "c1mock.Control."


@router.post("/reset", operation_id=OP + "Reset", status_code=204)
def reset(session: SessionDep, settings: SettingsDep) -> Response:
    state.reset(session, settings=settings)
    return Response(status_code=204)


@router.get("/state", operation_id=OP + "GetState")
def get_state(session: SessionDep, now: NowDep) -> dict[str, Any]:
    return state.snapshot(session, now=now)


async def _raw_body(request: Request) -> bytes:
    return await request.body()


@router.post("/seed", operation_id=OP + "Seed")
def seed(
    body: Annotated[bytes, Depends(_raw_body)],
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> dict[str, Any]:
    """A seed document, YAML or JSON (JSON is YAML)."""
    document = seeding.parse(body)
    seeded = seeding.apply(session, document=document, settings=settings, now=now)
    return seeding.view(seeded, now=now)


@router.get("/clock", operation_id=OP + "GetClock")
def get_clock(session: SessionDep) -> dict[str, Any]:
    return clock.view(clock.current(session))


@router.post("/clock", operation_id=OP + "SetClock")
def set_clock(body: Annotated[ClockChange, Body()], session: SessionDep) -> dict[str, Any]:
    return clock.view(
        clock.change(session, when=body.now, advance=body.advance, frozen=body.frozen)
    )


@router.delete("/clock", operation_id=OP + "ResetClock")
def reset_clock(session: SessionDep) -> dict[str, Any]:
    return clock.view(clock.real_time(session))


@router.get("/requests", operation_id=OP + "ListRequests")
def list_requests(
    session: SessionDep,
    settings: SettingsDep,
    operation_id: Annotated[str | None, Query(alias="operationId", max_length=128)] = None,
    status: Annotated[int | None, Query(ge=100, le=599)] = None,
) -> dict[str, Any]:
    entries = journal.entries(
        session, keep=settings.journal_size, operation=operation_id, status=status
    )
    return {"requests": [journal.view(e) for e in entries]}


@router.delete("/requests", operation_id=OP + "ClearRequests", status_code=204)
def clear_requests(session: SessionDep) -> Response:
    journal.clear(session)
    return Response(status_code=204)


@router.get("/faults", operation_id=OP + "ListFaults")
def list_faults(session: SessionDep) -> dict[str, Any]:
    return {"faults": [faults.view(f) for f in faults.listed(session)]}


@router.post("/faults", operation_id=OP + "AddFault")
def add_fault(
    body: Annotated[FaultSpec, Body()], session: SessionDep, now: NowDep
) -> dict[str, Any]:
    fault = faults.add(
        session,
        operation=body.operation,
        status=body.status,
        times=body.times,
        delay_ms=body.delay_ms,
        retry_after=body.retry_after,
        error=body.error,
        known=operations(),
        now=now,
    )
    return faults.view(fault)


@router.delete("/faults", operation_id=OP + "ClearFaults", status_code=204)
def clear_faults(session: SessionDep) -> Response:
    faults.clear(session)
    return Response(status_code=204)


@router.put("/bridges/{id}/appliance", operation_id=OP + "SetAppliance")
def set_appliance(
    id: str, body: Annotated[ApplianceState, Body()], session: SessionDep, now: NowDep
) -> dict[str, Any]:
    bridge = appliance.set_state(
        session,
        bridge_id=id,
        status=body.status,
        last_seen_at=body.last_seen_at,
        services=None
        if body.announced_services is None
        else [s.model_dump(by_alias=True) for s in body.announced_services],
        now=now,
    )
    return appliance.view(bridge)

"""The control plane under /_mock/: reset, state, seeding, the virtual clock, the request journal,
faults and the appliance. Open on a local server; with C1MOCK_CONTROL_TOKEN set, every call needs
`Authorization: Bearer <that token>`; `--no-control` leaves these routes out (404)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from app.api.control_models import ApplianceState, ClockChange, FaultSpec
from app.api.deps import ControlWork, SettingsDep
from app.api.fault_injection import operations
from app.errors import Unauthenticated
from app.security import constant_time_equals
from app.services import appliance, clock, faults, journal, seeding, state


async def require_control_token(request: Request, settings: SettingsDep) -> None:
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
def reset(work: ControlWork, settings: SettingsDep) -> Response:
    with work.begin() as unit:
        state.reset(unit.session, settings=settings)
    return Response(status_code=204)


@router.get("/state", operation_id=OP + "GetState")
def get_state(work: ControlWork) -> JSONResponse:
    with work.begin() as unit:
        return JSONResponse(state.snapshot(unit.session, now=unit.now))


async def _raw_body(request: Request) -> bytes:
    return await request.body()


@router.post("/seed", operation_id=OP + "Seed")
def seed(
    body: Annotated[bytes, Depends(_raw_body)], work: ControlWork, settings: SettingsDep
) -> JSONResponse:
    """A seed document, YAML or JSON (JSON is YAML)."""
    document = seeding.parse(body)
    with work.begin() as unit:
        seeded = seeding.apply(unit.session, document=document, settings=settings, now=unit.now)
        return JSONResponse(seeding.view(seeded, now=unit.now))


@router.get("/clock", operation_id=OP + "GetClock")
def get_clock(work: ControlWork) -> JSONResponse:
    with work.begin() as unit:
        return JSONResponse(clock.view(clock.current(unit.session)))


@router.post("/clock", operation_id=OP + "SetClock")
def set_clock(body: Annotated[ClockChange, Body()], work: ControlWork) -> JSONResponse:
    with work.begin() as unit:
        changed = clock.change(
            unit.session, when=body.now, advance=body.advance, frozen=body.frozen
        )
    return JSONResponse(clock.view(changed))


@router.delete("/clock", operation_id=OP + "ResetClock")
def reset_clock(work: ControlWork) -> JSONResponse:
    with work.begin() as unit:
        return JSONResponse(clock.view(clock.real_time(unit.session)))


@router.get("/requests", operation_id=OP + "ListRequests")
def list_requests(
    work: ControlWork,
    settings: SettingsDep,
    operation_id: Annotated[str | None, Query(alias="operationId", max_length=128)] = None,
    status: Annotated[int | None, Query(ge=100, le=599)] = None,
) -> JSONResponse:
    with work.begin() as unit:
        entries = journal.entries(
            unit.session, keep=settings.journal_size, operation=operation_id, status=status
        )
        return JSONResponse({"requests": [journal.view(e) for e in entries]})


@router.delete("/requests", operation_id=OP + "ClearRequests", status_code=204)
def clear_requests(work: ControlWork) -> Response:
    with work.begin() as unit:
        journal.clear(unit.session)
    return Response(status_code=204)


@router.get("/faults", operation_id=OP + "ListFaults")
def list_faults(work: ControlWork) -> JSONResponse:
    with work.begin() as unit:
        return JSONResponse({"faults": [faults.view(f) for f in faults.listed(unit.session)]})


@router.post("/faults", operation_id=OP + "AddFault")
def add_fault(body: Annotated[FaultSpec, Body()], work: ControlWork) -> JSONResponse:
    with work.begin() as unit:
        fault = faults.add(
            unit.session,
            operation=body.operation,
            status=body.status,
            times=body.times,
            delay_ms=body.delay_ms,
            retry_after=body.retry_after,
            error=body.error,
            known=operations(),
            now=unit.now,
        )
        return JSONResponse(faults.view(fault))


@router.delete("/faults", operation_id=OP + "ClearFaults", status_code=204)
def clear_faults(work: ControlWork) -> Response:
    with work.begin() as unit:
        faults.clear(unit.session)
    return Response(status_code=204)


@router.put("/bridges/{id}/appliance", operation_id=OP + "SetAppliance")
def set_appliance(
    id: str, body: Annotated[ApplianceState, Body()], work: ControlWork
) -> JSONResponse:
    services = body.announced_services
    with work.begin() as unit:
        bridge = appliance.set_state(
            unit.session,
            bridge_id=id,
            status=body.status,
            last_seen_at=body.last_seen_at,
            services=None if services is None else [s.model_dump(by_alias=True) for s in services],
            now=unit.now,
        )
        return JSONResponse(appliance.view(bridge))

"""The nine operations of c1.api.iam.v1.TunnelCredentialsService, with C1's paths."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AliasChoices

from app.api.deps import AdminWork, SettingsDep
from app.errors import NO_STORE, InvalidArgument
from app.schemas import (
    CreateBridgeRequest,
    EmptyRequest,
    UpdateBridgeRequest,
    bridge_view,
    credential_view,
    service_view,
)
from app.services import bridges, credentials, pages


async def refuse_null_body(request: Request) -> None:
    """A request message is a JSON object (or no body at all); FastAPI would read `null` as no
    body, which openapi.yaml (C1's spec) does not allow."""
    if (await request.body()).strip() == b"null":
        raise InvalidArgument("the request body must be a JSON object")


router = APIRouter(
    prefix="/api/v1/iam/tunnel", tags=["Tunnel"], dependencies=[Depends(refuse_null_body)]
)
OP = "c1.api.iam.v1.TunnelCredentialsService."

# Query parameters by their JSON names or their proto names, as grpc-gateway takes them.
PageSize = Annotated[
    int | None, Query(validation_alias=AliasChoices("pageSize", "page_size"), ge=0, le=2**31 - 1)
]
PageToken = Annotated[
    str | None, Query(validation_alias=AliasChoices("pageToken", "page_token"), max_length=1024)
]
Empty = Annotated[EmptyRequest | None, Body()]


@router.post("/bridges", operation_id=OP + "CreateBridge")
def create_bridge(body: Annotated[CreateBridgeRequest, Body()], work: AdminWork) -> JSONResponse:
    with work.begin() as unit:
        bridge = bridges.create(
            unit.session, display_name=body.display_name, description=body.description, now=unit.now
        )
        return JSONResponse({"bridge": bridge_view(bridge)})


@router.get("/bridges", operation_id=OP + "ListBridges")
def list_bridges(
    work: AdminWork, page_size: PageSize = None, page_token: PageToken = None
) -> JSONResponse:
    with work.begin() as unit:
        page, token = bridges.list_page(unit.session, page_size=page_size, page_token=page_token)
        return JSONResponse({"list": [bridge_view(b) for b in page], "nextPageToken": token})


@router.get("/bridges/{id}", operation_id=OP + "GetBridge")
def get_bridge(id: str, work: AdminWork) -> JSONResponse:
    with work.begin() as unit:
        return JSONResponse({"bridge": bridge_view(bridges.get(unit.session, bridge_id=id))})


@router.patch("/bridges/{id}", operation_id=OP + "UpdateBridge")
def update_bridge(
    id: str, work: AdminWork, body: Annotated[UpdateBridgeRequest | None, Body()] = None
) -> JSONResponse:
    body = body or UpdateBridgeRequest()  # no body: an empty message, as grpc-gateway reads it
    with work.begin() as unit:
        bridge = bridges.update(
            unit.session,
            bridge_id=id,
            display_name=body.display_name,
            description=body.description,
            update_mask=body.update_mask,
            now=unit.now,
        )
        return JSONResponse({"bridge": bridge_view(bridge)})


@router.delete("/bridges/{id}", operation_id=OP + "DeleteBridge")
def delete_bridge(id: str, work: AdminWork, body: Empty = None) -> JSONResponse:
    with work.begin() as unit:
        bridges.delete_bridge(unit.session, bridge_id=id)
    return JSONResponse({})


@router.post("/bridges/{bridge_id}/credentials", operation_id=OP + "CreateBridgeCredential")
def create_bridge_credential(
    bridge_id: str, work: AdminWork, settings: SettingsDep, body: Empty = None
) -> JSONResponse:
    """Rotate. The unit of work commits before the secret's only copy goes out."""
    with work.begin() as unit:
        credential, secret = credentials.mint(
            unit.session, bridge_id=bridge_id, settings=settings, now=unit.now
        )
        view = credential_view(credential, unit.now, secret)
    return JSONResponse({"credential": view}, headers=NO_STORE)


@router.get("/bridges/{bridge_id}/credentials", operation_id=OP + "ListBridgeCredentials")
def list_bridge_credentials(
    bridge_id: str, work: AdminWork, page_size: PageSize = None, page_token: PageToken = None
) -> JSONResponse:
    with work.begin() as unit:
        page, token = credentials.list_page(
            unit.session, bridge_id=bridge_id, page_size=page_size, page_token=page_token
        )
        views = [credential_view(c, unit.now) for c in page]
    return JSONResponse({"list": views, "nextPageToken": token})


@router.delete("/credentials/{id}", operation_id=OP + "RevokeBridgeCredential")
def revoke_bridge_credential(id: str, work: AdminWork, body: Empty = None) -> JSONResponse:
    with work.begin() as unit:
        credentials.revoke(unit.session, credential_id=id, now=unit.now)
    return JSONResponse({})


@router.get(
    "/bridges/{bridge_id}/announced_services", operation_id=OP + "ListBridgeAnnouncedServices"
)
def list_bridge_announced_services(
    bridge_id: str, work: AdminWork, page_size: PageSize = None, page_token: PageToken = None
) -> JSONResponse:
    with work.begin() as unit:
        services = bridges.get(unit.session, bridge_id=bridge_id).announced_services or []
    page, token = pages.slice_list(services, size=page_size, token=page_token)
    return JSONResponse({"list": [service_view(s) for s in page], "nextPageToken": token})

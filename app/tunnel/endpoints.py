"""The nine operations of c1.api.iam.v1.TunnelCredentialsService, with C1's paths. Only admin
clients may call them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Depends, Query, Request
from pydantic import AliasChoices

from ..core import pagination
from ..core.errors import InvalidArgument
from ..request.operations import Caller, Operations
from ..request.unit import Facts, Server, Unit
from . import bridges, credentials
from .schemas import CreateBridgeRequest, EmptyRequest, UpdateBridgeRequest
from .views import bridge_view, credential_view, service_view

Json = dict[str, Any]
OP = "c1.api.iam.v1.TunnelCredentialsService."


async def refuse_null_body(request: Request) -> None:
    """A request message is a JSON object (or no body at all); FastAPI would read `null` as no
    body, which C1's spec does not allow."""
    if (await request.body()).strip() == b"null":
        raise InvalidArgument("the request body must be a JSON object")


operations = Operations(
    prefix="/api/v1/iam/tunnel",
    caller=Caller.ADMIN,
    c1=True,
    tags=("Tunnel",),
    dependencies=(Depends(refuse_null_body),),
)

# Query parameters by their JSON names or their proto names, as grpc-gateway takes them.
PageSize = Annotated[
    int | None, Query(validation_alias=AliasChoices("pageSize", "page_size"), ge=0, le=2**31 - 1)
]
PageToken = Annotated[
    str | None, Query(validation_alias=AliasChoices("pageToken", "page_token"), max_length=1024)
]
Empty = Annotated[EmptyRequest | None, Body()]


@operations.post("/bridges", OP + "CreateBridge")
def create_bridge(unit: Unit, body: Annotated[CreateBridgeRequest, Body()]) -> Json:
    bridge = bridges.create(
        unit.session,
        display_name=body.display_name,
        description=body.description,
        random=unit.random,
        now=unit.now,
    )
    return {"bridge": bridge_view(bridge)}


@operations.get("/bridges", OP + "ListBridges")
def list_bridges(unit: Unit, page_size: PageSize = None, page_token: PageToken = None) -> Json:
    page, token = bridges.list_page(unit.session, page_size=page_size, page_token=page_token)
    return {"list": [bridge_view(b) for b in page], "nextPageToken": token}


@operations.get("/bridges/{id}", OP + "GetBridge")
def get_bridge(unit: Unit, id: str) -> Json:
    return {"bridge": bridge_view(bridges.get(unit.session, bridge_id=id))}


@operations.patch("/bridges/{id}", OP + "UpdateBridge")
def update_bridge(
    unit: Unit, id: str, body: Annotated[UpdateBridgeRequest | None, Body()] = None
) -> Json:
    body = body or UpdateBridgeRequest()  # no body: an empty message, as grpc-gateway reads it
    bridge = bridges.update(
        unit.session,
        bridge_id=id,
        display_name=body.display_name,
        description=body.description,
        update_mask=body.update_mask,
        now=unit.now,
    )
    return {"bridge": bridge_view(bridge)}


@operations.delete("/bridges/{id}", OP + "DeleteBridge")
def delete_bridge(unit: Unit, id: str, body: Empty = None) -> Json:
    bridges.delete_bridge(unit.session, bridge_id=id)
    return {}


def new_key(server: Server, facts: Facts) -> credentials.NewKey:
    """Before the write turn: the new credential's key and digest."""
    return credentials.NewKey.make(server.settings, server.random)


@operations.post(
    "/bridges/{bridge_id}/credentials",
    OP + "CreateBridgeCredential",
    no_store=True,
    inline=True,
    prepare=new_key,
)
def create_bridge_credential(unit: Unit, bridge_id: str, body: Empty = None) -> Json:
    """Rotate: the unit commits before the secret's only copy goes out."""
    credential, secret = credentials.mint(
        unit.connection,
        bridge_id=bridge_id,
        settings=unit.settings,
        random=unit.random,
        now=unit.now,
        key=unit.prepared,
    )
    return {"credential": credential_view(credential, unit.now, secret)}


@operations.get("/bridges/{bridge_id}/credentials", OP + "ListBridgeCredentials")
def list_bridge_credentials(
    unit: Unit, bridge_id: str, page_size: PageSize = None, page_token: PageToken = None
) -> Json:
    page, token = credentials.list_page(
        unit.session, bridge_id=bridge_id, page_size=page_size, page_token=page_token
    )
    return {"list": [credential_view(c, unit.now) for c in page], "nextPageToken": token}


@operations.delete("/credentials/{id}", OP + "RevokeBridgeCredential")
def revoke_bridge_credential(unit: Unit, id: str, body: Empty = None) -> Json:
    credentials.revoke(unit.session, credential_id=id, now=unit.now)
    return {}


@operations.get("/bridges/{bridge_id}/announced_services", OP + "ListBridgeAnnouncedServices")
def list_bridge_announced_services(
    unit: Unit, bridge_id: str, page_size: PageSize = None, page_token: PageToken = None
) -> Json:
    services = bridges.get(unit.session, bridge_id=bridge_id).announced_services or []
    page, token = pagination.slice_list(services, size=page_size, token=page_token)
    return {"list": [service_view(s) for s in page], "nextPageToken": token}

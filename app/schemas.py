"""JSON in and out, as C1's API speaks it (protojson): lowerCamelCase keys, every field present,
`null` for unset timestamps, `""` for unset strings, enum names, RFC 3339 UTC times with `Z`.
Inputs are also accepted with proto (snake_case) names, and unknown fields are ignored, as
grpc-gateway does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StrictStr, model_validator

from app.models import ACTIVE, EXPIRED, Bridge, Credential


def timestamp(value: datetime | None) -> str | None:
    """protojson's Timestamp: 0, 3, 6 fractional digits as needed, and `Z`."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    # RFC 3339 years have four digits; strftime's %Y drops the leading zeros of years before 1000.
    text = f"{value.year:04d}-{value:%m-%dT%H:%M:%S}"
    micros = value.microsecond
    if micros:
        text += f".{micros // 1000:03d}" if micros % 1000 == 0 else f".{micros:06d}"
    return text + "Z"


def credential_status(credential: Credential, now: datetime) -> str:
    """Stored status, except that an ACTIVE credential past its expiry reads EXPIRED."""
    if credential.status == ACTIVE and credential.expires_at <= now:
        return EXPIRED
    return credential.status


def bridge_view(bridge: Bridge) -> dict[str, Any]:
    services = bridge.announced_services or []
    return {
        "id": bridge.id,
        "displayName": bridge.display_name,
        "description": bridge.description,
        "createdAt": timestamp(bridge.created_at),
        "updatedAt": timestamp(bridge.updated_at),
        "deletedAt": None,
        "appliance": {
            "status": bridge.appliance_status,
            "lastSeenAt": timestamp(bridge.appliance_last_seen_at),
            "announcedServiceCount": len(services),
            "links": [],
        },
    }


def credential_view(credential: Credential, now: datetime, secret: str = "") -> dict[str, Any]:
    return {
        "id": credential.id,
        "bridgeId": credential.bridge_id,
        "clientId": credential.client_id,
        "clientSecret": secret,
        "credentialStatus": credential_status(credential, now),
        "createdAt": timestamp(credential.created_at),
        "updatedAt": timestamp(credential.updated_at),
        "deletedAt": None,
        "expiresTime": timestamp(credential.expires_at),
        "lastUsedAt": timestamp(credential.last_used_at),
        "revokedAt": timestamp(credential.revoked_at),
    }


def service_view(service: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": service.get("name", ""),
        "port": service.get("port", 0),
        "servicePath": service.get("servicePath", ""),
        "serviceType": service.get("serviceType", ""),
        "transportType": service.get("transportType", ""),
    }


def _field(json_name: str, proto_name: str, **kwargs: Any) -> Any:
    return Field(validation_alias=AliasChoices(json_name, proto_name), **kwargs)


class _Input(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=False)


# No NUL: PostgreSQL text cannot hold it, and the backends must answer alike (400 on both).
NO_NUL = r"^[^\x00]*$"


def not_null(value: object) -> object:
    """A BeforeValidator for optional fields that openapi.yaml does not make nullable: it runs on
    given values only, so a field may be left out but not sent as null."""
    if value is None:
        raise ValueError("must not be null (leave it out instead)")
    return value


DisplayName = Annotated[StrictStr, Field(max_length=512, pattern=NO_NUL)]
Description = Annotated[StrictStr, Field(max_length=4096, pattern=NO_NUL)]


class CreateBridgeRequest(_Input):
    display_name: DisplayName = _field("displayName", "display_name", default="")
    description: Description = _field("description", "description", default="")


class UpdateBridgeRequest(_Input):
    display_name: DisplayName | None = _field("displayName", "display_name", default=None)
    description: Description | None = _field("description", "description", default=None)
    update_mask: StrictStr | None = _field("updateMask", "update_mask", default=None)

    @model_validator(mode="before")
    @classmethod
    def _no_null_strings(cls, data: Any) -> Any:
        """displayName and description are strings in openapi.yaml (C1's spec): null is refused."""
        if isinstance(data, dict):
            for name in ("displayName", "display_name", "description"):
                if name in data and data[name] is None:
                    raise ValueError(f"{name} must be a string")
        return data


class EmptyRequest(_Input):
    """The request messages with no fields (CreateBridgeCredential, DeleteBridge, Revoke...)."""

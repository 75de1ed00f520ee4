"""Request messages of the Tunnel service, as grpc-gateway reads them: lowerCamelCase or proto
(snake_case) names, unknown fields ignored."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StrictStr, model_validator

from ..core.protojson import NO_NUL, ProtoInput, field

# C1's limits: a display name of at most 512 characters, a description of at most 4096.
DisplayName = Annotated[StrictStr, Field(max_length=512, pattern=NO_NUL)]
Description = Annotated[StrictStr, Field(max_length=4096, pattern=NO_NUL)]


class CreateBridgeRequest(ProtoInput):
    display_name: DisplayName = field("displayName", "display_name", default="")
    description: Description = field("description", "description", default="")


class UpdateBridgeRequest(ProtoInput):
    display_name: DisplayName | None = field("displayName", "display_name", default=None)
    description: Description | None = field("description", "description", default=None)
    update_mask: StrictStr | None = field("updateMask", "update_mask", default=None)

    @model_validator(mode="before")
    @classmethod
    def _no_null_strings(cls, data: Any) -> Any:
        """displayName and description are strings in openapi.yaml (C1's spec): null is refused."""
        if isinstance(data, dict):
            for name in ("displayName", "display_name", "description"):
                if name in data and data[name] is None:
                    raise ValueError(f"{name} must be a string")
        return data


class EmptyRequest(ProtoInput):
    """The request messages with no fields (CreateBridgeCredential, DeleteBridge, Revoke...)."""

"""JSON in and out, as C1's API speaks it (protojson): lowerCamelCase keys, every field present,
`null` for unset timestamps, `""` for unset strings, enum names, RFC 3339 UTC times with `Z`.
Inputs are also accepted with proto (snake_case) names, and unknown fields are ignored, as
grpc-gateway does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field


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


def field(json_name: str, proto_name: str, **kwargs: Any) -> Any:
    return Field(validation_alias=AliasChoices(json_name, proto_name), **kwargs)


class ProtoInput(BaseModel):
    """A request message: unknown fields are ignored, as grpc-gateway does."""

    model_config = ConfigDict(extra="ignore", populate_by_name=False)


# No NUL: PostgreSQL text cannot hold it, and the backends must answer alike (400 on both).
NO_NUL = r"^[^\x00]*$"


def not_null(value: object) -> object:
    """A BeforeValidator for optional fields that openapi.yaml does not make nullable: it runs on
    given values only, so a field may be left out but not sent as null."""
    if value is None:
        raise ValueError("must not be null (leave it out instead)")
    return value

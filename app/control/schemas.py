"""Request bodies of the control plane (/_mock/), lowerCamelCase like the rest of the API."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictStr,
    model_validator,
)

from ..core import ids
from ..core.protojson import NO_NUL, not_null
from .appliance import STATUSES

# A century either way is more than any test needs, and keeps datetimes in range.
MAX_ADVANCE = 100 * 366 * 24 * 3600


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _rfc3339(value: object) -> object:
    # A JSON string only: pydantic alone would also take a number of seconds since 1970.
    if not isinstance(value, str):
        raise ValueError("must be an RFC 3339 time, e.g. 2030-01-01T00:00:00Z")
    return value


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("must be an RFC 3339 time with its offset, e.g. 2030-01-01T00:00:00Z")
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is in year 0 in UTC
        raise ValueError("must be a time between years 1 and 9999 in UTC") from None


def _json_integer(value: object) -> object:
    # JSON's integers (2.0 is one, openapi.yaml's `integer`); pydantic alone would also take
    # true and "2".
    if isinstance(value, bool | str):
        raise ValueError("must be an integer")
    return value


Integer = Annotated[int, BeforeValidator(_json_integer)]


def _finite(value: float | None) -> float | None:
    if value is not None and not (math.isfinite(value) and abs(value) <= MAX_ADVANCE):
        raise ValueError(f"must be a number of seconds between -{MAX_ADVANCE} and {MAX_ADVANCE}")
    return value


Time = Annotated[datetime | None, BeforeValidator(_rfc3339), AfterValidator(_aware)]


class ClockChange(_Body):
    """Jump to `now`, move by `advance`, freeze or let run; `now` with `frozen` stops at `now`."""

    now: Time = None
    advance: Annotated[StrictFloat | None, BeforeValidator(not_null), AfterValidator(_finite)] = (
        None
    )
    frozen: Annotated[StrictBool | None, BeforeValidator(not_null)] = None

    @model_validator(mode="after")
    def _something(self) -> ClockChange:
        if not self.model_fields_set:
            raise ValueError("give now, advance or frozen")
        return self


# No space or control character (spelt out: JSON Schema's regexes and pydantic's disagree on \s).
PRINTABLE = r"^[^\s\x00-\x20\x7f-\x9f\ufeff]+$"


def _ksuid(value: str | None) -> str | None:
    if value is not None and not ids.is_ksuid(value):
        raise ValueError("must be a bridge id (a KSUID)")
    return value


class FaultSpec(_Body):
    """What the next `times` requests of an operation (naming `bridgeId` or `clientId`, when
    given) meet: an error `status` after `delayMs`; or, without a status, only the delay and then
    their usual answer; or with `drop`, no answer at all (the connection is closed)."""

    operation: Annotated[StrictStr, Field(min_length=1, max_length=128)]
    status: Annotated[Integer | None, Field(ge=400, le=599)] = None
    times: Annotated[Integer, Field(ge=1, le=1_000_000)] = 1
    delay_ms: Annotated[Integer, Field(alias="delayMs", ge=0, le=60_000)] = 0
    retry_after: Annotated[Integer | None, Field(alias="retryAfter", ge=0, le=86_400)] = None
    # RFC 6749 section 5.2: error is ASCII without '"' and '\'.
    error: Annotated[
        StrictStr | None, Field(max_length=64, pattern=r"^[\x20\x21\x23-\x5B\x5D-\x7E]+$")
    ] = None
    bridge_id: Annotated[StrictStr | None, Field(alias="bridgeId"), AfterValidator(_ksuid)] = None
    client_id: Annotated[
        StrictStr | None, Field(alias="clientId", min_length=1, max_length=320, pattern=PRINTABLE)
    ] = None
    drop: StrictBool = False

    @model_validator(mode="after")
    def _one_answer(self) -> FaultSpec:
        if self.drop and (self.status, self.error, self.retry_after) != (None, None, None):
            raise ValueError(
                "a dropped connection answers nothing: leave out status, error and retryAfter"
            )
        if self.status is None and not self.drop and self.delay_ms == 0:
            self.status = 503  # a fault of nothing but its operation: the service is unavailable
        return self


class AnnouncedService(_Body):
    name: Annotated[StrictStr, Field(min_length=1, max_length=256, pattern=NO_NUL)]
    port: Annotated[Integer, Field(ge=0, le=65535)] = 0
    service_path: Annotated[
        StrictStr, Field(alias="servicePath", max_length=1024, pattern=NO_NUL)
    ] = ""
    service_type: Annotated[
        StrictStr, Field(alias="serviceType", max_length=64, pattern=NO_NUL)
    ] = ""
    transport_type: Annotated[
        StrictStr, Field(alias="transportType", max_length=64, pattern=NO_NUL)
    ] = ""


class ApplianceState(_Body):
    status: Literal[STATUSES]  # type: ignore[valid-type]
    last_seen_at: Annotated[Time, Field(alias="lastSeenAt")] = None
    # The limit of 32 is checked by the service, with C1's message; this only bounds the body.
    announced_services: Annotated[
        list[AnnouncedService] | None,
        Field(alias="announcedServices", max_length=1000),
        BeforeValidator(not_null),
    ] = None

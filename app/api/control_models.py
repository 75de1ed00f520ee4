"""Request bodies of the control plane (/_mock/), lowerCamelCase like the rest of the API."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictStr, model_validator

from app.services.appliance import STATUSES

# A century either way is more than any test needs, and keeps datetimes in range.
MAX_ADVANCE = 100 * 366 * 24 * 3600


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("must be an RFC 3339 time with its offset, e.g. 2030-01-01T00:00:00Z")
    return value


def _finite(value: float | None) -> float | None:
    if value is not None and not (math.isfinite(value) and abs(value) <= MAX_ADVANCE):
        raise ValueError(f"must be a number of seconds between -{MAX_ADVANCE} and {MAX_ADVANCE}")
    return value


class ClockChange(_Body):
    """Jump to `now`, move by `advance`, freeze or let run; `now` with `frozen` stops at `now`."""

    now: Annotated[datetime | None, AfterValidator(_aware)] = None
    advance: Annotated[float | None, AfterValidator(_finite)] = None
    frozen: bool | None = None

    @model_validator(mode="after")
    def _something(self) -> ClockChange:
        if self.now is None and self.advance is None and self.frozen is None:
            raise ValueError("give now, advance or frozen")
        return self


class FaultSpec(_Body):
    operation: Annotated[StrictStr, Field(min_length=1, max_length=128)]
    status: Annotated[int, Field(ge=400, le=599)] = 503
    times: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    delay_ms: Annotated[int, Field(alias="delayMs", ge=0, le=60_000)] = 0
    retry_after: Annotated[int | None, Field(alias="retryAfter", ge=0, le=86_400)] = None
    # RFC 6749 section 5.2: error is ASCII without '"' and '\'.
    error: Annotated[
        StrictStr | None, Field(max_length=64, pattern=r"^[\x20\x21\x23-\x5B\x5D-\x7E]+$")
    ] = None


class AnnouncedService(_Body):
    name: Annotated[StrictStr, Field(min_length=1, max_length=256)]
    port: Annotated[int, Field(ge=0, le=65535)] = 0
    service_path: Annotated[StrictStr, Field(alias="servicePath", max_length=1024)] = ""
    service_type: Annotated[StrictStr, Field(alias="serviceType", max_length=64)] = ""
    transport_type: Annotated[StrictStr, Field(alias="transportType", max_length=64)] = ""


class ApplianceState(_Body):
    status: Literal[STATUSES]  # type: ignore[valid-type]
    last_seen_at: Annotated[datetime | None, Field(alias="lastSeenAt"), AfterValidator(_aware)] = (
        None
    )
    # The limit of 32 is checked by the service, with C1's message; this only bounds the body.
    announced_services: Annotated[
        list[AnnouncedService] | None, Field(alias="announcedServices", max_length=1000)
    ] = None

"""The seed document's shape and the checks that span entries. Field errors come
from pydantic with their path; the cross-entry checks here name theirs the same way."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictStr

from ..core import ids
from ..core.crypto import decode_secret, public_key_text
from ..core.errors import InvalidArgument
from ..core.models import ACTIVE, EXPIRED, REVOKED
from ..core.protojson import NO_NUL, not_null


def _ksuid(value: str) -> str:
    if not ids.is_ksuid(value):
        raise ValueError("must be a KSUID (27 base62 characters)")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _c1_secret(value: str) -> str:
    if decode_secret(value) is None:
        raise ValueError("must be a C1 client secret (secret-token:conductorone.com:v1:...)")
    return value


# No space, control character or BOM: spelt out, because JSON Schema's regexes (ECMA 262) and
# pydantic's (Rust) disagree on what `\s` is (U+0085, U+FEFF).
_PART = r"[^@/\s\x00-\x20\x7f-\x9f\ufeff]+"
_ADMIN_ID = rf"^{_PART}@{_PART}/spc$"


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SeedUser(_Entry):
    """What GetUser shows of an admin client's user (a service user; the rest stays unset)."""

    display_name: Annotated[
        StrictStr, Field(alias="displayName", max_length=512, pattern=NO_NUL)
    ] = ""
    email: Annotated[StrictStr, Field(max_length=320, pattern=NO_NUL)] = ""


class SeedAdmin(_Entry):
    client_id: Annotated[
        StrictStr,
        Field(
            alias="clientId",
            max_length=320,
            pattern=_ADMIN_ID,
        ),
    ]
    client_secret: Annotated[StrictStr, Field(alias="clientSecret", min_length=1, max_length=512)]
    user: Annotated[SeedUser, BeforeValidator(not_null)] = SeedUser()

    @property
    def user_id(self) -> str:
        """The id of the user this admin client is: its client id's name part."""
        return self.client_id.split("@", 1)[0]


class SeedCredential(_Entry):
    id: Annotated[
        StrictStr | None,
        Field(max_length=64, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$"),
        BeforeValidator(not_null),
    ] = None
    client_secret: Annotated[StrictStr, Field(alias="clientSecret"), AfterValidator(_c1_secret)]
    status: Literal[ACTIVE, REVOKED, EXPIRED] = ACTIVE  # type: ignore[valid-type]

    @property
    def public_key(self) -> str:
        key = decode_secret(self.client_secret)
        assert key is not None  # checked by _c1_secret
        return public_key_text(key)


class SeedBridge(_Entry):
    id: Annotated[
        StrictStr | None,
        BeforeValidator(not_null),
        AfterValidator(lambda v: v if v is None else _ksuid(v)),
    ] = None
    display_name: Annotated[
        StrictStr,
        Field(alias="displayName", max_length=512, pattern=NO_NUL),
        AfterValidator(_not_blank),
    ]
    description: Annotated[StrictStr, Field(max_length=4096, pattern=NO_NUL)] = ""
    credentials: Annotated[list[SeedCredential], Field(max_length=100)] = []


class SeedDocument(_Entry):
    admins: Annotated[list[SeedAdmin], Field(max_length=100)] = []
    # 1000: a document one bridge over the limit still fits in a request body (max_body_size),
    # so it is refused for what it says (400), not for its size (413).
    bridges: Annotated[list[SeedBridge], Field(max_length=1000)] = []


def check(document: SeedDocument) -> None:
    """What no single entry shows: repeated ids and names, two ACTIVE credentials on a bridge."""
    _unique("admins[{}].clientId", [a.client_id for a in document.admins])
    # The name part is the admin's user id (GetUser): two admins may not be one user.
    _unique("admins[{}].clientId", [a.user_id for a in document.admins], "its name ")
    _unique("bridges[{}].id", [b.id for b in document.bridges])
    _unique(
        "bridges[{}].displayName",
        [b.display_name if b.id is None else None for b in document.bridges],
    )
    seen: set[str] = set()
    for i, bridge in enumerate(document.bridges):
        active = [j for j, c in enumerate(bridge.credentials) if c.status == ACTIVE]
        if len(active) > 1:
            raise InvalidArgument(
                f"bridges[{i}].credentials[{active[1]}].status: "
                "a bridge has at most one ACTIVE credential"
            )
        for j, cred in enumerate(bridge.credentials):
            if cred.id is not None and cred.id in seen:
                raise InvalidArgument(f"bridges[{i}].credentials[{j}].id: repeats another entry's")
            seen.add(cred.id or "")
        seen.discard("")


def _unique(pattern: str, values: list[str | None], what: str = "") -> None:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value is not None and value in seen:
            raise InvalidArgument(f"{pattern.format(i)}: {what}repeats another entry's")
        if value is not None:
            seen.add(value)

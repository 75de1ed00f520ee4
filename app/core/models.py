"""Tables. Timestamps are stored as naive UTC and read back as aware UTC on every backend."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ACTIVE = "TUNNEL_CREDENTIAL_STATUS_ACTIVE"
REVOKED = "TUNNEL_CREDENTIAL_STATUS_REVOKED"
EXPIRED = "TUNNEL_CREDENTIAL_STATUS_EXPIRED"
NEVER_CONNECTED = "TUNNEL_APPLIANCE_STATUS_NEVER_CONNECTED"


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# A reset (POST /_mock/reset) empties every table but those whose `info` says they are kept.
KEPT_ON_RESET = {"info": {"kept_on_reset": True}}


class Bridge(Base):
    __tablename__ = "bridges"

    id: Mapped[str] = mapped_column(String(27), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(512))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    appliance_status: Mapped[str] = mapped_column(String(64), default=NEVER_CONNECTED)
    appliance_last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    announced_services: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    credentials: Mapped[list[Credential]] = relationship(
        back_populates="bridge", lazy="raise", passive_deletes=True
    )


class Credential(Base):
    """A tunnel credential (client id `<cutename>@<tenant>/tcc`). Only a digest of its secret
    and its public key are kept."""

    __tablename__ = "tunnel_credentials"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    bridge_id: Mapped[str] = mapped_column(ForeignKey("bridges.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(String(320), unique=True)
    status: Mapped[str] = mapped_column(String(64))
    secret_hash: Mapped[str] = mapped_column(String(255))
    public_key: Mapped[str | None] = mapped_column(String(64))
    # Named by the access tokens issued to it: a credential replaced under the same id gets
    # another, so those tokens stop working.
    binding: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    bridge: Mapped[Bridge] = relationship(back_populates="credentials", lazy="raise")

    def status_at(self, now: datetime) -> str:
        """The stored status, except that an ACTIVE credential past its expiry reads EXPIRED."""
        if self.status == ACTIVE and self.expires_at <= now:
            return EXPIRED
        return self.status

    __table_args__ = (
        # The database's own guarantee of at most one ACTIVE credential per bridge.
        Index(
            "uq_tunnel_credentials_one_active_per_bridge",
            "bridge_id",
            unique=True,
            sqlite_where=text(f"status = '{ACTIVE}'"),
            postgresql_where=text(f"status = '{ACTIVE}'"),
        ),
    )


class AdminClient(Base):
    """A service principal (client id `<cutename>@<tenant>/spc`) that may call the whole API,
    and the user of type USER_TYPE_SERVICE that GetUser shows for it. Kept on reset (the
    operator's way in), but for those a seed made."""

    __tablename__ = "admin_clients"
    __table_args__ = (KEPT_ON_RESET,)

    client_id: Mapped[str] = mapped_column(String(320), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(255))
    public_key: Mapped[str | None] = mapped_column(String(64))
    binding: Mapped[str] = mapped_column(String(32))  # as a credential's
    source: Mapped[str] = mapped_column(String(16))  # settings, cli, generated, seed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The admin is a user of type USER_TYPE_SERVICE too (GetUser); a seed may name it.
    user_display_name: Mapped[str] = mapped_column(String(512), default="", server_default="")
    user_email: Mapped[str] = mapped_column(String(320), default="", server_default="")


class SigningKey(Base):
    """The server's Ed25519 key for access tokens, created once so tokens survive restarts and
    resets."""

    __tablename__ = "signing_keys"
    __table_args__ = (KEPT_ON_RESET,)

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class UsedNonce(Base):
    """Assertion nonces and jtis already seen, kept until the assertion could no longer be valid."""

    __tablename__ = "used_nonces"

    client_id: Mapped[str] = mapped_column(String(320), primary_key=True)
    value: Mapped[str] = mapped_column(String(300), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class AuthFailure(Base):
    """One failed client authentication, for the brute-force guard: under a keyed digest of the
    client id and the source address, so that nothing a client sent is stored."""

    __tablename__ = "auth_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class ClockState(Base):
    """The virtual clock: one row. Server time is frozen_at, or real time plus offset."""

    __tablename__ = "clock_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offset_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class JournalEntry(Base):
    """One request to the C1 API or the token endpoint. Never a secret, token or header value."""

    __tablename__ = "journal_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Real (not virtual) time the request arrived, in seconds: the journal's order.
    arrived: Mapped[float] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(String(2048))
    # No indexes but the key: every request inserts a row, and a listing scans at most
    # C1MOCK_JOURNAL_SIZE of them.
    operation_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[int] = mapped_column(Integer)
    client_id: Mapped[str] = mapped_column(String(320))
    latency_ms: Mapped[float] = mapped_column(Float)


class Fault(Base):
    """An injected failure for the next `remaining` requests of one operation (that name this
    bridge or client, when given): an error status, a delay, or a dropped connection."""

    __tablename__ = "faults"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    operation: Mapped[str] = mapped_column(String(128), index=True)
    status: Mapped[int | None] = mapped_column(Integer)  # None: delay only, or drop
    bridge_id: Mapped[str | None] = mapped_column(String(27))
    client_id: Mapped[str | None] = mapped_column(String(320))
    drop: Mapped[bool] = mapped_column(Boolean, default=False)
    remaining: Mapped[int] = mapped_column(Integer)
    delay_ms: Mapped[int] = mapped_column(Integer, default=0)
    retry_after: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

"""Settings: one class, read from the environment with the prefix C1MOCK_ and from CLI flags."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def tenant_of(client_id: str) -> str:
    """The tenant domain of a client id `<name>@<tenant domain>/<kind>`; "" when it has none."""
    _, at, rest = client_id.partition("@")
    tenant, slash, _ = rest.rpartition("/")
    return tenant if at and slash else ""


class Settings(BaseSettings):
    """Every option of `c1-mock serve`; each is also the env variable C1MOCK_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="C1MOCK_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    database_url: str = "sqlite:///./c1-mock.db"
    tenant_domain: str = "example.conductor.one"
    # Self-routing: the tenant domain becomes this server's own address (127.0.0.1:8443), so that
    # Go-based clients, which take the host from the client id, find the server from it alone.
    self_route: bool = False
    # Names a client assertion's `aud` may carry besides the tenant domain's host and the loopback
    # names (a sandbox reached as `c1-mock`); comma-separated in C1MOCK_AUDIENCES.
    audiences: Annotated[list[str], NoDecode] = []

    # TLS (server/tls.py): a local CA and server certificate made once in tls_dir, or your own pair.
    tls: bool = False
    tls_dir: Path = Path("c1-mock-tls")
    tls_cert: Path | None = None
    tls_key: Path | None = None

    admin_client_id: str | None = None
    admin_client_secret: str | None = None

    # Lifetimes, in seconds.
    token_lifetime: int = Field(default=3600, ge=1)
    credential_lifetime: int = Field(default=90 * 24 * 3600, ge=1)

    # passlib CryptContext scheme and cost for stored secret digests. Secrets are 256-bit keys, so
    # a slow hash buys nothing against guessing: one round of pbkdf2_sha256 (a salted HMAC-SHA256)
    # is enough; 1000 rounds cost about half a millisecond of CPU per token request (`make bench`).
    # Digests made with other costs keep verifying; argon2 and bcrypt are selectable.
    secret_hash_scheme: str = "pbkdf2_sha256"  # noqa: S105
    secret_hash_rounds: int | None = 1

    # Brute-force guard on the token endpoint: failures per client id within the window.
    max_failed_auths: int = Field(default=10, ge=1)
    failed_auth_window: int = Field(default=60, ge=1)

    # Control plane under /_mock/.
    control: bool = True
    control_token: str | None = None
    seed_file: Path | None = None
    random_seed: int | None = None
    journal_size: int = Field(default=1000, ge=1)

    # Largest request body accepted, in bytes.
    max_body_size: int = Field(default=1024 * 1024, ge=1024)

    log_level: str = "info"
    # The request log: one line of text per request, or one JSON object.
    log_format: Literal["text", "json"] = "text"

    @field_validator("audiences", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [name.strip() for name in value.split(",") if name.strip()]
        return value

    @field_validator("control_token")
    @classmethod
    def _a_token_is_not_empty(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError(
                "is empty, which would open the control plane to a bare `Bearer`; "
                "unset it for an open control plane, or set a token"
            )
        return value

    @model_validator(mode="after")
    def _one_stream(self) -> Settings:
        if self.random_seed is not None and self.workers > 1:
            raise ValueError(
                "random_seed needs workers=1: every worker would replay the same random stream"
            )
        return self

    @model_validator(mode="after")
    def _tls_and_routing(self) -> Settings:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key go together")
        self.tls = self.tls or self.tls_cert is not None
        if self.self_route:
            host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host  # noqa: S104
            self.tenant_domain = f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"
        return self

    @model_validator(mode="after")
    def _admin_of_this_tenant(self) -> Settings:
        tenant = tenant_of(self.admin_client_id or "")
        if tenant and tenant != self.tenant_domain:
            raise ValueError(
                f"admin_client_id is of tenant {tenant!r}, but the tenant domain is "
                f"{self.tenant_domain!r}: the server would refuse it"
            )
        return self

    def env(self) -> dict[str, str]:
        """These settings as C1MOCK_ environment variables, for worker processes."""
        out: dict[str, str] = {}
        for name, value in self.model_dump().items():
            if isinstance(value, bool):
                out[f"C1MOCK_{name.upper()}"] = str(value).lower()
            elif isinstance(value, list):
                out[f"C1MOCK_{name.upper()}"] = ",".join(value)
            elif value is not None:
                out[f"C1MOCK_{name.upper()}"] = str(value)
        return out

"""Settings: one class, read from the environment with the prefix C1MOCK_ and from CLI flags.

Each field's description is its meaning in `c1-mock serve --help`. A value that cannot work is
refused here, when the settings are read, with a message that names what is allowed. What the
settings need from this machine (an extra's package, a SQLite file's directory: `unusable_here`)
and whether the database answers are found out by the commands that open the database.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# passlib schemes c1-mock can store digests with, and the cost each accepts (rounds).
HASH_ROUNDS = {
    "pbkdf2_sha256": (1, 2**32 - 1),
    "pbkdf2_sha512": (1, 2**32 - 1),
    "sha256_crypt": (1000, 999_999_999),
    "argon2": (1, 2**32 - 1),
    "bcrypt": (4, 31),
}
# Schemes whose backend is an optional extra of the package: scheme -> (module, extra).
HASH_EXTRAS = {"argon2": ("argon2", "argon2"), "bcrypt": ("bcrypt", "bcrypt")}
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
DATABASES = "sqlite:///path/to/file.db or postgresql://user@host:port/database"
# Settings whose value is never repeated in a message.
SECRET_SETTINGS = frozenset({"admin_client_secret", "control_token", "database_url"})


def install_hint(extra: str) -> str:
    """How to add an optional extra to an installed c1-mock (one line, for error messages)."""
    return (
        f"install the extra {extra}: pip install 'c1-mock[{extra}]' "
        f"(in a checkout: .venv/bin/pip install -e '.[{extra}]')"
    )


def tenant_of(client_id: str) -> str:
    """The tenant domain of a client id `<name>@<tenant domain>/<kind>`; "" when it has none."""
    _, at, rest = client_id.partition("@")
    tenant, slash, _ = rest.rpartition("/")
    return tenant if at and slash else ""


class Settings(BaseSettings):
    """Every option of `c1-mock serve`; each is also the env variable C1MOCK_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="C1MOCK_", extra="ignore")

    host: str = Field("127.0.0.1", description="address to listen on")
    port: int = Field(8080, ge=0, le=65535, description="port")
    workers: int = Field(1, ge=1, le=64, description="worker processes; all share one database")
    database_url: str = Field("sqlite:///./c1-mock.db", description=DATABASES)
    tenant_domain: str = Field(
        "example.conductor.one",
        description="the tenant part of client ids, and an accepted assertion aud",
    )
    # Self-routing: the tenant domain becomes this server's own address (127.0.0.1:8443), so that
    # Go-based clients, which take the host from the client id, find the server from it alone.
    self_route: bool = Field(False, description="tenant domain = this server's own address")
    # Assertion audiences accepted besides the tenant domain's host and the loopback names.
    audiences: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="more accepted assertion aud values, comma-separated host names",
    )

    # TLS (server/tls.py): a local CA and server certificate made once in tls_dir, or your own pair.
    tls: bool = Field(False, description="serve https with a local CA made in tls_dir")
    tls_dir: Path = Field(
        Path("c1-mock-tls"), description="where the local CA and certificate live"
    )
    tls_cert: Path | None = Field(None, description="your own certificate (PEM); implies tls")
    tls_key: Path | None = Field(None, description="the private key of tls_cert (PEM)")

    admin_client_id: str | None = Field(
        None, description="the admin client, <name>@<tenant>/spc (with its secret)"
    )
    admin_client_secret: str | None = Field(None, description="the admin client's secret")

    # Lifetimes, in seconds.
    token_lifetime: int = Field(3600, ge=1, description="access-token lifetime, seconds")
    credential_lifetime: int = Field(
        90 * 24 * 3600, ge=1, description="tunnel-credential lifetime, seconds"
    )

    # passlib CryptContext scheme and cost for stored secret digests. Secrets are 256-bit keys, so
    # a slow hash buys nothing against guessing: one round of pbkdf2_sha256 (a salted HMAC-SHA256)
    # is enough; 1000 rounds cost about half a millisecond of CPU per token request (`make bench`).
    # Digests made with other costs keep verifying; argon2 and bcrypt are selectable (extras).
    secret_hash_scheme: str = Field(
        "pbkdf2_sha256",
        description="digest scheme of stored secrets: "
        + ", ".join(HASH_ROUNDS)
        + " (argon2 and bcrypt need the extras of their names)",
    )
    secret_hash_rounds: int | None = Field(
        1, description="its cost; by default 1 for pbkdf2, the scheme's own default for others"
    )

    # Brute-force guard on the token endpoint: failures per client id within the window.
    max_failed_auths: int = Field(
        10, ge=1, description="failed authentications of a client id before 429"
    )
    failed_auth_window: int = Field(
        60, ge=1, description="the window of max_failed_auths (per client id), seconds"
    )

    # Control plane under /_mock/.
    control: bool = Field(True, description="serve the /_mock/ control plane")
    control_token: str | None = Field(None, description="bearer token /_mock/ calls must carry")
    seed_file: Path | None = Field(None, description="YAML or JSON seed document")
    random_seed: int | None = Field(None, description="deterministic ids and secrets (1 worker)")
    journal_size: int = Field(1000, ge=1, description="request-journal entries kept")

    max_body_size: int = Field(1024 * 1024, ge=1024, description="largest request body, bytes")

    log_level: str = Field("info", description="log level: " + ", ".join(LOG_LEVELS))
    log_format: Literal["text", "json"] = Field(
        "text", description="the request log: a line of text, or a JSON object, per request"
    )

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, url: str) -> str:
        scheme = url.split("://", 1)[0] if "://" in url else ""
        dialect, _, driver = scheme.partition("+")
        supported = (dialect == "sqlite" and driver in ("", "pysqlite")) or (
            dialect in ("postgresql", "postgres") and driver in ("", "psycopg")
        )
        if not supported:
            given = f"{scheme}://" if scheme else "a URL without a scheme"
            raise ValueError(f"{given} is not supported; use {DATABASES}")
        if dialect == "sqlite" and _in_memory(url.split("://", 1)[1]):
            raise ValueError(
                "an in-memory SQLite database is not shared by the server's connections and "
                "workers; use a file, sqlite:///path/to/file.db"
            )
        return url

    @field_validator("secret_hash_scheme")
    @classmethod
    def _known_scheme(cls, scheme: str) -> str:
        if scheme not in HASH_ROUNDS:
            raise ValueError(f"{scheme!r} is not supported; use one of {', '.join(HASH_ROUNDS)}")
        return scheme

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, level: str) -> str:
        if level.lower() not in LOG_LEVELS:
            raise ValueError(f"{level!r} is not a log level; use one of {', '.join(LOG_LEVELS)}")
        return level.lower()

    @field_validator("audiences", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [name.strip() for name in value.split(",") if name.strip()]
        return value

    @field_validator("control_token")
    @classmethod
    def _a_token_is_not_empty(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError(
                'is empty, which would open the control plane to a bare "Bearer"; '
                "unset it for an open control plane, or set a token"
            )
        return value

    @model_validator(mode="after")
    def _rounds_for_the_scheme(self) -> Settings:
        if "secret_hash_rounds" not in self.model_fields_set and self.secret_hash_scheme not in (
            "pbkdf2_sha256",
            "pbkdf2_sha512",
        ):
            self.secret_hash_rounds = None  # the one-round default is for pbkdf2
        low, high = HASH_ROUNDS[self.secret_hash_scheme]
        rounds = self.secret_hash_rounds
        if rounds is not None and not low <= rounds <= high:
            raise ValueError(
                f"C1MOCK_SECRET_HASH_ROUNDS: {rounds} is out of range; "
                f"{self.secret_hash_scheme} takes {low} to {high}"
            )
        return self

    @model_validator(mode="after")
    def _one_stream(self) -> Settings:
        if self.random_seed is not None and self.workers > 1:
            raise ValueError(
                "C1MOCK_RANDOM_SEED: random_seed needs workers=1: every worker would replay the "
                "same random stream"
            )
        return self

    @model_validator(mode="after")
    def _tls_and_routing(self) -> Settings:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("C1MOCK_TLS_CERT, C1MOCK_TLS_KEY: tls_cert and tls_key go together")
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

    def unusable_here(self) -> tuple[str, str] | None:
        """(setting, why) for the first thing these settings need from this machine and do not
        find: an extra's package, the directory of a SQLite file. Checked by the commands that
        open the database, not here: a health check may run where the database is not."""
        dialect = self.database_url.split(":", 1)[0].split("+", 1)[0]
        if dialect == "sqlite":
            missing = _missing_sqlite_directory(self.database_url.split("://", 1)[1])
            if missing is not None:
                return "database_url", (
                    f"the directory of the SQLite file, {missing}, does not exist; "
                    "create it or name a file in an existing directory"
                )
        elif find_spec("psycopg") is None:
            return "database_url", f"a PostgreSQL URL needs its driver; {install_hint('postgres')}"
        module, extra = HASH_EXTRAS.get(self.secret_hash_scheme, (None, ""))
        if module is not None and find_spec(module) is None:
            return "secret_hash_scheme", (
                f"{self.secret_hash_scheme} needs its backend; {install_hint(extra)}"
            )
        return None

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


def _in_memory(rest: str) -> bool:
    """Whether `rest`, what follows sqlite://, names an in-memory database."""
    path, _, query = rest.removeprefix("/").partition("?")
    return not path or path == ":memory:" or "mode=memory" in query or ":memory:" in path


def _missing_sqlite_directory(rest: str) -> Path | None:
    """`rest` is what follows sqlite://: /path (not in memory: refused before)."""
    path = rest.removeprefix("/").split("?", 1)[0]
    if path.startswith("file:"):
        return None
    directory = Path(path).parent.resolve()
    return None if directory.is_dir() else directory


def named(name: str, message: str, flags: dict[str, str] | None = None) -> str:
    """`message` about the setting `name`, as one line that names its variable (and flag)."""
    setting = f"C1MOCK_{name.upper()}"
    if flags and name in flags:
        setting += f" ({flags[name]})"
    return f"{setting}: {message}"


def describe(error: ValidationError, flags: dict[str, str] | None = None) -> str:
    """The first problem of a refused Settings as one line: the setting (its C1MOCK_ variable and
    its flag, if any), what is wrong with the value and what is allowed. Secret values and URLs
    (which may hold a password) are never repeated."""
    first = error.errors()[0]
    message = first["msg"].removeprefix("Value error, ")
    if not first["loc"]:  # a rule across settings: its message names them
        return message
    name = str(first["loc"][0])
    if first["type"] != "value_error" and name not in SECRET_SETTINGS:
        message += f" (got {first['input']!r})"
    return named(name, message, flags)

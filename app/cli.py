"""`c1-mock`: serve, migrate, mint admin clients."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from pydantic import ValidationError

from .config import Settings


def _serve_parser(sub: Any) -> None:
    serve = sub.add_parser("serve", help="run the server (migrates the database first)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8080)")
    serve.add_argument("--workers", type=int, help="worker processes (default 1)")
    serve.add_argument("--database-url", help="SQLAlchemy URL (default sqlite:///./c1-mock.db)")
    serve.add_argument(
        "--tenant-domain", help="tenant domain in client ids (default example.conductor.one)"
    )
    serve.add_argument(
        "--no-control", dest="control", action="store_false", default=None, help="turn off /_mock/"
    )
    serve.add_argument("--log-level", help="log level (default info)")
    serve.add_argument(
        "--log-format", choices=["text", "json"], help="the request log: text lines or JSON"
    )
    _tls_flags(serve)


def _tls_flags(serve: Any) -> None:
    on = {"action": "store_true", "default": None}
    serve.add_argument(
        "--self-route", **on, help="tenant domain = this server's address, e.g. 127.0.0.1:8443"
    )
    serve.add_argument("--tls", **on, help="serve https with a local CA made in --tls-dir")
    serve.add_argument("--tls-dir", help="where the local CA and certificate live (./c1-mock-tls)")
    serve.add_argument("--tls-cert", help="your own certificate (PEM); implies --tls")
    serve.add_argument("--tls-key", help="the private key of --tls-cert (PEM)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="c1-mock", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    _serve_parser(sub)
    db = sub.add_parser("db", help="database commands").add_subparsers(
        dest="db_command", required=True
    )
    for name in ("upgrade",):
        db.add_parser(name, help="apply the migrations").add_argument("--database-url")
    admin = sub.add_parser("admin", help="admin clients").add_subparsers(
        dest="admin_command", required=True
    )
    create = admin.add_parser("create", help="mint an admin client and print its secret once")
    create.add_argument("--database-url")
    create.add_argument("--tenant-domain")
    listing = admin.add_parser("list", help="the admin clients (never their secrets)")
    listing.add_argument("--database-url")
    revoke = admin.add_parser("revoke", help="remove an admin client; its tokens stop working")
    revoke.add_argument("client_id", metavar="CLIENT_ID")
    revoke.add_argument("--database-url")
    health = sub.add_parser("healthcheck", help="exit 0 when the server of these settings is up")
    health.add_argument("--port", type=int)
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    """Environment (C1MOCK_*) first, then the flags given on the command line."""
    flags = {k: v for k, v in vars(args).items() if v is not None and k in Settings.model_fields}
    try:
        return Settings(**flags)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = f"{error['loc'][0]}: " if error["loc"] else ""
        message = error["msg"].removeprefix("Value error, ")
        sys.exit(f"c1-mock: invalid setting: {where}{message}")


def serve(settings: Settings) -> None:
    import uvicorn

    from .core.db import Database
    from .core.errors import ApiError
    from .core.ids import Random
    from .server import bootstrap

    ssl_options = _tls_options(settings)
    db = Database(settings.database_url)
    try:  # deterministic mode: the signing key and a generated admin come from the seed
        bootstrap.prepare(db, settings, Random(settings.random_seed))
    except ApiError as exc:  # a refused seed file
        sys.exit(f"c1-mock: seed file {settings.seed_file}: {exc.message}")
    db.dispose()
    os.environ.update(settings.env())  # worker processes read their settings from here
    uvicorn.run(
        f"{__package__}.main:create_app_from_env",
        factory=True,
        **uvicorn_options(settings),
        **ssl_options,
    )


def _tls_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's ssl options; says where the local CA is, for SSL_CERT_FILE or a CA option."""
    from .server import tls

    try:
        files = tls.prepare(settings)
    except tls.TLSError as exc:
        sys.exit(f"c1-mock: {exc}")
    if files is None:
        return {}
    if files.ca is not None:
        ca = files.ca.resolve()
        print(
            f"c1-mock: TLS certificate from the local CA {ca}\n"
            f"  clients trust it with SSL_CERT_FILE={ca} (or their CA option)",
            file=sys.stderr,
            flush=True,
        )
    return {"ssl_certfile": str(files.cert), "ssl_keyfile": str(files.key)}


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How `serve` runs uvicorn; benchmarks/bare_app.py serves its baseline with the same."""
    from .request import log as requests_log

    return {
        "host": settings.host,
        "port": settings.port,
        "workers": settings.workers,
        "log_level": settings.log_level,
        "log_config": requests_log.config(settings.log_level, settings.log_format),
        "access_log": False,  # c1-mock logs requests itself (request/log.py)
        "proxy_headers": False,
    }


def db_upgrade(settings: Settings) -> None:
    from .core import migrate
    from .core.db import Database

    db = Database(settings.database_url)
    migrate.upgrade(db.engine)
    db.dispose()
    print("c1-mock: database is at the latest migration", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    settings = settings_from(args)
    if args.command == "serve":
        serve(settings)
    elif args.command == "db":
        db_upgrade(settings)
    elif args.command == "healthcheck":
        from .server.healthcheck import probe

        sys.exit(0 if probe(settings) else 1)
    else:
        _admin(args, settings)


def _admin(args: argparse.Namespace, settings: Settings) -> None:
    from .server import admins

    if args.admin_command == "create":
        admins.create(settings)
    elif args.admin_command == "list":
        admins.list_all(settings)
    else:
        admins.revoke(settings, args.client_id)


if __name__ == "__main__":
    main()

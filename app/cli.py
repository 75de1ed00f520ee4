"""c1-mock: serve C1's tunnel-credential API and token endpoint; migrate its database; mint admin
clients and client secrets; check a server's health.

A setting that cannot work ends the command with one line on stderr naming the setting, and exit
status 2 (as argparse's own usage errors); a server that is not healthy is exit status 1.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from pydantic import ValidationError

from . import version
from .config import Settings, describe, named

if TYPE_CHECKING:
    from .server.tls import TLSFiles

USAGE_ERROR = 2


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line like every other refused setting."""

    setting_flags: dict[str, str]  # setting name -> its serve flag, for messages

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: {message} (see {self.prog} --help)\n")


def fail(message: str) -> NoReturn:
    """End the command: a setting or an input that cannot work, in one line."""
    print(f"c1-mock: {message}", file=sys.stderr, flush=True)
    sys.exit(USAGE_ERROR)


def _serve_parser(sub: Any) -> argparse.ArgumentParser:
    serve: argparse.ArgumentParser = sub.add_parser(
        "serve",
        help="run the server (migrates the database first)",
        description="Run the server. Flags override the C1MOCK_ environment variables.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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
    serve.epilog = _settings_without_flags(serve)
    return serve


def _tls_flags(serve: Any) -> None:
    on = {"action": "store_true", "default": None}
    serve.add_argument(
        "--self-route", **on, help="tenant domain = this server's address, e.g. 127.0.0.1:8443"
    )
    serve.add_argument("--tls", **on, help="serve https with a local CA made in --tls-dir")
    serve.add_argument("--tls-dir", help="where the local CA and certificate live (./c1-mock-tls)")
    serve.add_argument("--tls-cert", help="your own certificate (PEM); implies --tls")
    serve.add_argument("--tls-key", help="the private key of --tls-cert (PEM)")


def _settings_without_flags(parser: argparse.ArgumentParser) -> str:
    """The epilog of `serve --help`: each setting that has no flag, its meaning and default."""
    flagged = {action.dest for action in parser._actions}
    lines = ["settings without a flag (environment variables):"]
    for name, field in Settings.model_fields.items():
        if name in flagged:
            continue
        meaning = field.description or ""
        default = field.get_default(call_default_factory=True)
        if default not in (None, []) and "default" not in meaning:
            meaning += f" (default {default})"
        variable = f"C1MOCK_{name.upper()}".ljust(28)
        lines += textwrap.wrap(
            meaning, 100, initial_indent=f"  {variable}", subsequent_indent=" " * 30
        )
    return "\n".join(lines)


def _parser() -> _Parser:
    parser = _Parser(prog="c1-mock", description=__doc__.split("\n\n")[0].replace("\n", " "))
    parser.add_argument("--version", action="version", version=f"c1-mock {version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = _serve_parser(sub)
    parser.setting_flags = {a.dest: a.option_strings[0] for a in serve._actions if a.option_strings}
    db = sub.add_parser("db", help="database commands").add_subparsers(
        dest="db_command", required=True
    )
    db.add_parser("upgrade", help="apply the migrations").add_argument("--database-url")
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
    sub.add_parser("secret", help="print a new client secret in C1's format, for seed documents")
    health = sub.add_parser("healthcheck", help="ask a server for /healthz; exit 0 when healthy")
    health.add_argument("--url", help="the server's base URL (default: from the C1MOCK_ settings)")
    health.add_argument("--port", type=int, help="the port, without --url (default 8080)")
    health.add_argument("--ca", type=Path, help="CA certificate (PEM) to trust for https")
    health.add_argument("--tls-dir", help="the local CA's directory, from serve --tls")
    return parser


def settings_from(args: argparse.Namespace, parser: _Parser) -> Settings:
    """Environment (C1MOCK_*) first, then the flags given on the command line."""
    flags = {k: v for k, v in vars(args).items() if v is not None and k in Settings.model_fields}
    try:
        return Settings(**flags)
    except ValidationError as exc:
        fail(describe(exc, parser.setting_flags))


@contextmanager
def usable_database(settings: Settings) -> Iterator[None]:
    """What the settings need from this machine, and a database that cannot be reached or
    opened, are settings that cannot work."""
    from sqlalchemy.exc import SQLAlchemyError

    from .server.startup import database_problem

    unusable = settings.unusable_here()
    if unusable is not None:
        fail(named(*unusable, _parser().setting_flags))
    try:
        yield
    except SQLAlchemyError as exc:
        fail(database_problem(settings.database_url, exc))


def serve(settings: Settings) -> None:
    import uvicorn

    from .server import startup

    with usable_database(settings):  # checked before anything is made
        tls_files = _tls_files(settings)
        admin = _prepare(settings)
    print(startup.summary(settings, tls=tls_files, admin=admin), file=sys.stderr, flush=True)
    os.environ.update(settings.env())  # worker processes read their settings from here
    ssl_options: dict[str, Any] = {}
    if tls_files is not None:
        ssl_options = {"ssl_certfile": str(tls_files.cert), "ssl_keyfile": str(tls_files.key)}
    uvicorn.run(
        f"{__package__}.main:create_app_from_env",
        factory=True,
        **uvicorn_options(settings),
        **ssl_options,
    )


def _tls_files(settings: Settings) -> TLSFiles | None:
    from .server import tls

    try:
        return tls.prepare(settings)
    except tls.TLSError as exc:
        fail(str(exc))


def _prepare(settings: Settings) -> str:
    """Migrate, then make sure of the signing key, the seed and the admin; one line on the admin."""
    from .core.db import Database
    from .core.ids import Random
    from .server import bootstrap

    db = Database(settings.database_url)
    try:  # deterministic mode: the signing key and a generated admin come from the seed
        return bootstrap.prepare(db, settings, Random(settings.random_seed))
    except bootstrap.SettingRefused as exc:
        fail(str(exc))
    finally:
        db.dispose()


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

    with usable_database(settings):
        db = Database(settings.database_url)
        migrate.upgrade(db.engine)
        db.dispose()
    print("c1-mock: database is at the latest migration", file=sys.stderr)


def print_secret() -> None:
    from .core.crypto import new_secret
    from .core.ids import Random

    print(new_secret(Random())[0])


def healthcheck(settings: Settings, args: argparse.Namespace) -> NoReturn:
    from .server import healthcheck as health

    if args.ca is not None and not args.ca.is_file():
        fail(f"--ca: {args.ca} is not a file")
    target = args.url or health.base_url(settings)
    trust = health.verify(settings, ca=args.ca, given_url=args.url is not None)
    healthy, found = health.check(target, trust=trust)
    print(found, flush=True)
    sys.exit(0 if healthy else 1)


def main(argv: list[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "secret":
        print_secret()
        return
    settings = settings_from(args, parser)
    if args.command == "serve":
        serve(settings)
    elif args.command == "db":
        db_upgrade(settings)
    elif args.command == "healthcheck":
        healthcheck(settings, args)
    else:
        _admin(args, settings)


def _admin(args: argparse.Namespace, settings: Settings) -> None:
    from .server import admins

    with usable_database(settings):
        if args.admin_command == "create":
            admins.create(settings)
        elif args.admin_command == "list":
            admins.list_all(settings)
        else:
            admins.revoke(settings, args.client_id)


if __name__ == "__main__":
    main()

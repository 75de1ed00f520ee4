"""Alembic environment. The caller passes a live connection (c1_mock.core.migrate) or a URL
(alembic.ini, for developers' own `alembic` runs)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, text

from c1_mock.core.db import make_engine
from c1_mock.core.models import Base

# Two servers starting at once on one PostgreSQL database must not both migrate it.
_PG_MIGRATION_LOCK = 0x6331_6D6F_636B


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()

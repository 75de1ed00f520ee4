"""Apply the Alembic migrations in `migrations/` to a database."""

from __future__ import annotations

from importlib.resources import files
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from .db import WRITE

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported only when migrating: `c1-mock serve` migrates once in its parent process,
# and its workers, which import this module through app.main, start faster without it.

# The newest revision in migrations/versions (tests/test_migrations.py keeps the two in step): a
# restart on a database already there skips Alembic altogether, a fifth of the start-up time.
HEAD = "0005_journal_indexes"
# The repository's migrations/ folder, installed as c1_mock.migrations.
MIGRATIONS = __name__.rsplit(".", 2)[0] + ".migrations"


def is_current(engine: Engine) -> bool:
    """Whether the database is already at HEAD."""
    try:
        with engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:  # no alembic_version table yet: a new database
        return False
    return version == HEAD


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(files(MIGRATIONS)))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`; safe to run from several processes at once."""
    if revision == "head" and is_current(engine):
        return
    from alembic import command

    config = alembic_config()
    with engine.connect().execution_options(**WRITE) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    config = alembic_config()
    with engine.connect().execution_options(**WRITE) as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

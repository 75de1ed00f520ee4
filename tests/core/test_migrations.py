"""The Alembic migrations and app.models agree, and every migration can be undone and redone."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from c1_mock.core import migrate
from c1_mock.core.db import Database, normalise_url
from c1_mock.core.models import Base
from tests.helpers import PG_ENV


def _differences(url: str) -> list[object]:
    engine = create_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, Base.metadata)
    engine.dispose()
    return list(diffs)


def test_migrated_database_matches_the_models(database_url: str) -> None:
    assert _differences(database_url) == []


def test_there_is_one_head_and_the_fast_path_knows_it() -> None:
    heads = ScriptDirectory.from_config(migrate.alembic_config()).get_heads()
    assert heads == [migrate.HEAD]


@pytest.fixture(params=["sqlite", "postgresql"] if os.environ.get(PG_ENV) else ["sqlite"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own (the shared test databases must stay migrated)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    admin_url = normalise_url(os.environ[PG_ENV])
    name = f"c1mock_migrations_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _tables(db: Database) -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_downgrade_to_base_and_upgrade_again(empty_url: str) -> None:
    db = Database(empty_url)
    migrate.upgrade(db.engine)
    assert _tables(db) == set(Base.metadata.tables)
    migrate.downgrade(db.engine, "base")
    assert _tables(db) == set()
    migrate.upgrade(db.engine)
    assert _tables(db) == set(Base.metadata.tables)
    db.dispose()
    assert _differences(empty_url) == []


def test_upgrade_twice_is_harmless(empty_url: str) -> None:
    db = Database(empty_url)
    migrate.upgrade(db.engine)
    migrate.upgrade(db.engine)
    db.dispose()
    assert _differences(empty_url) == []


def test_clients_made_before_token_binding_get_a_binding_each(empty_url: str) -> None:
    db = Database(empty_url)
    migrate.upgrade(db.engine, "0001_initial")
    with db.engine.begin() as conn:
        for name in ("one", "two"):
            conn.execute(
                text(
                    "INSERT INTO admin_clients (client_id, secret_hash, public_key, source, "
                    "created_at, last_used_at) VALUES (:id, 'h', NULL, 'cli', :at, NULL)"
                ),
                {"id": f"{name}@acme.conductor.one/spc", "at": "2026-01-01 00:00:00"},
            )
    migrate.upgrade(db.engine)
    with db.engine.connect() as conn:
        bindings = conn.execute(text("SELECT binding FROM admin_clients")).scalars().all()
    db.dispose()
    assert len(set(bindings)) == 2 and all(len(b) >= 16 for b in bindings)


def test_an_admin_from_before_admin_users_becomes_a_user_without_a_name(empty_url: str) -> None:
    db = Database(empty_url)
    migrate.upgrade(db.engine, "0001_initial")
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO admin_clients (client_id, secret_hash, source, created_at)"
                " VALUES ('old-admin-00001@acme.conductor.one/spc', 'x', 'cli', :now)"
            ),
            {"now": datetime(2026, 1, 1)},
        )
    migrate.upgrade(db.engine)
    with db.engine.connect() as conn:
        user = conn.execute(text("SELECT user_display_name, user_email FROM admin_clients")).one()
    migrate.downgrade(db.engine, "0002_binding")
    with db.engine.connect() as conn:
        kept = conn.execute(text("SELECT client_id FROM admin_clients")).scalars().all()
    db.dispose()
    assert tuple(user) == ("", "")
    assert kept == ["old-admin-00001@acme.conductor.one/spc"]

"""The hot statements run on the driver's connection (c1_mock.core.driver) answer what the same
statements answer through SQLAlchemy, on each backend: the column types' values both ways, row
and a driver's error as the database error the request path maps to its status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import bindparam, insert, select

from c1_mock.core import driver
from c1_mock.core.db import Database, error_of
from c1_mock.core.errors import Aborted
from c1_mock.core.models import AuthFailure, UsedNonce

NONCES = UsedNonce.__table__
ADD_NONCE = driver.Statement(
    insert(NONCES).values(driver.binds(NONCES, "client_id", "value", "expires_at"))
)
NONCE_EXPIRY = driver.Statement(
    select(NONCES.c.expires_at).where(NONCES.c.value == bindparam("value"))
)
FAILURES = AuthFailure.__table__
ADD_FAILURE = driver.Statement(insert(FAILURES).values(driver.binds(FAILURES, "key", "at")))


def test_values_go_in_and_come_out_as_their_column_types_say(database_url: str) -> None:
    db = Database(database_url)
    at = datetime(2031, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    try:
        with db.session(write=True) as session:
            connection = driver.of(session)
            values = {"client_id": "a@t/tcc", "value": "nonce:1", "expires_at": at}
            assert ADD_NONCE.count(connection, values) == 1
            assert NONCE_EXPIRY.scalar(connection, {"value": "nonce:1"}) == at  # aware UTC
            assert NONCE_EXPIRY.first(connection, {"value": "nonce:2"}) is None
        with db.session() as session:  # the session sees what the driver wrote, as stored
            stored = session.scalar(select(UsedNonce.expires_at))
            assert stored == at
    finally:
        db.dispose()


def test_a_naive_time_is_refused_as_through_the_orm(database_url: str) -> None:
    db = Database(database_url)
    try:
        with db.session(write=True) as session, pytest.raises(ValueError, match="naive"):
            ADD_FAILURE.count(driver.of(session), {"key": "k", "at": datetime(2030, 1, 1)})
    finally:
        db.dispose()


def test_a_unique_key_collision_is_a_conflict_to_retry_never_a_500(database_url: str) -> None:
    db = Database(database_url)
    later = datetime.now(UTC) + timedelta(minutes=5)
    values = {"client_id": "a@t/tcc", "value": "nonce:same", "expires_at": later}
    try:
        with db.session(write=True) as session:
            connection = driver.of(session)
            ADD_NONCE.count(connection, values)
            with pytest.raises(Exception) as raised:
                ADD_NONCE.count(connection, values)
            session.rollback()
        assert isinstance(error_of(raised.value), Aborted)  # 409 with Retry-After
    finally:
        db.dispose()

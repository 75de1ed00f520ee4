"""The brute-force guard of the token endpoint: after `max_failed_auths` failed client
authentications for one client id from one source address within `failed_auth_window` seconds,
further attempts for that client id from that address are refused with 429 until the oldest of
those failures leaves the window. Refused attempts are not counted, so the window is the whole
lockout; and because the count is per address (as Auth0's brute-force protection counts), a
client that sends wrong secrets for another's client id locks out only itself.

Failures live in the database (table auth_failures) so that every worker and replica shares
them, under a keyed digest of client id and address (nothing a client sent is stored: a confused
client's secret sent as its client id included); times follow the server clock, so tests can end
a lockout by advancing it.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, delete, func, insert, select

from ..control import clock
from ..core import driver
from ..core.errors import Answered, invalid_client, oauth
from ..core.models import AuthFailure


def too_many_attempts(retry_after: int) -> Answered:
    """RFC 6749 section 5.2 body, with RFC 6585 429 and RFC 9110 Retry-After."""
    return oauth(
        "temporarily_unavailable",
        "too many failed authentications for this client; retry later",
        status=429,
        headers={"Retry-After": str(retry_after)},
    )


# Run for every token request: built once, on the table's columns, run on the driver
# (core/driver.py).
_FAILURES = cast(Table, AuthFailure.__table__).c
_RECENT = driver.Statement(
    select(_FAILURES.at)
    .where(_FAILURES.key == bindparam("key"))
    .where(_FAILURES.at > bindparam("since"), _FAILURES.at <= bindparam("now"))
    .order_by(_FAILURES.at.desc())
    .limit(bindparam("limit"))
)
# A failure: the lock on its key (PostgreSQL), the failures past the window dropped, it added.
_LOCK_KEY = driver.Statement(select(func.pg_advisory_xact_lock(func.hashtext(bindparam("key")))))
_TABLE = cast(Table, AuthFailure.__table__)
_FORGET = driver.Statement(delete(_TABLE).where(_FAILURES.at <= bindparam("until")))
_ADD = driver.Statement(insert(_TABLE).values(driver.binds(_TABLE, "key", "at")))


def check(db: driver.On, *, key: str, limit: int, window: int, now: datetime) -> None:
    """Raise 429 while `key` has `limit` or more failures in the last `window` seconds."""
    locked_out = _lockout(driver.on(db), key=key, limit=limit, window=window, now=now)
    if locked_out is not None:
        raise locked_out


def refuse(
    db: driver.On, *, key: str, limit: int, window: int, now: datetime, description: str
) -> Answered:
    """The answer to a failed authentication, counted: 401 invalid_client, or 429 when failures
    that committed meanwhile have reached the limit. On PostgreSQL a lock on the key makes the
    count and the new failure one step (SQLite's write lock already does), so at most `limit`
    failures are answered 401 per window, however many arrive at once."""
    connection = driver.on(db)
    if connection.name == "postgresql":
        _LOCK_KEY.first(connection, {"key": key})
    now = clock.under_lock(connection, now)  # a failure that committed meanwhile is not ahead
    locked_out = _lockout(connection, key=key, limit=limit, window=window, now=now)
    if locked_out is not None:
        return locked_out
    _FORGET.count(connection, {"until": now - timedelta(seconds=window)})
    _ADD.count(connection, {"key": key, "at": now})
    return invalid_client(description)


def _lockout(
    connection: driver.Connection, *, key: str, limit: int, window: int, now: datetime
) -> Answered | None:
    since = now - timedelta(seconds=window)
    values = {"key": key, "since": since, "now": now, "limit": limit}
    recent = _RECENT.scalars(connection, values)
    if len(recent) < limit:
        return None
    # The lockout ends when the limit-th most recent failure leaves the window.
    ends = recent[-1] + timedelta(seconds=window)
    return too_many_attempts(max(1, math.ceil((ends - now).total_seconds())))

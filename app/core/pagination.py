"""Page tokens and sizes for the List operations: pageSize defaults to 100 and is at most 1000;
nextPageToken is "" on the last page; a bad token is 400.

Page tokens of stored lists are keyset positions (the ordering key of the last item shown), so a
client that changes the list while it pages through it (deletes what it has listed, say) still
sees every item that existed throughout. They are opaque to clients: base64url of a versioned
JSON array. The announced services of a bridge, a small list the appliance replaces as a whole,
are paged by offset.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from .crypto import b64url, b64url_decode
from .errors import InvalidArgument

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_KEYSET, _OFFSET = "k1", "o1"

T = TypeVar("T")


def page_size(requested: int | None) -> int:
    if requested is None or requested == 0:
        return DEFAULT_PAGE_SIZE
    if requested < 0:
        raise InvalidArgument("pageSize must not be negative")
    return min(requested, MAX_PAGE_SIZE)


def _token(kind: str, *position: Any) -> str:
    return b64url(json.dumps([kind, *position], separators=(",", ":")).encode())


def _position(token: str | None, kind: str) -> list[Any] | None:
    """What a page token of this kind holds, or InvalidArgument for anything else."""
    if not token:
        return None
    try:
        decoded = json.loads(b64url_decode(token))
    except (ValueError, UnicodeDecodeError, binascii.Error, RecursionError):
        raise InvalidArgument("invalid pageToken") from None
    if not (isinstance(decoded, list) and decoded and decoded[0] == kind):
        raise InvalidArgument("invalid pageToken")
    return decoded[1:]


def paginate(
    session: Session,
    query: Select[Any],
    *,
    key: tuple[InstrumentedAttribute[datetime], InstrumentedAttribute[str]],
    size: int | None,
    token: str | None,
) -> tuple[Sequence[Any], str]:
    """One page of `query` in the order of `key` (a timestamp and a unique id), and the token of
    the next one, or ""."""
    limit = page_size(size)
    after = _keyset(_position(token, _KEYSET))
    if after is not None:
        query = query.where(tuple_(*key) > tuple_(*after))
    rows = session.scalars(query.order_by(*key).limit(limit + 1)).all()
    if len(rows) <= limit:
        return rows, ""
    last = rows[limit - 1]
    stamp, ident = (getattr(last, column.key) for column in key)
    return rows[:limit], _token(_KEYSET, stamp.isoformat(), ident)


def _keyset(position: list[Any] | None) -> tuple[datetime, str] | None:
    if position is None:
        return None
    if not (len(position) == 2 and all(isinstance(p, str) and len(p) <= 64 for p in position)):
        raise InvalidArgument("invalid pageToken")
    try:
        stamp = datetime.fromisoformat(position[0])
    except ValueError:
        raise InvalidArgument("invalid pageToken") from None
    if stamp.tzinfo is None:
        raise InvalidArgument("invalid pageToken")
    return stamp, position[1]


def slice_list(
    items: Sequence[T], *, size: int | None, token: str | None
) -> tuple[Sequence[T], str]:
    """One page of an in-memory list and the token of the next one, or ""."""
    limit = page_size(size)
    position = _position(token, _OFFSET)
    offset = 0
    if position is not None:
        if not (len(position) == 1 and type(position[0]) is int and position[0] >= 0):
            raise InvalidArgument("invalid pageToken")
        offset = position[0]
    more = len(items) > offset + limit
    return items[offset : offset + limit], _token(_OFFSET, offset + limit) if more else ""

"""Page tokens and sizes for the List operations: pageSize defaults to 100 and is at most 1000;
nextPageToken is "" on the last page; a bad token is 400."""

from __future__ import annotations

import binascii
from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

from .crypto import b64url, b64url_decode
from .errors import InvalidArgument

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_PREFIX = "offset:"

T = TypeVar("T")


def page_size(requested: int | None) -> int:
    if requested is None or requested == 0:
        return DEFAULT_PAGE_SIZE
    if requested < 0:
        raise InvalidArgument("pageSize must not be negative")
    return min(requested, MAX_PAGE_SIZE)


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        text = b64url_decode(token).decode()
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise InvalidArgument("invalid pageToken") from None
    digits = text[len(_PREFIX) :]
    # At most 18 digits: a larger OFFSET overflows SQLite's and PostgreSQL's 64-bit integers.
    if not text.startswith(_PREFIX) or not (digits.isascii() and digits.isdigit()):
        raise InvalidArgument("invalid pageToken")
    if len(digits) > 18:
        raise InvalidArgument("invalid pageToken")
    return int(text[len(_PREFIX) :])


def _next(offset: int, limit: int, more: bool) -> str:
    return b64url(f"{_PREFIX}{offset + limit}".encode()) if more else ""


def slice_list(
    items: Sequence[T], *, size: int | None, token: str | None
) -> tuple[Sequence[T], str]:
    """One page of an in-memory list and the token of the next one, or ""."""
    limit, offset = page_size(size), _offset(token)
    return items[offset : offset + limit], _next(offset, limit, len(items) > offset + limit)


def paginate(
    session: Session, query: Select[T], *, size: int | None, token: str | None
) -> tuple[Sequence[T], str]:
    """One page of `query` (which must be ordered) and the token of the next one, or ""."""
    limit, offset = page_size(size), _offset(token)
    rows = session.scalars(query.offset(offset).limit(limit + 1)).all()
    return rows[:limit], _next(offset, limit, len(rows) > limit)

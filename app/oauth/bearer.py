"""The caller behind a bearer token: an access token of ours whose client record is the one it was
issued to, and still usable."""

from __future__ import annotations

from datetime import datetime

from ..core import driver
from ..core.crypto import constant_time_equals
from ..core.errors import Unauthenticated
from . import clients
from .clients import Principal
from .jwts import JWTRejected
from .signer import Signer


def authenticate(db: driver.On, *, token: str, signer: Signer, now: datetime) -> Principal:
    """The principal behind an access token, while its client is still usable: revoking,
    expiring, deleting or replacing a credential (or an admin client) stops its tokens at once."""
    try:
        issued = signer.verify(token, now=now)
    except JWTRejected:
        raise Unauthenticated("invalid or expired access token") from None
    record = clients.find(db, client_id=issued.client_id)
    if record is None or not record.is_usable(now):
        raise Unauthenticated("invalid or expired access token")
    if not constant_time_equals(record.binding, issued.binding):  # replaced since
        raise Unauthenticated("invalid or expired access token")
    return record.principal

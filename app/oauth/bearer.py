"""The caller behind a bearer token: an access token of ours whose client is still usable."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..core.errors import Unauthenticated
from . import clients
from .clients import Principal
from .jwts import JWTRejected
from .signer import Signer


def authenticate(session: Session, *, token: str, signer: Signer, now: datetime) -> Principal:
    """The principal behind an access token, while its client is still usable: revoking,
    expiring or deleting a credential stops its tokens at once."""
    try:
        client_id = signer.client_id_of(token, now=now)
    except JWTRejected:
        raise Unauthenticated("invalid or expired access token") from None
    record = clients.find(session, client_id=client_id)
    if record is None or not clients.is_usable(record, now):
        raise Unauthenticated("invalid or expired access token")
    return clients.principal(record)

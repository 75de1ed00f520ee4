"""The token request's form (RFC 6749 4.4.2, with the client authentication of section 2.3.1
or RFC 7523 section 2.2)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from ..core.errors import ApiError, invalid_request, oauth
from .jwts import ASSERTION_TYPE
from .service import TokenRequest

MAX_FORM_FIELDS = 16
_FORM_TYPE = "application/x-www-form-urlencoded"


def _fields(body: bytes, content_type: str) -> dict[str, str]:
    """The form's fields; RFC 6749 section 3.2: no parameter may be repeated."""
    if content_type.split(";")[0].strip().lower() != _FORM_TYPE:
        raise invalid_request(f"the body must be {_FORM_TYPE}")
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            max_num_fields=MAX_FORM_FIELDS,
            errors="strict",
        )
    except (UnicodeDecodeError, ValueError):
        raise invalid_request("the form is not valid UTF-8 url-encoded data") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise invalid_request(f"parameter {name} is repeated")
        fields[name] = value
    return fields


def client_named(body: bytes, content_type: str) -> str:
    """The client_id a token request names, unchecked (for injected faults to match), or ""."""
    try:
        return _fields(body, content_type).get("client_id", "")
    except ApiError:
        return ""


def parse(body: bytes, content_type: str, authorization: str) -> TokenRequest:
    """The client credentials grant asked for, or invalid_request (unsupported_grant_type)."""
    if authorization:
        raise invalid_request(
            "client credentials must be sent in the request body, not the Authorization header"
        )
    fields = _fields(body, content_type)
    grant = fields.get("grant_type")
    if not grant:
        raise invalid_request("grant_type is required")
    if grant != "client_credentials":
        raise oauth("unsupported_grant_type", "only grant_type=client_credentials is supported")
    client_id = fields.get("client_id")
    if not client_id:
        raise invalid_request("client_id is required")
    if not client_id.isprintable():  # PostgreSQL cannot even compare a NUL: both backends alike
        raise invalid_request("client_id holds control characters")
    secret, assertion = fields.get("client_secret"), fields.get("client_assertion")
    if secret is not None and assertion is not None:
        raise invalid_request("use one client authentication method, not both")
    if assertion is not None and fields.get("client_assertion_type") != ASSERTION_TYPE:
        raise invalid_request(f"client_assertion_type must be {ASSERTION_TYPE}")
    if secret is None and assertion is None:
        raise invalid_request("client_secret or client_assertion is required")
    return TokenRequest(client_id=client_id, client_secret=secret, client_assertion=assertion)

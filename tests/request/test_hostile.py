"""Hostile input: each is answered 4xx with the right error body (C1's on the API, RFC 6749's on
the token endpoint), and changes nothing: the bridges and credentials read the same afterwards and
the genuine credential still gets a token."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from starlette.testclient import TestClient

from c1_mock.core.crypto import decode_secret, public_key_text
from c1_mock.testing.process import ServerProcess
from tests.helpers import (
    TENANT,
    assertion_form,
    bearer,
    claims_for,
    go_assertion,
    secret_form,
    sign,
    stored,
)

API = "/api/v1/iam/tunnel"
HOSTILE_IDS = [
    "../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "%2F",
    "a%2Fb",
    "%00",
    "abc%00def",
    "' OR '1'='1",
    "1; DROP TABLE bridges; --",
    '" OR 1=1 --',
    "a" * 10_000,
    "\u202egnp.exe",
    "\u05e9\u05dc\u05d5\u05dd",
    "🔥🌉🦊",
    "%ff%fe",
]
C1_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 409: 10, 413: 3, 415: 3, 429: 8}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def assert_c1_error(response: Any) -> None:
    assert 400 <= response.status_code < 500, response.text
    body = response.json()
    assert set(body) == {"code", "message", "details"}, body
    assert body["code"] == C1_CODES[response.status_code], body
    assert body["details"] == []


def assert_oauth_error(response: Any, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "error_description"}, body
    assert body["error"] == error


def assert_still_works(client: TestClient, credential: dict[str, Any]) -> None:
    form = secret_form(credential["clientId"], credential["clientSecret"])
    assert client.post("/auth/v1/token", data=form).status_code == 200


@pytest.mark.parametrize("hostile", HOSTILE_IDS, ids=lambda v: repr(v[:20]))
@pytest.mark.parametrize(
    ("method", "template"),
    [
        ("GET", "/bridges/{}"),
        ("PATCH", "/bridges/{}"),
        ("DELETE", "/bridges/{}"),
        ("POST", "/bridges/{}/credentials"),
        ("GET", "/bridges/{}/credentials"),
        ("GET", "/bridges/{}/announced_services"),
        ("DELETE", "/credentials/{}"),
    ],
)
def test_hostile_path_ids_are_4xx_with_c1_body_and_change_nothing(
    client: TestClient,
    admin: dict[str, str],
    credential: dict[str, Any],
    method: str,
    template: str,
    hostile: str,
) -> None:
    before = stored(client)
    # Sent as given (raw %xx escapes reach the server) and fully quoted (the server decodes).
    for text in {hostile, quote(hostile, safe="")}:
        body = {"displayName": "x"} if method == "PATCH" else {}
        response = client.request(
            method, API + template.format(text), headers=admin, json=body, follow_redirects=False
        )
        assert_c1_error(response)
    assert stored(client) == before
    assert_still_works(client, credential)


def test_body_over_one_mebibyte_is_413_on_the_api(
    client: TestClient, admin: dict[str, str], credential: dict[str, Any]
) -> None:
    before = stored(client)
    big = json.dumps({"displayName": "x" * (1024 * 1024 + 1)})
    response = client.post(
        f"{API}/bridges", content=big, headers={**admin, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert_c1_error(response)
    assert stored(client) == before


def test_body_over_one_mebibyte_is_413_on_the_token_endpoint(
    client: TestClient, credential: dict[str, Any]
) -> None:
    form = secret_form(credential["clientId"], credential["clientSecret"])
    form["padding"] = "x" * (1024 * 1024)
    assert_oauth_error(client.post("/auth/v1/token", data=form), 413, "invalid_request")
    assert_still_works(client, credential)


def test_form_with_100000_fields_is_refused(client: TestClient, credential: dict[str, Any]) -> None:
    form = secret_form(credential["clientId"], credential["clientSecret"])
    body = "&".join(f"{k}={quote(v)}" for k, v in form.items()) + "&x=1" * 100_000
    response = client.post(
        "/auth/v1/token",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_oauth_error(response, 400, "invalid_request")
    assert_still_works(client, credential)


@pytest.mark.parametrize(
    "body",
    [
        b"grant_type=client_credentials&client_id=\xff\xfe&client_secret=x",
        b"grant_type=client_credentials&client_id=%ff%fe&client_secret=x",
        b"\xc3\x28=\xa0\xa1",
    ],
)
def test_invalid_utf8_form_is_invalid_request(client: TestClient, body: bytes) -> None:
    response = client.post(
        "/auth/v1/token",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_oauth_error(response, 400, "invalid_request")


@pytest.mark.parametrize(
    "content",
    [
        b'{"displayName": "\xff\xfe"}',
        b"{",
        b'{"displayName": ',
        b"[]",
        b"null",
        b'"bridge"',
        b"[" * 200_000 + b"]" * 200_000,
        b'{"displayName": ' * 50_000,
        b'{"displayName": 1e999999}',
        b'{"displayName": NaN}',
        b'{"displayName": "\\ud800"}',
        b'{"displayName": "a\\u0000b"}',
        b'{"displayName": ["x"]}',
        b'{"displayName": {"$ne": null}}',
    ],
    ids=lambda b: repr(b[:24]),
)
def test_malformed_json_is_400_with_c1_body_and_creates_nothing(
    client: TestClient, admin: dict[str, str], content: bytes
) -> None:
    before = stored(client)
    response = client.post(
        f"{API}/bridges", content=content, headers={**admin, "Content-Type": "application/json"}
    )
    assert_c1_error(response)
    assert stored(client) == before


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""]
)
def test_wrong_content_type_on_the_api_is_4xx_and_creates_nothing(
    client: TestClient, admin: dict[str, str], content_type: str
) -> None:
    before = stored(client)
    response = client.post(
        f"{API}/bridges",
        content=b"displayName=x",
        headers={**admin, "Content-Type": content_type},
    )
    assert_c1_error(response)
    assert stored(client) == before


@pytest.mark.parametrize(
    "content_type", ["application/json", "text/plain", "multipart/form-data; boundary=x", ""]
)
def test_wrong_content_type_on_the_token_endpoint_is_invalid_request(
    client: TestClient, credential: dict[str, Any], content_type: str
) -> None:
    form = secret_form(credential["clientId"], credential["clientSecret"])
    content = (
        json.dumps(form)
        if "json" in content_type
        else "&".join(f"{k}={v}" for k, v in form.items())
    )
    response = client.post(
        "/auth/v1/token", content=content, headers={"Content-Type": content_type}
    )
    assert_oauth_error(response, 400, "invalid_request")


@pytest.mark.parametrize("name", ["grant_type", "client_id", "client_secret"])
def test_repeated_token_parameters_are_invalid_request(
    client: TestClient, credential: dict[str, Any], name: str
) -> None:
    form = secret_form(credential["clientId"], credential["clientSecret"])
    body = "&".join(f"{k}={quote(v)}" for k, v in form.items()) + f"&{name}={quote(form[name])}"
    response = client.post(
        "/auth/v1/token",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_oauth_error(response, 400, "invalid_request")


# --- JWTs -------------------------------------------------------------------------------------


def _claims(client_id: str) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": client_id,
        "sub": client_id,
        "aud": ["acme.conductor.one"],
        "exp": now + 120,
        "nbf": now - 120,
        "iat": now,
    }


def forge(secret: str, header: dict[str, Any] | bytes, claims: dict[str, Any] | bytes) -> str:
    """A compact JWS with exactly this header and payload, signed (EdDSA) with the secret's key."""
    key = decode_secret(secret)
    assert key is not None
    head = header if isinstance(header, bytes) else json.dumps(header).encode()
    body = claims if isinstance(claims, bytes) else json.dumps(claims).encode()
    signing_input = f"{_b64(head)}.{_b64(body)}"
    return f"{signing_input}.{_b64(key.sign(signing_input.encode()))}"


def _nonce() -> dict[str, str]:
    return {"alg": "EdDSA", "nonce": hashlib.sha256(str(time.time_ns()).encode()).hexdigest()[:32]}


def _hs256_with_public_key(client_id: str, secret: str) -> str:
    key = decode_secret(secret)
    assert key is not None
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps({**_claims(client_id), "jti": "hs"}).encode())
    mac_key = public_key_text(key).encode()
    sig = hmac.new(mac_key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(sig)}"


def _unsigned(alg: str) -> Callable[[str, str], str]:
    def make(client_id: str, secret: str) -> str:
        header = _b64(json.dumps({"alg": alg}).encode())
        return f"{header}.{_b64(json.dumps({**_claims(client_id), 'jti': alg}).encode())}."

    return make


def _with_header(**extra: Any) -> Callable[[str, str], str]:
    def make(client_id: str, secret: str) -> str:
        return forge(secret, {**_nonce(), **extra}, _claims(client_id))

    return make


def _with_claims(raw: Callable[[dict[str, Any]], bytes]) -> Callable[[str, str], str]:
    def make(client_id: str, secret: str) -> str:
        return forge(secret, _nonce(), raw(_claims(client_id)))

    return make


def _exp_raw(value: str) -> Callable[[dict[str, Any]], bytes]:
    def raw(claims: dict[str, Any]) -> bytes:
        claims.pop("exp")
        return json.dumps(claims)[:-1].encode() + f', "exp": {value}}}'.encode()

    return raw


def _segments(count: int) -> Callable[[str, str], str]:
    def make(client_id: str, secret: str) -> str:
        parts = go_assertion(client_id, secret).split(".")
        return ".".join((parts * 2)[:count])

    return make


FORGED_ASSERTIONS: dict[str, Callable[[str, str], str]] = {
    "two segments": _segments(2),
    "four segments": _segments(4),
    "jwe five segments": lambda c, s: ".".join(
        [_b64(b'{"alg":"RSA-OAEP","enc":"A256GCM"}'), "a", "b", "c", "d"]
    ),
    "jwe header on three segments": _with_header(enc="A256GCM"),
    "non-json header": lambda c, s: forge(s, b"not json", _claims(c)),
    "header is a list": lambda c, s: forge(s, b'["alg","EdDSA"]', _claims(c)),
    "non-json claims": lambda c, s: forge(s, _nonce(), b"{claims"),
    "exp as a string": _with_claims(_exp_raw('"9999999999"')),
    "exp 1e309": _with_claims(_exp_raw("1e309")),
    "exp NaN": _with_claims(_exp_raw("NaN")),
    "exp true": _with_claims(_exp_raw("true")),
    "crit header": _with_header(crit=["exp"], exp=1),
    "embedded jwk": _with_header(jwk={"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}),
    "jku": _with_header(jku="https://attacker.example/jwks"),
    "x5c": _with_header(x5c=["MIIB"]),
    "x5u": _with_header(x5u="https://attacker.example/cert"),
    "kid path traversal": _with_header(kid="../../../../dev/null"),
    "kid sql injection": _with_header(kid="' UNION SELECT 'key' --"),
    "oversized": lambda c, s: forge(s, _nonce(), {**_claims(c), "pad": "x" * 5000}),
    "alg none": _unsigned("none"),
    "alg None": _unsigned("None"),
    "alg NONE": _unsigned("NONE"),
    "HS256 with the public key": _hs256_with_public_key,
    "signed by another key": lambda c, s: go_assertion(c, _other_secret()),
}


def _other_secret() -> str:
    from tests.helpers import new_secret

    return new_secret()


@pytest.mark.parametrize("name", FORGED_ASSERTIONS)
def test_forged_assertions_are_invalid_client_and_consume_nothing(
    client: TestClient, admin: dict[str, str], credential: dict[str, Any], name: str
) -> None:
    before = stored(client)
    assertion = FORGED_ASSERTIONS[name](credential["clientId"], credential["clientSecret"])
    response = client.post("/auth/v1/token", data=assertion_form(credential["clientId"], assertion))
    assert_oauth_error(response, 401, "invalid_client")
    assert stored(client) == before
    good = go_assertion(credential["clientId"], credential["clientSecret"])
    ok = client.post("/auth/v1/token", data=assertion_form(credential["clientId"], good))
    assert ok.status_code == 200, ok.text


def test_oversized_assertion_is_refused_before_any_signature_check(
    client: TestClient, credential: dict[str, Any]
) -> None:
    # Not even base64: a decoder would choke on it; the length check refuses it first.
    form = assertion_form(credential["clientId"], "!" * 100_000)
    assert_oauth_error(client.post("/auth/v1/token", data=form), 401, "invalid_client")


def test_access_token_used_as_an_assertion_is_invalid_client(
    client: TestClient, admin_token: str, settings: Any
) -> None:
    form = assertion_form(settings.admin_client_id, admin_token)
    assert_oauth_error(client.post("/auth/v1/token", data=form), 401, "invalid_client")


def test_assertion_used_as_a_bearer_token_is_401(
    client: TestClient, credential: dict[str, Any]
) -> None:
    assertion = go_assertion(credential["clientId"], credential["clientSecret"])
    response = client.get("/api/v1/auth/introspect", headers=bearer(assertion))
    assert response.status_code == 401
    assert_c1_error(response)
    # ...and it was not spent: it still works once at the token endpoint.
    form = assertion_form(credential["clientId"], assertion)
    assert client.post("/auth/v1/token", data=form).status_code == 200


@pytest.mark.parametrize("alg", ["none", "None", "HS256"])
def test_forged_bearer_tokens_are_401(
    client: TestClient, admin_token: str, admin: dict[str, str], alg: str
) -> None:
    head, payload, _ = admin_token.split(".")
    header = json.loads(base64.urlsafe_b64decode(head + "=="))
    forged_head = _b64(json.dumps({**header, "alg": alg}).encode())
    jwks = client.get("/auth/v1/jwks").json()["keys"][0]
    sig = ""
    if alg == "HS256":
        mac = hmac.new(jwks["x"].encode(), f"{forged_head}.{payload}".encode(), hashlib.sha256)
        sig = _b64(mac.digest())
    response = client.get(f"{API}/bridges", headers=bearer(f"{forged_head}.{payload}.{sig}"))
    assert response.status_code == 401
    assert_c1_error(response)


@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Bearer ", "Basic YWRtaW46YWRtaW4=", "Bearer a.b", "Bearer " + "a" * 10_000],
)
def test_malformed_authorization_headers_are_401(client: TestClient, authorization: str) -> None:
    response = client.get(f"{API}/bridges", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert_c1_error(response)


@pytest.mark.parametrize("hostile", HOSTILE_IDS, ids=lambda v: repr(v[:20]))
def test_hostile_client_ids_at_the_token_endpoint_are_4xx_oauth_errors(
    client: TestClient, hostile: str
) -> None:
    response = client.post("/auth/v1/token", data=secret_form(hostile, "secret"))
    assert response.status_code in (400, 401), response.text
    assert set(response.json()) == {"error", "error_description"}


@pytest.mark.parametrize("control", ["\x00", "\x01", "\x7f", "a\x00b"])
def test_control_characters_get_the_same_answer_on_every_backend(
    client: TestClient, admin: dict[str, str], credential: dict[str, Any], control: str
) -> None:
    cid, secret = credential["clientId"], credential["clientSecret"]
    by_id = client.post("/auth/v1/token", data=secret_form(cid + control, secret))
    assert_oauth_error(by_id, 400, "invalid_request")
    for claim in ("nonce", "jti"):
        signed = sign(secret, claims_for(cid, **{claim: "n" + control}), {"typ": None})
        refused = client.post("/auth/v1/token", data=assertion_form(cid, signed))
        assert_oauth_error(refused, 401, "invalid_client")
    in_header = sign(secret, claims_for(cid), {"typ": None, "nonce": "n" + control})
    assert_oauth_error(
        client.post("/auth/v1/token", data=assertion_form(cid, in_header)), 401, "invalid_client"
    )
    for path in (f"{API}/bridges/{quote(control)}", f"{API}/credentials/x{quote(control)}"):
        response = client.get(path, headers=admin)
        assert response.status_code == 404
        assert_c1_error(response)
    assert_still_works(client, credential)


def _chunks(total: int) -> Iterator[bytes]:
    """A body sent in chunks, with no Content-Length."""
    for _ in range(total // 65536 + 1):
        yield b"x" * 65536


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        (f"{API}/bridges", "application/json"),
        ("/auth/v1/token", "application/x-www-form-urlencoded"),
        ("/_mock/seed", "application/yaml"),
    ],
)
def test_a_chunked_body_over_the_limit_is_413_on_every_route(
    client: TestClient, admin: dict[str, str], path: str, content_type: str
) -> None:
    headers = {**admin, "Content-Type": content_type} if path.startswith(API) else {}
    headers["Content-Type"] = content_type
    response = client.post(path, content=_chunks(1024 * 1024 + 1), headers=headers)

    assert response.status_code == 413
    body = response.json()
    assert body.get("code") == 3 or body.get("error") == "invalid_request"


@pytest.mark.process
def test_a_client_that_leaves_mid_body_is_journaled_once_as_499_and_logged_in_one_line(
    tmp_path: Path,
) -> None:
    env = {
        "C1MOCK_DATABASE_URL": f"sqlite:///{tmp_path / 'c1.db'}",
        "C1MOCK_TENANT_DOMAIN": TENANT,
    }
    with ServerProcess(env, log_path=tmp_path / "serve.log") as server:
        for path in ("/auth/v1/token", f"{API}/bridges"):
            with socket.create_connection(("127.0.0.1", server.port)) as raw:
                raw.sendall(
                    f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
                    "Content-Type: application/json\r\n\r\n{".encode()
                )
                time.sleep(0.3)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            journal = httpx.get(f"{server.url}/_mock/requests").json()["requests"]
            if len(journal) >= 2:
                break
            time.sleep(0.1)
        output = server.output()

    assert [(e["path"], e["status"]) for e in journal] == [
        ("/auth/v1/token", 499),
        (f"{API}/bridges", 499),
    ]
    assert "Traceback" not in output and "ERROR" not in output
    assert len([line for line in output.splitlines() if " 499 " in line]) == 2

"""POST /auth/v1/token and GET /auth/v1/jwks, through HTTP (issue 2, "POST /auth/v1/token")."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from starlette.testclient import TestClient

from c1_mock.config import Settings
from c1_mock.core.crypto import b64url, decode_secret
from tests.contract.openapi import check
from tests.helpers import (
    ADMIN_ID,
    ADMIN_SECRET,
    BRIDGES,
    TENANT,
    advance_clock,
    assertion_form,
    bearer,
    claims_for,
    create_bridge,
    go_assertion,
    in_process,
    introspect,
    list_credentials,
    mint,
    new_secret,
    py_assertion,
    secret_form,
    sign,
    token_response,
    token_with_assertion,
    token_with_secret,
    ts_assertion,
)

Credential = dict[str, Any]


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    body: dict[str, Any] = response.json()
    assert body["token_type"] == "Bearer"
    return body


def _invalid_client(response: Any) -> None:
    assert response.status_code == 401, response.text
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "client authentication failed",
    }
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_client"'
    assert response.headers["cache-control"] == "no-store"


def _invalid_request(response: Any) -> str:
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"
    description: str = response.json()["error_description"]
    return description


# --- the assertions C1's clients send ------------------------------------------------------


def test_assertion_built_as_the_go_sdk_builds_it_gets_a_token(
    client: TestClient, credential: Credential
) -> None:
    cid = credential["clientId"]
    assertion = go_assertion(cid, credential["clientSecret"])
    header = jwt.get_unverified_header(assertion)
    assert header.keys() == {"alg", "nonce"}  # no typ, as on the wire
    assert jwt.decode(assertion, options={"verify_signature": False})["aud"] == [TENANT]
    body = _ok(token_with_assertion(client, cid, assertion))
    assert body["expires_in"] == 3600
    assert introspect(client, body["access_token"]).json()["principleId"] == cid


def test_assertion_built_as_the_typescript_sdk_builds_it_gets_a_token(
    client: TestClient, credential: Credential
) -> None:
    cid = credential["clientId"]
    _ok(token_with_assertion(client, cid, ts_assertion(cid, credential["clientSecret"])))


def test_assertion_built_as_the_old_python_sdk_builds_it_gets_a_token(
    client: TestClient, credential: Credential
) -> None:
    cid = credential["clientId"]
    assertion = py_assertion(cid, credential["clientSecret"])
    claims = jwt.decode(assertion, options={"verify_signature": False})
    assert isinstance(claims["aud"], str) and "nonce" in claims
    _ok(token_with_assertion(client, cid, assertion))


def test_client_secret_post_gets_a_token_for_a_tunnel_credential_and_an_admin(
    client: TestClient, credential: Credential
) -> None:
    token = token_with_secret(client, credential["clientId"], credential["clientSecret"])
    assert introspect(client, token).status_code == 200
    assert token_with_secret(client, ADMIN_ID, ADMIN_SECRET)


def test_admin_with_a_c1_format_secret_may_use_private_key_jwt(client: TestClient) -> None:
    _ok(token_with_assertion(client, ADMIN_ID, go_assertion(ADMIN_ID, ADMIN_SECRET)))


# --- aud ---------------------------------------------------------------------------------


def test_aud_may_be_a_loopback_name_whatever_host_the_request_names(
    client: TestClient, credential: Credential
) -> None:
    # As a Go client with CONE_API_ENDPOINT=127.0.0.1:8443 signs it: the host without its port.
    cid, secret = credential["clientId"], credential["clientSecret"]
    for aud in (["127.0.0.1"], "127.0.0.1", ["localhost"], ["::1"], [TENANT]):
        form = assertion_form(cid, sign(secret, claims_for(cid, aud=aud)))
        _ok(token_response(client, form, headers={"Host": "127.0.0.1:8443"}))
    with_port = assertion_form(cid, sign(secret, claims_for(cid, aud="127.0.0.1:8443")))
    _invalid_client(token_response(client, with_port, headers={"Host": "127.0.0.1:8443"}))


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:443", TENANT])
def test_aud_taken_from_the_host_header_is_refused(
    client: TestClient, credential: Credential, host: str
) -> None:
    cid, secret = credential["clientId"], credential["clientSecret"]
    form = assertion_form(cid, sign(secret, claims_for(cid, aud=["attacker.example"])))

    _invalid_client(token_response(client, form, headers={"Host": host}))


def test_aud_may_be_a_name_given_in_the_audiences_setting(
    settings: Settings, credential: Credential
) -> None:
    cid, secret = credential["clientId"], credential["clientSecret"]
    with in_process(settings, audiences=["c1-mock", "sandbox.local"]) as other:
        for aud in ("c1-mock", "sandbox.local", TENANT):
            form = assertion_form(cid, sign(secret, claims_for(cid, aud=[aud])))
            _ok(token_response(other, form))
        refused = assertion_form(cid, sign(secret, claims_for(cid, aud=["c1-mock-2"])))
        _invalid_client(token_response(other, refused))


@pytest.mark.parametrize(
    "aud",
    [
        [TENANT, "other.example"],
        [TENANT, TENANT],
        [],
        "evil.example",
        ["evil.example"],
        None,
        42,
    ],
    ids=["two-elements", "twice", "empty", "other-host", "other-host-array", "absent", "number"],
)
def test_aud_other_than_one_accepted_name_is_refused(
    client: TestClient, credential: Credential, aud: Any
) -> None:
    cid = credential["clientId"]
    assertion = sign(credential["clientSecret"], claims_for(cid, aud=aud))
    _invalid_client(token_with_assertion(client, cid, assertion))


# --- exp, nbf, iat, iss, sub ---------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"exp": None},
        {"exp": "soon"},
        {"exp": 600},
        {"exp": 3600},
        {"exp": -120},
        {"nbf": 200, "exp": 250},
        {"iat": 200, "exp": 250},
        {"iss": "someone-else@acme.conductor.one/tcc"},
        {"sub": "someone-else@acme.conductor.one/tcc"},
    ],
    ids=[
        "no-exp",
        "exp-not-a-number",
        "exp-10-min-ahead",
        "exp-1-h-ahead",
        "expired",
        "nbf-in-future",
        "iat-in-future",
        "wrong-iss",
        "wrong-sub",
    ],
)
def test_assertion_with_bad_times_or_names_is_refused(
    client: TestClient, credential: Credential, overrides: dict[str, Any]
) -> None:
    now = int(time.time())
    relative = {k: now + v if isinstance(v, int) else v for k, v in overrides.items()}
    cid = credential["clientId"]
    assertion = sign(credential["clientSecret"], claims_for(cid, **relative))
    _invalid_client(token_with_assertion(client, cid, assertion))


def test_exp_five_minutes_ahead_and_nbf_within_leeway_are_accepted(
    client: TestClient, credential: Credential
) -> None:
    now = int(time.time())
    cid = credential["clientId"]
    claims = claims_for(cid, exp=now + 300, nbf=now + 5, iat=now + 5)
    _ok(token_with_assertion(client, cid, sign(credential["clientSecret"], claims)))


# --- nonce and jti: once each ----------------------------------------------------------------


def _with_jti_only(cid: str, secret: str) -> str:
    return sign(secret, claims_for(cid, jti="a-jti-used-once"), headers={})


@pytest.mark.parametrize(
    "build",
    [go_assertion, ts_assertion, py_assertion, _with_jti_only],
    ids=["header-nonce", "header-nonce-ts", "claims-nonce", "jti"],
)
def test_an_assertion_is_usable_once(
    client: TestClient, credential: Credential, build: Any
) -> None:
    cid = credential["clientId"]
    assertion = build(cid, credential["clientSecret"])
    _ok(token_with_assertion(client, cid, assertion))
    _invalid_client(token_with_assertion(client, cid, assertion))


def test_a_nonce_is_usable_once_even_in_a_new_assertion(
    client: TestClient, credential: Credential
) -> None:
    cid, secret = credential["clientId"], credential["clientSecret"]
    _ok(token_with_assertion(client, cid, sign(secret, claims_for(cid), {"nonce": "n-1"})))
    replay = sign(secret, claims_for(cid, iat=int(time.time()) - 1), {"nonce": "n-1"})
    _invalid_client(token_with_assertion(client, cid, replay))


def test_assertion_without_nonce_or_jti_is_refused(
    client: TestClient, credential: Credential
) -> None:
    cid = credential["clientId"]
    assertion = sign(credential["clientSecret"], claims_for(cid), headers={})
    _invalid_client(token_with_assertion(client, cid, assertion))


@pytest.fixture
def lenient(settings: Settings) -> Iterator[TestClient]:
    """Without the brute-force guard getting in the way of many failures at once."""
    with in_process(settings, max_failed_auths=1000) as test_client:
        yield test_client


def test_one_assertion_sent_by_many_threads_at_once_gets_exactly_one_token(
    lenient: TestClient,
) -> None:
    admin = bearer(token_with_secret(lenient, ADMIN_ID, ADMIN_SECRET))
    credential = mint(lenient, admin, create_bridge(lenient, admin)["id"])
    cid = credential["clientId"]
    form = assertion_form(cid, go_assertion(cid, credential["clientSecret"]))
    start = threading.Barrier(16)
    statuses: list[int] = []

    def send() -> None:
        start.wait()
        statuses.append(lenient.post("/auth/v1/token", data=form).status_code)

    threads = [threading.Thread(target=send) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [401] * 15


# --- algorithms and keys -----------------------------------------------------------------------


def _compact(header: dict[str, Any], claims: dict[str, Any], signature: bytes) -> str:
    parts = [json.dumps(header).encode(), json.dumps(claims).encode()]
    return ".".join([*(b64url(p) for p in parts), b64url(signature)])


def _hs256_with_public_key(secret: str, claims: dict[str, Any], *, as_text: bool) -> str:
    """HS256 with the client's public key as the HMAC secret (the classic key-confusion attack)."""
    key = decode_secret(secret)
    assert key is not None
    public = key.public_key().public_bytes_raw()
    mac_key = b64url(public).encode() if as_text else public
    header = {"alg": "HS256", "typ": "JWT", "nonce": "hs"}
    signing_input = ".".join(b64url(json.dumps(p).encode()) for p in (header, claims))
    mac = hmac.new(mac_key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


def _forged(kind: str, cid: str, secret: str) -> str:
    claims = claims_for(cid)
    if kind.startswith("none"):
        signature = b"" if kind == "none" else b"x" * 64
        return _compact({"alg": "none", "nonce": "n"}, claims, signature)
    if kind.startswith("hs256"):
        return _hs256_with_public_key(secret, claims, as_text=kind.endswith("text"))
    if kind == "rs256":
        rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return jwt.encode(claims, rsa_key, algorithm="RS256", headers={"nonce": "r"})
    if kind == "es256":
        ec_key = ec.generate_private_key(ec.SECP256R1())
        return jwt.encode(claims, ec_key, algorithm="ES256", headers={"nonce": "e"})
    own = ed25519.Ed25519PrivateKey.generate()
    key = own if kind == "embedded-jwk-own-key" else decode_secret(secret)
    headers = {"nonce": "j", "jwk": _okp(own)}
    return jwt.encode(claims, key, algorithm="EdDSA", headers=headers)


def _okp(key: ed25519.Ed25519PrivateKey) -> dict[str, str]:
    raw = key.public_key().public_bytes_raw()
    return {"kty": "OKP", "crv": "Ed25519", "x": base64.urlsafe_b64encode(raw).decode().rstrip("=")}


@pytest.mark.parametrize(
    "kind",
    [
        "none",
        "none-with-signature",
        "hs256-public-key-raw",
        "hs256-public-key-text",
        "rs256",
        "es256",
        "embedded-jwk-own-key",
        "embedded-jwk",
    ],
)
def test_only_eddsa_with_the_stored_key_is_accepted(
    client: TestClient, credential: Credential, kind: str
) -> None:
    cid = credential["clientId"]
    _invalid_client(
        token_with_assertion(client, cid, _forged(kind, cid, credential["clientSecret"]))
    )


def test_assertion_signed_with_another_key_is_refused(
    client: TestClient, credential: Credential, admin: dict[str, str], bridge: dict[str, Any]
) -> None:
    cid = credential["clientId"]
    _invalid_client(token_with_assertion(client, cid, go_assertion(cid, ADMIN_SECRET)))


def test_an_admin_replaced_with_another_key_takes_no_assertion_signed_with_the_old_one(
    client: TestClient,
) -> None:
    """An assertion's signature is checked before the write turn against the key this worker
    last saw for its client; once the stored key is another, that early check counts for
    nothing, and the old key's assertions are refused."""
    admin_id, old, new = f"rotated-admin-00001@{TENANT}/spc", new_secret(), new_secret()

    def seed(secret: str) -> None:
        document = {"admins": [{"clientId": admin_id, "clientSecret": secret}]}
        assert client.post("/_mock/seed", json=document).status_code == 200

    seed(old)
    for _ in range(2):  # the second one is checked early, with the key the first one verified
        assert (
            token_with_assertion(client, admin_id, go_assertion(admin_id, old)).status_code == 200
        )
    seed(new)

    _invalid_client(token_with_assertion(client, admin_id, go_assertion(admin_id, old)))
    assert token_with_assertion(client, admin_id, go_assertion(admin_id, new)).status_code == 200


# --- invalid_client looks the same whatever the cause ---------------------------------------


def _attempts(client: TestClient, admin: dict[str, str], credential: Credential) -> list[Any]:
    cid, secret = credential["clientId"], credential["clientSecret"]
    unknown = "nobody-here-00001@acme.conductor.one/tcc"
    return [
        token_response(client, secret_form(unknown, secret)),
        token_response(client, assertion_form(unknown, go_assertion(unknown, secret))),
        token_response(client, secret_form(cid, secret + "x")),
        token_response(client, secret_form(ADMIN_ID, "wrong")),
        token_response(client, assertion_form(cid, "not.a.jwt")),
        token_response(client, assertion_form(cid, "garbage")),
    ]


def test_unknown_client_wrong_secret_and_bad_assertion_get_the_same_401(
    client: TestClient, admin: dict[str, str], credential: Credential
) -> None:
    for response in _attempts(client, admin, credential):
        _invalid_client(response)


def test_revoked_credential_gets_the_same_401(
    client: TestClient, admin: dict[str, str], credential: Credential
) -> None:
    revoked = client.delete(f"/api/v1/iam/tunnel/credentials/{credential['id']}", headers=admin)
    assert check(revoked) == {}
    cid, secret = credential["clientId"], credential["clientSecret"]
    _invalid_client(token_response(client, secret_form(cid, secret)))
    _invalid_client(token_with_assertion(client, cid, go_assertion(cid, secret)))


def test_deleted_credential_gets_the_same_401(
    client: TestClient, admin: dict[str, str], credential: Credential
) -> None:
    deleted = client.delete(f"{BRIDGES}/{credential['bridgeId']}", headers=admin)
    assert check(deleted) == {}
    cid, secret = credential["clientId"], credential["clientSecret"]
    _invalid_client(token_response(client, secret_form(cid, secret)))
    _invalid_client(token_with_assertion(client, cid, go_assertion(cid, secret)))


# --- invalid_request and unsupported_grant_type ---------------------------------------------


def _base(credential: Credential) -> dict[str, str]:
    return secret_form(credential["clientId"], credential["clientSecret"])


@pytest.mark.parametrize("missing", ["grant_type", "client_id", "client_secret"])
def test_missing_parameter_is_invalid_request(
    client: TestClient, credential: Credential, missing: str
) -> None:
    form = {k: v for k, v in _base(credential).items() if k != missing}
    _invalid_request(token_response(client, form))


def test_repeated_parameter_is_invalid_request(client: TestClient, credential: Credential) -> None:
    body = "&".join(f"{k}={v}" for k, v in _base(credential).items() if k != "client_secret")
    body += "&client_id=x&client_secret=" + credential["clientSecret"]
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    response = client.post("/auth/v1/token", content=body, headers=headers)
    check(response)
    assert "repeated" in _invalid_request(response)


@pytest.mark.parametrize(
    ("content_type", "encode"),
    [
        ("application/json", lambda form: json.dumps(form).encode()),
        ("text/plain", lambda form: "&".join(f"{k}={v}" for k, v in form.items()).encode()),
        ("multipart/form-data; boundary=x", lambda form: b"--x--"),
        ("", lambda form: b""),
    ],
    ids=["json", "text", "multipart", "none"],
)
def test_wrong_content_type_is_invalid_request(
    client: TestClient, credential: Credential, content_type: str, encode: Any
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/auth/v1/token", content=encode(_base(credential)), headers=headers)
    check(response)
    _invalid_request(response)


def test_body_that_is_not_utf8_is_invalid_request(client: TestClient) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    response = client.post("/auth/v1/token", content=b"grant_type=\xff\xfe", headers=headers)
    check(response)
    _invalid_request(response)


def test_both_authentication_methods_at_once_is_invalid_request(
    client: TestClient, credential: Credential
) -> None:
    cid, secret = credential["clientId"], credential["clientSecret"]
    form = assertion_form(cid, go_assertion(cid, secret)) | {"client_secret": secret}
    _invalid_request(token_response(client, form))


@pytest.mark.parametrize("assertion_type", [None, "urn:ietf:params:oauth:something-else"])
def test_assertion_without_its_type_is_invalid_request(
    client: TestClient, credential: Credential, assertion_type: str | None
) -> None:
    cid = credential["clientId"]
    form = assertion_form(cid, go_assertion(cid, credential["clientSecret"]))
    del form["client_assertion_type"]
    if assertion_type:
        form["client_assertion_type"] = assertion_type
    _invalid_request(token_response(client, form))


@pytest.mark.parametrize(
    "grant", ["password", "authorization_code", "urn:ietf:params:oauth:grant-type:token-exchange"]
)
def test_other_grants_are_unsupported_grant_type(
    client: TestClient, credential: Credential, grant: str
) -> None:
    response = token_response(client, _base(credential) | {"grant_type": grant})
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


@pytest.mark.parametrize("scheme", ["Basic", "Bearer"])
def test_credentials_in_an_authorization_header_are_invalid_request(
    client: TestClient, credential: Credential, scheme: str
) -> None:
    cid, secret = credential["clientId"], credential["clientSecret"]
    basic = base64.b64encode(f"{cid}:{secret}".encode()).decode()
    form = {"grant_type": "client_credentials"}
    response = token_response(client, form, headers={"Authorization": f"{scheme} {basic}"})
    assert "body" in _invalid_request(response)
    with_body = token_response(client, _base(credential), headers={"Authorization": "Basic eA=="})
    _invalid_request(with_body)


def test_failed_requests_do_not_set_last_used_at(
    client: TestClient, admin: dict[str, str], credential: Credential
) -> None:
    _attempts(client, admin, credential)
    assert list_credentials(client, admin, credential["bridgeId"])[0]["lastUsedAt"] is None


def test_successful_use_sets_last_used_at(
    client: TestClient, admin: dict[str, str], credential: Credential
) -> None:
    assert list_credentials(client, admin, credential["bridgeId"])[0]["lastUsedAt"] is None
    token_with_secret(client, credential["clientId"], credential["clientSecret"])
    used = list_credentials(client, admin, credential["bridgeId"])[0]["lastUsedAt"]
    assert used is not None and used.endswith("Z")


# --- access tokens -------------------------------------------------------------------------------


@pytest.fixture
def short_tokens(settings: Settings) -> Iterator[TestClient]:
    with in_process(settings, token_lifetime=120) as test_client:
        yield test_client


def test_token_lifetime_is_configurable(short_tokens: TestClient) -> None:
    body = _ok(token_response(short_tokens, secret_form(ADMIN_ID, ADMIN_SECRET)))
    assert body["expires_in"] == 120
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 120


def test_jwks_verifies_the_access_token(client: TestClient, credential: Credential) -> None:
    token = token_with_secret(client, credential["clientId"], credential["clientSecret"])
    keys = check(client.get("/auth/v1/jwks"))["keys"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA"
    (jwk,) = [k for k in keys if k["kid"] == header["kid"]]
    key = jwt.PyJWK.from_dict(jwk)
    claims = jwt.decode(token, key, algorithms=["EdDSA"], audience=f"https://{TENANT}")
    assert claims["sub"] == credential["clientId"]
    assert claims["iss"] == f"https://{TENANT}"


def test_access_token_is_not_accepted_as_a_client_assertion(
    client: TestClient, credential: Credential
) -> None:
    cid = credential["clientId"]
    token = token_with_secret(client, cid, credential["clientSecret"])
    _invalid_client(token_with_assertion(client, cid, token))


def test_expired_credential_gets_the_same_401(short_lived: TestClient) -> None:
    admin = bearer(token_with_secret(short_lived, ADMIN_ID, ADMIN_SECRET))
    credential = mint(short_lived, admin, create_bridge(short_lived, admin)["id"])
    cid, secret = credential["clientId"], credential["clientSecret"]
    advance_clock(short_lived, 61)
    _invalid_client(token_response(short_lived, secret_form(cid, secret)))
    _invalid_client(token_with_assertion(short_lived, cid, go_assertion(cid, secret)))

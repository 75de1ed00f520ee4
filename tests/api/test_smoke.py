from typing import Any

from starlette.testclient import TestClient

from tests.c1 import assertion_form, bearer, go_assertion, secret_form


def test_minted_secret_authenticates_with_go_style_assertion(
    client: TestClient, credential: dict[str, Any]
) -> None:
    form = assertion_form(
        credential["clientId"], go_assertion(credential["clientId"], credential["clientSecret"])
    )
    response = client.post("/auth/v1/token", data=form)
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    intro = client.get("/api/v1/auth/introspect", headers=bearer(token))
    assert intro.status_code == 200
    assert intro.json()["principleId"] == credential["clientId"]
    denied = client.get("/api/v1/iam/tunnel/bridges", headers=bearer(token))
    assert denied.status_code == 403
    assert denied.json()["code"] == 7


def test_secret_post(client: TestClient, credential: dict[str, Any]) -> None:
    response = client.post(
        "/auth/v1/token", data=secret_form(credential["clientId"], credential["clientSecret"])
    )
    assert response.status_code == 200, response.text

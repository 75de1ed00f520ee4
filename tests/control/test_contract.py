"""What the control plane says about itself: GET /_mock/openapi.yaml serves the contract (the
repository's openapi.yaml, shipped inside the package) and GET /_mock/ an index of the control
plane's operations with links to them."""

from __future__ import annotations

import yaml
from starlette.testclient import TestClient

from c1_mock.config import Settings
from tests.contract.openapi import SPEC_PATH, spec
from tests.helpers import in_process

TOKEN = "control-token-for-the-index"


def test_the_served_contract_is_the_repositorys_openapi_yaml(client: TestClient) -> None:
    served = client.get("/_mock/openapi.yaml")

    assert served.status_code == 200
    assert served.headers["content-type"].startswith("application/yaml")
    assert served.content == SPEC_PATH.read_bytes()
    assert yaml.safe_load(served.text)["info"]["title"] == "c1-mock"


def test_the_index_links_every_control_operation_of_the_contract(client: TestClient) -> None:
    index = client.get("/_mock/").json()

    documented = {
        (method.upper(), path, operation["operationId"])
        for path, item in spec()["paths"].items()
        if path.startswith("/_mock/")
        for method, operation in item.items()
    }
    linked = {(link["method"], link["href"], link["operationId"]) for link in index["links"]}
    assert linked == documented
    assert index["service"] == "c1-mock" and index["version"] == spec()["info"]["version"]
    assert index["contract"] == "/_mock/openapi.yaml"
    for method, href, _ in linked:
        if method == "GET" and "{" not in href:
            assert client.get(href).status_code == 200, href


def test_index_and_contract_need_the_control_token_when_one_is_set(settings: Settings) -> None:
    with in_process(settings, control_token=TOKEN) as client:
        for path in ("/_mock/", "/_mock/openapi.yaml"):
            assert client.get(path).status_code == 401
            authorized = client.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
            assert authorized.status_code == 200

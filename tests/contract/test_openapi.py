"""openapi.yaml is the contract: it must be a valid OpenAPI 3.1 document, describe exactly the
operations the app registers, and keep C1's operations exactly as C1's public spec has them
(tests/contract/reference/: copies of it, for the Tunnel service with Introspect and for
UserService.Get)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

from c1_mock.config import Settings
from c1_mock.main import create_app, operations
from c1_mock.request.operations import Registry
from c1_mock.request.route import OperationRoute
from tests.contract.openapi import spec
from tests.helpers import ADMIN_ID, TENANT

REFERENCES = [
    yaml.safe_load((Path(__file__).parent / "reference" / name).read_text())
    for name in ("c1-tunnel-api.openapi.yaml", "c1-user-api.openapi.yaml")
]
TUNNEL = REFERENCES[0]
PAGING = [
    {"$ref": "#/components/parameters/pageSize"},
    {"$ref": "#/components/parameters/pageToken"},
]
LISTS = {"ListBridges", "ListBridgeCredentials", "ListBridgeAnnouncedServices"}
# What c1-mock adds to C1's schemas: lists of announced services are paged like the others.
ADDED_PROPERTIES = {
    "c1.api.iam.v1.TunnelCredentialsServiceListBridgeAnnouncedServicesResponse": {"nextPageToken"},
}


def _documented() -> set[tuple[str, str, str]]:
    return {
        (method.upper(), path, op["operationId"])
        for path, item in spec()["paths"].items()
        for method, op in item.items()
    }


def _reference_operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for reference in REFERENCES
        for path, item in reference["paths"].items()
        for method, op in item.items()
    ]


def _reference_schemas() -> list[tuple[str, dict[str, Any]]]:
    return [
        (name, schema)
        for reference in REFERENCES
        for name, schema in reference["components"]["schemas"].items()
    ]


def test_openapi_yaml_is_a_valid_openapi_3_1_document() -> None:
    assert spec()["openapi"] == "3.1.0"
    validate(spec())


def test_every_route_of_the_app_is_documented_and_every_documented_operation_is_routed(
    tmp_path: Path,
) -> None:
    # control=True so that the /_mock/ control plane is held to the same rule.
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'routes.db'}",
        control=True,
        tenant_domain=TENANT,
        admin_client_id=ADMIN_ID,
        admin_client_secret="not-printed",
    )
    routed = set()
    for route in create_app(settings).routes:
        assert isinstance(route, OperationRoute), f"{route} is not an operation"
        operation = route.operation
        if operation.operation_id:  # not one of the 404/405 answers for what is not served
            routed.add((operation.method, operation.path, operation.operation_id))
    assert routed - _documented() == set(), "routed but not in openapi.yaml"
    assert _documented() - routed == set(), "in openapi.yaml but not routed"


def test_operation_ids_are_unique() -> None:
    ids = [op_id for _, _, op_id in _documented()]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    ("path", "method", "reference"),
    _reference_operations(),
    ids=[op["operationId"].rsplit(".", 1)[1] for _, _, op in _reference_operations()],
)
def test_c1_operation_is_as_in_c1s_spec(path: str, method: str, reference: dict[str, Any]) -> None:
    ours = spec()["paths"][path][method]
    for key in reference.keys() - {"parameters", "responses"}:
        assert ours[key] == reference[key], key
    added = ours.keys() - reference.keys()
    assert added <= {"parameters", "responses"}, added
    ref_params = reference.get("parameters", [])
    assert ours.get("parameters", [])[: len(ref_params)] == ref_params
    extra = ours.get("parameters", [])[len(ref_params) :]
    assert extra == (PAGING if reference["x-speakeasy-name-override"] in LISTS else [])
    ok = {k: v for k, v in ours["responses"]["200"].items() if k != "headers"}
    assert ok == reference["responses"]["200"]


def test_c1s_get_user_is_held_to_c1s_spec() -> None:
    ids = {op["operationId"] for _, _, op in _reference_operations()}
    assert "c1.api.user.v1.UserService.Get" in ids
    names = {name for name, _ in _reference_schemas()}
    assert {"c1.api.user.v1.User", "c1.api.user.v1.UserServiceGetResponse"} <= names


def test_c1_schemas_are_as_in_c1s_spec() -> None:
    ours = spec()["components"]["schemas"]
    for name, schema in _reference_schemas():
        mine = copy.deepcopy(ours[name])
        for added in ADDED_PROPERTIES.get(name, set()):
            assert added not in schema.get("properties", {})
            del mine["properties"][added]
        assert mine == schema, name


def test_security_is_as_in_c1s_spec() -> None:
    assert spec()["security"] == TUNNEL["security"]
    for reference in REFERENCES:
        assert spec()["components"]["securitySchemes"] == reference["components"]["securitySchemes"]


def test_create_bridge_credential_documents_cache_control_no_store() -> None:
    op = spec()["paths"]["/api/v1/iam/tunnel/bridges/{bridge_id}/credentials"]["post"]
    assert "Cache-Control" in op["responses"]["200"]["headers"]


def test_every_c1_operation_documents_its_error_body() -> None:
    for path, method, _ in _reference_operations():
        responses = spec()["paths"][path][method]["responses"]
        assert {"401", "429", "503"} <= responses.keys(), (path, method)


def test_a_faults_documented_operations_are_the_ones_the_app_answers_faults_for() -> None:
    schema = spec()["components"]["schemas"]["c1mock.FaultSpec"]["properties"]["operation"]
    settings = Settings(control=True)
    assert set(schema["enum"]) == Registry(operations(settings)).fault_names()
    assert len(schema["enum"]) == len(set(schema["enum"]))

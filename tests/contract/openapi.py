"""Validate real responses against openapi.yaml.

`check(response)` finds the operation the request went to, and asserts that the status code is
documented for it, that the headers it documents as required are there, and that the JSON body is
valid against the documented schema (OpenAPI 3.1 schemas are JSON Schema 2020-12; `$ref`s resolve
inside the document). A body that is not JSON (the dashboard's files) must be of a media type the
operation documents.

Bodies are checked more strictly than the document says, because C1's API marshals with
protojson's EmitUnpopulated (every field written, set or not): every object must carry every
property its schema declares and no other, and date-times must be RFC 3339 UTC with `Z`.
"""

from __future__ import annotations

import copy
import re
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi.yaml"
BASE_URI = "urn:c1-mock:openapi.yaml"
_RFC3339_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6}|\.\d{9})?Z$")


@cache
def spec() -> dict[str, Any]:
    """openapi.yaml, as written."""
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
    return loaded


def _every_field_present(node: Any) -> Any:
    """A copy of `node` where each object schema requires all its properties and allows no other."""
    if isinstance(node, list):
        return [_every_field_present(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _every_field_present(value) for key, value in node.items()}
    if isinstance(out.get("properties"), dict):
        out["required"] = sorted(set(out.get("required", [])) | set(out["properties"]))
        out.setdefault("additionalProperties", False)
    return out


@cache
def _registry() -> Registry[Any]:
    strict = _every_field_present(copy.deepcopy(spec()))
    return Registry().with_resource(BASE_URI, Resource(contents=strict, specification=DRAFT202012))


_formats = FormatChecker()


@_formats.checks("date-time")
def _utc_date_time(value: object) -> bool:
    return not isinstance(value, str) or bool(_RFC3339_Z.match(value))


@cache
def _validator(pointer: str) -> Draft202012Validator:
    return Draft202012Validator(
        {"$ref": f"{BASE_URI}#{pointer}"}, registry=_registry(), format_checker=_formats
    )


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$")


def is_documented(request: httpx.Request) -> bool:
    """Whether openapi.yaml describes the operation `request` went to."""
    try:
        operation(request.method, request.url.path)
    except AssertionError:
        return False
    return True


def operation(method: str, path: str) -> tuple[str, dict[str, Any]]:
    """The path template and operation object that serve `method path`."""
    for template, item in spec()["paths"].items():
        if _pattern(template).match(path) and method.lower() in item:
            return template, item[method.lower()]
    raise AssertionError(f"{method} {path} is not in openapi.yaml")


def _resolve(node: dict[str, Any], pointer: str) -> tuple[dict[str, Any], str]:
    """Follow a local $ref; returns the object and its JSON pointer."""
    while "$ref" in node:
        pointer = node["$ref"].removeprefix("#")
        node = spec()
        for part in pointer.strip("/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node, pointer


def _check_headers(response: httpx.Response, documented: dict[str, Any], where: str) -> None:
    for name, header in documented.items():
        header, _ = _resolve(header, "")
        value = response.headers.get(name)
        if value is None:
            assert not header.get("required"), f"{where}: header {name} is missing"
            continue
        error = best_match(Draft202012Validator(header.get("schema", {})).iter_errors(value))
        assert error is None, f"{where}: header {name}: {error.message}"


def check(response: httpx.Response) -> Any:
    """Assert that `response` is as openapi.yaml documents it; returns its JSON body (or None)."""
    request = response.request
    template, op = operation(request.method, request.url.path)
    status = str(response.status_code)
    where = f"{request.method} {template} -> {status}"
    assert status in op["responses"], f"{where} is not documented: {response.text[:300]}"
    pointer = f"/paths/{_escape(template)}/{request.method.lower()}/responses/{status}"
    documented, pointer = _resolve(op["responses"][status], pointer)
    _check_headers(response, documented.get("headers", {}), where)
    content = documented.get("content")
    if not content:
        return None
    media_type = response.headers.get("content-type", "").split(";", 1)[0].strip()
    assert media_type in content, f"{where}: {media_type or 'no content type'} is not documented"
    if media_type != "application/json":  # the dashboard's files, openapi.yaml: their text
        return response.text
    body = response.json()
    error = best_match(_validator(f"{pointer}/content/application~1json/schema").iter_errors(body))
    assert error is None, f"{where}: {error.json_path}: {error.message}"
    return body

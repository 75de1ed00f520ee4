"""What the control plane says about itself: the contract (openapi.yaml, shipped inside the
package) and an index of the /_mock/ operations with links to them."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from .. import version
from ..request.operations import Registry

CONTRACT = "openapi.yaml"
PREFIX = "/_mock/"


@cache
def document() -> bytes:
    """openapi.yaml as the package holds it: the repository's own file, shipped as package data."""
    return resources.files(__name__.split(".", 1)[0]).joinpath(CONTRACT).read_bytes()


def index(registry: Registry) -> dict[str, Any]:
    """The control plane's operations, each with its method and a link (path templates as in
    openapi.yaml), beside the server's version and the contract's link."""
    links = [
        {"operationId": op.operation_id, "method": op.method, "href": op.path}
        for op in registry
        if op.path.startswith(PREFIX)
    ]
    return {
        "service": "c1-mock",
        "version": version(),
        "contract": PREFIX + CONTRACT,
        "links": links,
    }

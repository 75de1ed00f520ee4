"""c1-mock, a reference server for ConductorOne's tunnel-credential API and token endpoint."""

from __future__ import annotations

from functools import cache


@cache
def version() -> str:
    """The installed distribution's version (pyproject.toml)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("c1-mock")
    except PackageNotFoundError:  # run from a copy of the sources that was never installed
        return "0+unknown"

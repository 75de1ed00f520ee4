"""The baseline: a bare FastAPI endpoint, served by uvicorn with exactly the options `c1-mock
serve` uses (c1_mock.cli.uvicorn_options), so that the benchmark compares endpoints, not servers.

Run as `python -m benchmarks.bare_app --port P --workers N --log-level L`.
"""

from __future__ import annotations

import argparse

import uvicorn
from fastapi import FastAPI

from c1_mock.cli import uvicorn_options
from c1_mock.config import Settings

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.post("/bare")
async def bare() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def main() -> None:
    parser = argparse.ArgumentParser(prog="benchmarks.bare_app")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args()
    settings = Settings(port=args.port, workers=args.workers, log_level=args.log_level)
    uvicorn.run("benchmarks.bare_app:app", **uvicorn_options(settings))


if __name__ == "__main__":
    main()

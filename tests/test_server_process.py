from pathlib import Path

import httpx
import pytest

from app.testing import ServerProcess


@pytest.mark.process
def test_serve_prints_generated_admin_once_and_answers_health(tmp_path: Path) -> None:
    env = {"C1MOCK_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    with ServerProcess(env, log_path=tmp_path / "serve.log", args=["--workers", "2"]) as server:
        assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    first = server.output()
    assert first.count("clientSecret") == 1
    with ServerProcess(env, log_path=tmp_path / "serve2.log") as again:
        assert httpx.get(f"{again.url}/healthz").status_code == 200
    assert "clientSecret" not in again.output()

"""The SQLite files c1-mock creates hold the token-signing key: they are its owner's alone, the
-wal and -shm beside them too, whatever the umask; a file that exists keeps the mode it has."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from c1_mock.config import Settings
from tests.helpers import ADMIN_ID, ADMIN_SECRET, TENANT, in_process


@contextmanager
def _umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _settings(path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{path}",
        tenant_domain=TENANT,
        admin_client_id=ADMIN_ID,
        admin_client_secret=ADMIN_SECRET,
    )


def test_a_new_database_and_its_wal_and_shm_are_readable_by_their_owner_only(
    tmp_path: Path,
) -> None:
    path = tmp_path / "new.db"
    with _umask(0o022), in_process(_settings(path)) as client:
        assert client.post("/api/v1/iam/tunnel/bridges", json={}).status_code == 401  # a write
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-lock")]
        assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}


def test_an_existing_database_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "mine.db"
    path.touch(mode=0o640)
    path.chmod(0o640)
    with _umask(0o022), in_process(_settings(path)) as client:
        assert client.get("/healthz").status_code == 200
    assert _mode(path) == 0o640

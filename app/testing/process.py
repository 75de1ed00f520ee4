"""Real `c1-mock serve` processes on free ports, for tests and benchmarks that need a socket
(workers, restarts, TLS, crashes) and for the `c1_mock_server` pytest fixture."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import httpx

CLI = __name__.rsplit(".", 2)[0] + ".cli"  # c1_mock.cli


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_healthy(
    url: str,
    proc: subprocess.Popen[bytes] | None = None,
    *,
    timeout: float = 30.0,
    **client_options: Any,
) -> None:
    """Until `url`/healthz answers 200; RuntimeError if `proc` exits first, TimeoutError after
    `timeout` seconds. `client_options` go to httpx.Client (`verify` for TLS)."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0, **client_options) as client:
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"the server at {url} exited early")
            with contextlib.suppress(httpx.TransportError):
                if client.get(f"{url}/healthz").status_code == 200:
                    return
            time.sleep(0.05)
    raise TimeoutError(f"the server at {url} did not become healthy")


class ServerProcess:
    """`c1-mock serve` (as `python -m c1_mock.cli`) with the given C1MOCK_ settings, on a free port
    of 127.0.0.1.

    `env` holds settings as C1MOCK_* variables (or any other variables); `args` extra CLI flags.
    Output goes to `log_path` so that tests can read what the server printed.
    """

    def __init__(
        self,
        env: dict[str, str],
        *,
        log_path: Path,
        port: int | None = None,
        args: list[str] | None = None,
        scheme: str = "http",
    ) -> None:
        self.port = port or free_port()
        self.env = {**os.environ, **env}
        self.args = args or []
        self.log_path = log_path
        self.scheme = scheme
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 30.0, **client_options: Any) -> ServerProcess:
        self._log = self.log_path.open("ab")
        command = [sys.executable, "-m", CLI, "serve", "--port", str(self.port), *self.args]
        self.proc = subprocess.Popen(  # noqa: S603
            command,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_healthy(timeout=timeout, **client_options)
        return self

    def wait_healthy(self, *, timeout: float = 30.0, **client_options: Any) -> None:
        try:
            wait_healthy(self.url, self.proc, timeout=timeout, **client_options)
        except (RuntimeError, TimeoutError) as exc:
            raise type(exc)(f"{exc}:\n{self.output()}") from None

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, *, timeout: float = 15.0) -> None:
        """SIGTERM to the whole process group (parent and workers), then wait."""
        self._signal(signal.SIGTERM, timeout)

    def kill(self) -> None:
        """kill -9 of the parent and every worker: a crash."""
        self._signal(signal.SIGKILL, 10.0)

    def _signal(self, sig: signal.Signals, timeout: float) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout)
        self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

"""The load generator: wrk (written in C, so it leaves the two cores to the server), driven by a
Lua script that sends pre-made bodies in order and reports JSON. Every endpoint, the baseline
included, gets the same generator, connections and duration."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

_SCRIPT = """
local bodies = {}
local next_body = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = %(content_type)s
%(extra_headers)s

function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
end

function request()
  next_body = next_body + 1
  -- Past the end, the last body repeats: a replayed assertion then answers 401 and is counted.
  return wrk.format(nil, nil, nil, bodies[math.min(next_body, #bodies)])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %%d, "duration_us": %%d, "non_2xx": %%d, "socket_errors": %%d, ' ..
    '"p50_us": %%d, "p99_us": %%d}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p99_ms: float
    cpu_ms: float = 0.0  # the server's CPU time per request, all its processes together

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def group_cpu_seconds(pgid: int) -> float:
    """CPU time (user + system) used so far by the processes of a process group: a figure that,
    unlike requests per second, does not depend on what else the machine is doing."""
    total = 0
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text() if entry.name.isdigit() else ""
        except OSError:  # the process ended meanwhile
            continue
        fields = stat.rpartition(")")[2].split()
        if fields and int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def ensure_wrk() -> str:
    """The wrk binary; installed from Debian's package when missing and we are root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("bench: installing wrk (apt-get install wrk)", file=sys.stderr)
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        if subprocess.run(["apt-get", "install", "-y", "wrk"], check=False, **quiet).returncode:
            subprocess.run(["apt-get", "update"], check=True, **quiet)
            subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, **quiet)
        found = shutil.which("wrk")
    if not found:
        sys.exit("bench: needs wrk (Debian/Ubuntu: apt-get install wrk; macOS: brew install wrk)")
    return found


def script(path: Path, *, content_type: str, headers: dict[str, str] | None = None) -> Path:
    """Write a wrk script for POSTs with these headers; bodies come from a file given to run()."""
    extra = "\n".join(
        f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in (headers or {}).items()
    )
    path.write_text(_SCRIPT % {"content_type": json.dumps(content_type), "extra_headers": extra})
    return path


def run(url: str, *, lua: Path, bodies: Path, seconds: int, connections: int) -> Result:
    """One timed wrk run against `url`: closed loop, keep-alive, `connections` in flight. One
    thread, because each wrk thread would start the single-use bodies from the top again."""
    command = [ensure_wrk(), "-t1", f"-c{connections}", f"-d{seconds}s"]
    command += ["--timeout", "10s", "-s", str(lua), url, "--", str(bodies)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    data = json.loads(line.removeprefix("RESULT "))
    return Result(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        non_2xx=data["non_2xx"],
        socket_errors=data["socket_errors"],
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
    )

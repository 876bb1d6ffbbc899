"""Running one load against one server, with wrk when it is installed, else ``bench.loadgen``.

Either way the result has the same shape (see ``bench.loadgen.execute``) and the client runs in
its own process on the client CPU, never on the server's.
"""

from __future__ import annotations

import json
import math
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.loadgen import Spec, busy_fractions, cpu_times, server_cpu_seconds
from bench.servers import HOST, Processes, Server

# A request slower than this is a timeout for wrk (its default, 2 s, is shorter than what a
# slow endpoint under 32 connections can take, and would hide the latency in an error count).
WRK_TIMEOUT = "60s"


@dataclass
class LoadSettings:
    connections: int
    duration: float
    warmup: float
    server_cpu: int | None
    client_cpu: int | None
    tool: str  # "python" or "wrk"
    workdir: Path

    @property
    def cpus(self) -> list[int]:
        return [cpu for cpu in (self.server_cpu, self.client_cpu) if cpu is not None]


def choose_tool(requested: str) -> str:
    if requested == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    if requested == "wrk" and not shutil.which("wrk"):
        raise SystemExit("--client wrk: wrk is not on PATH")
    return requested


def run_load(
    processes: Processes,
    server: Server,
    paths: list[str],
    lengths: dict[str, int],
    settings: LoadSettings,
    label: str,
    *,
    headers: dict[str, str] | None = None,
    status: int = 200,
) -> dict[str, Any]:
    """``lengths`` are the bodies of the 200 responses (-1: any length); any other status
    expects none."""
    if status != 200:
        lengths = dict.fromkeys(paths, 0)
    if settings.tool == "wrk":
        result = _run_wrk(processes, server, paths, settings, label, headers or {}, status)
    else:
        result = _run_python(
            processes, server, paths, lengths, settings, label, headers or {}, status
        )
    # The share of the server's CPU that went to other processes during the run: the machine
    # may be shared (tests running meanwhile), which makes every figure lower and noisier.
    busy = result["cpu_busy"].get(str(settings.server_cpu))
    if busy is not None and result["server_cpu"] is not None:
        result["server_cpu_others"] = round(max(busy - result["server_cpu"], 0.0), 3)
    else:
        result["server_cpu_others"] = None
    return result


def _run_python(
    processes: Processes,
    server: Server,
    paths: list[str],
    lengths: dict[str, int],
    settings: LoadSettings,
    label: str,
    headers: dict[str, str],
    status: int,
) -> dict[str, Any]:
    spec = Spec(
        host=HOST,
        port=server.port,
        paths=paths,
        connections=settings.connections,
        duration=settings.duration,
        warmup=settings.warmup,
        server_pid=server.pid,
        cpus=settings.cpus,
        lengths={p: lengths[p] for p in paths},
        headers=headers,
        status=status,
    )
    spec_path = settings.workdir / f"{label}.spec.json"
    spec_path.write_text(json.dumps(asdict(spec)))
    output = settings.workdir / f"{label}.result.json"
    child = processes.start(
        [sys.executable, "-m", "bench.loadgen", str(spec_path)],
        cpu=settings.client_cpu,
        log=settings.workdir / f"{label}.log",
        output=output,
    )
    _wait(processes, child, settings)
    if child.returncode != 0:
        log = (settings.workdir / f"{label}.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"load generator failed ({child.returncode}):\n{log}")
    result: dict[str, Any] = json.loads(output.read_text())
    return result


def _wait(processes: Processes, child: subprocess.Popen[bytes], settings: LoadSettings) -> None:
    try:
        child.wait(settings.warmup + settings.duration + 60)
    finally:
        processes.stop(child)


_LUA = """
local paths = {PATHS}
local headers = {HEADERS}
local expected = {STATUS}
local i = 0
bad = 0  -- global: done() reads it from each thread with thread:get
threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], headers)
end

function response(status, headers, body)
  if status ~= expected then bad = bad + 1 end
end

function done(summary, latency, requests)
  local non200 = 0
  for _, thread in ipairs(threads) do non200 = non200 + thread:get("bad") end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"mean":%.1f,"p50":%d,"p90":%d,' ..
    '"p99":%d,"max":%d,"non200":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d}\\n',
    summary.requests, summary.duration, summary.bytes, latency.mean,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    non200, e.connect, e.read, e.write, e.timeout))
end
"""


def _run_wrk(
    processes: Processes,
    server: Server,
    paths: list[str],
    settings: LoadSettings,
    label: str,
    headers: dict[str, str],
    status: int,
) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    assert wrk is not None
    script = settings.workdir / f"{label}.lua"
    lua_headers = ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())
    script.write_text(
        _LUA.replace("{PATHS}", "{" + ", ".join(map(json.dumps, paths)) + "}")
        .replace("{HEADERS}", "{" + lua_headers + "}")
        .replace("{STATUS}", str(status))
    )
    url = f"http://{HOST}:{server.port}"
    # wrk takes whole seconds only.
    warmup, duration = math.ceil(settings.warmup), max(1, math.ceil(settings.duration))
    common = ["-t1", f"-c{settings.connections}", "--timeout", WRK_TIMEOUT, "-s", str(script)]
    log = settings.workdir / f"{label}.log"
    if warmup > 0:
        warm = processes.start(
            [wrk, *common, f"-d{warmup}s", url], cpu=settings.client_cpu, log=log
        )
        _wait(processes, warm, settings)
    output = settings.workdir / f"{label}.wrk.txt"
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = server_cpu_seconds(server.pid)
    times_before = cpu_times()
    started = time.perf_counter()
    child = processes.start(
        [wrk, *common, "--latency", f"-d{duration}s", url],
        cpu=settings.client_cpu,
        log=log,
        output=output,
    )
    _wait(processes, child, settings)
    elapsed = time.perf_counter() - started
    server_after = server_cpu_seconds(server.pid)
    times_after = cpu_times()
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(
        (ln for ln in output.read_text().splitlines() if ln.startswith("BENCH_JSON ")), None
    )
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{output.read_text()}\n{log.read_text()}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    seconds = raw["duration_us"] / 1e6
    kinds = {
        name: raw[key]
        for name, key in (
            (f"HTTP status not {status}", "non200"),
            ("connect", "connect"),
            ("read", "read"),
            ("write", "write"),
            ("timeout", "timeout"),
        )
        if raw[key]
    }
    client_cpu = (
        children_after.ru_utime
        + children_after.ru_stime
        - children_before.ru_utime
        - children_before.ru_stime
    )
    return {
        "requests": raw["requests"],
        "seconds": round(seconds, 3),
        "rps": round(raw["requests"] / seconds, 1),
        "latency_ms": {
            key: round(raw[key] / 1000, 3) for key in ("mean", "p50", "p90", "p99", "max")
        },
        "errors": sum(kinds.values()),
        "error_kinds": kinds,
        "error_samples": [],
        "bytes": raw["bytes"],
        "client_cpu": round(client_cpu / elapsed, 3),
        "server_cpu": (
            round((server_after - server_before) / elapsed, 3)
            if server_before is not None and server_after is not None
            else None
        ),
        "cpu_busy": busy_fractions(times_before, times_after, settings.cpus),
        "tool": "wrk",
    }

"""A small HTTP/1.1 load generator: ``python -m bench.loadgen SPEC.json`` prints results as JSON.

C keep-alive connections each send one GET, wait for the whole response, record its latency and
send the next (no pipelining, like wrk). The paths are taken round robin over all connections.
Parsing is the least that is still correct for the servers under test: the status code, and
``Content-Length`` to know where the body ends (both servers always send it, except with a 304
or 204, which has no body whatever its headers say; any other response without one is counted as
an error and its connection replaced).

It runs on uvloop with asyncio protocols (no streams) and the garbage collector off, because the
client shares nothing with the server but must not be the bottleneck: the report includes the
CPU time this process used during the measured window, so a reader can see when it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import math
import os
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
MAX_ERROR_SAMPLES = 5


@dataclass
class Spec:
    host: str
    port: int
    paths: list[str]
    connections: int
    duration: float
    warmup: float
    server_pid: int | None = None
    # CPUs whose total busy time is reported, to show what else ran on them meanwhile.
    cpus: list[int] = field(default_factory=list)
    # Expected body length per path: a different length is an error (the baseline must serve
    # exactly what Khabar served); -1, or no entry, takes any length.
    lengths: dict[str, int] = field(default_factory=dict)
    # Sent with every request; any other status than `status` is an error.
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200


class Run:
    """Shared state of one load run: what to send, what came back, when to stop."""

    def __init__(self, spec: Spec, loop: asyncio.AbstractEventLoop) -> None:
        self.spec = spec
        self.loop = loop
        fields = {"Host": f"{spec.host}:{spec.port}", **spec.headers}
        head = "".join(f"{name}: {value}\r\n" for name, value in fields.items()).encode()
        self.requests = [
            b"GET " + path.encode("ascii") + b" HTTP/1.1\r\n" + head + b"\r\n"
            for path in spec.paths
        ]
        self.lengths = [spec.lengths.get(path, -1) for path in spec.paths]
        self.next_index = 0
        self.measuring = False
        self.stopping = False
        self.latencies: list[int] = []  # nanoseconds, measured window only
        self.errors: Counter[str] = Counter()
        self.error_samples: list[str] = []
        self.bytes = 0
        self.open_connections = 0
        self.closed = asyncio.Event()
        self.reconnects: set[asyncio.Task[None]] = set()

    def take_request(self) -> tuple[int, bytes]:
        index = self.next_index
        self.next_index = (index + 1) % len(self.requests)
        return index, self.requests[index]

    def record(self, started: int, index: int, status: int, length: int, size: int) -> None:
        if not self.measuring:
            return
        self.latencies.append(time.perf_counter_ns() - started)
        self.bytes += size
        if status != self.spec.status:
            self.error(f"HTTP {status}", self.spec.paths[index])
        elif self.lengths[index] >= 0 and length != self.lengths[index]:
            self.error("body length differs", f"{self.spec.paths[index]}: {length}")

    def error(self, kind: str, detail: str) -> None:
        if not self.measuring:
            return
        self.errors[kind] += 1
        if len(self.error_samples) < MAX_ERROR_SAMPLES:
            self.error_samples.append(f"{kind}: {detail[:200]}")


class Client(asyncio.Protocol):
    """One keep-alive connection sending one request at a time."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.transport: asyncio.WriteTransport | None = None
        self.buffer = bytearray()
        self.header_end = -1
        self.response_end = -1
        self.status = 0
        self.index = 0
        self.started = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, only alike.
        self.transport = cast(asyncio.WriteTransport, transport)
        self.run.open_connections += 1
        self.send()

    def send(self) -> None:
        assert self.transport is not None
        if self.run.stopping:
            self.transport.close()
            return
        self.index, request = self.run.take_request()
        self.started = time.perf_counter_ns()
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        if self.response_end < 0:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buffer[:end]).lower()
            self.status = int(head[9:12])
            start = head.find(b"\r\ncontent-length:")
            if self.status in (204, 304):
                length = 0  # RFC 9112 §6.3: never a body
            elif start < 0:
                self.fail("no Content-Length", head[:200].decode("latin-1"))
                return
            else:
                stop = head.find(b"\r\n", start + 2)
                length = int(head[start + 17 : stop if stop > 0 else end])
            self.header_end = end + 4
            self.response_end = end + 4 + length
        if len(buffer) < self.response_end:
            return
        self.run.record(
            self.started,
            self.index,
            self.status,
            self.response_end - self.header_end,
            self.response_end,
        )
        # Nothing was pipelined, so nothing can follow the response.
        buffer.clear()
        self.response_end = -1
        self.send()

    def fail(self, kind: str, detail: str) -> None:
        self.run.error(kind, detail)
        if self.transport is not None:
            self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        run = self.run
        run.open_connections -= 1
        if not run.stopping:
            run.error("connection lost", repr(exc) if exc else "closed by server")
            task = run.loop.create_task(connect(run))
            run.reconnects.add(task)  # the loop keeps only a weak reference to tasks
            task.add_done_callback(run.reconnects.discard)
        elif run.open_connections == 0:
            run.closed.set()


async def connect(run: Run) -> None:
    await run.loop.create_connection(lambda: Client(run), run.spec.host, run.spec.port)


def server_cpu_seconds(pid: int | None) -> float | None:
    """utime + stime of a server, from /proc (None when it cannot be read): of the process and
    its descendants, so that uvicorn's workers count, not only their idle supervisor."""
    if pid is None:
        return None
    total = None
    for each in process_tree(pid):
        try:
            stat = Path(f"/proc/{each}/stat").read_text()
        except OSError:
            continue  # gone meanwhile
        fields = stat.rpartition(")")[2].split()
        total = (total or 0.0) + (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


def process_tree(pid: int) -> list[int]:
    """The process and its descendants that are alive, from the ``children`` file of each of
    their threads (a child belongs to the thread that forked it)."""
    tree, pending = [], [pid]
    while pending:
        each = pending.pop()
        tree.append(each)
        for children in Path(f"/proc/{each}/task").glob("*/children"):
            try:
                pending += [int(child) for child in children.read_text().split()]
            except OSError:
                continue
    return tree


def cpu_times() -> dict[int, tuple[int, int]]:
    """(busy, total) clock ticks of every CPU since boot, from /proc/stat."""
    times = {}
    for line in Path("/proc/stat").read_text().splitlines():
        name, *values = line.split()
        if name.startswith("cpu") and name != "cpu":
            ticks = [int(v) for v in values[:8]]  # user .. steal; guest time is inside user
            idle = ticks[3] + ticks[4]  # idle + iowait
            times[int(name[3:])] = (sum(ticks) - idle, sum(ticks))
    return times


def busy_fractions(
    before: dict[int, tuple[int, int]], after: dict[int, tuple[int, int]], cpus: list[int]
) -> dict[str, float]:
    out = {}
    for cpu in cpus:
        busy = after[cpu][0] - before[cpu][0]
        total = after[cpu][1] - before[cpu][1]
        out[str(cpu)] = round(busy / total, 3) if total else math.nan
    return out


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(ordered: list[int], q: float) -> float:
    """Nearest-rank percentile of sorted nanoseconds, in milliseconds."""
    if not ordered:
        return math.nan
    rank = min(len(ordered), max(1, math.ceil(q * len(ordered))))
    return ordered[rank - 1] / 1e6


async def execute(spec: Spec) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    run = Run(spec, loop)
    await asyncio.gather(*(connect(run) for _ in range(spec.connections)))
    await asyncio.sleep(spec.warmup)
    run.measuring = True
    cpu_start, server_start = own_cpu_seconds(), server_cpu_seconds(spec.server_pid)
    times_start = cpu_times()
    started = time.perf_counter()
    await asyncio.sleep(spec.duration)
    elapsed = time.perf_counter() - started
    cpu_end, server_end = own_cpu_seconds(), server_cpu_seconds(spec.server_pid)
    times_end = cpu_times()
    run.measuring = False
    run.stopping = True
    if run.open_connections:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(run.closed.wait(), timeout=10)
    ordered = sorted(run.latencies)
    count = len(ordered)
    return {
        "requests": count,
        "seconds": round(elapsed, 3),
        "rps": round(count / elapsed, 1),
        "latency_ms": {
            "mean": round(sum(ordered) / count / 1e6, 3) if count else math.nan,
            "p50": round(percentile(ordered, 0.50), 3),
            "p90": round(percentile(ordered, 0.90), 3),
            "p99": round(percentile(ordered, 0.99), 3),
            "max": round(percentile(ordered, 1.0), 3),
        },
        "errors": sum(run.errors.values()),
        "error_kinds": dict(run.errors),
        "error_samples": run.error_samples,
        "bytes": run.bytes,
        "client_cpu": round((cpu_end - cpu_start) / elapsed, 3),
        "server_cpu": (
            round((server_end - server_start) / elapsed, 3)
            if server_start is not None and server_end is not None
            else None
        ),
        "cpu_busy": busy_fractions(times_start, times_end, spec.cpus),
        "tool": "python",
    }


def main() -> None:
    spec = Spec(**json.loads(Path(sys.argv[1]).read_text()))
    gc.disable()  # latencies are a list of ints: nothing cyclic to collect, pauses avoided
    try:
        import uvloop
    except ImportError:  # still correct, only slower
        result = asyncio.run(execute(spec))
    else:
        result = uvloop.run(execute(spec))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

"""Child processes: Khabar, the baselines and the load generator, pinned to CPUs and always stopped.

Children start in a session of their own, so a Ctrl-C in the terminal reaches only the harness,
which then stops each child it started by PID (SIGTERM, then SIGKILL after a grace period).
With ``--workers N`` (N > 1) a server is uvicorn's supervisor and N worker processes: its CPU
time and peak memory are those of the whole tree (``bench.loadgen.process_tree``).
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # the only address traffic is ever sent to

# What uvicorn logs once per worker when the app's lifespan has started.
STARTED = "Application startup complete."


def uvicorn_options(workers: int) -> list[str]:
    """What `khabar serve --workers N` passes to uvicorn.run (app/cli.py), spelled as uvicorn
    CLI options. Its loop and http are "auto", which resolve to uvloop and httptools when
    installed (they are, and the harness checks), so the baseline names them. Khabar is
    started with --no-access-log; the harness still checks whether it logs requests and gives
    the baseline the same."""
    return [
        "--workers", str(workers),
        "--http", "httptools",
        "--loop", "uvloop",
        "--proxy-headers",
        "--no-server-header",
        "--log-level", "info",
    ]  # fmt: skip


@dataclass(frozen=True)
class CpuPlan:
    """Servers on one CPU, the client (and this harness) on another, when there are two."""

    server: int | None
    client: int | None

    @classmethod
    def choose(cls, *, workers: int = 1) -> CpuPlan:
        """Nothing is pinned with several workers: they are there to use more than one CPU."""
        available = sorted(os.sched_getaffinity(0))
        if len(available) < 2 or workers > 1:
            return cls(None, None)
        return cls(available[0], available[1])


class Processes:
    """Every child the harness starts; all of them are stopped on exit, whatever happened."""

    def __init__(self) -> None:
        self._children: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> Processes:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        for child in reversed(self._children):
            self.stop(child)

    def start(
        self,
        argv: Sequence[str],
        *,
        cpu: int | None,
        env: dict[str, str] | None = None,
        log: Path | None = None,
        output: Path | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start argv pinned to cpu; stderr (and stdout unless output is given) go to log."""
        command = list(argv)
        taskset = shutil.which("taskset")
        if cpu is not None and taskset:
            # taskset sets the affinity before exec, so no thread of the child ever runs
            # elsewhere; it execs in place, so the PID is the server's own.
            command = [taskset, "-c", str(cpu), *command]
        with (
            open(log or os.devnull, "ab") as log_file,
            open(output or os.devnull, "wb") as output_file,
        ):
            child = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output_file if output else log_file,
                stderr=log_file,
                start_new_session=True,
            )
        self._children.append(child)
        if cpu is not None and not taskset:
            os.sched_setaffinity(child.pid, {cpu})
        return child

    def stop(self, child: subprocess.Popen[bytes], grace: float = 10) -> None:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(grace)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if child in self._children:
            self._children.remove(child)


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    workers: int = 1

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, timeout: float = 60) -> None:
        """Until /healthz answers 200 and every worker has started (a request may otherwise
        find only the first one); fails early, with the log, if the server exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.log_tail()}")
            try:
                status, _headers, _body = get(self.port, "/healthz", timeout=2)
                if status == 200 and self._started() >= self.workers:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def _started(self) -> int:
        try:
            return self.log.read_text(errors="replace").count(STARTED)
        except OSError:
            return 0

    def wait_idle(self, timeout: float = 120) -> None:
        """Until the process uses (almost) no CPU: requests left by a run are done."""
        from bench.loadgen import server_cpu_seconds

        deadline = time.monotonic() + timeout
        last = server_cpu_seconds(self.pid)
        while last is not None and time.monotonic() < deadline:
            time.sleep(0.25)
            now = server_cpu_seconds(self.pid)
            if now is None or now - last < 0.01:
                return
            last = now

    def peak_rss_kib(self) -> int | None:
        """VmHWM, the most resident memory a process has had, summed over the server's
        processes (uvicorn's supervisor and its workers)."""
        from bench.loadgen import process_tree

        peaks = [_peak_rss_kib(pid) for pid in process_tree(self.pid)]
        known = [peak for peak in peaks if peak is not None]
        return sum(known) if known else None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def logs_requests(self) -> bool:
        """Whether uvicorn's access log is on: a request line for /healthz was written."""
        return '"GET /healthz HTTP/1.1" 200' in self.log.read_text(errors="replace")


def _peak_rss_kib(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def get(
    port: int, path: str, timeout: float = 30, headers: dict[str, str] | None = None
) -> tuple[int, list[tuple[str, str]], bytes]:
    connection = Connection(port, timeout=timeout)
    try:
        return connection.get(path, headers=headers)
    finally:
        connection.close()


class Connection:
    """One keep-alive connection for GETs one after another: with several workers it stays
    with the worker that accepted it (filling that worker's edge cache relies on it)."""

    def __init__(self, port: int, timeout: float = 30) -> None:
        self._http = http.client.HTTPConnection(HOST, port, timeout=timeout)

    def get(
        self, path: str, headers: dict[str, str] | None = None
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        self._http.request("GET", path, headers=headers or {})
        response = self._http.getresponse()
        return response.status, response.getheaders(), response.read()

    def close(self) -> None:
        self._http.close()


def start_khabar(
    processes: Processes,
    *,
    database_url: str,
    media_dir: Path,
    cpu: int | None,
    log: Path,
    name: str = "khabar",
    workers: int = 1,
    edge_cache_mb: float = 0,
    base_url: str | None = None,
) -> Server:
    """`khabar serve` on a free port. ``base_url`` (default: its own address) is what its
    responses link to: every Khabar server of a run gets the same one, because it is part of
    the format of the ready-made JSON (app/services/ready.py), so that rows one server built
    serve the other, and both send the same bytes."""
    port = free_port()
    khabar = Path(sys.executable).with_name("khabar")
    argv = [str(khabar), "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)]
    # Measured as a fast deployment runs it: behind a proxy that keeps the access log.
    argv.append("--no-access-log")
    env = {
        **os.environ,
        "KHABAR_DATABASE_URL": database_url,
        "KHABAR_BASE_URL": base_url or f"http://{HOST}:{port}",
        "KHABAR_MEDIA_DIR": str(media_dir),
        # Off but for the cache-hit scenario's server: the scenarios repeat URLs, which would
        # all be cache hits.
        "KHABAR_CACHE_MAX_MB": str(edge_cache_mb),
    }
    process = processes.start(argv, cpu=cpu, env=env, log=log)
    server = Server(name, process, port, log, workers)
    server.wait_ready()
    return server


def start_baseline(
    processes: Processes,
    *,
    responses: Path,
    access_log: bool,
    cpu: int | None,
    log: Path,
    workers: int,
) -> Server:
    from bench.baseline import RESPONSES_ENV

    return _start_uvicorn(
        processes,
        "baseline",
        ["bench.baseline:app"],
        env={RESPONSES_ENV: str(responses)},
        access_log=access_log,
        cpu=cpu,
        log=log,
        workers=workers,
    )


def start_static(
    processes: Processes,
    *,
    renditions: Path,
    access_log: bool,
    cpu: int | None,
    log: Path,
    workers: int,
) -> Server:
    from bench.static import RENDITIONS_ENV

    return _start_uvicorn(
        processes,
        "static",
        ["--factory", "bench.static:create_app"],
        env={RENDITIONS_ENV: str(renditions)},
        access_log=access_log,
        cpu=cpu,
        log=log,
        workers=workers,
    )


def _start_uvicorn(
    processes: Processes,
    name: str,
    target: list[str],
    *,
    env: dict[str, str],
    access_log: bool,
    cpu: int | None,
    log: Path,
    workers: int = 1,
) -> Server:
    """A baseline app under uvicorn with Khabar's options (see uvicorn_options)."""
    port = free_port()
    argv = [
        sys.executable, "-m", "uvicorn", *target,
        "--host", HOST, "--port", str(port),
        *uvicorn_options(workers),
        "--access-log" if access_log else "--no-access-log",
    ]  # fmt: skip
    process = processes.start(argv, cpu=cpu, env={**os.environ, **env}, log=log)
    server = Server(name, process, port, log, workers)
    server.wait_ready()
    return server

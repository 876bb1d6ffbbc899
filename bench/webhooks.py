"""`python -m bench.webhooks` (`make bench webhooks`): how fast events go out, and what
subscriptions cost a publication. See docs/benchmark.md.

1. Dispatcher throughput. N events (over 200 articles, so that per-article ordering holds some
   back) are written to a fresh store with one subscription to a receiver on 127.0.0.1 (a bare
   ASGI app under uvicorn, in its own process on the other CPU, that checks every signature).
   The dispatcher (``app.services.webhooks.run``, as a server process runs it) is started in
   this process on the server's CPU; the figure is N ÷ the time until the receiver has them all.
2. Publish latency. A real ``khabar serve`` (dispatcher on, every 0.1 s) takes M sequential
   edits of a published article (``PATCH`` with ``If-Match``: each is a public change, so an
   event for every subscription). Three runs: no subscription; one, to a black hole (a port
   that accepts connections and never answers, so each attempt holds a request open until the
   10 s timeout); ten, nine to the live receiver and one to the black hole. Latencies are
   measured by the client over one kept-alive connection; then the time until the live ones
   have every event.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from app.config import Settings
from app.db import Database, create_db_engine
from app.migrate import upgrade
from app.models import Webhook, WebhookDelivery
from app.services import events as event_service
from app.services import keys as key_service
from app.services import webhooks as webhook_service
from bench.servers import HOST, CpuPlan, Processes, Server, _start_uvicorn, start_khabar

SECRET = "whsec_bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000, help="events for the throughput run")
    parser.add_argument("--publishes", type=int, default=300, help="edits per latency run")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server URL: the run creates a database there and drops it "
        "(default: SQLite files in a temporary directory)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    options = parser.parse_args()
    console = Console()
    plan = CpuPlan.choose()
    results: dict[str, Any] = {"store": "postgresql" if options.database_url else "sqlite"}
    with tempfile.TemporaryDirectory(prefix="khabar-bench-webhooks-") as work, Processes() as procs:
        workdir = Path(work)
        receiver = _start_uvicorn(
            procs,
            "receiver",
            ["bench.receiver:app"],
            env={"KHABAR_BENCH_RECEIVER_VERIFY": SECRET},
            access_log=False,
            cpu=plan.client,
            log=workdir / "receiver.log",
        )
        with _store(options.database_url, workdir / "throughput.db") as url:
            results["throughput"] = throughput(url, receiver, options.events, plan, console)
        with _black_hole() as dead_port:
            runs = {}
            for subscriptions, dead in ((0, 0), (1, 1), (10, 1)):
                name = f"{subscriptions}-{dead}"
                with _store(options.database_url, workdir / f"latency-{name}.db") as url:
                    runs[name] = latency(
                        url,
                        receiver,
                        dead_port,
                        subscriptions=subscriptions,
                        dead=dead,
                        publishes=options.publishes,
                        procs=procs,
                        plan=plan,
                        workdir=workdir,
                        console=console,
                    )
            results["latency"] = runs
    _report(console, results)
    if options.json:
        options.json.write_text(json.dumps(results, indent=2))


# Stores ----------------------------------------------------------------------------------------


@contextmanager
def _store(server_url: str | None, sqlite_path: Path) -> Iterator[str]:
    if server_url is None:
        url = f"sqlite:///{sqlite_path}"
        upgrade(url)
        yield url
        return
    name = f"khabar_bench_webhooks_{os.getpid()}"
    admin = create_db_engine(server_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _subscribe(db: Database, url: str, name: str) -> None:
    with db.session(write=True) as session:
        session.add(
            Webhook(
                public_id=f"wh{name}",
                name=name,
                url=url,
                events=["*"],
                secret=SECRET,
                active=True,
                cursor=event_service.current_number(session),
            )
        )
        session.commit()


def _received(receiver: Server) -> tuple[int, int]:
    connection = http.client.HTTPConnection(HOST, receiver.port, timeout=10)
    try:
        connection.request("GET", "/count")
        received, bad = connection.getresponse().read().split()
        return int(received), int(bad)
    finally:
        connection.close()


# 1. Throughput ---------------------------------------------------------------------------------


def throughput(
    url: str, receiver: Server, count: int, plan: CpuPlan, console: Console
) -> dict[str, Any]:
    db = Database(url)
    try:
        _subscribe(db, f"http://{HOST}:{receiver.port}/hook", "throughput")
        with db.session(write=True) as session:
            for n in range(count):
                event_service.emit(
                    session,
                    type="article.updated",
                    item_type="article",
                    item_id=f"a{n % 200}",
                    data={"id": f"a{n % 200}", "n": n, "sections": ["news"]},
                    surrogate_keys=[f"article:a{n % 200}", "articles", "feeds"],
                )
            session.commit()
        before, bad_before = _received(receiver)
        settings = Settings(database_url=url, webhook_interval=0.05, allow_private_webhooks=True)
        if plan.server is not None:
            os.sched_setaffinity(0, {plan.server})
        stop = asyncio.Event()
        elapsed = 0.0

        async def measure() -> None:
            nonlocal elapsed
            started = time.perf_counter()
            task = asyncio.create_task(webhook_service.run(db, settings=settings, stop=stop))
            while (await asyncio.to_thread(_received, receiver))[0] - before < count:
                await asyncio.sleep(0.05)
            elapsed = time.perf_counter() - started
            stop.set()
            await task

        console.print(f"throughput: delivering {count} events…")
        asyncio.run(measure())
        received, bad = _received(receiver)
        with db.session() as session:
            dead = session.scalar(select(func.count()).where(WebhookDelivery.status != "delivered"))
        return {
            "events": count,
            "seconds": round(elapsed, 2),
            "events_per_s": round(count / elapsed, 1),
            "received": received - before,
            "bad_signatures": bad - bad_before,
            "not_delivered": dead,
        }
    finally:
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
        db.dispose()


# 2. Publish latency ----------------------------------------------------------------------------


@contextmanager
def _black_hole() -> Iterator[int]:
    """A port that accepts connections into its backlog and never reads nor answers."""
    sock = socket.socket()
    sock.bind((HOST, 0))
    sock.listen(1024)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = sock.accept()
                held.append(connection)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        sock.close()


def latency(
    url: str,
    receiver: Server,
    dead_port: int,
    *,
    subscriptions: int,
    dead: int,
    publishes: int,
    procs: Processes,
    plan: CpuPlan,
    workdir: Path,
    console: Console,
) -> dict[str, Any]:
    db = Database(url)
    try:
        with db.session(write=True) as session:
            _key, token = key_service.create_key(session, name="bench", role="editor")
            session.commit()
        for n in range(subscriptions):
            target = (
                f"http://{HOST}:{dead_port}/hook"
                if n < dead
                else f"http://{HOST}:{receiver.port}/hook{n}"
            )
            _subscribe(db, target, f"sub{n}")
    finally:
        db.dispose()
    os.environ["KHABAR_WEBHOOK_INTERVAL"] = "0.1"
    os.environ["KHABAR_ALLOW_PRIVATE_WEBHOOKS"] = "1"
    try:
        khabar = start_khabar(
            procs,
            database_url=url,
            media_dir=workdir / "media",
            cpu=plan.server,
            log=workdir / f"khabar-{subscriptions}.log",
        )
    finally:
        del os.environ["KHABAR_WEBHOOK_INTERVAL"], os.environ["KHABAR_ALLOW_PRIVATE_WEBHOOKS"]
    try:
        connection = http.client.HTTPConnection(HOST, khabar.port, timeout=60)
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        body = json.dumps(
            {"headline": "اختبار سرعة النشر", "body": [{"type": "paragraph", "html": "نص."}],
             "status": "published"}
        )  # fmt: skip
        connection.request("POST", "/v1/articles", body=body.encode(), headers=auth)
        created = json.loads(connection.getresponse().read())
        version = created["version"]
        before, _ = _received(receiver)
        console.print(
            f"latency: {publishes} edits with {subscriptions} subscriptions ({dead} dead)…"
        )
        timings: list[float] = []
        started = time.perf_counter()
        for n in range(publishes):
            patch = json.dumps({"headline": f"اختبار سرعة النشر {n}"}).encode()
            begin = time.perf_counter()
            connection.request(
                "PATCH",
                f"/v1/articles/{created['id']}",
                body=patch,
                headers={**auth, "If-Match": str(version)},
            )
            response = connection.getresponse()
            answer = json.loads(response.read())
            timings.append((time.perf_counter() - begin) * 1000)
            if response.status != 200:
                raise RuntimeError(f"edit {n}: {response.status} {answer}")
            version = answer["version"]
        wall = time.perf_counter() - started
        live = subscriptions - dead
        expected = live * (publishes + 1)  # the create is an event too
        deadline = time.monotonic() + 120
        while _received(receiver)[0] - before < expected and time.monotonic() < deadline:
            time.sleep(0.05)
        drained = time.perf_counter() - started
        delivered = _received(receiver)[0] - before
        connection.close()
        timings.sort()
        return {
            "subscriptions": subscriptions,
            "dead": dead,
            "edits": publishes,
            "p50_ms": round(statistics.median(timings), 2),
            "p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 2),
            "p99_ms": round(timings[int(0.99 * (len(timings) - 1))], 2),
            "max_ms": round(timings[-1], 2),
            "edits_per_s": round(publishes / wall, 1),
            "live_deliveries_expected": expected,
            "live_deliveries_received": delivered,
            "all_delivered_after_s": round(drained, 2) if delivered >= expected else None,
            "peak_rss_mib": round((khabar.peak_rss_kib() or 0) / 1024, 1),
        }
    finally:
        procs.stop(khabar.process)


# Report ----------------------------------------------------------------------------------------


def _report(console: Console, results: dict[str, Any]) -> None:
    t = results["throughput"]
    console.print(
        f"\n[bold]Dispatcher throughput[/] ({results['store']}): {t['events']} events in "
        f"{t['seconds']} s = [bold]{t['events_per_s']} events/s[/] to one local receiver "
        f"(received {t['received']}, bad signatures {t['bad_signatures']}, "
        f"not delivered {t['not_delivered']})"
    )
    table = Table(title=f"Publish latency ({results['store']}, sequential PATCH, one connection)")
    for column in ("subscriptions", "p50 ms", "p95 ms", "p99 ms", "max ms", "edits/s",
                   "live deliveries", "all delivered after"):  # fmt: skip
        table.add_column(column, justify="right")
    for run in results["latency"].values():
        table.add_row(
            "none" if run["subscriptions"] == 0 else f"{run['subscriptions']} ({run['dead']} dead)",
            str(run["p50_ms"]),
            str(run["p95_ms"]),
            str(run["p99_ms"]),
            str(run["max_ms"]),
            str(run["edits_per_s"]),
            f"{run['live_deliveries_received']}/{run['live_deliveries_expected']}",
            "–" if run["all_delivered_after_s"] is None else f"{run['all_delivered_after_s']} s",
        )
    console.print(table)


if __name__ == "__main__":
    main()

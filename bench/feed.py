"""The feed's in-process figure: how long building the RSS feed takes without HTTP.

The load scenarios ``feed`` and ``feed-304`` (see ``bench.scenarios``) measure the whole request.
This times what the handler does besides HTTP, in the harness, on the server's CPU while the
servers are idle: in a read session of its own, ``feeds.build`` (the ids) and
``feeds.items_of`` (the rows, their links and media, one ``ArticleRead`` per item: the build
without ready-made pages, which the server reads instead once it has them) then
``feeds.render`` (lxml), N times. Then, in the same way, the queries alone (``feeds.build`` and
``full_by_ids``: the queries and the ORM) and ``feeds.render`` alone on the built feed (the
XML), so that the total can be split: queries, presenting (the rest), XML. The first build is
untimed, and its bytes must equal what the running Khabar sent for the same URL.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from app.config import Settings
from app.db import Database
from app.routers.present import presenter
from app.services import articles as article_service
from app.services import feeds as feed_service
from app.services.feeds import Feed, FeedQuery
from bench.scenarios import FEED
from bench.servers import HOST, Server, get


def generation(
    khabar: Server,
    database_url: str,
    *,
    media_dir: Path,
    builds: int,
    cpu: int | None,
    console: Console,
) -> dict[str, Any]:
    status, _headers, served = get(khabar.port, FEED)
    if status != 200:
        raise RuntimeError(f"Khabar answered {status} to {FEED}")
    # What `khabar serve` was given (bench.servers.start_khabar); the rest from the same
    # environment.
    settings = Settings(
        database_url=database_url,
        base_url=f"http://{HOST}:{khabar.port}",
        media_dir=str(media_dir),
    )
    database = Database(database_url)
    view = presenter(settings)

    def build() -> Feed:
        with database.session() as session:
            feed = feed_service.build(session, settings, kind="rss", query=FeedQuery())
            feed.items = feed_service.items_of(session, feed.ids, view.article)
            return feed

    def latest() -> None:
        with database.session() as session:
            feed = feed_service.build(session, settings, kind="rss", query=FeedQuery())
            article_service.full_by_ids(session, feed.ids)

    console.print(f"  feed build → in-process: {builds} builds of {FEED} …", end="")
    previous = os.sched_getaffinity(0)
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    try:
        feed = build()
        body = feed_service.render(feed)
        if body != served:
            raise RuntimeError(
                f"the feed built in-process ({len(body)} bytes) differs from what Khabar sent "
                f"for {FEED} ({len(served)} bytes)"
            )
        total, total_cpu = _timed(lambda: feed_service.render(build()), builds)
        queries, _ = _timed(latest, builds)
        xml, _ = _timed(lambda: feed_service.render(feed), builds)
    finally:
        os.sched_setaffinity(0, previous)
        database.dispose()
    console.print(f" median {statistics.median(total):.1f} ms")
    return {
        "builds": builds,
        "items": len(feed.items),
        "full_content": feed.full_content,
        "bytes": len(body),
        "build_ms": _summary(total),
        "cpu_ms": _summary(total_cpu),
        "queries_ms": _summary(queries),
        "render_ms": _summary(xml),
    }


def _timed(work: Callable[[], object], times: int) -> tuple[list[float], list[float]]:
    walls: list[float] = []
    used: list[float] = []
    for _ in range(times):
        begun, begun_cpu = time.perf_counter_ns(), time.thread_time_ns()
        work()
        walls.append((time.perf_counter_ns() - begun) / 1e6)
        used.append((time.thread_time_ns() - begun_cpu) / 1e6)
    return walls, used


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 2),
        "min": round(min(values), 2),
        "max": round(max(values), 2),
    }

"""What is measured: the URLs of each scenario, and the exact responses Khabar gives for them.

Khabar runs as two servers: one with its edge cache off, for every scenario but ``hit``, so
that each of their requests is a cold read; and one whose edge cache ``fill_cache`` fills
before ``hit`` is measured on it, so that each request is a hit in a full cache.
"""

from __future__ import annotations

import base64
import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from lxml import etree
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, track
from sqlalchemy import create_engine, select

from app.config import Settings
from app.db import sync_url
from app.models import Article, Section
from app.services.articles import published
from app.services.pagination import encode_cursor
from bench.servers import Connection, Server, get

PAGE = 20
FULL_DEPTH = 50_000
FEED = "/v1/feeds/rss"
FEED_ITEMS = Settings.model_fields["feed_items"].default
SEARCH_QUERIES = 20
# The cache-hit server's edge cache is filled with distinct articles until this many times its
# size came back: full, and evicting.
FILL_FACTOR = 1.5
# With several workers, new connections tried per worker to reach one not filled yet.
FILL_PROBES = 20
# Hop-by-hop or per-response headers: uvicorn writes its own Date, and the baseline computes
# Content-Length; everything else Khabar sent (ETag, Cache-Control, Vary, Link, ...) is replayed.
_NOT_REPLAYED = {"date", "server", "content-length", "connection", "transfer-encoding"}


@dataclass
class Scenario:
    key: str
    title: str
    paths: list[str]
    note: str
    check: dict[str, str] | None = None  # path -> public id its first list item must have
    # What the baseline is: "replay" (bench/baseline.py sends Khabar's bytes for the same
    # paths) or "static" (bench/static.py serves the same file at baseline_paths).
    baseline: str = "replay"
    baseline_paths: list[str] | None = None
    # Sent with every request, and the status every response must have. A scenario that
    # revalidates sends If-None-Match with the ETag its (one) path answered with, learnt when
    # the responses are captured, and expects 304.
    headers: dict[str, str] | None = None
    status: int = 200
    revalidate: bool = False
    items: int | None = None  # how many items the (RSS) response must have
    # The Khabar server that answers: "khabar" (edge cache off) or "cached" (see the module
    # docstring).
    server: str = "khabar"
    # URLs tried in order when the responses are captured: the first SEARCH_QUERIES that find
    # something become the paths.
    candidates: list[str] | None = None
    # Whether every response has the length captured, which the load generator checks. A
    # search hit's score carries the recency factor, which moves with the clock, and with it
    # the length of its digits.
    same_length: bool = True

    def paths_for(self, side: str) -> list[str]:
        """The URLs loaded on "khabar" or on "baseline"."""
        if side == "baseline" and self.baseline_paths is not None:
            return self.baseline_paths
        return self.paths

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "urls": len(self.paths),
            "note": self.note,
            "baseline": self.baseline,
            "server": self.server,
            "status": self.status,
            "headers": self.headers,
        }


@dataclass
class Responses:
    """Khabar's answer to every URL measured, as the baseline replays it (bench/baseline.py
    loads the file ``write`` makes), and the body length per URL that the load generator then
    expects from both servers."""

    stored: dict[str, Any] = field(default_factory=dict)
    lengths: dict[str, int] = field(default_factory=dict)

    def add(self, target: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.stored[target] = {
            "status": 200,
            "headers": _replayed(headers),
            "body": base64.b64encode(body).decode("ascii"),
        }
        self.lengths[target] = len(body)

    def body(self, target: str) -> bytes:
        return base64.b64decode(self.stored[target]["body"])

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.stored))


def plan(
    database_url: str, *, articles: int, ids: int, slugs: int, seed: int, edge_cache_mb: float
) -> list[Scenario]:
    """The article, section, search and feed scenarios, with ids, slugs and search words drawn
    at random (seeded) from the data set."""
    rng = random.Random(seed)
    depth = FULL_DEPTH if articles >= 2 * FULL_DEPTH else articles // 2
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as conn:
            wanted = rng.sample(range(1, articles + 1), min(ids, articles))
            by_id = dict(
                conn.execute(select(Article.id, Article.public_id).where(Article.id.in_(wanted)))
                .tuples()
                .all()
            )
            candidates = rng.sample(range(1, articles + 1), min(slugs * 2, articles))
            slug_of = dict(
                conn.execute(
                    select(Article.id, Article.slug).where(
                        Article.id.in_(candidates), Article.lang == "ar"
                    )
                )
                .tuples()
                .all()
            )
            newest = select(Article.published_at, Article.id, Article.public_id).where(
                Article.status == "published"
            )
            newest = newest.order_by(Article.published_at.desc(), Article.id.desc())
            # The row at `depth` (its key is the cursor) and the one after it (the page's first).
            last_seen, first_next = conn.execute(newest.offset(depth - 1).limit(2)).all()
            first_page = conn.execute(newest.limit(1)).one()
            fronts = conn.scalars(
                select(Section.slug).where(Section.parent_id.is_(None)).order_by(Section.position)
            ).all()
            sampled = rng.sample(range(1, articles + 1), min(SEARCH_QUERIES * 3, articles))
            headlines = conn.scalars(
                select(Article.headline)
                .where(Article.id.in_(sampled), Article.lang == "ar")
                .order_by(Article.id)
            ).all()
    finally:
        engine.dispose()
    cursor = encode_cursor("published", last_seen.published_at, last_seen.id)
    deep_path = f"/v1/articles?limit={PAGE}&cursor={cursor}"
    first_path = f"/v1/articles?limit={PAGE}"
    depth_note = f"after {depth:,} articles"
    if depth != FULL_DEPTH:
        depth_note += f" (N/2: the data set has fewer than {2 * FULL_DEPTH:,})"
    slug_ids = [i for i in candidates if i in slug_of][:slugs]
    by_id_paths = [f"/v1/articles/{by_id[i]}" for i in wanted]
    # What a reader remembers of a story: three consecutive words of a headline. (Single words
    # of the generator's vocabulary are each in a large share of the articles, unlike a real
    # newsroom's: `make bench search` measures search on real Arabic news.)
    fragments = []
    for headline in headlines:
        terms = headline.split()
        if len(terms) >= 3:
            start = rng.randrange(len(terms) - 2)
            fragments.append(" ".join(terms[start : start + 3]))
    return [
        Scenario(
            "by-id",
            "article by id, cold",
            by_id_paths,
            f"{len(wanted)} random ids, cycled",
        ),
        Scenario(
            "hit",
            "article by id, cache hit",
            by_id_paths,
            f"the same {len(wanted)} ids, in a full {edge_cache_mb:g} MB edge cache",
            server="cached",
        ),
        Scenario(
            "by-slug",
            "article by slug",
            [f"/v1/articles/slug/{quote(slug_of[i], safe='')}" for i in slug_ids],
            f"{len(slug_ids)} random Arabic slugs, percent-encoded, cycled",
        ),
        Scenario(
            "list-first",
            "list, first page",
            [first_path],
            f"limit={PAGE}",
            check={first_path: first_page.public_id},
        ),
        Scenario(
            "list-deep",
            "list, deep cursor",
            [deep_path],
            f"limit={PAGE}, cursor {depth_note}",
            check={deep_path: first_next.public_id},
        ),
        Scenario(
            "section",
            "section front",
            [f"/v1/sections/{slug}" for slug in fronts],
            f"the {len(fronts)} top-level sections, cycled",
        ),
        Scenario(
            "search",
            "search",
            [],
            f"{SEARCH_QUERIES} headline fragments of three words, cycled",
            candidates=[f"/v1/search?q={quote(fragment)}" for fragment in fragments],
            same_length=False,
        ),
        # Khabar's defaults: the newest 50 articles (KHABAR_FEED_ITEMS), full content.
        Scenario(
            "feed",
            "RSS feed, cold",
            [FEED],
            f"{min(FEED_ITEMS, articles)} items, full content, no validators",
            check={FEED: first_page.public_id},
            items=min(FEED_ITEMS, articles),
        ),
        Scenario(
            "feed-304",
            "RSS feed, conditional",
            [FEED],
            "If-None-Match: its ETag → 304",
            status=304,
            revalidate=True,
        ),
    ]


def capture(port: int, scenarios: list[Scenario], console: Console) -> Responses:
    """Fetch every URL once from Khabar and check it; choose the search queries."""
    responses = Responses()
    # dict.fromkeys: the feed scenarios share their URL, by-id and hit their URLs.
    targets = list(dict.fromkeys(["/healthz", *(p for s in scenarios for p in s.paths)]))
    for target in track(targets, description="Fetching Khabar's responses", console=console):
        headers, body = _ok(target, get(port, target))
        responses.add(target, headers, body)
    for scenario in scenarios:
        if scenario.candidates is not None:
            scenario.paths = _queries(port, scenario.candidates, responses, console)
            scenario.note = f"{len(scenario.paths)} headline fragments of three words, cycled"
        for target, public_id in (scenario.check or {}).items():
            items = _item_ids(responses.body(target))
            if not items or items[0] != public_id:
                got = items[0] if items else None
                raise RuntimeError(f"{target}: first item {got}, expected {public_id}")
            if scenario.items is not None and len(items) != scenario.items:
                raise RuntimeError(f"{target}: {len(items)} items, expected {scenario.items}")
        if scenario.revalidate:
            (target,) = scenario.paths
            etag = dict((k.lower(), v) for k, v in responses.stored[target]["headers"])["etag"]
            scenario.headers = {"If-None-Match": etag}
            status, headers, body = get(port, target, headers=scenario.headers)
            if status != 304 or body:
                raise RuntimeError(f"Khabar answered {status} to {target} with If-None-Match")
            # The baseline answers a request that sends this ETag with these headers.
            responses.stored[target]["not_modified"] = {"etag": etag, "headers": _replayed(headers)}
    return responses


def _queries(port: int, candidates: list[str], responses: Responses, console: Console) -> list[str]:
    """The first SEARCH_QUERIES candidates that find at least one article."""
    found: list[str] = []
    with Progress(
        TextColumn("Choosing search queries"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        console=console,
    ) as progress:
        task = progress.add_task("", total=SEARCH_QUERIES)
        for target in candidates:
            status, headers, body = get(port, target, timeout=120)
            if status == 200 and json.loads(body)["items"]:
                responses.add(target, headers, body)
                found.append(target)
                progress.advance(task)
                if len(found) == SEARCH_QUERIES:
                    break
    if not found:
        raise RuntimeError(f"no search query found anything (tried {len(candidates)})")
    return found


def fill_cache(
    server: Server,
    database_url: str,
    *,
    hit: Scenario,
    responses: Responses,
    megabytes: float,
    console: Console,
) -> dict[str, Any]:
    """Fill the edge cache of each of the server's workers, then check that the hit paths are
    hits with the bytes the cache-less server sent.

    Per worker, on one keep-alive connection (which stays with the worker that accepted it):
    published articles by id, oldest first, until FILL_FACTOR times the cache's size came back;
    then the hit paths twice: kept on the first pass, and on the second each answer must be a
    hit with the same body. A worker filled already is told apart by a hit path it answers from
    its cache: that connection is dropped for another one."""
    budget = int(megabytes * 2**20 * FILL_FACTOR)
    filled: list[dict[str, Any]] = []
    attempts = 0
    while len(filled) < server.workers and attempts < FILL_PROBES * server.workers:
        attempts += 1
        connection = Connection(server.port, timeout=120)
        try:
            headers, _body = _ok(hit.paths[0], connection.get(hit.paths[0]))
            if _x_cache(headers) == "HIT":
                continue
            filled.append(_fill(connection, database_url, budget, console))
            _check_hits(connection, hit, responses)
        finally:
            connection.close()
    if len(filled) < server.workers:
        console.print(
            f"[yellow]Filled the edge cache of {len(filled)} of {server.workers} workers: "
            f"{attempts} new connections all went to filled ones.[/yellow]"
        )
    return {"megabytes": megabytes, "budget_bytes": budget, "workers": filled}


def _fill(
    connection: Connection, database_url: str, budget: int, console: Console
) -> dict[str, Any]:
    fetched = requests = 0
    last_id = 0
    started = time.perf_counter()
    engine = create_engine(sync_url(database_url))
    try:
        with Progress(
            TextColumn("Filling the edge cache"),
            BarColumn(),
            DownloadColumn(binary_units=True),
            console=console,
        ) as progress:
            task = progress.add_task("", total=budget)
            while fetched < budget:
                with engine.connect() as conn:
                    rows = conn.execute(
                        select(Article.id, Article.public_id)
                        .where(published(), Article.id > last_id)
                        .order_by(Article.id)
                        .limit(1_000)
                    ).all()
                if not rows:
                    break  # the whole data set is smaller than the budget
                for row in rows:
                    path = f"/v1/articles/{row.public_id}"
                    _headers, body = _ok(path, connection.get(path))
                    fetched += len(body)
                    requests += 1
                    progress.update(task, completed=min(fetched, budget))
                    if fetched >= budget:
                        break
                last_id = rows[-1].id
    finally:
        engine.dispose()
    return {
        "requests": requests,
        "bytes": fetched,
        "seconds": round(time.perf_counter() - started, 1),
        "whole_data_set": fetched < budget,
    }


def _check_hits(connection: Connection, hit: Scenario, responses: Responses) -> None:
    for path in hit.paths:
        _ok(path, connection.get(path))
    for path in hit.paths:
        headers, body = _ok(path, connection.get(path))
        if _x_cache(headers) != "HIT":
            raise RuntimeError(
                f"{path}: X-Cache {_x_cache(headers)} on the second request, expected HIT "
                "(is --edge-cache large enough for the ids?)"
            )
        if body != responses.body(path):
            raise RuntimeError(
                f"{path}: the cached server sent {len(body)} bytes that differ from the "
                f"{len(responses.body(path))} the cache-less one sent"
            )


def _ok(
    target: str, response: tuple[int, list[tuple[str, str]], bytes]
) -> tuple[list[tuple[str, str]], bytes]:
    """The headers and body of a response that must be a 200."""
    status, headers, body = response
    if status != 200:
        raise RuntimeError(f"Khabar answered {status} to {target}: {body[:300]!r}")
    return headers, body


def _x_cache(headers: list[tuple[str, str]]) -> str | None:
    return next((v for k, v in headers if k.lower() == "x-cache"), None)


def _replayed(headers: list[tuple[str, str]]) -> list[list[str]]:
    return [[k, v] for k, v in headers if k.lower() not in _NOT_REPLAYED]


def _item_ids(body: bytes) -> list[str]:
    """The public ids of a list page's items (JSON), or of an RSS feed's (its guids are tag:
    URIs ending in the id)."""
    if body.startswith(b"<?xml"):
        guids = etree.fromstring(body).findall("channel/item/guid")
        return [(guid.text or "").rsplit(":", 1)[-1] for guid in guids]
    return [item["id"] for item in json.loads(body)["items"]]

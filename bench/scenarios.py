"""What is measured: the URLs of each scenario, and the exact responses Khabar gives for them."""

from __future__ import annotations

import base64
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from lxml import etree
from rich.console import Console
from rich.progress import track
from sqlalchemy import create_engine, select

from app.config import Settings
from app.models import Article
from app.services.pagination import encode_cursor
from bench.servers import get

PAGE = 20
FULL_DEPTH = 50_000
FEED = "/v1/feeds/rss"
FEED_ITEMS = Settings.model_fields["feed_items"].default
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
            "status": self.status,
            "headers": self.headers,
        }


def plan(database_url: str, *, articles: int, ids: int, slugs: int, seed: int) -> list[Scenario]:
    """The article and feed scenarios, with ids and slugs drawn at random (seeded) from the
    data set."""
    rng = random.Random(seed)
    depth = FULL_DEPTH if articles >= 2 * FULL_DEPTH else articles // 2
    engine = create_engine(database_url)
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
    finally:
        engine.dispose()
    cursor = encode_cursor("published", last_seen.published_at, last_seen.id)
    deep_path = f"/v1/articles?limit={PAGE}&cursor={cursor}"
    first_path = f"/v1/articles?limit={PAGE}"
    depth_note = f"after {depth:,} articles"
    if depth != FULL_DEPTH:
        depth_note += f" (N/2: the data set has fewer than {2 * FULL_DEPTH:,})"
    slug_ids = [i for i in candidates if i in slug_of][:slugs]
    return [
        Scenario(
            "by-id",
            "article by id",
            [f"/v1/articles/{by_id[i]}" for i in wanted],
            f"{len(wanted)} random ids, cycled",
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


def capture(port: int, scenarios: list[Scenario], path: Path, console: Console) -> dict[str, int]:
    """Fetch every URL once from Khabar, check it, and write the baseline's response file.

    Returns the body length per path, which the load generator then expects from both servers.
    """
    stored: dict[str, Any] = {}
    lengths: dict[str, int] = {}
    # dict.fromkeys: the feed scenarios share their URL.
    targets = list(dict.fromkeys(["/healthz", *(p for s in scenarios for p in s.paths)]))
    for target in track(targets, description="Fetching Khabar's responses", console=console):
        status, headers, body = get(port, target)
        if status != 200:
            raise RuntimeError(f"Khabar answered {status} to {target}: {body[:300]!r}")
        stored[target] = {
            "status": status,
            "headers": [[k, v] for k, v in headers if k.lower() not in _NOT_REPLAYED],
            "body": base64.b64encode(body).decode("ascii"),
        }
        lengths[target] = len(body)
    for scenario in scenarios:
        for target, public_id in (scenario.check or {}).items():
            items = _item_ids(base64.b64decode(stored[target]["body"]))
            if not items or items[0] != public_id:
                got = items[0] if items else None
                raise RuntimeError(f"{target}: first item {got}, expected {public_id}")
            if scenario.items is not None and len(items) != scenario.items:
                raise RuntimeError(f"{target}: {len(items)} items, expected {scenario.items}")
        if scenario.revalidate:
            (target,) = scenario.paths
            etag = dict((k.lower(), v) for k, v in stored[target]["headers"])["etag"]
            scenario.headers = {"If-None-Match": etag}
            status, headers, body = get(port, target, headers=scenario.headers)
            if status != 304 or body:
                raise RuntimeError(f"Khabar answered {status} to {target} with If-None-Match")
            # The baseline answers a request that sends this ETag with these headers.
            stored[target]["not_modified"] = {
                "etag": etag,
                "headers": [[k, v] for k, v in headers if k.lower() not in _NOT_REPLAYED],
            }
    path.write_text(json.dumps(stored))
    return lengths


def _item_ids(body: bytes) -> list[str]:
    """The public ids of a list page's items (JSON), or of an RSS feed's (its guids are tag:
    URIs ending in the id)."""
    if body.startswith(b"<?xml"):
        guids = etree.fromstring(body).findall("channel/item/guid")
        return [(guid.text or "").rsplit(":", 1)[-1] for guid in guids]
    return [item["id"] for item in json.loads(body)["items"]]

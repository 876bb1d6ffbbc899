"""The public reads' queries have indexes to match: the plan of every statement they run.

A store of a few thousand published articles (plus drafts, scheduled, archived and trashed ones)
is written straight into the tables; each read is then requested through the app, the
statements it runs are captured as sent, and each one that reads ``article`` is explained:
``EXPLAIN QUERY PLAN`` on SQLite, ``EXPLAIN (FORMAT JSON)`` on PostgreSQL. The rules:

- no full scan of ``article``: SQLite's ``SCAN article``; PostgreSQL's Seq Scan of it, or an
  index scan of it without an index condition (a walk of the whole index);
- an ordered read (``ORDER BY article.…``: the lists, feeds, news sitemap, sync copy; the
  sitemap index's numbering) takes its order from an index: no ``TEMP B-TREE FOR ORDER BY``
  beside an index range of ``article`` (SQLite), no Sort of about every published article
  (PostgreSQL); sorting the articles of one tag, or pages merged, is fine;
- articles picked by key (``article.id IN (…)``, ``article.public_id IN (…)``) are sought by
  that key, not found by walking every published article and checking each.

SQLite is checked as deployed, without statistics (nothing in Khabar runs ``ANALYZE``), then
analyzed: the same statements explained again. PostgreSQL is analyzed, as autovacuum keeps it;
it chooses plans by cost, so the store has thousands of rows, enough that reading the whole
table is not the cheapest way to a page. Its plans still depend on the data's shape (row widths,
the share of the store a file or a filter takes), which is why the rules ask for an index path
rather than for one particular plan.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, PrimaryKeyConstraint, UniqueConstraint, event, insert

from app.config import Settings
from app.db import Database
from app.models import (
    Article,
    ArticleAuthor,
    ArticleRelated,
    ArticleSection,
    ArticleTag,
    Author,
    Section,
    SectionPin,
    SyncItem,
    Tag,
)
from app.services import articles as article_service
from app.services import ready
from app.services.pagination import encode_cursor
from app.services.sync import Token

PUBLISHED = 3000
OTHERS = {"draft": 400, "scheduled": 50, "archived": 100, "trashed": 50}
SECTIONS = 12  # s1-s3 at the top, s4-s12 under them
TAGS = 50
AUTHORS = 20
STEP = timedelta(hours=3)  # between two publications: 16 articles in the news sitemap's 48 h
# The article with links: PUBLISHED - 1 … PUBLISHED - 10 related, two translations.
LINKED = PUBLISHED
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


@dataclass(frozen=True)
class Read:
    path: str
    params: dict[str, Any]  # a callable value is called with the Store


@dataclass
class Store:
    database: Database
    now: datetime
    linked: str  # the public id of the article with links


def deep_cursor(store: Store) -> str:
    """The cursor after the middle published article (the list's page 75 of 20)."""
    middle = PUBLISHED // 2
    return encode_cursor("published", store.now - (PUBLISHED - middle) * STEP, middle)


def log_token(_store: Store) -> str:
    """A sync token past the copy: the next page comes from the sync log."""
    return Token(0, None, "", "", None, None).encode()


READS = {
    "articles": Read("/v1/articles", {}),
    "articles by section": Read("/v1/articles", {"section": "s1"}),
    "articles by tag": Read("/v1/articles", {"tag": "t1"}),
    "articles by author": Read("/v1/articles", {"author": "a1"}),
    "articles by lang": Read("/v1/articles", {"lang": "en"}),
    "articles deep page": Read("/v1/articles", {"cursor": deep_cursor}),
    "article page": Read("/v1/articles/{linked}", {}),
    "section front": Read("/v1/sections/s1", {}),
    "rss feed": Read("/v1/feeds/rss", {}),
    "json feed by tag": Read("/v1/feeds/json", {"tag": "t2"}),
    "ninjs": Read("/v1/ninjs", {}),
    "sitemap index": Read("/v1/sitemap.xml", {}),
    "sitemap first file": Read("/v1/sitemaps/articles-1.xml", {}),
    "sitemap later file": Read("/v1/sitemaps/articles-20.xml", {}),
    "news sitemap": Read("/v1/sitemaps/news.xml", {}),
    "sync copy": Read("/v1/sync", {}),
    "sync log": Read("/v1/sync", {"token": log_token}),
}


# The store -----------------------------------------------------------------------------------


def _public_id(rng: random.Random) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(16))


def fill(conn: Connection, *, now: datetime) -> str:
    """Write the store with Core inserts (ids are assigned here, so links need no round trip);
    the public id of the article with links."""
    rng = random.Random(8)
    conn.execute(
        insert(Section),
        [
            {
                "id": i,
                "slug": f"s{i}",
                "names": {"ar": f"قسم {i}", "en": f"Section {i}"},
                "parent_id": None if i <= 3 else (i % 3) + 1,
                "position": i,
            }
            for i in range(1, SECTIONS + 1)
        ],
    )
    conn.execute(
        insert(Tag),
        [
            {"id": i, "slug": f"t{i}", "name": f"وسم {i}", "lang": "ar", "type": "topic"}
            for i in range(1, TAGS + 1)
        ],
    )
    conn.execute(
        insert(Author),
        [
            {"id": i, "slug": f"a{i}", "name": f"كاتب {i}", "lang": "ar"}
            for i in range(1, AUTHORS + 1)
        ],
    )
    html = "<p>" + "افتتحت البلدية جسر الميناء صباح اليوم بعد ثلاث سنوات من العمل. " * 12 + "</p>"
    statuses = ["published"] * PUBLISHED + [s for s, n in OTHERS.items() for _ in range(n)]
    rows = []
    for i, status in enumerate(statuses, start=1):
        when = now - (PUBLISHED - i) * STEP if i <= PUBLISHED else now - rng.randint(1, 9000) * STEP
        rows.append(
            {
                "id": i,
                "public_id": _public_id(rng),
                "lang": "en" if i % 10 == 0 else "ar",
                "slug": f"article-{i}",
                "status": status,
                "headline": f"افتتاح جسر الميناء رقم {i}",
                "summary": "البلدية تفتتح الجسر بعد ثلاث سنوات من العمل.",
                "body": [{"type": "paragraph", "html": html}],
                "body_html": html,
                "primary_section_id": rng.randint(1, SECTIONS),
                "translation_group": "g1" if i in (LINKED, LINKED - 11, LINKED - 12) else None,
                "created_at": when,
                "updated_at": when,
                "published_at": when if status in ("published", "archived") else None,
                "scheduled_at": now + STEP if status == "scheduled" else None,
            }
        )
    conn.execute(insert(Article), rows)
    ids = range(1, len(statuses) + 1)
    conn.execute(
        insert(ArticleTag),
        [
            {"article_id": i, "tag_id": tag, "position": position}
            for i in ids
            for position, tag in enumerate(rng.sample(range(1, TAGS + 1), 2))
        ],
    )
    conn.execute(
        insert(ArticleAuthor),
        [
            {"article_id": i, "author_id": author, "position": position}
            for i in ids
            for position, author in enumerate(rng.sample(range(1, AUTHORS + 1), 1 + i % 2))
        ],
    )
    conn.execute(
        insert(ArticleSection),
        [
            {"article_id": i, "section_id": rng.randint(1, SECTIONS), "position": 0}
            for i in ids[::3]
        ],
    )
    conn.execute(
        insert(ArticleRelated),
        [{"article_id": LINKED, "related_id": LINKED - k, "position": k} for k in range(1, 11)],
    )
    conn.execute(
        insert(SectionPin),
        [{"section_id": 1, "article_id": PUBLISHED - 3 * k, "position": k} for k in range(5)],
    )
    # The sync log: the newest articles changed since event 0, drafts among them (deletions).
    conn.execute(
        insert(SyncItem),
        [
            {
                "item_type": "article",
                "item_id": rows[i - 1]["public_id"],
                "seq": n,
                "deleted": False,
            }
            for n, i in enumerate(
                [*range(PUBLISHED - 49, PUBLISHED + 1), *range(PUBLISHED + 1, PUBLISHED + 11)],
                start=1,
            )
        ],
    )
    return str(rows[LINKED - 1]["public_id"])


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Files of 100 URLs: a file is a small part of the store, as 50,000 are of a large one.
    return settings.model_copy(update={"sitemap_urls": 100})


@pytest.fixture
def store(database: Database) -> Store:
    now = datetime.now(UTC)
    with database.engine.begin() as conn:
        linked = fill(conn, now=now)
    if not database.is_sqlite:
        autocommit = database.engine.execution_options(isolation_level="AUTOCOMMIT")
        with autocommit.connect() as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        database.engine.dispose()  # new connections, which read the statistics
    return Store(database, now, linked)


def statistics(database: Database) -> Iterator[str]:
    """The states the plans are checked in, one after the other (by name): SQLite as deployed,
    then analyzed; PostgreSQL analyzed (by the store fixture)."""
    if not database.is_sqlite:
        yield "postgresql analyzed"
        return
    yield "sqlite"
    with database.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    database.engine.dispose()  # new connections, which read the statistics
    yield "sqlite analyzed"


# Plans ---------------------------------------------------------------------------------------

_READS_ARTICLE = re.compile(r"\barticle\b")
_ORDERED = re.compile(r"ORDER BY article\.")
_ARTICLE = Article.metadata.tables["article"]
ARTICLE_INDEXES = {str(index.name) for index in _ARTICLE.indexes} | {
    str(constraint.name)
    for constraint in _ARTICLE.constraints
    if isinstance(constraint, PrimaryKeyConstraint | UniqueConstraint)
}


@contextmanager
def captured(database: Database) -> Iterator[list[tuple[str, Any]]]:
    """The SELECTs the app sends that read the article table, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper()
        if verb in ("SELECT", "WITH") and _READS_ARTICLE.search(statement):
            seen.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", record)


def _lookups(statement: str) -> list[str]:
    """The columns the statement picks articles by (``article.id IN (…)``)."""
    return [column for column in ("id", "public_id") if f"article.{column} IN (" in statement]


_ARTICLE_RANGE = re.compile(r"SCAN article\b|SEARCH article USING (COVERING )?INDEX")


def sqlite_problems(statement: str, plan: list[tuple[int, str]]) -> list[str]:
    """``plan``: each step's parent and detail."""
    details = [d for _, d in plan]
    problems = [f"full scan: {d}" for d in details if re.match(r"SCAN article\b", d)]
    if _ORDERED.search(statement):
        # A sort of the rows a step reads from an index range of article, beside it (a sort of
        # a subquery's page, or of articles found by primary key, is bounded).
        ranges = {parent for parent, d in plan if _ARTICLE_RANGE.match(d)}
        problems += [
            f"sorts: {d}"
            for parent, d in plan
            if "TEMP B-TREE FOR" in d and "ORDER BY" in d and parent in ranges
        ]
    reads = [d for d in details if re.match(r"(SEARCH|SCAN) article\b", d)]
    for column in _lookups(statement):
        keys = ("rowid", "id") if column == "id" else (column,)
        problems += [
            f"not by {column}: {d}"
            for d in reads
            if not any(re.search(rf"\b{key}=\?", d) for key in keys)
        ]
    return problems


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def postgres_problems(statement: str, plan: dict[str, Any]) -> list[str]:
    problems = []
    for node in _nodes(plan):
        kind, index = node["Node Type"], node.get("Index Name")
        if node.get("Relation Name") == "article":
            if kind == "Seq Scan":
                problems.append(f"full scan: Seq Scan on article ({node['Plan Rows']} rows)")
            elif kind in ("Index Scan", "Index Only Scan") and "Index Cond" not in node:
                problems.append(f"full scan: {kind} of {index} without a condition")
        if _ORDERED.search(statement) and kind == "Sort" and node["Plan Rows"] >= PUBLISHED // 2:
            problems.append(f"sorts: {node['Plan Rows']} rows by {node['Sort Key']}")
        if index in ARTICLE_INDEXES:
            condition = node.get("Index Cond", "")
            problems += [
                f"not by {column}: {kind} of {index} on {condition}"
                for column in _lookups(statement)
                if not re.search(rf"\b{column}\)?(::\w+)? = ", condition)
            ]
    return problems


def explain(database: Database, statement: str, parameters: Any) -> tuple[str, list[str]]:
    """The plan as text, and what breaks the rules in it."""
    with database.engine.connect() as conn:
        if database.is_sqlite:
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            plan = [(row[1], row[3]) for row in rows]
            return "\n".join(d for _, d in plan), sqlite_problems(statement, plan)
        (document,) = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).one()
        plan = document[0]["Plan"]
        return json.dumps(plan, indent=1), postgres_problems(statement, plan)


class TestPublicReadPlans:
    @pytest.mark.parametrize("name", list(READS))
    def test_reads_use_indexes(self, store: Store, client: TestClient, name: str) -> None:
        read = READS[name]
        params = {k: v(store) if callable(v) else v for k, v in read.params.items()}
        with captured(store.database) as seen:
            response = client.get(read.path.format(linked=store.linked), params=params)
        assert response.status_code == 200, response.text
        assert seen, "no statement read the article table"
        report = []
        for state in statistics(store.database):
            for statement, parameters in seen:
                plan, problems = explain(store.database, statement, parameters)
                if problems:
                    sql = " ".join(statement.split())[:300]
                    report.append(f"{state}: {sql}\n{plan}\n→ {problems}")
        assert not report, f"{name}:\n\n" + "\n\n".join(report)


class TestReadyLanePlans:
    """app.lane's reads run on connections of their own (app.services.ready: run_raw, and
    AsyncLookups on PostgreSQL), which the capture above does not see: their statements are
    explained as they are sent. Beyond the rules,
    each must seek the key it is given (a slug, an id), not range over published articles."""

    @pytest.mark.parametrize("name", ["list", "list-cursor", "slug-ids", "slug-page"])
    def test_lane_reads_use_indexes(self, store: Store, settings: Settings, name: str) -> None:
        now = datetime.now(UTC)
        params: dict[str, Any] = {"format": ready.format_of(settings), "now": now}
        key = None
        if name == "slug-ids":
            statement = article_service._IDS_BY_SLUG
            params = {"slug": "article-1"}
            key = "slug"
        elif name == "slug-page":
            statement = article_service._READY_IF_PUBLISHED
            params["id"] = 1
            key = "id"
        else:
            statement = article_service._READY_LIST
            params["n"] = 21
        if name == "list-cursor":
            statement = article_service._READY_LIST_AFTER
            params |= {"after_when": now - timedelta(days=300), "after_id": 10**9}
        prepared = ready.prepare(statement, store.database.engine.dialect)
        report = []
        for state in statistics(store.database):
            plan, problems = explain(store.database, prepared.sql, prepared.arguments(params))
            if key is not None and not _seeks(plan, key):
                problems.append(f"does not seek article by {key}")
            if problems:
                report.append(f"{state}:\n{plan}\n→ {problems}")
        assert not report, "\n\n".join(report)


def _seeks(plan: str, key: str) -> bool:
    """Whether the plan (SQLite's lines, PostgreSQL's JSON) looks article up by this column."""
    if plan.lstrip().startswith("{"):
        conditions = re.findall(r'"Index Cond": "([^"]*)"', plan)
        return any(re.search(rf"\b{key}\)?(::\w+)? = ", c) for c in conditions)
    keys = ("rowid", "id") if key == "id" else (key,)
    return any(re.search(rf"SEARCH article .*\b{k}=\?", plan) for k in keys)

"""`python -m bench.search` (`make bench search`): search over real Arabic news, see
docs/benchmark.md.

Builds N articles by recombining the records of ../shared/data/arabic-news-sample.jsonl
(internal benchmark and evaluation use only: the file is read at run time and never copied into
the repository; without it the benchmark says so and stops), indexes them the way the app does
(``search_index.reindex``), then times a fixed list of 200 queries through the search service
and, in the same run on the same database, a part of them through a naive ``LIKE '%…%'`` scan.
Finally it measures recall on a variant-spelling test set (``bench.search_queries``) against
what LIKE finds for the same pairs.

The store is a fresh SQLite file in a temporary directory (``--db PATH`` keeps it and reuses it
when it matches), or with ``--database-url`` a PostgreSQL database that this run creates and
drops.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import math
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Table as SQLTable
from sqlalchemy import create_engine, event, func, insert, not_, or_, select, text
from sqlalchemy.engine import Engine, make_url

from app.db import Database
from app.migrate import alembic_config, upgrade
from app.models import Article, ArticleSearch, Section
from app.services import articles as article_service
from app.services import search as search_service
from app.services import search_index
from app.services.articles import ArticleFilters, published
from app.text import html as body_text
from app.text import search as pipeline
from app.text.html import render_html
from app.text.reading import count_words, reading_time_minutes
from app.text.slugs import slugify
from bench import report, search_queries
from bench.dataset import bulk_engine
from bench.servers import ROOT

CORPUS = ROOT.parent / "shared" / "data" / "arabic-news-sample.jsonl"
RESULTS = ROOT / "bench" / "results" / "search.json"
GENERATOR_VERSION = 2
BATCH = 5_000
SPAN = timedelta(days=730)
LIMIT = 20
RECALL_SECTION = "bench-variants"
ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


@dataclass
class Options:
    articles: int
    db: Path | None
    database_url: str | None
    like: int
    seed: int
    keep: bool


def parse(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.search",
        description="Index N articles recombined from ../shared/data/arabic-news-sample.jsonl, "
        "time 200 queries through the search service and through a naive LIKE scan, and "
        "measure recall on a variant-spelling test set.",
    )
    parser.add_argument("--articles", type=int, default=100_000, help="default: %(default)s")
    parser.add_argument(
        "--db",
        type=Path,
        help="SQLite file to keep the indexed data set in and reuse (default: a temporary file)",
    )
    parser.add_argument(
        "--database-url",
        help="postgresql://USER@127.0.0.1:5432/NAME: run on PostgreSQL instead; the database "
        "NAME must not exist, this run creates it and drops it at the end (unless --keep)",
    )
    parser.add_argument(
        "--like",
        type=int,
        default=30,
        help="queries also timed through the LIKE scan, spread evenly over the list "
        "(default: %(default)s; 200 = all of them, which takes minutes at 100,000 articles)",
    )
    parser.add_argument("--seed", type=int, default=1, help="recombination seed")
    parser.add_argument(
        "--keep", action="store_true", help="keep the PostgreSQL database (with --database-url)"
    )
    args = parser.parse_args(argv)
    if args.articles < 100:
        parser.error("need --articles >= 100")
    if not 0 <= args.like <= search_queries.QUERY_COUNT:
        parser.error(f"need 0 <= --like <= {search_queries.QUERY_COUNT}")
    if args.db and args.database_url:
        parser.error("--db and --database-url are exclusive")
    if args.database_url:
        url = make_url(args.database_url)
        if url.get_backend_name() != "postgresql":
            parser.error("--database-url must be a postgresql:// URL")
        if url.host not in ("127.0.0.1", "localhost"):
            parser.error("--database-url must point at 127.0.0.1")
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,50}", url.database or ""):
            parser.error("--database-url needs a database name of [a-z0-9_], e.g. khabar_bench")
    return Options(
        articles=args.articles,
        db=args.db.resolve() if args.db else None,
        database_url=args.database_url,
        like=args.like,
        seed=args.seed,
        keep=args.keep,
    )


# Stores ------------------------------------------------------------------------------------


@contextmanager
def sqlite_store(path: Path | None) -> Iterator[str]:
    if path is not None:
        yield f"sqlite:///{path}"
        return
    scratch = Path(tempfile.mkdtemp(prefix="khabar-bench-search-"))
    try:
        yield f"sqlite:///{scratch / 'search.db'}"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@contextmanager
def postgres_store(url: str, *, keep: bool) -> Iterator[str]:
    """A database created for this run (never one that exists already), dropped afterwards."""
    parsed = make_url(url).set(drivername="postgresql+psycopg")
    name = parsed.database
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
                raise SystemExit(
                    f"database {name} exists; the benchmark creates its own: pass another name"
                )
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield parsed.render_as_string(hide_password=False)
        finally:
            if not keep:
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def _table(model: type[Any]) -> SQLTable:
    table: SQLTable = model.__table__
    return table


# Data --------------------------------------------------------------------------------------


def load_records() -> tuple[list[dict[str, Any]], str]:
    raw = CORPUS.read_bytes()
    records = [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]
    return records, hashlib.sha256(raw).hexdigest()


def _section_slug(corpus_slug: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", corpus_slug).lower()  # middleEast → middle-east


def generate(
    url: str, records: list[dict[str, Any]], *, articles: int, seed: int, console: Console
) -> dict[str, Any]:
    """N published articles: the records as they are first, then recombinations.

    A recombined article has the headline, summary and section of one record and a body of
    paragraphs drawn from two others (as many as the first of them has), shuffled. Publication
    times are spread evenly over two years and shuffled, so every kind of article is at every
    age.
    """
    started = time.perf_counter()
    upgrade(url)
    rng = random.Random(seed)
    paragraphs = [[p.strip() for p in r["body"].split("\n") if p.strip()] for r in records]
    now = datetime.now(UTC).replace(microsecond=0)
    step = SPAN.total_seconds() / articles
    slots = list(range(articles))
    rng.shuffle(slots)
    engine = bulk_engine(url)
    public_ids: set[str] = set()
    sections: dict[str, int] = {}
    body_bytes = 0
    try:
        with engine.begin() as conn, _progress(console, "Generating") as progress:
            for corpus_slug, name in dict.fromkeys(
                (r["section_slug"], r["section"]) for r in records
            ):
                sections[corpus_slug] = len(sections) + 1
                conn.execute(
                    insert(_table(Section)),
                    {
                        "id": sections[corpus_slug],
                        "slug": _section_slug(corpus_slug),
                        "parent_id": None,
                        "position": len(sections),
                        "names": {"ar": name, "en": corpus_slug},
                        "descriptions": {},
                        "created_at": now - SPAN,
                        "updated_at": now - SPAN,
                    },
                )
            task = progress.add_task("articles", total=articles)
            for first in range(0, articles, BATCH):
                rows = []
                for k in range(first, min(first + BATCH, articles)):
                    if k < len(records):
                        head, body = k, paragraphs[k]
                    else:
                        head = rng.randrange(len(records))
                        one, two = rng.randrange(len(records)), rng.randrange(len(records))
                        pool = paragraphs[one] + paragraphs[two]
                        body = rng.sample(pool, min(len(paragraphs[one]), len(pool)))
                    record = records[head]
                    published_at = now - SPAN + timedelta(seconds=int(slots[k] * step))
                    blocks = [
                        {"type": "paragraph", "html": html.escape(p, quote=False)} for p in body
                    ]
                    words = count_words("\n".join(body))
                    while True:
                        public_id = "".join(rng.choices(ID_ALPHABET, k=16))
                        if public_id not in public_ids:
                            public_ids.add(public_id)
                            break
                    body_html = render_html(blocks)
                    body_bytes += len(body_html.encode())
                    rows.append(
                        {
                            "id": k + 1,
                            "public_id": public_id,
                            "lang": "ar",
                            "slug": f"{slugify(record['title'], max_length=60)}-{k + 1}",
                            "status": "published",
                            "headline": record["title"],
                            "kicker": None,
                            "subheadline": None,
                            "summary": record["summary"],
                            "body": blocks,
                            "body_html": body_html,
                            "word_count": words,
                            "reading_time": reading_time_minutes(words, "ar"),
                            "breaking": False,
                            "urgency": 5,
                            "source": None,
                            "canonical_url": None,
                            "translation_group": None,
                            "primary_section_id": sections[record["section_slug"]],
                            "created_at": published_at - timedelta(minutes=30),
                            "updated_at": published_at,
                            "published_at": published_at,
                            "first_published_at": published_at,
                            "scheduled_at": None,
                            "version": 1,
                            "created_by_key_id": None,
                            "updated_by_key_id": None,
                        }
                    )
                conn.execute(insert(_table(Article)), rows)
                progress.advance(task, len(rows))
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")  # what the app runs in
        else:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE article")
    finally:
        engine.dispose()
    return {
        "articles": articles,
        "originals": min(articles, len(records)),
        "sections": len(sections),
        "seed": seed,
        "seconds": round(time.perf_counter() - started, 1),
        "avg_body_html_bytes": round(body_bytes / articles),
    }


def _progress(console: Console, verb: str) -> Progress:
    return Progress(
        TextColumn(f"[bold]{verb}[/bold] {{task.description}}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


class Load:
    """Wall time, this process's CPU time, and the CPU other processes used meanwhile (from
    /proc/stat), to tell a quiet measurement from one the machine's other work disturbed."""

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.own = time.process_time()
        self.busy = _busy_seconds()

    def result(self) -> dict[str, float | None]:
        wall = time.perf_counter() - self.wall
        own = time.process_time() - self.own
        busy = _busy_seconds()
        others = None
        if busy is not None and self.busy is not None and wall > 0:
            others = round(max(busy - self.busy - own, 0.0) / wall, 2)
        return {"wall_s": round(wall, 2), "own_cpu_s": round(own, 2), "others_cpus": others}


def _busy_seconds() -> float | None:
    """CPU seconds every CPU has been busy since boot (user to steal, without idle/iowait)."""
    try:
        first = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    ticks = [int(v) for v in first[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


# Index -------------------------------------------------------------------------------------


class _CallTimer:
    """Total time spent in a module function while it is swapped for a timed wrapper (the
    wrapper costs about a microsecond a call), and in SQL statements by kind."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)

    @contextmanager
    def wrap(self, module: Any, name: str, label: str) -> Iterator[None]:
        original: Callable[..., Any] = getattr(module, name)
        seconds = self.seconds

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                seconds[label] += time.perf_counter() - started

        setattr(module, name, timed)
        try:
            yield
        finally:
            setattr(module, name, original)

    @contextmanager
    def watch_sql(self, engine: Engine) -> Iterator[None]:
        """Time in the driver's execute(), as "sql_write" (INSERT, UPDATE, DELETE: on the
        index they include the engine's own indexing, FTS5 triggers or tsvector and GIN) or
        "sql_read" (fetching the rows of a SELECT happens later and is not in it)."""
        seconds = self.seconds

        def before(conn: Any, *_args: Any) -> None:
            conn.info["bench_started"] = time.perf_counter()

        def after(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            spent = time.perf_counter() - conn.info.pop("bench_started")
            verb = statement.lstrip().split(None, 1)[0].upper()
            seconds["sql_write" if verb in ("INSERT", "UPDATE", "DELETE") else "sql_read"] += spent

        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        try:
            yield
        finally:
            event.remove(engine, "before_cursor_execute", before)
            event.remove(engine, "after_cursor_execute", after)


def build_index(url: str, console: Console) -> dict[str, Any]:
    """``search_index.reindex`` in one write transaction, as ``khabar reindex`` runs it, with
    the time spent in HTML-to-text, the text pipeline and SQL added up on the way."""
    database = Database(url)
    timer = _CallTimer()
    size_before = _store_size(database)
    try:
        with ExitStack() as stack:
            # Public functions that search_index looks up through their modules at call time.
            stack.enter_context(timer.wrap(body_text, "plain_text", "plain_text"))
            stack.enter_context(timer.wrap(pipeline, "index_text", "index_text"))
            stack.enter_context(timer.watch_sql(database.engine))
            progress = stack.enter_context(_progress(console, "Indexing"))
            load = Load()
            started = time.perf_counter()
            with database.session(write=True) as session:
                total, steps = search_index.reindex(session)
                task = progress.add_task("articles", total=total)
                for done in steps:
                    progress.advance(task, done)
                flushed = time.perf_counter()
                session.commit()
            seconds = time.perf_counter() - started
            commit = time.perf_counter() - flushed
            machine_load = load.result()
        indexed = _count(database, ArticleSearch)
        size_after = _store_size(database)
        sizes = _index_sizes(database)
    finally:
        database.dispose()
    spent = timer.seconds
    reads = spent["sql_read"]  # the commit goes through the driver's commit(), not execute()
    rest = seconds - spent["index_text"] - spent["plain_text"] - spent["sql_write"] - reads - commit
    return {
        "articles": total,
        "indexed": indexed,
        "seconds": round(seconds, 2),
        "articles_per_s": round(total / seconds, 1),
        "share": {
            "text_pipeline": round(spent["index_text"] / seconds, 3),
            "html_to_text": round(spent["plain_text"] / seconds, 3),
            "index_writes": round(spent["sql_write"] / seconds, 3),
            "sql_reads": round(reads / seconds, 3),
            "rest": round(rest / seconds, 3),
            "commit": round(commit / seconds, 3),
        },
        "load": machine_load,
        "store_bytes_before": size_before,
        "store_bytes_after": size_after,
        "index_bytes": sizes,
    }


def _count(database: Database, model: type[Any]) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _store_size(database: Database) -> int | None:
    """Bytes of the whole store, after a checkpoint that empties SQLite's WAL into the file
    (the reindex is one transaction: its WAL is as large as what it wrote until then)."""
    with database.engine.connect() as conn:
        if database.is_sqlite:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            path = Path(database.engine.url.database or "")
            return sum(
                p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists()
            )
        return conn.scalar(text("SELECT pg_database_size(current_database())"))


SQLITE_INDEX_TABLES = (
    "article_search",
    "article_fts_data",
    "article_fts_idx",
    "article_fts_docsize",
    "article_fts_config",
)


def _index_sizes(database: Database) -> dict[str, int]:
    """Bytes of each table that makes up the index: the rows the app writes and the engine's
    own structures (FTS5 shadow tables; the tsvector column and GIN index on PostgreSQL)."""
    with database.engine.connect() as conn:
        if database.is_sqlite:
            return {
                name: conn.scalar(
                    text("SELECT sum(pgsize) FROM dbstat WHERE name = :n AND aggregate = 1"),
                    {"n": name},
                )
                or 0
                for name in SQLITE_INDEX_TABLES
            }
        return {
            "article_search (with TOAST and the GIN index)": conn.scalar(
                text("SELECT pg_total_relation_size('article_search')")
            ),
            "ix_article_search_document (GIN)": conn.scalar(
                text("SELECT pg_relation_size('ix_article_search_document')")
            ),
            "article (with TOAST and indexes)": conn.scalar(
                text("SELECT pg_total_relation_size('article')")
            ),
        }


# Reusing a kept SQLite file ----------------------------------------------------------------


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".bench-search.json")


# The code that decides what the index holds and how fast it is built: a kept file is rebuilt
# when any of it changes, so that the build figures shown with it are never stale.
INDEX_SOURCES = (
    "app/services/search_index.py",
    "app/text/search.py",
    "app/text/html.py",
    "app/models/search.py",
)


def _fingerprint(options: Options, data_sha256: str) -> dict[str, Any]:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    sources = hashlib.sha256()
    for name in INDEX_SOURCES:
        sources.update((ROOT / name).read_bytes())
    for migration in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        sources.update(migration.read_bytes())
    return {
        "version": GENERATOR_VERSION,
        "articles": options.articles,
        "seed": options.seed,
        "data_sha256": data_sha256,
        "migrations_head": head,
        "pipeline_version": pipeline.PIPELINE_VERSION,
        "sources_sha256": sources.hexdigest(),
    }


def _reusable(path: Path, fingerprint: dict[str, Any]) -> dict[str, Any] | None:
    marker = _marker(path)
    if not path.exists():
        return None
    if not marker.exists():
        raise SystemExit(
            f"{path} exists but was not made by this benchmark (no {marker.name}); "
            "refusing to overwrite it. Remove it or pass another --db."
        )
    stored = json.loads(marker.read_text())
    if stored.get("fingerprint") != fingerprint:
        return None
    return stored


# Queries -----------------------------------------------------------------------------------

_PIECE = re.compile(r'(-?)"([^"]*)"|(\S+)')


def like_conditions(query: str) -> list[Any]:
    """The query as LIKE conditions on headline and body_html: each word, "phrase" or prefix*
    must occur as a substring, an -excluded one must not."""
    conditions: list[Any] = []
    for match in _PIECE.finditer(query):
        minus, quoted, bare = match.groups()
        if quoted is not None:
            needle, excluded = quoted, bool(minus)
        elif bare.startswith("-") and len(bare) > 1:
            needle, excluded = bare[1:], True
        else:
            needle, excluded = bare.rstrip("*"), False
        pattern = f"%{needle}%"
        condition = or_(Article.headline.like(pattern), Article.body_html.like(pattern))
        conditions.append(not_(condition) if excluded else condition)
    return conditions


def like_select(query: str, *, now: datetime, section_id: int | None = None) -> Any:
    statement = select(Article.id).where(published(now), *like_conditions(query))
    if section_id is not None:
        statement = statement.where(Article.primary_section_id == section_id)
    return statement.order_by(Article.published_at.desc()).limit(LIMIT)


def spread(count: int, total: int) -> list[int]:
    """count indices spread evenly over range(total)."""
    if count >= total:
        return list(range(total))
    return sorted({math.floor(i * total / count) for i in range(count)})


def time_queries(
    url: str, queries: list[tuple[str, str]], like_indices: list[int], console: Console
) -> dict[str, Any]:
    database = Database(url)
    ranking = search_service.Ranking()
    filters = ArticleFilters()

    def run_search(query: str) -> search_service.Results:
        with database.session() as session:
            return search_service.search(
                session, q=query, filters=filters, cursor=None, limit=LIMIT, ranking=ranking
            )

    def run_like(query: str) -> list[int]:
        with database.session() as session:
            return list(session.scalars(like_select(query, now=datetime.now(UTC))))

    rows: list[dict[str, Any]] = []
    try:
        for query, _kind in queries:
            search_service.parse_query(query)  # a bad query stops here, not halfway through
        with _progress(console, "Searching") as progress:
            task = progress.add_task("warm-up (untimed)", total=len(queries))
            for query, _kind in queries:
                run_search(query)
                progress.advance(task)
            task = progress.add_task("timed", total=len(queries))
            timer = _CallTimer()
            with ExitStack() as parts:
                # Where a search spends its time: the names search() looks up at call time.
                parts.enter_context(timer.wrap(search_service, "_hit", "snippets"))
                parts.enter_context(timer.wrap(search_service, "_facets", "facets"))
                parts.enter_context(timer.wrap(article_service, "cards_by_ids", "cards"))
                load = Load()
                for query, kind in queries:
                    before = dict(timer.seconds)
                    cpu = time.process_time()
                    started = time.perf_counter()
                    results = run_search(query)
                    ms = (time.perf_counter() - started) * 1000
                    cpu_ms = (time.process_time() - cpu) * 1000
                    split = {
                        label: round((timer.seconds[label] - before.get(label, 0.0)) * 1000, 3)
                        for label in ("snippets", "facets", "cards")
                    }
                    split["match_rank_and_rest"] = round(ms - sum(split.values()), 3)
                    rows.append(
                        {
                            "query": query,
                            "kind": kind,
                            "ms": round(ms, 3),
                            "cpu_ms": round(cpu_ms, 3),
                            "parts_ms": split,
                            "total": results.total,
                            "hits": len(results.hits),
                        }
                    )
                    progress.advance(task)
                search_load = load.result()
            # One scan that finds nothing reads the whole table once: the page cache is then
            # as warm for the first timed LIKE as for the last.
            if like_indices:
                task = progress.add_task("LIKE warm-up scan (untimed)", total=1)
                run_like("لا-توجد-هذه-الكلمة")
                progress.advance(task)
            task = progress.add_task("LIKE, timed", total=len(like_indices))
            load = Load()
            for index in like_indices:
                cpu = time.process_time()
                started = time.perf_counter()
                found = run_like(queries[index][0])
                rows[index]["like_ms"] = round((time.perf_counter() - started) * 1000, 3)
                rows[index]["like_cpu_ms"] = round((time.process_time() - cpu) * 1000, 3)
                rows[index]["like_rows"] = len(found)
                progress.advance(task)
            like_load = load.result()
        plan = _like_plan(database, queries[like_indices[0]][0]) if like_indices else None
    finally:
        database.dispose()
    search_ms = [row["ms"] for row in rows]
    subset = [rows[i] for i in like_indices]
    out: dict[str, Any] = {
        "count": len(rows),
        "limit": LIMIT,
        "search_ms": summary(search_ms),
        "search_cpu_ms": summary([row["cpu_ms"] for row in rows]),
        "search_load": search_load,
        "like_load": like_load,
        "by_kind": {
            kind: summary([r["ms"] for r in rows if r["kind"] == kind])
            for kind in dict.fromkeys(r["kind"] for r in rows)
        },
        "parts_share": {
            label: round(sum(r["parts_ms"][label] for r in rows) / sum(search_ms), 3)
            for label in rows[0]["parts_ms"]
        },
        "like_count": len(subset),
        "like_indices": like_indices,
        "like_plan": plan,
        "queries": rows,
    }
    if subset:
        out["search_ms_like_subset"] = summary([r["ms"] for r in subset])
        out["like_ms"] = summary([r["like_ms"] for r in subset])
        out["like_cpu_ms"] = summary([r["like_cpu_ms"] for r in subset])
        # With ORDER BY published_at DESC LIMIT 20 SQLite walks the newest articles first and
        # stops at the 20th match: a common word is found at once, a rare one reads the table.
        early = [r for r in subset if r["like_rows"] == LIMIT]
        full = [r for r in subset if r["like_rows"] < LIMIT]
        out["like_stopped_early"] = {
            "count": len(early),
            "like_ms": summary([r["like_ms"] for r in early]) if early else None,
            "search_ms": summary([r["ms"] for r in early]) if early else None,
        }
        out["like_read_everything"] = {
            "count": len(full),
            "like_ms": summary([r["like_ms"] for r in full]) if full else None,
            "search_ms": summary([r["ms"] for r in full]) if full else None,
        }
        out["ratio_p50"] = round(out["like_ms"]["p50"] / out["search_ms_like_subset"]["p50"], 1)
        out["ratio_p95"] = round(out["like_ms"]["p95"] / out["search_ms_like_subset"]["p95"], 1)
        out["ratio_mean"] = round(out["like_ms"]["mean"] / out["search_ms_like_subset"]["mean"], 1)
    return out


def _like_plan(database: Database, query: str) -> list[str]:
    """The engine's plan for the LIKE scan of query (without running it)."""
    statement = like_select(query, now=datetime.now(UTC))
    if database.is_sqlite:
        compiled = statement.compile(database.engine, compile_kwargs={"literal_binds": True})
        with database.engine.connect() as conn:
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").all()
        return [row[-1] for row in rows]
    compiled = statement.compile(database.engine)
    with database.engine.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params).all()
    return [row[0] for row in rows]


def summary(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50": round(percentile(ordered, 0.50), 2),
        "p95": round(percentile(ordered, 0.95), 2),
        "mean": round(statistics.fmean(ordered), 2),
        "max": round(ordered[-1], 2),
        "min": round(ordered[0], 2),
    }


def percentile(ordered: Sequence[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p of the values at or below it."""
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


# Recall ------------------------------------------------------------------------------------


def measure_recall(url: str) -> dict[str, Any]:
    """Each case's document spelling in its own short article, in a fresh small database;
    found = that article is among what the query spelling finds (search, and LIKE)."""
    upgrade(url)
    database = Database(url)
    now = datetime.now(UTC).replace(microsecond=0)
    cases = [("variant", doc, query, kind) for doc, query, kind in search_queries.VARIANT_CASES]
    cases += [("negative", doc, query, "substring") for doc, query in search_queries.NEGATIVE_CASES]
    try:
        with database.session(write=True) as session:
            session.execute(
                insert(_table(Section)),
                {
                    "id": 1,
                    "slug": RECALL_SECTION,
                    "parent_id": None,
                    "position": 0,
                    "names": {"ar": "اختبار", "en": "Variants"},
                    "descriptions": {},
                    "created_at": now - SPAN,
                    "updated_at": now - SPAN,
                },
            )
            rows: list[dict[str, Any]] = []
            for number, (_set, doc, _query, _kind) in enumerate(cases, start=1):
                # Filler words that none of the query spellings is, or is inside of; the
                # document spelling in the headline for half the cases, in the body for the rest.
                headline = f"بند تجريبي {doc}" if number % 2 else "بند تجريبي"
                paragraph = f"نص قصير ضمن فقرة {doc} يختم هنا." if not number % 2 else "نص قصير."
                blocks = [{"type": "paragraph", "html": html.escape(paragraph, quote=False)}]
                rows.append(
                    {
                        "id": number,
                        "public_id": f"variant{number:09d}",
                        "lang": "ar",
                        "slug": f"variant-{number}",
                        "status": "published",
                        "headline": headline,
                        "summary": None,
                        "body": blocks,
                        "body_html": render_html(blocks),
                        "primary_section_id": 1,
                        "created_at": now - timedelta(hours=1),
                        "updated_at": now - timedelta(hours=1),
                        "published_at": now - timedelta(hours=1),
                        "first_published_at": now - timedelta(hours=1),
                        "version": 1,
                    }
                )
            session.execute(insert(_table(Article)), rows)
            search_index.sync_articles(session, [row["id"] for row in rows])
            session.commit()
        ranking = search_service.Ranking()
        filters = ArticleFilters(section=RECALL_SECTION)
        results: list[dict[str, Any]] = []
        with database.session() as session:
            for number, (kind_set, doc, query, kind) in enumerate(cases, start=1):
                found = search_service.search(
                    session, q=query, filters=filters, cursor=None, limit=100, ranking=ranking
                )
                ids = {hit.card.article.id for hit in found.hits}
                like_ids = set(session.scalars(like_select(query, now=now, section_id=1)))
                results.append(
                    {
                        "set": kind_set,
                        "kind": kind,
                        "document": doc,
                        "query": query,
                        "search": number in ids,
                        "like": number in like_ids,
                        "document_terms": pipeline.terms(doc),
                        "query_terms": pipeline.terms(query),
                    }
                )
    finally:
        database.dispose()
    variants = [r for r in results if r["set"] == "variant"]
    negatives = [r for r in results if r["set"] == "negative"]
    by_kind: dict[str, dict[str, int]] = {}
    for row in variants:
        counts = by_kind.setdefault(row["kind"], {"cases": 0, "search": 0, "like": 0})
        counts["cases"] += 1
        counts["search"] += row["search"]
        counts["like"] += row["like"]
    return {
        "cases": len(variants),
        "search_found": sum(r["search"] for r in variants),
        "like_found": sum(r["like"] for r in variants),
        "search_recall": round(sum(r["search"] for r in variants) / len(variants), 3),
        "like_recall": round(sum(r["like"] for r in variants) / len(variants), 3),
        "by_kind": by_kind,
        "negative_cases": len(negatives),
        "search_false_positives": sum(r["search"] for r in negatives),
        "like_false_positives": sum(r["like"] for r in negatives),
        "results": results,
    }


@contextmanager
def recall_store(options: Options) -> Iterator[str]:
    if options.database_url:
        parsed = make_url(options.database_url)
        with postgres_store(
            parsed.set(database=f"{parsed.database}_recall").render_as_string(hide_password=False),
            keep=False,
        ) as url:
            yield url
        return
    with sqlite_store(None) as url:
        yield url


# Report ------------------------------------------------------------------------------------


def show(console: Console, results: dict[str, Any]) -> None:
    dataset, index, queries = results["dataset"], results["index"], results["queries"]
    engine = results["engine"]
    out = Table(
        title=f"Search on {engine}: {dataset['articles']:,} articles "
        f"({dataset['originals']:,} as published, the rest recombined), {queries['count']} "
        f"queries, limit {queries['limit']}",
        title_justify="left",
        caption="search = app.services.search.search (parse, match, rank, snippets, facets), "
        "warm"
        + (
            "; LIKE = SELECT id … WHERE (headline LIKE '%w%' OR body_html LIKE '%w%') AND … "
            f"ORDER BY published_at DESC LIMIT 20, on {queries['like_count']} of the queries "
            "spread over the list; ratio = LIKE ÷ search on those same queries."
            if queries["like_count"]
            else " (no LIKE scan: --like 0)."
        ),
        caption_justify="left",
    )
    out.add_column("")
    for name in ("p50 ms", "p95 ms", "mean ms", "max ms"):
        out.add_column(name, justify="right")

    def add(label: str, values: dict[str, float], style: str | None = None) -> None:
        cells = [f"{values[key]:,.1f}" for key in ("p50", "p95", "mean", "max")]
        out.add_row(label, *cells, style=style)

    add("search, all queries", queries["search_ms"])
    add(
        "  its CPU time (this process"
        + (", not the server's)" if engine.startswith("PostgreSQL") else ")"),
        queries["search_cpu_ms"],
        "dim",
    )
    if queries["like_count"]:
        count = queries["like_count"]
        add(f"search, the {count} LIKE queries", queries["search_ms_like_subset"])
        add(f"LIKE scan, the same {count}", queries["like_ms"])
        out.add_row(
            "ratio LIKE ÷ search",
            f"{queries['ratio_p50']:,.1f}×",
            f"{queries['ratio_p95']:,.1f}×",
            f"{queries['ratio_mean']:,.1f}×",
            "",
            end_section=True,
        )
        for key, label in (
            ("like_stopped_early", "found 20 and stopped early"),
            ("like_read_everything", "found fewer, reading every row"),
        ):
            part = queries[key]
            if part["count"]:
                add(f"LIKE, the {part['count']} that {label}", part["like_ms"], "dim")
                add(f"  search, the same {part['count']}", part["search_ms"], "dim")
    console.print(out)
    for label, load in (
        ("index build", index.get("load")),
        ("timed searches", queries["search_load"]),
        ("timed LIKE scans", queries["like_load"]),
    ):
        if engine.startswith("PostgreSQL"):
            if load and load.get("others_cpus") is not None:
                console.print(
                    f"Other processes, the PostgreSQL server included, used "
                    f"{load['others_cpus']:.1f} CPUs on average during the {label}."
                )
        elif load and load.get("others_cpus") is not None and load["others_cpus"] > 0.1:
            console.print(
                f"[yellow]Other processes used {load['others_cpus']:.1f} CPUs on average "
                f"during the {label} ({load['wall_s']:.0f} s): those figures are high.[/yellow]"
            )
    parts = queries["parts_share"]
    console.print(
        "Where search time goes (all queries): match, rank and the rest "
        f"{parts['match_rank_and_rest']:.0%}, facets {parts['facets']:.0%}, snippets "
        f"{parts['snippets']:.0%}, cards {parts['cards']:.0%}"
    )

    kinds = Table(title="Search by kind of query", title_justify="left")
    kinds.add_column("kind")
    for name in ("queries", "p50 ms", "p95 ms", "max ms"):
        kinds.add_column(name, justify="right")
    for kind, values in queries["by_kind"].items():
        count = sum(1 for r in queries["queries"] if r["kind"] == kind)
        kinds.add_row(
            kind, str(count), f"{values['p50']:.1f}", f"{values['p95']:.1f}", f"{values['max']:.1f}"
        )
    console.print(kinds)

    slow = Table(title="Slowest searches", title_justify="left")
    slow.add_column("query")
    slow.add_column("kind")
    slow.add_column("ms", justify="right")
    slow.add_column("matches", justify="right")
    for name in ("match+rank ms", "facets ms", "snippets ms"):
        slow.add_column(name, justify="right")
    for row in sorted(queries["queries"], key=lambda r: -r["ms"])[:10]:
        split = row["parts_ms"]
        slow.add_row(
            row["query"],
            row["kind"],
            f"{row['ms']:,.1f}",
            f"{row['total']:,}",
            f"{split['match_rank_and_rest']:,.1f}",
            f"{split['facets']:,.1f}",
            f"{split['snippets']:,.1f}",
        )
    console.print(slow)

    share = index["share"]
    console.print(
        f"Index build: {index['articles']:,} articles in {index['seconds']:,.1f} s = "
        f"[bold]{index['articles_per_s']:,.0f} articles/s[/bold] "
        f"(text pipeline {share['text_pipeline']:.0%}, HTML to text {share['html_to_text']:.0%}, "
        f"INSERTs with the engine's own indexing {share['index_writes']:.0%}, SELECTs "
        f"{share['sql_reads']:.0%}, the rest: fetching and building the articles, Python "
        f"{share['rest']:.0%}, commit {share['commit']:.0%})"
        + (
            " [yellow](reused: figures of the run that built it)[/yellow]"
            if index.get("reused")
            else ""
        )
    )
    before, after = index.get("store_bytes_before"), index.get("store_bytes_after")
    if before and after:
        console.print(
            f"Store: {before / 2**20:,.0f} MiB before indexing, {after / 2**20:,.0f} MiB after; "
            + ", ".join(
                f"{name} {size / 2**20:,.0f} MiB"
                for name, size in index.get("index_bytes", {}).items()
            )
        )

    recall = results["recall"]
    table = Table(
        title=f"Variant spellings: {recall['cases']} (document, query) pairs",
        title_justify="left",
        caption="found = the article with the document spelling is among the query's matches.",
        caption_justify="left",
    )
    table.add_column("kind")
    for name in ("cases", "search", "LIKE"):
        table.add_column(name, justify="right")
    for kind, counts in recall["by_kind"].items():
        table.add_row(kind, str(counts["cases"]), str(counts["search"]), str(counts["like"]))
    table.add_row(
        "[bold]recall[/bold]",
        str(recall["cases"]),
        f"[bold]{recall['search_recall']:.0%}[/bold] ({recall['search_found']})",
        f"[bold]{recall['like_recall']:.0%}[/bold] ({recall['like_found']})",
    )
    table.add_row(
        "false positives (substring of another word)",
        str(recall["negative_cases"]),
        str(recall["search_false_positives"]),
        str(recall["like_false_positives"]),
    )
    console.print(table)
    missed = [r for r in recall["results"] if r["set"] == "variant" and not r["search"]]
    if missed:
        console.print(
            "Search missed: " + ", ".join(f"{r['document']} ← {r['query']}" for r in missed)
        )
    wrong = [r for r in recall["results"] if r["set"] == "negative" and r["search"]]
    if wrong:
        console.print(
            "Search found the other word: "
            + ", ".join(f"{r['document']} ← {r['query']}" for r in wrong)
        )


def write(results: dict[str, Any], path: Path = RESULTS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return path


# Run ---------------------------------------------------------------------------------------


def run(options: Options, console: Console) -> dict[str, Any] | None:
    if not CORPUS.exists():
        console.print(
            f"[yellow]Skipped: {CORPUS} is not there. The search benchmark reads real Arabic "
            "news from it at run time (internal benchmark use only, never copied into the "
            "repository); see docs/benchmark.md.[/yellow]"
        )
        return None
    started = datetime.now(UTC)
    clock = time.perf_counter()
    machine = report.machine()
    records, data_sha256 = load_records()
    queries = search_queries.queries(records)
    console.print(
        f"{CORPUS.name}: {len(records):,} records (sha256 {data_sha256[:12]}…); "
        f"{len(queries)} queries."
    )
    like_indices = spread(options.like, len(queries))
    with ExitStack() as stack:
        if options.database_url:
            url = stack.enter_context(postgres_store(options.database_url, keep=options.keep))
        else:
            url = stack.enter_context(sqlite_store(options.db))
        engine_name = "PostgreSQL" if options.database_url else "SQLite"
        fingerprint = _fingerprint(options, data_sha256)
        stored = _reusable(options.db, fingerprint) if options.db else None
        if stored is not None:
            console.print(f"Reusing {options.db} (already indexed).")
            dataset, index = stored["dataset"], {**stored["index"], "reused": True}
        else:
            if options.db:
                for stale in (
                    options.db,
                    *(options.db.with_name(options.db.name + s) for s in ("-wal", "-shm")),
                ):
                    stale.unlink(missing_ok=True)
                _marker(options.db).unlink(missing_ok=True)
            dataset = generate(
                url, records, articles=options.articles, seed=options.seed, console=console
            )
            console.print(f"Generated {dataset['articles']:,} articles in {dataset['seconds']} s.")
            index = build_index(url, console)
            if options.db:
                _marker(options.db).write_text(
                    json.dumps(
                        {"fingerprint": fingerprint, "dataset": dataset, "index": index}, indent=2
                    )
                )
        timings = time_queries(url, queries, like_indices, console)
        with recall_store(options) as recall_url:
            recall = measure_recall(recall_url)
        server_version = None
        if options.database_url:
            version_engine = create_engine(make_url(url))
            with version_engine.connect() as conn:
                server_version = conn.scalar(text("SHOW server_version"))
            version_engine.dispose()
    return {
        "date": started.isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench.search", *sys.argv[1:]]),
        "seconds": round(time.perf_counter() - clock, 1),
        "machine": machine,
        "revision": report.revision(),
        "engine": engine_name + (f" {server_version}" if server_version else ""),
        "data": {"file": CORPUS.name, "sha256": data_sha256, "records": len(records)},
        "pipeline_version": pipeline.PIPELINE_VERSION,
        "dataset": dataset,
        "index": index,
        "queries": timings,
        "recall": recall,
    }


def main() -> int:
    options = parse(sys.argv[1:])
    console = Console()
    if not console.is_terminal:
        console = Console(width=150)
    results = run(options, console)
    if results is None:
        return 0
    show(console, results)
    path = write(results)
    console.print(
        f"Whole run: {results['seconds']:,.0f} s. Results: "
        f"{path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

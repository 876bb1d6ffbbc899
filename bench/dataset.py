"""The benchmark's newsroom: a migrated store full of published Arabic articles, and its index.

Rows go in through SQLAlchemy Core ``insert()`` executemany, a few thousand per statement, all in
one transaction, with ids assigned here so that link rows need no round trip (on PostgreSQL each
id sequence is then moved past them, so that the app's own inserts work). Bodies are built
from pools of pre-made sentences whose word counts were taken once with the app's own
``count_words``: counting every body again would cost about a millisecond an article, most of
the time budget (the sum is checked against the app on a sample, see ``_check_sample``). Then
the search index is built as ``khabar reindex`` builds it, unless ``--no-search-index``: it
takes longer than the articles themselves.

The store is a SQLite file, or a PostgreSQL database that the harness creates. A marker records
what made it: ``<db>.bench.json`` next to the file, the one row of table ``bench_dataset`` in
the database. A store is reused when the marker, the schema (on SQLite compared with what the
migrations build today; on PostgreSQL, at the migrations' head once upgraded) and the row count
agree with the request, and rebuilt otherwise. A store without a marker is never touched: it may
be someone's real database.
"""

from __future__ import annotations

import itertools
import json
import random
import tempfile
import time
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from alembic.script import ScriptDirectory
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Connection, Table, create_engine, event, func, insert, select, text
from sqlalchemy.engine import Engine, make_url

from app.db import Database, is_sqlite, sync_url
from app.migrate import alembic_config, upgrade
from app.models import Article, ArticleAuthor, ArticleTag, Author, Section, Tag
from app.models.tag import TAG_TYPES
from app.services import search_index
from app.text.html import plain_text, render_html
from app.text.reading import count_words, reading_time_minutes
from app.text.slugs import slugify
from bench import words

GENERATOR_VERSION = 2
BATCH = 5_000
ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lowercase, as the app
SPAN = timedelta(days=730)
BODY_WORDS = (400, 560)  # about 4.5-6.5 KB of body_html in Arabic (two bytes a letter)
ENGLISH_SHARE = 0.05
TAG_COUNT = 200
AUTHOR_COUNT = 50
MARKER_TABLE = "bench_dataset"
# What a marker holds besides GENERATOR_VERSION: what the data set was made from and of.
MARKED = (
    "articles", "seed", "seconds", "sections", "tags", "authors", "avg_words",
    "avg_body_html_bytes", "search_index", "index_seconds",
)  # fmt: skip

Block = dict[str, Any]


@dataclass
class DatasetInfo:
    url: str
    path: Path | None  # the SQLite file; None on PostgreSQL
    articles: int
    generated: bool
    seconds: float  # generation time (of the run that built the store, when reused)
    size_bytes: int
    sections: int
    tags: int
    authors: int
    avg_words: float
    avg_body_html_bytes: float
    seed: int
    search_index: bool = False
    index_seconds: float | None = None  # building the search index (of the run that did)

    @property
    def database(self) -> str:
        return "sqlite" if self.path is not None else "postgresql"

    def marker(self) -> dict[str, Any]:
        return {"version": GENERATOR_VERSION, **{name: getattr(self, name) for name in MARKED}}


def ensure_dataset(
    url: str, *, articles: int, seed: int, search_index: bool, console: Console
) -> DatasetInfo:
    """The data set at url: reused when it matches, (re)built otherwise; with its search index
    if asked for (a reused store without one gets it)."""
    name = _name(url)
    stored = _read_marker(url)
    info = None
    if stored is not None:
        info = _reuse(url, stored, articles=articles, seed=seed)
        if info is None:
            console.print(f"{name} holds another data set: rebuilding it.")
        else:
            console.print(f"Reusing {name} ({articles:,} articles).")
    if info is None:
        _clear(url)
        info = generate(url, articles=articles, seed=seed, console=console)
        _write_marker(url, info.marker())
    if info.search_index and _index_is_stale(url):
        console.print(f"{name}: the search index was built by another version of the app.")
        info.search_index, info.index_seconds = False, None
        _write_marker(url, info.marker())
    if search_index and not info.search_index:
        info.index_seconds = build_search_index(url, console)
        info.search_index = True
        info.size_bytes = _size_bytes(url)
        _write_marker(url, info.marker())
    return info


def _name(url: str) -> str:
    """How the store is named in messages: the file, or the database (without a password)."""
    path = _sqlite_path(url)
    if path is not None:
        return str(path)
    return f"PostgreSQL database {make_url(url).database}"


def _sqlite_path(url: str) -> Path | None:
    return Path(make_url(url).database or "") if is_sqlite(url) else None


def _marker_file(path: Path) -> Path:
    return path.with_name(path.name + ".bench.json")


def _read_marker(url: str) -> dict[str, Any] | None:
    """The stored marker; None when there is no store yet, {} when one was left unfinished.
    Exits when the store exists but was not made by the benchmark."""
    path = _sqlite_path(url)
    if path is not None:
        if not path.exists():
            return None
        if not _marker_file(path).exists():
            raise SystemExit(
                f"{path} exists but was not made by the benchmark (no {_marker_file(path).name}); "
                "refusing to overwrite it. Remove it or pass another --db."
            )
        stored: dict[str, Any] = json.loads(_marker_file(path).read_text())
        return stored
    name = sync_url(url).database
    with _connected(url, database="postgres", isolation_level="AUTOCOMMIT") as conn:
        exists = conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        )
    if not exists:
        return None
    with _connected(url) as conn:
        if conn.scalar(text("SELECT to_regclass(:name)"), {"name": MARKER_TABLE}) is None:
            # Even an empty one: the benchmark creates its databases with the table.
            raise SystemExit(
                f"database {name} exists but was not made by the benchmark "
                f"(no table {MARKER_TABLE}); refusing to drop it. Drop it yourself or "
                "pass another --database-url."
            )
        marker = conn.scalar(text(f"SELECT marker FROM {MARKER_TABLE}"))
    return json.loads(marker) if marker else {}


@contextmanager
def _connected(
    url: str, *, database: str | None = None, begin: bool = False, **options: Any
) -> Iterator[Connection]:
    """A connection to the store (or to another database of its server) on an engine of its
    own, disposed of afterwards: each of these steps runs once a run."""
    parsed = sync_url(url)
    engine = create_engine(parsed if database is None else parsed.set(database=database), **options)
    try:
        with engine.begin() if begin else engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def _write_marker(url: str, marker: dict[str, Any]) -> None:
    path = _sqlite_path(url)
    if path is not None:
        _marker_file(path).write_text(json.dumps({**marker, "path": str(path)}, indent=2))
        return
    with _connected(url, begin=True) as conn:
        conn.execute(text(f"DELETE FROM {MARKER_TABLE}"))
        conn.execute(
            text(f"INSERT INTO {MARKER_TABLE} (marker) VALUES (:marker)"),
            {"marker": json.dumps(marker)},
        )


def _clear(url: str) -> None:
    """Make room for a new data set: delete the file and its marker, or drop and create the
    database (the marker table comes first, so that the database says it is the benchmark's
    even if the generation is interrupted)."""
    path = _sqlite_path(url)
    if path is not None:
        for stale in (
            path,
            path.with_name(path.name + "-wal"),
            path.with_name(path.name + "-shm"),
            _marker_file(path),
        ):
            stale.unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    name = sync_url(url).database
    with _connected(url, database="postgres", isolation_level="AUTOCOMMIT") as conn:
        # The name was checked to be [a-z0-9_]: nothing to quote.
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    with _connected(url, begin=True) as conn:
        conn.exec_driver_sql(f"CREATE TABLE {MARKER_TABLE} (marker text NOT NULL)")


def _reuse(url: str, stored: dict[str, Any], *, articles: int, seed: int) -> DatasetInfo | None:
    wanted = {"version": GENERATOR_VERSION, "articles": articles, "seed": seed}
    if any(stored.get(key) != value for key, value in wanted.items()):
        return None
    upgrade(url)  # a new migration still applies to an old data set
    if not _schema_is_current(url):
        return None
    with _connected(url) as conn:
        count = conn.scalar(
            select(func.count()).select_from(Article).where(Article.status == "published")
        )
    if count != articles:
        return None
    return DatasetInfo(
        url=url,
        path=_sqlite_path(url),
        generated=False,
        size_bytes=_size_bytes(url),
        **{name: stored[name] for name in MARKED},
    )


def _schema_is_current(url: str) -> bool:
    """SQLite: the schema is what the migrations build today. Migrations may change before a
    release; any difference (an index that now leads with another column, say) means the file
    must be rebuilt. PostgreSQL: the database is at the migrations' head."""
    if is_sqlite(url):
        return _schema(url) == _current_schema()
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    with _connected(url) as conn:
        version = conn.scalar(text("SELECT version_num FROM alembic_version"))
    return version is not None and version == head


def _schema(url: str) -> set[tuple[str, str, tuple[str, ...]]]:
    """Every table and index with its SQL as a sorted tuple of lines: a table that a migration
    rebuilt (Alembic's batch mode on SQLite) lists its constraints in an order that changes
    from one process to the next, and that is no reason to rebuild the data set."""
    with _connected(url) as conn:
        rows = conn.exec_driver_sql("SELECT type, name, sql FROM sqlite_master").all()
    return {
        (kind, name, tuple(sorted(line.strip().rstrip(",") for line in (sql or "").splitlines())))
        for kind, name, sql in rows
        if name != "alembic_version"
    }


def _current_schema() -> set[tuple[str, str, tuple[str, ...]]]:
    with tempfile.TemporaryDirectory(prefix="khabar-schema-") as scratch:
        url = f"sqlite:///{scratch}/schema.db"
        upgrade(url)
        return _schema(url)


def _size_bytes(url: str) -> int:
    path = _sqlite_path(url)
    if path is not None:
        return path.stat().st_size
    with _connected(url) as conn:
        size: int = conn.scalar(text("SELECT pg_database_size(current_database())"))
    return size


def postgres_version(url: str) -> str:
    with _connected(url) as conn:
        version: str = conn.scalar(text("SHOW server_version"))
    return version


def _index_is_stale(url: str) -> bool:
    database = Database(url)
    try:
        with database.session() as session:
            return search_index.index_is_stale(session)
    finally:
        database.dispose()


def build_search_index(url: str, console: Console) -> float:
    """``search_index.reindex`` in one write transaction, as ``khabar reindex`` runs it;
    returns the seconds it took."""
    started = time.perf_counter()
    database = Database(url)
    try:
        with database.session(write=True) as session, _progress(console, "Indexing") as progress:
            total, steps = search_index.reindex(session)
            task = progress.add_task("articles", total=total)
            for done in steps:
                progress.advance(task, done)
            session.commit()
    finally:
        database.dispose()
    _settle(url)
    return round(time.perf_counter() - started, 1)


def _settle(url: str) -> None:
    """After a bulk load: back to the journal mode the app runs in (SQLite; the app sets WAL
    on connect anyway), or a VACUUM ANALYZE (PostgreSQL), so that the planner has statistics
    and autovacuum does not start on its own in the middle of a measured run."""
    with _connected(url, isolation_level="AUTOCOMMIT") as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        else:
            conn.exec_driver_sql("VACUUM ANALYZE")


def generate(url: str, *, articles: int, seed: int, console: Console) -> DatasetInfo:
    """Fill an empty store (see ``_clear``) with the data set, without its search index."""
    started = time.perf_counter()
    upgrade(url)
    rng = random.Random(seed)
    ar_text = TextPool(rng, "ar")
    en_text = TextPool(rng, "en")
    now = datetime.now(UTC).replace(microsecond=0)
    engine = bulk_engine(url)
    words_total = html_bytes_total = 0
    path = _sqlite_path(url)
    try:
        with engine.begin() as conn, _progress(console, "Generating") as progress:
            sections = _insert_sections(conn, now)
            tags = _insert_tags(conn, rng, now)
            authors = _insert_authors(conn, rng, ar_text, now)
            task = progress.add_task("articles", total=articles)
            factory = ArticleFactory(
                rng, ar_text, en_text, sections=sections, tags=tags, authors=authors
            )
            for batch in _batches(articles):
                rows, author_rows, tag_rows = factory.rows(batch, total=articles, now=now)
                if batch[0] == 1:
                    _check_sample(rows[:20])
                conn.execute(insert(_table(Article)), rows)
                conn.execute(insert(_table(ArticleAuthor)), author_rows)
                conn.execute(insert(_table(ArticleTag)), tag_rows)
                words_total += sum(row["word_count"] for row in rows)
                html_bytes_total += sum(len(row["body_html"].encode()) for row in rows)
                progress.advance(task, len(rows))
            if engine.dialect.name == "postgresql":
                for model in (Section, Tag, Author, Article):
                    name = _table(model).name
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id)) "
                        f"FROM {name}"
                    )
    except BaseException:
        engine.dispose()
        if path is not None:
            path.unlink(missing_ok=True)  # a half-made file (PostgreSQL: no marker row yet)
        raise
    engine.dispose()
    _settle(url)
    seconds = time.perf_counter() - started
    return DatasetInfo(
        url=url,
        path=path,
        articles=articles,
        generated=True,
        seconds=round(seconds, 1),
        size_bytes=_size_bytes(url),
        sections=len(sections),
        tags=len(tags),
        authors=len(authors),
        avg_words=round(words_total / max(articles, 1), 1),
        avg_body_html_bytes=round(html_bytes_total / max(articles, 1), 1),
        seed=seed,
    )


def bulk_engine(url: str) -> Engine:
    """An engine for loading only. JSON is stored as the app's engine stores it (UTF-8 by
    orjson, not \\uXXXX-escaped). On SQLite: no journal, no fsync, a large page cache — a crash
    half way leaves a broken file, which is deleted and rebuilt anyway; in exchange each page is
    written once instead of once to the WAL and once more at checkpoint."""
    engine = create_engine(
        sync_url(url), json_serializer=lambda value: orjson.dumps(value).decode("utf-8")
    )
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def on_connect(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=OFF")
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB
            cursor.close()

    return engine


def _progress(console: Console, verb: str) -> Progress:
    return Progress(
        TextColumn(f"[bold]{verb}[/bold] {{task.description}}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


def _batches(total: int) -> Iterator[range]:
    for start in range(1, total + 1, BATCH):
        yield range(start, min(start + BATCH, total + 1))


def _check_sample(rows: list[dict[str, Any]]) -> None:
    """The pooled word counts must be what the app computes for the same blocks."""
    for row in rows:
        expected = count_words(plain_text(row["body"]))
        if row["word_count"] != expected:
            raise AssertionError(
                f"word count {row['word_count']} != app's {expected} for {row['slug']}"
            )


# Text --------------------------------------------------------------------------------------


class TextPool:
    """Sentences and headings of one language, made once and then drawn from for every article.

    Drawing a paragraph is a bisect into a prefix sum and a join of existing strings.
    """

    SENTENCES = 30_000
    HEADINGS = 3_000

    def __init__(self, rng: random.Random, lang: str) -> None:
        self.lang = lang
        if lang == "ar":
            vocabulary = [*words.AR_FUNCTION, *words.AR_NOUNS, *words.AR_ADJECTIVES]
            weights = [4] * len(words.AR_FUNCTION) + [1] * (
                len(words.AR_NOUNS) + len(words.AR_ADJECTIVES)
            )
            openers: Sequence[str] = words.AR_VERBS
            self.comma = "،"
        else:
            vocabulary, weights, openers, self.comma = words.EN_WORDS, None, words.EN_WORDS, ","
        self.vocabulary = vocabulary
        self.openers = openers
        cumulative = list(itertools.accumulate(weights)) if weights else None
        self.sentences: list[str] = []
        self.bold_sentences: list[str] = []  # the same sentence with its first words in <strong>
        for _ in range(self.SENTENCES):
            tokens = [rng.choice(openers)]
            tokens += rng.choices(vocabulary, cum_weights=cumulative, k=rng.randint(7, 17))
            if rng.random() < 0.4:
                middle = rng.randrange(2, len(tokens) - 2)
                tokens[middle] += self.comma
            sentence = " ".join(tokens) + "."
            if lang == "en":
                sentence = sentence[0].upper() + sentence[1:]
            self.sentences.append(sentence)
            first, second, rest = sentence.split(" ", 2)
            self.bold_sentences.append(f"<strong>{first} {second}</strong> {rest}")
        # Counted once with the app's function: a sentence is never split or merged by joining.
        self.prefix = [0, *itertools.accumulate(count_words(s) for s in self.sentences)]
        self.headings: list[tuple[str, int]] = []
        for _ in range(self.HEADINGS):
            text = " ".join(rng.choices(vocabulary, k=rng.randint(3, 6)))
            if lang == "ar" and rng.random() < 0.5:
                text = f"{rng.choice(words.AR_TOPICS)} {text}"
            self.headings.append((text, count_words(text)))

    def paragraph(self, rng: random.Random, target: int) -> tuple[str, int]:
        """About target words of consecutive sentences, as inline HTML, and their word count."""
        start = rng.randrange(len(self.sentences) - 200)
        end = bisect_left(self.prefix, self.prefix[start] + target, lo=start + 1)
        end = min(end, len(self.sentences))
        parts = self.sentences[start:end]
        if rng.random() < 0.25:
            parts[0] = self.bold_sentences[start]
        return " ".join(parts), self.prefix[end] - self.prefix[start]

    def headline_words(self, rng: random.Random) -> list[str]:
        return [rng.choice(self.openers), *rng.choices(self.vocabulary, k=rng.randint(6, 10))]


# Taxonomy ----------------------------------------------------------------------------------


def _insert_sections(conn: Connection, now: datetime) -> list[int]:
    """The top-level sections, each followed by its sub-sections; returns their ids."""
    rows: list[dict[str, Any]] = []
    for position, (slug, ar, en, subs) in enumerate(words.SECTIONS):
        parent = _section_row(len(rows) + 1, slug, None, position, ar, en, now)
        rows.append(parent)
        for sub_position, (sub_slug, sub_ar, sub_en) in enumerate(subs):
            rows.append(
                _section_row(
                    len(rows) + 1, sub_slug, parent["id"], sub_position, sub_ar, sub_en, now
                )
            )
    conn.execute(insert(_table(Section)), rows)
    return [row["id"] for row in rows]


def _section_row(
    section_id: int,
    slug: str,
    parent_id: int | None,
    position: int,
    ar: str,
    en: str,
    now: datetime,
) -> dict[str, Any]:
    return {
        "id": section_id,
        "slug": slug,
        "parent_id": parent_id,
        "position": position,
        "names": {"ar": ar, "en": en},
        "descriptions": {"ar": f"آخر أخبار {ar}", "en": f"The latest {en.lower()} news"},
        "created_at": now - SPAN,
        "updated_at": now - SPAN,
    }


def _insert_tags(conn: Connection, rng: random.Random, now: datetime) -> list[int]:
    """TAG_COUNT tags: the topic phrases, then topic + adjective until there are enough."""
    names = list(dict.fromkeys(words.AR_TOPICS))
    while len(names) < TAG_COUNT:
        name = f"{rng.choice(words.AR_TOPICS)} {rng.choice(words.AR_ADJECTIVES)}"
        if name not in names:
            names.append(name)
    rows: list[dict[str, Any]] = [
        {
            "id": number,
            "slug": slugify(name),
            "name": name,
            "lang": "ar",
            # Mostly topics, as in a real newsroom's tag list.
            "type": "topic" if number % 3 else TAG_TYPES[number % len(TAG_TYPES)],
            "description": None,
            "created_at": now - SPAN,
            "updated_at": now - SPAN,
        }
        for number, name in enumerate(names, start=1)
    ]
    conn.execute(insert(_table(Tag)), rows)
    return [row["id"] for row in rows]


def _insert_authors(
    conn: Connection, rng: random.Random, text: TextPool, now: datetime
) -> list[int]:
    pairs = list(itertools.product(words.AR_FIRST_NAMES, words.AR_FAMILY_NAMES))
    rows: list[dict[str, Any]] = []
    for number, (first, family) in enumerate(rng.sample(pairs, AUTHOR_COUNT), start=1):
        name = f"{first} {family}"
        rows.append(
            {
                "id": number,
                "slug": slugify(name),
                "name": name,
                "lang": "ar",
                "job_title": rng.choice(words.AR_JOB_TITLES),
                "bio": text.paragraph(rng, 25)[0],
                "created_at": now - SPAN,
                "updated_at": now - SPAN,
            }
        )
    conn.execute(insert(_table(Author)), rows)
    return [row["id"] for row in rows]


# Articles ----------------------------------------------------------------------------------


class ArticleFactory:
    """Rows for the article, article_author and article_tag tables, a batch at a time."""

    def __init__(
        self,
        rng: random.Random,
        ar_text: TextPool,
        en_text: TextPool,
        *,
        sections: list[int],
        tags: list[int],
        authors: list[int],
    ) -> None:
        self.rng = rng
        self.text = {"ar": ar_text, "en": en_text}
        self.sections = sections
        self.tags = tags
        self.authors = authors
        self.public_ids: set[str] = set()

    def rows(
        self, ids: range, *, total: int, now: datetime
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        articles, author_links, tag_links = [], [], []
        for article_id in ids:
            articles.append(self.article(article_id, total=total, now=now))
            for position, author_id in enumerate(self.rng.sample(self.authors, self._authors())):
                author_links.append(
                    {"article_id": article_id, "author_id": author_id, "position": position}
                )
            for position, tag_id in enumerate(self.rng.sample(self.tags, self.rng.randint(2, 4))):
                tag_links.append({"article_id": article_id, "tag_id": tag_id, "position": position})
        return articles, author_links, tag_links

    def _authors(self) -> int:
        return 1 if self.rng.random() < 0.7 else 2

    def article(self, article_id: int, *, total: int, now: datetime) -> dict[str, Any]:
        rng = self.rng
        lang = "en" if rng.random() < ENGLISH_SHARE else "ar"
        text = self.text[lang]
        headline_words = text.headline_words(rng)
        blocks, word_count = self.body(text)
        published_at = self._published_at(article_id, total=total, now=now)
        return {
            "id": article_id,
            "public_id": self._public_id(),
            "lang": lang,
            # The id makes it unique; slugify keeps it in the exact form the API compares.
            "slug": f"{slugify(' '.join(headline_words[:6]))}-{article_id}",
            "status": "published",
            "headline": " ".join(headline_words),
            "kicker": rng.choice(words.AR_TOPICS) if lang == "ar" and rng.random() < 0.3 else None,
            "subheadline": None,
            "summary": text.paragraph(rng, rng.randint(20, 35))[0],
            "body": blocks,
            "body_html": render_html(blocks),
            "word_count": word_count,
            "reading_time": reading_time_minutes(word_count, lang),
            "breaking": rng.random() < 0.01,
            "urgency": rng.choice((3, 4, 5, 5, 5, 6)),
            "source": None,
            "canonical_url": None,
            "translation_group": None,
            "primary_section_id": rng.choice(self.sections),
            "created_at": published_at - timedelta(minutes=rng.randint(10, 240)),
            "updated_at": published_at,
            "published_at": published_at,
            "first_published_at": published_at,
            "scheduled_at": None,
            "version": 1,
            "created_by_key_id": None,
            "updated_by_key_id": None,
        }

    def body(self, text: TextPool) -> tuple[list[Block], int]:
        """Paragraphs of 40-90 words with a level-2 heading before every third one."""
        rng = self.rng
        target = rng.randint(*BODY_WORDS)
        blocks: list[Block] = []
        count = 0
        while count < target:
            if len(blocks) >= 3 and len(blocks) % 4 == 2:
                heading, heading_words = rng.choice(text.headings)
                blocks.append({"type": "heading", "level": 2, "text": heading})
                count += heading_words
            html, paragraph_words = text.paragraph(rng, min(rng.randint(40, 90), target - count))
            blocks.append({"type": "paragraph", "html": html})
            count += paragraph_words
        return blocks, count

    def _published_at(self, article_id: int, *, total: int, now: datetime) -> datetime:
        """Evenly spread over SPAN, oldest first, whole seconds apart: distinct and rising."""
        step = SPAN.total_seconds() / total
        offset = int((article_id - 1) * step + self.rng.random() * step / 2)
        return now - SPAN + timedelta(seconds=offset) - timedelta(minutes=1)

    def _public_id(self) -> str:
        while True:
            candidate = "".join(self.rng.choices(ID_ALPHABET, k=16))
            if candidate not in self.public_ids:
                self.public_ids.add(candidate)
                return candidate

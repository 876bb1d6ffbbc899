"""No N+1: a public read runs as many SQL statements for many articles as for a few.

Each read is measured on a small store and again after the store has grown, and must run the
same number of statements both times, no more than its ``ceiling``: today's count, so that a
change that adds a statement to a read fails here and raises the number on purpose.

Reads served from ready-made JSON (app.services.ready: article pages and list cards) are
measured twice: cold, with none ready (``ceiling``: they build it as before and keep it, two
more statements after the response), and again at once (``warm``: from what the first kept). Every
article has its own section (under one parent), tag, author (with an avatar) and hero image,
plus the shared tag and author, an image in its body and a related article; every third is an
English translation of the one before.

Counted: the statements the request sends through the app's engine (``before_cursor_execute``).
Not counted: SQLite's ``BEGIN`` and the PRAGMAs it runs on connect, which are not the request's
queries; a public read looks up no API key.

The store is built through the API, which costs far more than the reads, so one test grows it
once and measures every read on both sizes; its failure lists each read's counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, event

from app.db import Database
from app.models import ReadyArticle, ReadyCard
from tests.assertions import Key
from tests.factories import (
    create_article,
    create_author,
    create_section,
    create_tag,
    jpeg_bytes,
    upload_media,
)

SMALL = 3
LARGE = 25
_NOT_QUERIES = ("BEGIN", "PRAGMA", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@dataclass(frozen=True)
class Read:
    path: str
    ceiling: int
    params: dict[str, Any] = field(default_factory=dict)
    second_page: bool = False  # measure the page after the first (via its next_cursor)
    warm: int | None = None  # read again at once, from ready-made JSON (None: not measured)

    def __str__(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.params.items())
        page = " (2nd page)" if self.second_page else ""
        return f"GET {self.path}" + (f"?{query}" if query else "") + page


# A public list: its ids, the ready cards among them, and for the others the event counter,
# the cards (articles with section and hero, then bylines) and, kept, the counter and an insert.
# Without filters, app.lane first looks for the page with ready cards, in one statement on a raw
# connection, which the engine's events do not see (tests/test_query_plans.py explains it):
# warm, nothing else runs.
READS = [
    Read("/v1/articles", 7, warm=0),
    Read("/v1/articles", 8, {"section": "news"}, warm=3),
    Read("/v1/articles", 8, {"tag": "common"}, warm=3),
    Read("/v1/articles", 8, {"author": "salma-haddad"}, warm=3),
    Read("/v1/articles", 7, {"lang": "ar"}, warm=2),
    Read("/v1/articles", 7, {"limit": 2}, second_page=True, warm=0),
    # The section tree, its pins and which are public, the ids of the latest, then the cards as
    # a list's.
    Read("/v1/sections/news", 10, warm=5),
    Read("/v1/sections", 1),
    Read("/v1/tags", 1),
    Read("/v1/authors", 2),
    Read("/v1/search", 6, {"q": "جسر"}),
    # A feed: its ids, the ready pages among them, and for the others the event counter and
    # the pages' rows, links and media, then kept; warm, the ids and the pages.
    Read("/v1/feeds/rss", 11, warm=2),
    Read("/v1/feeds/json", 11, warm=2),
    Read("/v1/ninjs", 9),
    Read("/v1/sitemap.xml", 1),
    Read("/v1/sitemaps/articles-1.xml", 1),
    Read("/v1/sitemaps/news.xml", 1),
    Read("/v1/media", 1),
    # Big enough for the whole copy (sections, tags, authors, articles) and the log after it.
    Read("/v1/sync", 15, {"limit": 500}),
]
# Cold: the route's look for the ready page, the event counter, the row, its links (one UNION
# ALL), the linked articles, its media, and kept: the counter and an insert. By slug, first the
# ids with the slug and the visible one among them. app.lane looks first, on a raw connection
# the engine's events do not see; warm, it answers with nothing else.
ARTICLE_CEILING = {"id": 8, "slug": 10}
ARTICLE_WARM = {"id": 0, "slug": 0}


class Statements:
    """The SQL statements the app's engine sends while ``watch()`` is open."""

    def __init__(self, database: Database) -> None:
        self.engine = database.engine
        self.seen: list[str] = []

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().split(None, 1)[0].upper() not in _NOT_QUERIES:
            self.seen.append(statement)

    @contextmanager
    def watch(self) -> Iterator[list[str]]:
        self.seen = []
        event.listen(self.engine, "before_cursor_execute", self._record)
        try:
            yield self.seen
        finally:
            event.remove(self.engine, "before_cursor_execute", self._record)

    def count(self, client: TestClient, read: Read) -> tuple[int, list[str]]:
        params = dict(read.params)
        if read.second_page:
            first = client.get(read.path, params=params)
            assert first.status_code == 200, first.text
            params["cursor"] = first.json()["next_cursor"]
            assert params["cursor"], f"{read}: no second page"
        with self.engine.begin() as conn:  # cold: nothing ready-made
            conn.execute(delete(ReadyArticle))
            conn.execute(delete(ReadyCard))
        with self.watch() as seen:
            response = client.get(read.path, params=params)
        assert response.status_code == 200, f"{read}: {response.text}"
        return len(seen), list(seen)

    def count_warm(self, client: TestClient, read: Read) -> tuple[int, list[str]]:
        """Statements of the read done again at once (after ``count``)."""
        params = dict(read.params)
        if read.second_page:
            params["cursor"] = client.get(read.path, params=params).json()["next_cursor"]
        with self.watch() as seen:
            response = client.get(read.path, params=params)
        assert response.status_code == 200, f"{read}: {response.text}"
        return len(seen), list(seen)


class Newsroom:
    """A store that grows through the API: ``grow(n)`` publishes articles until there are n."""

    def __init__(self, client: TestClient, key: Key) -> None:
        self.client = client
        self.key = key
        self.articles: list[dict[str, Any]] = []
        create_section(client, key, slug="news", names={"ar": "أخبار", "en": "News"})
        create_tag(client, key, name="عام", slug="common")
        create_author(client, key, name="سلمى الحداد", slug="salma-haddad")

    def grow(self, total: int) -> None:
        client, key = self.client, self.key
        for n in range(len(self.articles), total):
            photo = upload_media(client, key, jpeg_bytes(64, 48))["id"]
            names = {"ar": f"قسم {n}", "en": f"Section {n}"}
            create_section(client, key, slug=f"s{n}", names=names, parent="news")
            create_tag(client, key, name=f"وسم {n}", slug=f"t{n}")
            create_author(client, key, name=f"كاتب {n}", slug=f"w{n}", avatar=photo)
            previous = self.articles[-1]["id"] if self.articles else None
            links: dict[str, Any] = {"related": [previous]} if previous else {}
            if n % 3 == 2:
                links.update(lang="en", translation_of=previous)
            self.articles.append(
                create_article(
                    client,
                    key,
                    headline=f"افتتاح جسر الميناء رقم {n}",
                    section=f"s{n}",
                    tags=["common", f"t{n}"],
                    authors=["salma-haddad", f"w{n}"],
                    hero={"media": photo},
                    body=[
                        {"type": "paragraph", "html": "افتتحت البلدية جسر الميناء صباح اليوم."},
                        {"type": "image", "media": photo},
                    ],
                    **links,
                )
            )
        # One pinned article on the small front, five on the large one.
        pinned = [a["id"] for a in self.articles[: max(1, total // 5)]]
        response = client.patch("/v1/sections/news", json={"pinned": pinned}, headers=key)
        assert response.status_code == 200, response.text


@pytest.fixture
def newsroom(client: TestClient, editor: Key) -> Newsroom:
    return Newsroom(client, editor)


@pytest.fixture
def statements(database: Database) -> Statements:
    return Statements(database)


class TestPublicReads:
    def test_statements_do_not_grow_with_the_store(
        self, client: TestClient, newsroom: Newsroom, statements: Statements
    ) -> None:
        newsroom.grow(SMALL)
        small = [self.measure(client, statements, read) for read in READS]
        newsroom.grow(LARGE)
        large = [self.measure(client, statements, read) for read in READS]
        table, failed = [], []
        for read, (few, _), (many, sent) in zip(READS, small, large, strict=True):
            ceiling = (read.ceiling, read.warm)
            ok = few == many and all(
                n <= c for n, c in zip(many, ceiling, strict=True) if c is not None
            )
            table.append(f"{'  ' if ok else '✗ '}{read}: {few} → {many} (ceiling {ceiling})")
            if not ok:
                failed.append(f"{read}, {LARGE} articles:\n" + "\n".join(sent))
        assert not failed, (
            f"statements per read (cold, warm), {SMALL} → {LARGE} articles:\n"
            + "\n".join(table)
            + "\n\n"
            + "\n\n".join(failed)
        )

    @staticmethod
    def measure(
        client: TestClient, statements: Statements, read: Read
    ) -> tuple[tuple[int, int | None], list[str]]:
        cold, sent = statements.count(client, read)
        if read.warm is None:
            return (cold, None), sent
        warm, sent_warm = statements.count_warm(client, read)
        return (cold, warm), [*sent, "-- warm:", *sent_warm]


class TestArticlePage:
    def test_statements_do_not_grow_with_its_links(
        self, client: TestClient, editor: Key, newsroom: Newsroom, statements: Statements
    ) -> None:
        """An article with one related article and one tag, then one with ten of each, read by
        id and by slug."""
        newsroom.grow(10)
        others = [a["id"] for a in newsroom.articles]
        counts: dict[str, list[int]] = {"id": [], "slug": []}
        sent: dict[str, list[str]] = {}
        for links in (1, 10):
            photo = upload_media(client, editor, jpeg_bytes(64, 48))["id"]
            article = create_article(
                client,
                editor,
                headline=f"مقال له {links} روابط",
                section="s0",
                tags=[f"t{n}" for n in range(links)],
                authors=["salma-haddad"],
                related=others[:links],
                hero={"media": photo},
                body=[{"type": "image", "media": photo}],
            )
            paths = {
                "id": f"/v1/articles/{article['id']}",
                "slug": f"/v1/articles/slug/{article['slug']}",
            }
            for by, path in paths.items():
                read = Read(path, ARTICLE_CEILING[by], warm=ARTICLE_WARM[by])
                count, sent[by] = statements.count(client, read)
                warm, sent_warm = statements.count_warm(client, read)
                assert warm <= ARTICLE_WARM[by], "\n".join(sent_warm)
                counts[by].append(count)
        for by, (one, ten) in counts.items():
            assert one == ten <= ARTICLE_CEILING[by], (
                f"GET /v1/articles/{{{by}}}: {one} statements with 1 related article and tag, "
                f"{ten} with 10 (ceiling {ARTICLE_CEILING[by]}):\n" + "\n".join(sent[by])
            )

"""The scheduler publishes a scheduled article once, at its time, however many server
processes run it."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.models import Article, ArticleRevision, AuditEvent
from app.services import scheduler
from tests.assertions import Key, assert_problem
from tests.factories import act, create_article, make_due


def schedule(client: TestClient, key: Key, article_id: str, at: datetime) -> dict[str, Any]:
    response = act(client, key, article_id, "schedule", json={"at": at.isoformat()})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def wait_until(condition: Any, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def two_servers(settings: Settings) -> Iterator[tuple[TestClient, TestClient]]:
    """Two app instances, each with its own engine and a scheduler running every 50 ms, on
    the same database: two server processes as far as the database can tell."""
    busy = settings.model_copy(update={"scheduler_interval": 0.05})
    with (
        TestClient(create_app(busy)) as first,
        TestClient(create_app(busy)) as second,
    ):
        yield first, second


def test_two_schedulers_publish_each_article_once(
    two_servers: tuple[TestClient, TestClient], editor: Key, database: Database
) -> None:
    first, second = two_servers
    at = datetime.now(UTC) + timedelta(seconds=2)
    made = [
        create_article(first, editor, publish=False, headline=f"خبر مجدول رقم {n}")
        for n in range(12)
    ]
    for n, article in enumerate(made):
        schedule(first if n % 2 else second, editor, article["id"], at)
    # Not yet: nowhere public.
    for article in made:
        assert_problem(second.get(f"/v1/articles/{article['id']}"), 404)
    assert first.get("/v1/articles").json()["items"] == []

    def all_public() -> bool:
        return len(second.get("/v1/articles", params={"limit": 100}).json()["items"]) == 12

    assert wait_until(all_public), "the schedulers did not publish every article in time"
    with database.session() as session:
        ids = [a["id"] for a in made]
        rows = session.execute(
            select(Article.public_id, Article.status, Article.version, Article.published_at).where(
                Article.public_id.in_(ids)
            )
        ).all()
        publications = Counter(
            session.scalars(
                select(Article.public_id)
                .join(ArticleRevision, ArticleRevision.article_id == Article.id)
                .where(ArticleRevision.action == "publish", Article.public_id.in_(ids))
            )
        )
        audited = Counter(
            session.scalars(
                select(AuditEvent.item_id).where(
                    AuditEvent.action == "article.publish", AuditEvent.item_id.in_(ids)
                )
            )
        )
    assert {row.status for row in rows} == {"published"}
    # create (1), schedule (2), publish (3): one publication each, by the scheduler.
    assert {row.version for row in rows} == {3}
    assert publications == Counter({i: 1 for i in ids})
    assert audited == Counter({i: 1 for i in ids})
    # Published "at" the scheduled time, not whenever a pass happened to run.
    assert {row.published_at for row in rows} == {at}
    page = first.get(f"/v1/articles/{made[0]['id']}").json()
    assert page["scheduled_at"] is None
    assert page["first_published_at"] == page["published_at"]


def test_racing_passes_publish_each_article_once(
    client: TestClient, editor: Key, settings: Settings
) -> None:
    """Four passes started at the same moment, each with its own engine, over 40 due
    articles: every article is published by exactly one of them."""
    made = [
        create_article(client, editor, publish=False, headline=f"موعد {n}")["id"] for n in range(40)
    ]
    for article_id in made:
        schedule(client, editor, article_id, datetime.now(UTC) + timedelta(hours=1))
    databases = [Database(settings.database_url) for _ in range(4)]
    try:
        make_due(databases[0], *made)
        start = threading.Barrier(len(databases))
        results: list[list[str]] = [[] for _ in databases]

        def run(n: int) -> None:
            start.wait()
            results[n] = scheduler.publish_due(databases[n])

        workers = [threading.Thread(target=run, args=(n,)) for n in range(len(databases))]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
    finally:
        for database in databases:
            database.dispose()
    published = [article_id for result in results for article_id in result]
    assert sorted(published) == sorted(made)  # each once: no article twice, none missed
    assert len(client.get("/v1/articles", params={"limit": 100}).json()["items"]) == 40


def test_not_before_its_time(client: TestClient, editor: Key, database: Database) -> None:
    article = create_article(client, editor, publish=False)
    schedule(client, editor, article["id"], datetime.now(UTC) + timedelta(minutes=5))
    assert scheduler.publish_due(database) == []
    assert_problem(client.get(f"/v1/articles/{article['id']}"), 404)


def test_unscheduled_article_is_not_published(
    client: TestClient, editor: Key, database: Database
) -> None:
    article = create_article(client, editor, publish=False)
    schedule(client, editor, article["id"], datetime.now(UTC) + timedelta(minutes=5))
    assert act(client, editor, article["id"], "unschedule").status_code == 200
    make_due(database, article["id"])
    assert scheduler.publish_due(database) == []
    assert_problem(client.get(f"/v1/articles/{article['id']}"), 404)


def test_one_bad_article_does_not_hold_up_the_rest(
    client: TestClient, editor: Key, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.services import articles as article_service

    ids = [create_article(client, editor, publish=False)["id"] for _ in range(3)]
    for article_id in ids:
        schedule(client, editor, article_id, datetime.now(UTC) + timedelta(hours=1))
    make_due(database, *ids)
    real = article_service.publish_due

    def flaky(session: Any, *, article: Article) -> bool:
        if article.public_id == ids[1]:
            raise RuntimeError("disk full")
        return real(session, article=article)

    monkeypatch.setattr(article_service, "publish_due", flaky)
    assert sorted(scheduler.publish_due(database)) == sorted([ids[0], ids[2]])
    assert_problem(client.get(f"/v1/articles/{ids[1]}"), 404)
    monkeypatch.setattr(article_service, "publish_due", real)
    assert scheduler.publish_due(database) == [ids[1]]

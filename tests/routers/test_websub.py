"""WebSub: publishing pings the hubs about every feed the article is in, from a durable queue,
and a hub that is down never blocks or fails the publication."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.models import WebSubPing
from app.services import scheduler
from app.services import websub as websub_service
from tests.assertions import Key
from tests.factories import (
    act,
    create_article,
    create_author,
    create_section,
    create_tag,
    make_due,
    trash,
)


class Hub:
    """A WebSub hub on 127.0.0.1 that records the pings it receives and answers with the
    statuses queued in ``answers`` (then 204); ``requests`` counts every request, refused or
    not."""

    def __init__(self) -> None:
        self.received: list[dict[str, list[str]]] = []
        self.requests = 0
        self.answers: list[int] = []
        self.lock = threading.Lock()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with hub.lock:
                    hub.requests += 1
                    status = hub.answers.pop(0) if hub.answers else 204
                    if status < 300:
                        hub.received.append(parse_qs(body.decode("utf-8")))
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def topics(self) -> list[str]:
        with self.lock:
            return sorted(ping["hub.url"][0] for ping in self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hub() -> Iterator[Hub]:
    receiver = Hub()
    yield receiver
    receiver.close()


@pytest.fixture
def api(settings: Settings, database: Database, hub: Hub) -> Iterator[TestClient]:
    """The API with the hub configured; its dispatcher is off, the tests run passes."""
    with_hub = settings.model_copy(update={"websub_hubs": [hub.url]})
    with TestClient(create_app(with_hub, database=database)) as client:
        yield client


def deliver(database: Database) -> tuple[int, int]:
    return websub_service.deliver_due(database, max_attempts=3, allow_private=True)


def feeds(query: str = "") -> set[str]:
    tail = f"?{query}" if query else ""
    return {f"http://testserver/v1/feeds/{kind}{tail}" for kind in ("rss", "atom", "json")}


def test_publishing_pings_every_feed_of_the_article(
    api: TestClient, editor: Key, hub: Hub, database: Database
) -> None:
    create_section(api, editor, slug="news", names={"ar": "أخبار"})
    create_section(api, editor, slug="local", names={"ar": "محليات"}, parent="news")
    create_tag(api, editor, name="النقل", slug="transport")
    create_author(api, editor)
    draft = create_article(
        api,
        editor,
        publish=False,
        section="local",
        tags=["transport"],
        authors=["salma-haddad"],
    )
    assert deliver(database) == (0, 0)  # a draft is nobody's business
    assert act(api, editor, draft["id"], "publish").status_code == 200
    delivered, failed = deliver(database)
    assert failed == 0
    expected = (
        feeds()
        | feeds("lang=ar")
        | feeds("section=local")
        | feeds("section=news")
        | feeds("tag=transport")
        | feeds("author=salma-haddad")
    )
    assert set(hub.topics()) == expected
    assert delivered == len(expected) == len(hub.topics())
    assert all(ping["hub.mode"] == ["publish"] for ping in hub.received)
    assert deliver(database) == (0, 0)  # delivered once


def test_arabic_slugs_are_percent_encoded_in_topics(
    api: TestClient, editor: Key, hub: Hub, database: Database
) -> None:
    create_tag(api, editor, name="الطاقة", slug="الطاقة")
    create_article(api, editor, tags=["الطاقة"])
    deliver(database)
    assert feeds(f"tag={quote('الطاقة')}") <= set(hub.topics())


def test_a_waiting_ping_is_not_queued_twice(
    api: TestClient, editor: Key, hub: Hub, database: Database
) -> None:
    made = create_article(api, editor)
    for urgency in (2, 3, 4):
        etag = api.get(f"/v1/articles/{made['id']}").headers["etag"]
        response = api.patch(
            f"/v1/articles/{made['id']}",
            json={"urgency": urgency},
            headers={**editor, "If-Match": etag},
        )
        assert response.status_code == 200, response.text
    delivered, _ = deliver(database)
    assert delivered == len(feeds() | feeds("lang=ar"))
    assert sorted(hub.topics()) == sorted(feeds() | feeds("lang=ar"))


def test_taking_an_article_off_the_site_pings_too(
    api: TestClient, editor: Key, hub: Hub, database: Database
) -> None:
    made = create_article(api, editor)
    deliver(database)
    hub.received.clear()
    assert trash(api, editor, made["id"]).status_code == 200
    deliver(database)
    assert set(hub.topics()) == feeds() | feeds("lang=ar")
    hub.received.clear()
    # Restoring from the trash gives a draft: nothing public changed, nothing to say.
    assert act(api, editor, made["id"], "restore").status_code == 200
    assert deliver(database) == (0, 0)


def test_a_hub_that_is_down_never_fails_a_publication(
    settings: Settings, database: Database, editor: Key
) -> None:
    down = "http://127.0.0.1:9/"  # the discard port: nothing listens
    with_hub = settings.model_copy(update={"websub_hubs": [down]})
    with TestClient(create_app(with_hub, database=database)) as api:
        made = create_article(api, editor)
        assert api.get(f"/v1/articles/{made['id']}").status_code == 200
    delivered, failed = deliver(database)
    assert (delivered, failed) == (0, 6)
    with database.session() as session:
        pings = list(session.scalars(select(WebSubPing)))
        assert {p.status for p in pings} == {"pending"}
        assert {p.attempts for p in pings} == {1}
        assert all(p.next_attempt_at > datetime.now(UTC) for p in pings)
        assert all("ConnectError" in (p.last_error or "") for p in pings)
    assert deliver(database) == (0, 0)  # backing off: not due yet


def test_a_hub_on_a_private_address_is_refused_and_given_up(
    api: TestClient, editor: Key, hub: Hub, database: Database
) -> None:
    made = create_article(api, editor)
    assert made["status"] == "published"
    assert api.get(f"/v1/articles/{made['id']}").status_code == 200
    pings = len(feeds() | feeds("lang=ar"))
    guarded = websub_service.deliver_due(database, max_attempts=3, allow_private=False)
    assert guarded == (0, pings)
    assert hub.requests == 0
    with database.session() as session:
        refused = list(session.scalars(select(WebSubPing)))
        assert len(refused) == pings
        assert {p.status for p in refused} == {"dead"}  # after one pass, not max_attempts
        assert {p.attempts for p in refused} == {1}
        for ping in refused:
            assert (ping.last_error or "").startswith("refused")
            assert "«127.0.0.1» is a loopback address" in (ping.last_error or "")
    # Dead stays dead, even once the guard is off.
    assert websub_service.deliver_due(database, max_attempts=3, allow_private=False) == (0, 0)
    assert deliver(database) == (0, 0)
    assert hub.requests == 0


def test_retried_after_an_error_then_dead_after_the_limit(
    api: TestClient, editor: Key, hub: Hub, database: Database
) -> None:
    create_article(api, editor, lang="en", headline="Harbour bridge opens")
    pings = len(feeds() | feeds("lang=en"))
    hub.answers = [500] * pings
    assert deliver(database) == (0, pings)

    def due_now() -> None:
        with database.session(write=True) as session:
            session.execute(
                update(WebSubPing).values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
            )
            session.commit()

    due_now()
    assert deliver(database) == (pings, 0)  # the second attempt gets through
    assert sorted(hub.topics()) == sorted(feeds() | feeds("lang=en"))

    hub.received.clear()
    create_article(api, editor, lang="en", headline="Second story")
    hub.answers = [503] * (pings * 3)
    for _ in range(3):
        due_now()
        deliver(database)
    with database.session() as session:
        assert websub_service.queue_state(session) == {"delivered": pings, "dead": pings}
    assert hub.topics() == []


def test_the_dispatcher_delivers_in_the_background(
    settings: Settings, database: Database, editor: Key, hub: Hub
) -> None:
    busy = settings.model_copy(update={"websub_hubs": [hub.url], "websub_interval": 0.05})
    with TestClient(create_app(busy, database=database)) as api:
        create_article(api, editor)
        deadline = time.monotonic() + 20
        while len(hub.topics()) < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert set(hub.topics()) == feeds() | feeds("lang=ar")


def test_scheduled_publication_pings(
    api: TestClient, editor: Key, hub: Hub, database: Database, settings: Settings
) -> None:
    made = create_article(api, editor, publish=False)
    at = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert act(api, editor, made["id"], "schedule", json={"at": at}).status_code == 200
    assert deliver(database) == (0, 0)  # scheduled is not public yet
    make_due(database, made["id"])
    published = scheduler.publish_due(database, hubs=[hub.url], base_url="http://testserver")
    assert published == [made["id"]]
    deliver(database)
    assert set(hub.topics()) == feeds() | feeds("lang=ar")


def test_a_refused_hub_is_named_in_the_log_when_the_dispatcher_starts(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    hubs = ["http://127.0.0.1:9/hub", "http://10.1.2.3/hub", "ftp://hub.example/"]
    assert [hub for hub, _ in websub_service.refused_hubs(hubs, allow_private=False)] == hubs
    assert websub_service.refused_hubs(hubs[:2], allow_private=True) == []

    async def start_and_stop() -> None:
        stop = asyncio.Event()
        stop.set()
        await websub_service.run(database, interval=1, max_attempts=1, stop=stop, hubs=hubs[:1])

    with caplog.at_level(logging.ERROR, logger="khabar.websub"):
        asyncio.run(start_and_stop())
    assert "WebSub hub http://127.0.0.1:9/hub will not be pinged" in caplog.text
    assert "loopback" in caplog.text

"""Webhooks: admin CRUD, signed deliveries from the outbox to a real receiver on 127.0.0.1,
retries in order, dead and redelivered deliveries, filters, restarts, two dispatchers on one
store, a slow receiver beside a fast one, and the SSRF guard."""

from __future__ import annotations

import hashlib
import hmac
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.models import Event, Webhook, WebhookAttempt, WebhookDelivery
from app.services import events as event_service
from app.services import webhooks as webhook_service
from app.services.websub import backoff as websub_backoff
from tests.assertions import Key, assert_needs_key, assert_problem
from tests.factories import act, create_article, create_section


@dataclass
class Received:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    status: int  # what the receiver answered
    at: float  # time.monotonic() on arrival

    @property
    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = orjson.loads(self.body)
        return data


class Receiver:
    """A webhook receiver on 127.0.0.1 that records every request and answers with the
    statuses queued in ``answers`` (then 200), after ``delay`` seconds."""

    def __init__(self, *, port: int = 0, delay: float = 0.0) -> None:
        self.requests: list[Received] = []
        self.answers: list[int] = []
        self.location: str | None = None  # sent with a 3xx answer
        self.answered = 0
        self.delay = delay
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver.lock:
                    status = receiver.answers.pop(0) if receiver.answers else 200
                    receiver.requests.append(
                        Received(
                            path=self.path,
                            headers={k.lower(): v for k, v in self.headers.items()},
                            body=body,
                            status=status,
                            at=time.monotonic(),
                        )
                    )
                time.sleep(receiver.delay)
                self.send_response(status)
                if 300 <= status < 400 and receiver.location is not None:
                    self.send_header("location", receiver.location)
                self.send_header("content-length", "0")
                self.end_headers()
                with receiver.lock:
                    receiver.answered += 1

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def delivered(self) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if 200 <= r.status < 300]

    def count(self) -> int:
        with self.lock:
            return len(self.requests)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def subscribe(client: TestClient, admin: Key, url: str, **overrides: Any) -> dict[str, Any]:
    response = client.post(
        "/v1/webhooks", json={"name": "cdn purge", "url": url, **overrides}, headers=admin
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def dispatch(database: Database, settings: Settings) -> tuple[int, int]:
    """One pass of a dispatcher: fan out, then deliver what is due."""
    webhook_service.fan_out(database)
    return webhook_service.deliver_due(database, settings=settings)


def due_now(database: Database) -> None:
    """Time passes: every pending delivery's backoff (or lease) is over."""
    with database.session(write=True) as session:
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.status == "pending")
            .values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        session.commit()


def emit(database: Database, *events: tuple[str, str, str, dict[str, Any]]) -> None:
    """Write events (type, item type, item id, data) as content changes do, in one commit."""
    with database.session(write=True) as session:
        for type_, item_type, item_id, data in events:
            event_service.emit(
                session,
                type=type_,
                item_type=item_type,
                item_id=item_id,
                data=data,
                surrogate_keys=[f"{item_type}:{item_id}"],
            )
        session.commit()


def patch_article(client: TestClient, key: Key, article_id: str, **changes: Any) -> None:
    etag = client.get(f"/v1/articles/{article_id}", headers=key).headers["etag"]
    response = client.patch(
        f"/v1/articles/{article_id}", json=changes, headers={**key, "If-Match": etag}
    )
    assert response.status_code == 200, response.text


def verify(request: Received, secret: str) -> None:
    """What a receiver does: recompute the signature over the timestamp and the raw body."""
    timestamp = request.headers["khabar-timestamp"]
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256)
    assert hmac.compare_digest(request.headers["khabar-signature"], f"v1={mac.hexdigest()}")
    assert abs(time.time() - int(timestamp)) < 300


def wait_until(condition: Callable[[], bool], *, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def deliveries(database: Database) -> list[WebhookDelivery]:
    with database.session() as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def audit_actions(client: TestClient, admin: Key) -> list[str]:
    response = client.get("/v1/audit", params={"item_type": "webhook"}, headers=admin)
    assert response.status_code == 200, response.text
    return [event["action"] for event in response.json()["items"]]


ROUTES = [
    ("GET", "/v1/webhooks"),
    ("POST", "/v1/webhooks"),
    ("GET", "/v1/webhooks/x"),
    ("PATCH", "/v1/webhooks/x"),
    ("DELETE", "/v1/webhooks/x"),
    ("POST", "/v1/webhooks/x/secret"),
    ("POST", "/v1/webhooks/x/ping"),
    ("GET", "/v1/webhooks/x/deliveries"),
    ("GET", "/v1/webhooks/x/deliveries/1"),
    ("POST", "/v1/webhooks/x/deliveries/1/redeliver"),
]


class TestAccess:
    @pytest.mark.parametrize(("method", "path"), ROUTES)
    def test_needs_an_admin_key(
        self, client: TestClient, editor: Key, method: str, path: str
    ) -> None:
        body = {"name": "x", "url": "https://example.com/"} if method in ("POST", "PATCH") else None
        assert_needs_key(client.request(method, path, json=body))
        assert_problem(client.request(method, path, json=body, headers=editor), 403)


class TestCreateWebhook:
    def test_the_secret_is_shown_once(
        self, client: TestClient, admin: Key, receiver: Receiver
    ) -> None:
        response = client.post(
            "/v1/webhooks", json={"name": "cdn", "url": receiver.url}, headers=admin
        )
        assert response.status_code == 201, response.text
        assert response.headers["cache-control"] == "private, no-store"
        made = response.json()
        assert made["secret"].startswith("whsec_") and len(made["secret"]) > 40
        assert made["events"] == ["*"]
        assert made["active"] is True
        assert made["section"] is None
        listed = client.get("/v1/webhooks", headers=admin)
        one = client.get(f"/v1/webhooks/{made['id']}", headers=admin)
        for response in (listed, one):
            assert response.status_code == 200, response.text
            assert response.headers["cache-control"] == "private, no-store"
            assert made["secret"] not in response.text
            assert "secret" not in response.text
        assert [w["id"] for w in listed.json()["items"]] == [made["id"]]
        assert one.json() == {k: v for k, v in made.items() if k != "secret"}
        assert audit_actions(client, admin) == ["webhook.create"]

    def test_filters_are_kept(self, client: TestClient, admin: Key, editor: Key) -> None:
        create_section(client, editor, slug="local")
        made = subscribe(
            client,
            admin,
            "https://example.com/hook",
            events=["article.published", "tag.*", "article.published"],
            section="local",
            active=False,
        )
        assert made["events"] == ["article.published", "tag.*"]
        assert made["section"] == "local"
        assert made["active"] is False

    @pytest.mark.parametrize(
        "events", [["article.exploded"], ["widget.*"], ["article"], ["*.*"], [""], []]
    )
    def test_unknown_event_types_are_refused(
        self, client: TestClient, admin: Key, events: list[str]
    ) -> None:
        response = client.post(
            "/v1/webhooks",
            json={"name": "x", "url": "https://example.com/", "events": events},
            headers=admin,
        )
        assert_problem(response, 422)

    @pytest.mark.parametrize("url", ["ftp://example.com/", "not a url", "http://", "/relative"])
    def test_bad_urls_are_refused(self, client: TestClient, admin: Key, url: str) -> None:
        response = client.post("/v1/webhooks", json={"name": "x", "url": url}, headers=admin)
        problem = assert_problem(response, 422)
        assert problem["errors"][0]["loc"] == ["body", "url"]

    def test_an_unknown_section_is_refused(self, client: TestClient, admin: Key) -> None:
        response = client.post(
            "/v1/webhooks",
            json={"name": "x", "url": "https://example.com/", "section": "nowhere"},
            headers=admin,
        )
        problem = assert_problem(response, 422)
        assert "nowhere" in problem["detail"]


class TestUpdateWebhook:
    def test_changes_what_is_sent(self, client: TestClient, admin: Key, editor: Key) -> None:
        create_section(client, editor, slug="local")
        made = subscribe(client, admin, "https://example.com/a")
        response = client.patch(
            f"/v1/webhooks/{made['id']}",
            json={
                "name": "renamed",
                "url": "https://example.com/b",
                "events": ["article.*"],
                "section": "local",
                "active": False,
            },
            headers=admin,
        )
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "private, no-store"
        body = response.json()
        assert (body["name"], body["url"], body["events"], body["section"], body["active"]) == (
            "renamed",
            "https://example.com/b",
            ["article.*"],
            "local",
            False,
        )
        assert "secret" not in body
        response = client.patch(f"/v1/webhooks/{made['id']}", json={"section": None}, headers=admin)
        assert response.json()["section"] is None
        assert audit_actions(client, admin) == [
            "webhook.update",
            "webhook.update",
            "webhook.create",
        ]

    @pytest.mark.parametrize(
        "changes",
        [
            {"url": "gopher://example.com/"},
            {"events": ["nope"]},
            {"section": "nowhere"},
            {"name": None},
            {"active": None},
            {"secret": "mine"},
        ],
    )
    def test_invalid_changes_are_refused(
        self, client: TestClient, admin: Key, changes: dict[str, Any]
    ) -> None:
        made = subscribe(client, admin, "https://example.com/a")
        response = client.patch(f"/v1/webhooks/{made['id']}", json=changes, headers=admin)
        assert_problem(response, 422)
        assert client.get(f"/v1/webhooks/{made['id']}", headers=admin).json()["url"] == (
            "https://example.com/a"
        )

    def test_unknown_ids_are_404(self, client: TestClient, admin: Key) -> None:
        assert_problem(client.get("/v1/webhooks/nope", headers=admin), 404)
        assert_problem(client.patch("/v1/webhooks/nope", json={}, headers=admin), 404)
        assert_problem(client.delete("/v1/webhooks/nope", headers=admin), 404)
        assert_problem(client.post("/v1/webhooks/nope/secret", headers=admin), 404)
        assert_problem(client.post("/v1/webhooks/nope/ping", headers=admin), 404)
        assert_problem(client.get("/v1/webhooks/nope/deliveries", headers=admin), 404)


class TestDeleteWebhook:
    def test_goes_with_its_deliveries(
        self,
        client: TestClient,
        admin: Key,
        editor: Key,
        receiver: Receiver,
        database: Database,
        settings: Settings,
    ) -> None:
        made = subscribe(client, admin, receiver.url)
        create_article(client, editor)
        webhook_service.fan_out(database)
        assert len(deliveries(database)) == 1
        response = client.delete(f"/v1/webhooks/{made['id']}", headers=admin)
        assert response.status_code == 204, response.text
        assert_problem(client.get(f"/v1/webhooks/{made['id']}", headers=admin), 404)
        assert deliveries(database) == []
        assert dispatch(database, settings) == (0, 0)
        assert receiver.count() == 0
        assert audit_actions(client, admin)[0] == "webhook.delete"


class TestRotateSecret:
    def test_signs_with_the_new_secret_only(
        self,
        client: TestClient,
        admin: Key,
        editor: Key,
        receiver: Receiver,
        database: Database,
        settings: Settings,
    ) -> None:
        made = subscribe(client, admin, receiver.url)
        response = client.post(f"/v1/webhooks/{made['id']}/secret", headers=admin)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "private, no-store"
        secret = response.json()["secret"]
        assert secret.startswith("whsec_") and secret != made["secret"]
        create_article(client, editor)
        assert dispatch(database, settings) == (1, 0)
        verify(receiver.requests[0], secret)
        with pytest.raises(AssertionError):
            verify(receiver.requests[0], made["secret"])
        assert audit_actions(client, admin)[0] == "webhook.rotate"


class TestPing:
    def test_pings_and_reports(
        self, client: TestClient, admin: Key, receiver: Receiver, database: Database
    ) -> None:
        made = subscribe(client, admin, receiver.url)
        response = client.post(f"/v1/webhooks/{made['id']}/ping", headers=admin)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "private, no-store"
        result = response.json()
        assert result["ok"] is True
        assert result["status_code"] == 200
        assert result["error"] is None
        assert result["duration_ms"] >= 0
        (request,) = receiver.requests
        verify(request, made["secret"])
        assert request.headers["khabar-event-type"] == "ping"
        assert request.headers["khabar-event-id"].startswith("ping-")
        assert request.json["type"] == "ping"
        assert request.json["id"] == request.headers["khabar-event-id"]
        assert request.json["item"] == {"type": "webhook", "id": made["id"]}

        receiver.answers = [503]
        result = client.post(f"/v1/webhooks/{made['id']}/ping", headers=admin).json()
        assert (result["ok"], result["status_code"], result["error"]) == (False, 503, "HTTP 503")
        with database.session() as session:
            logged = list(session.scalars(select(WebhookAttempt).order_by(WebhookAttempt.id)))
        assert [(a.event_type, a.status_code, a.delivery_id) for a in logged] == [
            ("ping", 200, None),
            ("ping", 503, None),
        ]
        assert audit_actions(client, admin)[:2] == ["webhook.ping", "webhook.ping"]

    def test_a_receiver_that_is_down(self, client: TestClient, admin: Key) -> None:
        made = subscribe(client, admin, f"http://127.0.0.1:{free_port()}/")
        result = client.post(f"/v1/webhooks/{made['id']}/ping", headers=admin).json()
        assert result["ok"] is False
        assert result["status_code"] is None
        assert "ConnectError" in result["error"]


class TestDelivery:
    def test_delivers_a_signed_event(
        self,
        client: TestClient,
        admin: Key,
        editor: Key,
        receiver: Receiver,
        database: Database,
        settings: Settings,
    ) -> None:
        made = subscribe(client, admin, receiver.url)
        article = create_article(client, editor)
        assert dispatch(database, settings) == (1, 0)
        assert dispatch(database, settings) == (0, 0)  # once
        (request,) = receiver.requests
        verify(request, made["secret"])
        with database.session() as session:
            event = session.scalars(select(Event)).one()
            delivery = session.scalars(select(WebhookDelivery)).one()
        assert request.path == "/"
        assert request.headers["content-type"] == "application/json"
        assert request.headers["user-agent"].startswith("Khabar-Webhooks/")
        assert request.headers["khabar-event-id"] == str(event.id)
        assert request.headers["khabar-event-type"] == "article.created"
        assert request.headers["khabar-delivery-id"] == str(delivery.id)
        assert request.headers["surrogate-key"].split() == event.surrogate_keys
        assert f"article:{article['id']}" in event.surrogate_keys
        body = request.json
        assert body == {
            "id": str(event.id),
            "type": "article.created",
            "created_at": body["created_at"],
            "item": {"type": "article", "id": article["id"]},
            "data": event.data,
            "surrogate_keys": event.surrogate_keys,
        }
        assert datetime.fromisoformat(body["created_at"]) == event.at
        assert body["data"]["id"] == article["id"]
        assert body["data"]["status"] == "published"

        page = client.get(f"/v1/webhooks/{made['id']}/deliveries", headers=admin)
        assert page.status_code == 200, page.text
        assert page.headers["cache-control"] == "private, no-store"
        (item,) = page.json()["items"]
        assert item["id"] == delivery.id
        assert (item["event_id"], item["event_type"], item["status"]) == (
            str(event.id),
            "article.created",
            "delivered",
        )
        assert item["item"] == {"type": "article", "id": article["id"]}
        assert (item["attempts"], item["last_status_code"], item["last_error"]) == (1, 200, None)
        assert item["delivered_at"] is not None
        assert item["next_attempt_at"] is None
        assert item["last_duration_ms"] >= 0

    def test_arabic_surrogate_keys_are_percent_encoded_in_the_header(
        self,
        client: TestClient,
        admin: Key,
        receiver: Receiver,
        database: Database,
        settings: Settings,
    ) -> None:
        subscribe(client, admin, receiver.url)
        emit(database, ("tag.created", "tag", "الطاقة", {"slug": "الطاقة"}))
        assert dispatch(database, settings) == (1, 0)
        (request,) = receiver.requests
        assert request.headers["surrogate-key"] == f"tag:{quote('الطاقة')}"
        assert request.json["surrogate_keys"] == ["tag:الطاقة"]
        assert request.json["item"] == {"type": "tag", "id": "الطاقة"}

    def test_only_events_after_the_subscription(
        self,
        client: TestClient,
        admin: Key,
        editor: Key,
        receiver: Receiver,
        database: Database,
        settings: Settings,
    ) -> None:
        create_article(client, editor, headline="before")
        subscribe(client, admin, receiver.url)
        later = create_article(client, editor, headline="after")
        assert dispatch(database, settings) == (1, 0)
        assert [r.json["item"]["id"] for r in receiver.requests] == [later["id"]]

    def test_retried_in_order_after_an_error(
        self,
        client: TestClient,
        admin: Key,
        editor: Key,
        receiver: Receiver,
        database: Database,
        settings: Settings,
    ) -> None:
        made = subscribe(client, admin, receiver.url)
        receiver.answers = [500]
        article = create_article(client, editor)
        assert dispatch(database, settings) == (0, 1)
        patch_article(client, editor, article["id"], urgency=2)
        other = create_article(client, editor, headline="another story")
        # The first event backs off; the update of the same article waits behind it, but
        # another article's event does not.
        assert dispatch(database, settings) == (1, 0)
        assert [r.json["item"]["id"] for r in receiver.requests] == [article["id"], other["id"]]
        (pending,) = [d for d in deliveries(database) if d.status == "pending" and d.attempts]
        assert pending.next_attempt_at > datetime.now(UTC)
        assert pending.last_status_code == 500 and pending.last_error == "HTTP 500"
        listed = client.get(f"/v1/webhooks/{made['id']}/deliveries", headers=admin).json()
        assert [(d["event_type"], d["status"]) for d in listed["items"]] == [
            ("article.created", "delivered"),  # the other story
            ("article.updated", "waiting"),  # behind the failed one about the same article
            ("article.created", "pending"),
        ]

        due_now(database)
        assert dispatch(database, settings) == (2, 0)
        sent = [(r.json["item"]["id"], r.json["type"], r.status) for r in receiver.requests]
        assert sent == [
            (article["id"], "article.created", 500),
            (other["id"], "article.created", 200),
            (article["id"], "article.created", 200),
            (article["id"], "article.updated", 200),
        ]
        assert receiver.requests[0].body == receiver.requests[2].body  # the same bytes

        response = client.get(f"/v1/webhooks/{made['id']}/deliveries/{pending.id}", headers=admin)
        assert response.status_code == 200, response.text
        detail = response.json()
        assert (detail["status"], detail["attempts"], detail["last_status_code"]) == (
            "delivered",
            2,
            200,
        )
        assert [(a["status_code"], a["error"]) for a in detail["log"]] == [
            (500, "HTTP 500"),
            (200, None),
        ]
        assert all(a["duration_ms"] >= 0 and a["at"] for a in detail["log"])

    def test_a_redirect_is_not_followed(
        self,
        client: TestClient,
        admin: Key,
        editor: Key,
        receiver: Receiver,
        database: Database,
        settings: Settings,
    ) -> None:
        elsewhere = Receiver()
        try:
            subscribe(client, admin, receiver.url)
            receiver.answers = [302]
            receiver.location = elsewhere.url
            create_article(client, editor)
            assert dispatch(database, settings) == (0, 1)
            assert elsewhere.count() == 0
            (delivery,) = deliveries(database)
            assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
                "pending",
                1,
                302,
            )
            assert delivery.last_error == "HTTP 302 (redirects are not followed)"
        finally:
            elsewhere.close()

    def test_retries_back_off_exponentially_with_jitter(
        self,
        client: TestClient,
        admin: Key,
        editor: Key,
        receiver: Receiver,
        database: Database,
        settings: Settings,
    ) -> None:
        subscribe(client, admin, receiver.url)
        receiver.answers = [500, 500, 500, 500]
        create_article(client, editor)
        for failures in range(1, 5):
            before = datetime.now(UTC)
            assert dispatch(database, settings) == (0, 1)
            after = datetime.now(UTC)
            (delivery,) = deliveries(database)
            ceiling = 5.0 * 2 ** (failures - 1)  # 5 s, 10 s, 20 s, 40 s
            assert before + timedelta(seconds=ceiling / 2) <= delivery.next_attempt_at
            assert delivery.next_attempt_at <= after + timedelta(seconds=ceiling)
            due_now(database)
        # Jitter: many deliveries failing together do not all come back at once; the wait
        # is capped at an hour.
        waits = {websub_backoff(5) for _ in range(50)}
        assert len(waits) > 1 and all(40 <= w <= 80 for w in waits)
        assert all(1800 <= websub_backoff(30) <= 3600 for _ in range(50))

    def test_dead_after_the_last_attempt_then_redelivered(
        self,
        client: TestClient,
        admin: Key,
        editor: Key,
        receiver: Receiver,
        database: Database,
        settings: Settings,
    ) -> None:
        twice = settings.model_copy(update={"webhook_max_attempts": 2})
        made = subscribe(client, admin, receiver.url)
        receiver.answers = [500, 502]
        create_article(client, editor)
        assert dispatch(database, twice) == (0, 1)
        due_now(database)
        assert dispatch(database, twice) == (0, 1)
        due_now(database)
        assert dispatch(database, twice) == (0, 0)  # dead: not tried again
        (delivery,) = deliveries(database)
        assert (delivery.status, delivery.attempts, delivery.last_error) == ("dead", 2, "HTTP 502")
        dead = client.get(f"/v1/webhooks/{made['id']}/deliveries?status=dead", headers=admin)
        assert [d["id"] for d in dead.json()["items"]] == [delivery.id]
        none = client.get(f"/v1/webhooks/{made['id']}/deliveries?status=pending", headers=admin)
        assert none.json()["items"] == []

        response = client.post(
            f"/v1/webhooks/{made['id']}/deliveries/{delivery.id}/redeliver", headers=admin
        )
        assert response.status_code == 202, response.text
        assert response.headers["cache-control"] == "private, no-store"
        body = response.json()
        assert (body["status"], body["attempts"]) == ("pending", 0)
        assert dispatch(database, twice) == (1, 0)
        assert [r.status for r in receiver.requests] == [500, 502, 200]
        (delivery,) = deliveries(database)
        assert (delivery.status, delivery.attempts) == ("delivered", 1)
        # A delivered one can be sent again too.
        client.post(f"/v1/webhooks/{made['id']}/deliveries/{delivery.id}/redeliver", headers=admin)
        assert dispatch(database, twice) == (1, 0)
        assert len(receiver.delivered()) == 2
        assert audit_actions(client, admin)[:2] == ["webhook.redeliver", "webhook.redeliver"]

    def test_a_delivery_of_another_webhook_is_404(
        self, client: TestClient, admin: Key, editor: Key, database: Database
    ) -> None:
        first = subscribe(client, admin, "https://example.com/a")
        second = subscribe(client, admin, "https://example.com/b", active=False)
        create_article(client, editor)
        webhook_service.fan_out(database)
        (delivery,) = deliveries(database)
        path = f"/v1/webhooks/{second['id']}/deliveries/{delivery.id}"
        assert_problem(client.get(path, headers=admin), 404)
        assert_problem(client.post(f"{path}/redeliver", headers=admin), 404)
        found = client.get(f"/v1/webhooks/{first['id']}/deliveries/{delivery.id}", headers=admin)
        assert found.status_code == 200, found.text
        assert_problem(
            client.get(f"/v1/webhooks/{first['id']}/deliveries/999999", headers=admin), 404
        )

    def test_deliveries_are_paged_newest_first(
        self, client: TestClient, admin: Key, database: Database
    ) -> None:
        made = subscribe(client, admin, "https://example.com/a", active=True)
        emit(database, *[("tag.created", "tag", f"t{n}", {"slug": f"t{n}"}) for n in range(5)])
        webhook_service.fan_out(database)
        path = f"/v1/webhooks/{made['id']}/deliveries"
        seen: list[str] = []
        url: str | None = f"{path}?limit=2"
        while url is not None:
            page = client.get(url, headers=admin)
            assert page.status_code == 200, page.text
            seen += [d["item"]["id"] for d in page.json()["items"]]
            url = page.json()["links"]["next"]
        assert seen == ["t4", "t3", "t2", "t1", "t0"]
        assert_problem(client.get(f"{path}?cursor=bogus", headers=admin), 400)
        assert_problem(client.get(f"{path}?status=lost", headers=admin), 422)


class TestFilters:
    def test_event_types(
        self,
        client: TestClient,
        admin: Key,
        editor: Key,
        receiver: Receiver,
        database: Database,
        settings: Settings,
    ) -> None:
        subscribe(client, admin, f"{receiver.url}published", events=["article.published"])
        subscribe(client, admin, f"{receiver.url}articles", events=["article.*"])
        subscribe(client, admin, f"{receiver.url}tags", events=["tag.*"])
        draft = create_article(client, editor, publish=False)
        assert act(client, editor, draft["id"], "publish").status_code == 200
        emit(database, ("tag.deleted", "tag", "old", {"slug": "old"}))
        assert dispatch(database, settings) == (4, 0)
        assert sorted((r.path, r.json["type"]) for r in receiver.requests) == [
            ("/articles", "article.created"),
            ("/articles", "article.published"),
            ("/published", "article.published"),
            ("/tags", "tag.deleted"),
        ]

    def test_a_section_and_its_sub_sections(
        self,
        client: TestClient,
        admin: Key,
        editor: Key,
        receiver: Receiver,
        database: Database,
        settings: Settings,
    ) -> None:
        create_section(client, editor, slug="news", names={"ar": "أخبار"})
        create_section(client, editor, slug="local", names={"ar": "محليات"}, parent="news")
        create_section(client, editor, slug="sport", names={"ar": "رياضة"})
        subscribe(client, admin, receiver.url, section="news", events=["article.*", "tag.*"])
        local = create_article(client, editor, section="local", headline="local story")
        create_article(client, editor, section="sport", headline="sport story")
        create_article(client, editor, headline="no section")
        emit(database, ("tag.created", "tag", "t", {"slug": "t"}))  # carries no sections
        dispatch(database, settings)
        assert [r.json["item"]["id"] for r in receiver.requests] == [local["id"]]
        assert receiver.requests[0].json["data"]["sections"] == ["local", "news"]

    def test_an_inactive_webhook_waits_until_reactivated(
        self,
        client: TestClient,
        admin: Key,
        editor: Key,
        receiver: Receiver,
        database: Database,
        settings: Settings,
    ) -> None:
        made = subscribe(client, admin, receiver.url, active=False)
        first = create_article(client, editor, headline="while off")
        assert dispatch(database, settings) == (0, 0)
        assert receiver.count() == 0
        client.patch(f"/v1/webhooks/{made['id']}", json={"active": True}, headers=admin)
        assert dispatch(database, settings) == (1, 0)
        # Paused with a delivery queued: it waits too.
        client.patch(f"/v1/webhooks/{made['id']}", json={"active": False}, headers=admin)
        emit(database, ("tag.created", "tag", "t", {"slug": "t"}))
        client.patch(f"/v1/webhooks/{made['id']}", json={"active": True}, headers=admin)
        webhook_service.fan_out(database)
        client.patch(f"/v1/webhooks/{made['id']}", json={"active": False}, headers=admin)
        assert dispatch(database, settings) == (0, 0)
        client.patch(f"/v1/webhooks/{made['id']}", json={"active": True}, headers=admin)
        assert dispatch(database, settings) == (1, 0)
        assert [r.json["item"]["id"] for r in receiver.requests] == [first["id"], "t"]


class TestDispatcher:
    def test_survives_a_restart_with_the_receiver_down(
        self, settings: Settings, database: Database, admin: Key, editor: Key
    ) -> None:
        port = free_port()
        busy = settings.model_copy(update={"webhook_interval": 0.05})
        with TestClient(create_app(busy, database=database)) as api:
            subscribe(api, admin, f"http://127.0.0.1:{port}/")
            article = create_article(api, editor)
            wait_until(lambda: any(d.attempts for d in deliveries(database)))
        (delivery,) = deliveries(database)
        assert delivery.status == "pending"
        assert "ConnectError" in (delivery.last_error or "")

        receiver = Receiver(port=port)
        try:
            due_now(database)  # its backoff is over by the time the server is back
            with TestClient(create_app(busy, database=database)):
                wait_until(lambda: len(receiver.delivered()) == 1)
            assert [r.json["item"]["id"] for r in receiver.requests] == [article["id"]]
            (delivery,) = deliveries(database)
            assert (delivery.status, delivery.attempts) == ("delivered", 2)
        finally:
            receiver.close()

    def test_a_lease_left_by_a_dead_process_runs_out(
        self,
        client: TestClient,
        admin: Key,
        editor: Key,
        receiver: Receiver,
        database: Database,
        settings: Settings,
    ) -> None:
        subscribe(client, admin, receiver.url)
        create_article(client, editor)
        webhook_service.fan_out(database)
        # A process claims it and dies before sending.
        assert len(webhook_service.claim(database, limit=10, lease=600)) == 1
        assert webhook_service.deliver_due(database, settings=settings) == (0, 0)
        due_now(database)  # the lease runs out
        assert webhook_service.deliver_due(database, settings=settings) == (1, 0)
        assert len(receiver.requests) == 1

    def test_two_dispatchers_deliver_each_event_once(
        self,
        client: TestClient,
        admin: Key,
        receiver: Receiver,
        database: Database,
        settings: Settings,
    ) -> None:
        for name in ("a", "b"):
            subscribe(client, admin, f"{receiver.url}{name}")
        emit(
            database,
            *[("tag.updated", "tag", f"t{n % 7}", {"n": n}) for n in range(60)],
        )
        other = Database(settings.database_url)
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def settled() -> bool:
            with database.session() as session:
                pending = session.scalar(
                    select(func.count()).where(WebhookDelivery.status.in_(("pending", "waiting")))
                )
                behind = session.scalar(
                    select(func.count()).where(
                        Webhook.cursor < event_service.current_number(session)
                    )
                )
            return pending == 0 and behind == 0

        def work(db: Database) -> None:
            try:
                barrier.wait()
                deadline = time.monotonic() + 60
                while not settled() and time.monotonic() < deadline:
                    webhook_service.fan_out(db, batch=7)
                    webhook_service.deliver_due(db, settings=settings, limit=5)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(db,)) for db in (database, other)]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            other.dispose()
        assert errors == []
        assert settled()
        sent = Counter((r.path, r.json["id"]) for r in receiver.requests)
        assert len(sent) == 120
        assert set(sent.values()) == {1}
        for path in ("/a", "/b"):
            got = [r.json for r in receiver.requests if r.path == path]
            for tag in {g["item"]["id"] for g in got}:
                numbers = [g["data"]["n"] for g in got if g["item"]["id"] == tag]
                assert numbers == sorted(numbers), (path, tag)  # in order per item
        assert {d.attempts for d in deliveries(database)} == {1}

    def test_two_server_processes_deliver_each_event_once(
        self,
        client: TestClient,
        admin: Key,
        receiver: Receiver,
        database: Database,
        settings: Settings,
    ) -> None:
        """Two operating-system processes, each running the dispatcher as a server does
        (``webhooks.run``), share the store: every event reaches each subscriber once."""
        for name in ("a", "b"):
            subscribe(client, admin, f"{receiver.url}{name}")
        emit(database, *[("tag.updated", "tag", f"t{n % 5}", {"n": n}) for n in range(40)])
        script = (
            "import asyncio, sys\n"
            "from app.config import Settings\n"
            "from app.db import Database\n"
            "from app.services import webhooks\n"
            "async def main():\n"
            "    db = Database(sys.argv[1])\n"
            "    stop = asyncio.Event()\n"
            "    asyncio.get_running_loop().call_later(float(sys.argv[2]), stop.set)\n"
            "    settings = Settings(database_url=sys.argv[1], webhook_interval=0.02,\n"
            "                        webhook_concurrency=4, allow_private_webhooks=True)\n"
            "    await webhooks.run(db, settings=settings, stop=stop)\n"
            "    db.dispose()\n"
            "asyncio.run(main())\n"
        )
        processes = [
            subprocess.Popen([sys.executable, "-c", script, settings.database_url, "6"])
            for _ in range(2)
        ]
        try:
            wait_until(lambda: len(receiver.delivered()) >= 80, seconds=30)
        finally:
            for process in processes:
                assert process.wait(timeout=60) == 0
        sent = Counter((r.path, r.json["id"]) for r in receiver.requests)
        assert len(sent) == 80
        assert set(sent.values()) == {1}
        for path in ("/a", "/b"):
            got = [r.json for r in receiver.requests if r.path == path]
            for tag in {g["item"]["id"] for g in got}:
                numbers = [g["data"]["n"] for g in got if g["item"]["id"] == tag]
                assert numbers == sorted(numbers), (path, tag)
        assert {d.status for d in deliveries(database)} == {"delivered"}

    def test_a_slow_receiver_does_not_hold_up_a_fast_one(
        self, settings: Settings, database: Database, admin: Key, editor: Key
    ) -> None:
        slow, fast = Receiver(delay=2.0), Receiver()
        busy = settings.model_copy(update={"webhook_interval": 0.05})
        try:
            with TestClient(create_app(busy, database=database)) as api:
                subscribe(api, admin, slow.url)
                subscribe(api, admin, fast.url)
                create_article(api, editor, headline="first")
                wait_until(lambda: slow.count() == 1 and len(fast.delivered()) == 1)
                started = time.monotonic()
                create_article(api, editor, headline="second")
                wait_until(lambda: len(fast.delivered()) == 2)
                took = time.monotonic() - started
                assert slow.answered == 0  # still busy with the first
                assert took < 1.5
        finally:
            slow.close()
            fast.close()
        assert slow.answered == 2  # the server waited for deliveries in flight when stopping


class TestSSRF:
    @pytest.fixture
    def strict(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"allow_private_webhooks": False})

    def test_private_targets_are_refused(
        self, strict: Settings, database: Database, admin: Key, receiver: Receiver
    ) -> None:
        port = receiver.url.rsplit(":", 1)[1]
        with TestClient(create_app(strict, database=database)) as api:
            for url in (
                receiver.url,
                "http://10.0.0.1/",
                "http://169.254.169.254/latest/meta-data/",
                "http://[::1]/",
                f"http://localhost:{port}",
            ):
                response = api.post("/v1/webhooks", json={"name": "x", "url": url}, headers=admin)
                problem = assert_problem(response, 422)
                assert "KHABAR_ALLOW_PRIVATE_WEBHOOKS" in problem["detail"], url
                assert problem["errors"][0]["loc"] == ["body", "url"]
            made = subscribe(api, admin, "https://93.184.215.14/")  # a public address
            response = api.patch(
                f"/v1/webhooks/{made['id']}", json={"url": receiver.url}, headers=admin
            )
            assert_problem(response, 422)
        assert receiver.count() == 0

    def test_a_stored_private_target_is_refused_at_delivery(
        self, strict: Settings, database: Database, admin: Key, receiver: Receiver
    ) -> None:
        with database.session(write=True) as session:
            session.add(
                Webhook(
                    public_id="legacy",
                    name="from before the guard",
                    url=receiver.url,
                    events=["*"],
                    secret="whsec_legacy",
                    active=True,
                    cursor=event_service.current_number(session),
                )
            )
            session.commit()
        emit(database, ("tag.created", "tag", "t", {"slug": "t"}))
        webhook_service.fan_out(database)
        assert webhook_service.deliver_due(database, settings=strict) == (0, 1)
        (delivery,) = deliveries(database)
        assert (delivery.status, delivery.attempts) == ("dead", 1)  # no retries
        assert (delivery.last_error or "").startswith("refused:")
        assert "loopback" in (delivery.last_error or "")
        with TestClient(create_app(strict, database=database)) as api:
            detail = api.get(f"/v1/webhooks/legacy/deliveries/{delivery.id}", headers=admin)
            (attempt,) = detail.json()["log"]
            assert attempt["status_code"] is None
            assert "loopback" in attempt["error"]
            result = api.post("/v1/webhooks/legacy/ping", headers=admin).json()
            assert result["ok"] is False
            assert result["error"].startswith("refused:")
        assert receiver.count() == 0

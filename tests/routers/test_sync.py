"""Delta sync: an app that starts empty and follows the tokens ends with exactly the public
content, whatever happened in between (GET /v1/sync)."""

from __future__ import annotations

import base64
import random
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.assertions import Key, assert_problem
from tests.factories import act, create_article, create_author, create_section, create_tag, trash

Item = tuple[str, str]  # (type, id)


class Replica:
    """An offline app's store: what it has after replaying every sync page it fetched."""

    def __init__(self, client: TestClient, **filters: str) -> None:
        self.client = client
        self.filters = filters
        self.items: dict[Item, dict[str, Any]] = {}
        self.token: str | None = None
        self.pages = 0

    def pull(self, *, limit: int = 100, pages: int | None = None) -> bool:
        """Fetch and apply pages until up to date (or ``pages`` pages). True when up to date."""
        done = 0
        while pages is None or done < pages:
            params: dict[str, Any] = {"limit": limit}
            if self.token is None:
                params.update(self.filters)
            else:
                params["token"] = self.token
            response = self.client.get("/v1/sync", params=params)
            assert response.status_code == 200, response.text
            page = response.json()
            for entry in page["items"]:
                key = (entry["type"], entry["id"])
                if entry["op"] == "upsert":
                    self.items[key] = entry["data"]
                else:
                    assert entry["data"] is None
                    self.items.pop(key, None)
            self.token = page["next_token"]
            self.pages += 1
            done += 1
            if not page["has_more"]:
                return True
        return False


def paged(client: TestClient, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": 100, **({"cursor": cursor} if cursor else {})}
        page = client.get(path, params=query).json()
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def public_state(client: TestClient, **filters: str) -> dict[Item, dict[str, Any]]:
    """What the public sees, through the ordinary public endpoints."""
    state: dict[Item, dict[str, Any]] = {}

    def walk(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            state[("section", node["slug"])] = client.get(f"/v1/sections/{node['slug']}").json()
            walk(node["children"])

    walk(client.get("/v1/sections").json()["items"])
    for tag in paged(client, "/v1/tags"):
        state[("tag", tag["slug"])] = tag
    for author in paged(client, "/v1/authors"):
        state[("author", author["slug"])] = client.get(f"/v1/authors/{author['slug']}").json()
    for card in paged(client, "/v1/articles", **filters):
        state[("article", card["id"])] = client.get(f"/v1/articles/{card['id']}").json()
    return state


def assert_replica_is_public(replica: Replica) -> None:
    expected = public_state(replica.client, **replica.filters)
    assert set(replica.items) == set(expected)
    for key, data in expected.items():
        mine = replica.items[key]
        if key[0] == "section":
            # The page of a section adds its front; the shared fields must agree.
            data = {name: data[name] for name in mine}
        assert mine == data, key


def token_of(page: dict[str, Any]) -> str:
    return str(page["next_token"])


@pytest.fixture
def newsroom(client: TestClient, editor: Key) -> dict[str, Any]:
    create_section(client, editor, slug="news", names={"ar": "أخبار", "en": "News"})
    create_section(client, editor, slug="sport", names={"ar": "رياضة", "en": "Sport"})
    create_section(
        client, editor, slug="football", names={"ar": "كرة القدم", "en": "Football"}, parent="sport"
    )
    tags = [create_tag(client, editor, name=name)["slug"] for name in ("الطقس", "المرور")]
    author = create_author(client, editor)["slug"]
    return {"sections": ["news", "sport", "football"], "tags": tags, "author": author}


class TestSync:
    def test_first_sync_copies_everything_public(
        self, client: TestClient, editor: Key, newsroom: dict[str, Any]
    ) -> None:
        published = [
            create_article(
                client, editor, headline=f"خبر {n}", section="news", tags=newsroom["tags"]
            )
            for n in range(5)
        ]
        draft = create_article(client, editor, publish=False, headline="مسودة سرية")
        replica = Replica(client)
        assert replica.pull(limit=2)
        assert replica.pages > 3  # bounded pages
        assert {i for t, i in replica.items if t == "article"} == {a["id"] for a in published}
        assert ("article", draft["id"]) not in replica.items
        assert_replica_is_public(replica)

    def test_changes_since_are_upserts_and_deletions(
        self, client: TestClient, editor: Key, admin: Key, newsroom: dict[str, Any]
    ) -> None:
        a = create_article(client, editor, headline="الأول", section="news")
        b = create_article(client, editor, headline="الثاني", section="news")
        c = create_article(client, editor, headline="الثالث", section="news")
        replica = Replica(client)
        replica.pull()
        token = replica.token
        assert act(client, editor, a["id"], "unpublish").status_code == 200
        assert trash(client, editor, b["id"]).status_code == 200
        etag = client.get(f"/v1/articles/{c['id']}", headers=editor).headers["etag"]
        client.patch(
            f"/v1/articles/{c['id']}",
            json={"headline": "الثالث بعد التعديل"},
            headers={**editor, "If-Match": etag},
        )
        draft = create_article(client, editor, publish=False)
        page = client.get("/v1/sync", params={"token": token}).json()
        ops = {(e["type"], e["id"]): e["op"] for e in page["items"]}
        assert ops == {
            ("article", a["id"]): "delete",
            ("article", b["id"]): "delete",
            ("article", c["id"]): "upsert",
        }
        assert ("article", draft["id"]) not in ops  # drafts never leak, not even as an id
        assert page["has_more"] is False
        upsert = next(e for e in page["items"] if e["id"] == c["id"])
        assert upsert["data"]["headline"] == "الثالث بعد التعديل"
        # Purging the trashed one: a deletion again, nothing else.
        etag = client.get(f"/v1/articles/{b['id']}", headers=admin).headers["etag"]
        assert (
            client.post(
                f"/v1/articles/{b['id']}/purge", headers={**admin, "If-Match": etag}
            ).status_code
            == 204
        )
        later = client.get("/v1/sync", params={"token": token_of(page)}).json()
        assert [(e["id"], e["op"]) for e in later["items"]] == [(b["id"], "delete")]

    def test_up_to_date_token_gives_an_empty_page(
        self, client: TestClient, editor: Key, newsroom: dict[str, Any]
    ) -> None:
        create_article(client, editor)
        replica = Replica(client)
        replica.pull()
        page = client.get("/v1/sync", params={"token": replica.token}).json()
        assert page["items"] == []
        assert page["has_more"] is False
        assert page["next_token"] == replica.token
        assert page["links"]["next"].startswith("http://testserver/v1/sync?token=")

    def test_renaming_a_tag_refreshes_the_articles_that_show_it(
        self, client: TestClient, editor: Key, newsroom: dict[str, Any]
    ) -> None:
        tag = newsroom["tags"][0]
        tagged = create_article(client, editor, tags=[tag])
        other = create_article(client, editor)
        replica = Replica(client)
        replica.pull()
        response = client.patch(f"/v1/tags/{tag}", json={"name": "أحوال الطقس"}, headers=editor)
        assert response.status_code == 200
        page = client.get("/v1/sync", params={"token": replica.token}).json()
        ids = {(e["type"], e["id"]) for e in page["items"]}
        assert ids == {("tag", tag), ("article", tagged["id"])}
        assert ("article", other["id"]) not in ids
        replica.pull()
        assert_replica_is_public(replica)

    def test_deleting_a_tag_and_changing_a_slug(
        self, client: TestClient, editor: Key, newsroom: dict[str, Any]
    ) -> None:
        first, second = newsroom["tags"]
        article = create_article(client, editor, tags=[first, second])
        replica = Replica(client)
        replica.pull()
        assert client.delete(f"/v1/tags/{first}", headers=editor).status_code == 204
        assert (
            client.patch(f"/v1/tags/{second}", json={"slug": "traffic"}, headers=editor).status_code
            == 200
        )
        page = client.get("/v1/sync", params={"token": replica.token}).json()
        ops = {(e["type"], e["id"]): e["op"] for e in page["items"]}
        assert ops == {
            ("tag", first): "delete",
            ("tag", second): "delete",
            ("tag", "traffic"): "upsert",
            ("article", article["id"]): "upsert",
        }
        replica.pull()
        assert_replica_is_public(replica)
        assert [t["slug"] for t in replica.items[("article", article["id"])]["tags"]] == ["traffic"]

    def test_unpublishing_refreshes_articles_that_link_to_it(
        self, client: TestClient, editor: Key, newsroom: dict[str, Any]
    ) -> None:
        target = create_article(client, editor, headline="الخبر الأصلي")
        linking = create_article(client, editor, headline="خبر مرتبط", related=[target["id"]])
        replica = Replica(client)
        replica.pull()
        assert replica.items[("article", linking["id"])]["related"][0]["id"] == target["id"]
        assert act(client, editor, target["id"], "unpublish").status_code == 200
        replica.pull()
        assert replica.items[("article", linking["id"])]["related"] == []
        assert_replica_is_public(replica)

    def test_media_caption_change_reaches_the_articles_showing_it(
        self, client: TestClient, editor: Key, newsroom: dict[str, Any]
    ) -> None:
        from tests.factories import upload_media

        media = upload_media(client, editor, caption="صورة قديمة")
        article = create_article(client, editor, hero={"media": media["id"]})
        replica = Replica(client)
        replica.pull()
        etag = client.get(f"/v1/media/{media['id']}", headers=editor).headers["etag"]
        response = client.patch(
            f"/v1/media/{media['id']}",
            json={"caption": {"ar": "صورة جديدة"}},
            headers={**editor, "If-Match": etag},
        )
        assert response.status_code == 200, response.text
        page = client.get("/v1/sync", params={"token": replica.token}).json()
        assert [(e["type"], e["id"]) for e in page["items"]] == [("article", article["id"])]
        replica.pull()
        assert_replica_is_public(replica)

    def test_filters_by_section_tree_and_language(
        self, client: TestClient, editor: Key, newsroom: dict[str, Any]
    ) -> None:
        football = create_article(client, editor, section="football")
        sport_en = create_article(client, editor, section="sport", lang="en", headline="Derby")
        news = create_article(client, editor, section="news")
        sport = Replica(client, section="sport")
        sport.pull()
        articles = {i for t, i in sport.items if t == "article"}
        assert articles == {football["id"], sport_en["id"]}
        english = Replica(client, lang="en")
        english.pull()
        assert {i for t, i in english.items if t == "article"} == {sport_en["id"]}
        # Moving a story out of the section: a deletion for the sport app.
        etag = client.get(f"/v1/articles/{football['id']}", headers=editor).headers["etag"]
        client.patch(
            f"/v1/articles/{football['id']}",
            json={"section": "news"},
            headers={**editor, "If-Match": etag},
        )
        sport.pull()
        assert ("article", football["id"]) not in sport.items
        assert ("article", news["id"]) not in sport.items
        assert_replica_is_public(sport)
        assert_replica_is_public(english)

    def test_the_token_keeps_the_filters(
        self, client: TestClient, editor: Key, newsroom: dict[str, Any]
    ) -> None:
        page = client.get("/v1/sync", params={"section": "sport"}).json()
        response = client.get("/v1/sync", params={"token": page["next_token"], "section": "news"})
        assert_problem(response, 400)
        same = client.get("/v1/sync", params={"token": page["next_token"], "section": "sport"})
        assert same.status_code == 200

    @pytest.mark.parametrize(
        "token",
        [
            "nonsense",
            base64.urlsafe_b64encode(b'["sync", -1, null, "", "", null, null]').decode(),
            base64.urlsafe_b64encode(b'["cursor", 1]').decode(),
            base64.urlsafe_b64encode(b'["sync", 1, "nope", "", "", null, null]').decode(),
            "ع" * 10,
        ],
    )
    def test_bad_token_is_400(self, client: TestClient, token: str) -> None:
        assert_problem(client.get("/v1/sync", params={"token": token}), 400)

    def test_bad_parameters(self, client: TestClient, newsroom: dict[str, Any]) -> None:
        assert_problem(client.get("/v1/sync", params={"section": "nowhere"}), 404)
        assert_problem(client.get("/v1/sync", params={"limit": 0}), 422)
        assert_problem(client.get("/v1/sync", params={"limit": 501}), 422)
        assert_problem(client.get("/v1/sync", params={"lang": "not a language"}), 422)

    def test_pages_revalidate(self, client: TestClient, newsroom: dict[str, Any]) -> None:
        response = client.get("/v1/sync")
        assert response.headers["cache-control"] == "no-cache"
        again = client.get("/v1/sync", headers={"If-None-Match": response.headers["etag"]})
        assert again.status_code == 304


# Property-style: random newsroom activity with syncs in between. --------------------------

SEQUENCES = 10
STEPS = 40


class Newsroom:
    """Random editorial actions through the API (each one a real request)."""

    def __init__(self, client: TestClient, editor: Key, admin: Key, rng: random.Random) -> None:
        self.client = client
        self.editor = editor
        self.admin = admin
        self.rng = rng
        self.articles: list[str] = []
        self.tags: list[str] = []
        self.made = 0

    def _patch(self, article_id: str, changes: dict[str, Any]) -> None:
        etag = self.client.get(f"/v1/articles/{article_id}", headers=self.editor).headers.get(
            "etag"
        )
        if etag is not None:
            self.client.patch(
                f"/v1/articles/{article_id}",
                json=changes,
                headers={**self.editor, "If-Match": etag},
            )

    def step(self) -> str:
        rng = self.rng
        if not self.articles or rng.random() < 0.2:
            self.made += 1
            article = create_article(
                self.client,
                self.editor,
                publish=rng.random() < 0.5,
                headline=f"قصة رقم {self.made}",
                section=rng.choice(["news", "sport", "football"]),
                lang=rng.choice(["ar", "ar", "en"]),
                tags=rng.sample(self.tags, k=min(len(self.tags), rng.randint(0, 2))),
            )
            self.articles.append(article["id"])
            return "create"
        article_id = rng.choice(self.articles)
        action = rng.choice(
            [
                "edit",
                "edit",
                "publish",
                "publish",
                "unpublish",
                "archive",
                "trash",
                "restore",
                "purge",
                "move",
                "relate",
                "tag",
                "retag",
            ]
        )
        if action == "edit":
            self._patch(article_id, {"headline": f"تعديل {rng.randint(1, 10**6)}"})
        elif action == "move":
            self._patch(article_id, {"section": rng.choice(["news", "sport", "football"])})
        elif action == "relate":
            self._patch(article_id, {"related": rng.sample(self.articles, k=1)})
        elif action == "tag":
            name = f"وسم {rng.randint(1, 10**6)}"
            slug = create_tag(self.client, self.editor, name=name, slug=f"t{rng.randint(1, 10**9)}")
            self.tags.append(slug["slug"])
            self._patch(article_id, {"tags": [slug["slug"]]})
        elif action == "retag" and self.tags:
            tag = rng.choice(self.tags)
            if rng.random() < 0.5:
                self.client.patch(
                    f"/v1/tags/{tag}",
                    json={"name": f"اسم {rng.randint(1, 10**6)}"},
                    headers=self.editor,
                )
            else:
                self.client.delete(f"/v1/tags/{tag}", headers=self.editor)
                self.tags.remove(tag)
        elif action == "purge":
            trash(self.client, self.editor, article_id)
            etag = self.client.get(f"/v1/articles/{article_id}", headers=self.admin).headers.get(
                "etag"
            )
            if etag is not None:
                response = self.client.post(
                    f"/v1/articles/{article_id}/purge", headers={**self.admin, "If-Match": etag}
                )
                if response.status_code == 204:
                    self.articles.remove(article_id)
        elif action == "trash":
            trash(self.client, self.editor, article_id)
        elif action in ("publish", "unpublish", "archive", "restore"):
            act(self.client, self.editor, article_id, action)  # refusals (409) are part of it
        return action


@pytest.mark.parametrize("seed", range(SEQUENCES))
def test_replaying_sync_always_equals_the_public_state(
    client: TestClient, editor: Key, admin: Key, newsroom: dict[str, Any], seed: int
) -> None:
    rng = random.Random(seed)
    room = Newsroom(client, editor, admin, rng)
    room.tags = list(newsroom["tags"])
    replicas = [Replica(client), Replica(client, section="sport"), Replica(client, lang="en")]
    for step in range(STEPS):
        room.step()
        for replica in replicas:
            if rng.random() < 0.4:  # an app that syncs now and then, a page or two at a time
                replica.pull(limit=rng.randint(1, 4), pages=rng.randint(1, 3))
        if step % 10 == 9:
            for replica in replicas:
                replica.pull(limit=rng.randint(1, 50))
                assert_replica_is_public(replica)
    for replica in replicas:
        replica.pull(limit=7)
        assert_replica_is_public(replica)


def test_sync_under_concurrent_edits(
    client: TestClient, editor: Key, admin: Key, newsroom: dict[str, Any]
) -> None:
    """Two editors work while an app syncs in small pages; once they stop, one more sync
    leaves the app with exactly the public content."""
    errors: list[BaseException] = []

    def work(seed: int) -> None:
        try:
            room = Newsroom(client, editor, admin, random.Random(seed))
            room.tags = list(newsroom["tags"])
            for _ in range(30):
                room.step()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(100 + n,)) for n in range(2)]
    replica = Replica(client, section="sport")
    whole = Replica(client)
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        replica.pull(limit=3, pages=2)
        whole.pull(limit=5, pages=2)
    for thread in threads:
        thread.join()
    assert not errors, errors
    replica.pull()
    whole.pull()
    assert_replica_is_public(replica)
    assert_replica_is_public(whole)

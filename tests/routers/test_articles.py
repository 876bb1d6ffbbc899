"""The public delivery API for articles: what readers may see, how lists filter and page, and
how caches revalidate. Writes live in test_article_writes.py, slugs in test_article_slugs.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import httpx2
import pytest
from fastapi.testclient import TestClient

from tests.assertions import Key, assert_problem
from tests.factories import act, create_article, create_author, create_section, create_tag


def ids(response: httpx2.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def publish(client: TestClient, key: Key, article_id: str) -> dict[str, Any]:
    response = act(client, key, article_id, "publish")
    assert response.status_code == 200, response.text
    return response.json()


def unpublish(client: TestClient, key: Key, article_id: str) -> dict[str, Any]:
    response = act(client, key, article_id, "unpublish")
    assert response.status_code == 200, response.text
    return response.json()


def hidden_pair(client: TestClient, key: Key, **links: Any) -> list[str]:
    """A draft that was never published and one that was published, then taken down."""
    never = create_article(client, key, publish=False, headline="مسودة لم تنشر قط", **links)
    withdrawn = create_article(client, key, headline="خبر سحب بعد نشره", **links)
    unpublish(client, key, withdrawn["id"])
    return [never["id"], withdrawn["id"]]


def front(client: TestClient, section: str, key: Key | None = None) -> dict[str, list[str]]:
    response = client.get(f"/v1/sections/{section}", headers=key)
    assert response.status_code == 200, response.text
    cards = response.json()["front"]
    return {part: [card["id"] for card in cards[part]] for part in ("pinned", "latest")}


class TestGetArticle:
    def test_published_article_is_public(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        response = client.get(f"/v1/articles/{made['id']}")
        assert response.status_code == 200, response.text
        assert response.json()["headline"] == "افتتاح جسر الميناء الجديد"
        assert response.json()["status"] == "published"

    def test_draft_is_hidden(self, client: TestClient, editor: Key) -> None:
        draft = create_article(client, editor, publish=False)
        assert_problem(client.get(f"/v1/articles/{draft['id']}"), 404)

    def test_unpublished_article_is_hidden(self, client: TestClient, editor: Key) -> None:
        for article_id in hidden_pair(client, editor):
            assert_problem(client.get(f"/v1/articles/{article_id}"), 404)

    def test_draft_is_visible_with_a_key(self, client: TestClient, editor: Key) -> None:
        draft = create_article(client, editor, publish=False)
        response = client.get(f"/v1/articles/{draft['id']}", headers=editor)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "draft"
        assert response.headers["cache-control"] == "private, no-store"

    def test_unknown_id_is_a_problem(self, client: TestClient) -> None:
        problem = assert_problem(client.get("/v1/articles/nosucharticle000"), 404)
        assert "nosucharticle000" in problem["detail"]

    def test_related_lists_only_published(self, client: TestClient, editor: Key) -> None:
        shown = create_article(client, editor, headline="خبر ذو صلة منشور")
        draft = create_article(client, editor, publish=False, headline="خبر ذو صلة مسودة")
        withdrawn = create_article(client, editor, headline="خبر ذو صلة مسحوب")
        unpublish(client, editor, withdrawn["id"])
        main = create_article(client, editor, related=[shown["id"], draft["id"], withdrawn["id"]])

        public = client.get(f"/v1/articles/{main['id']}").json()
        assert [link["id"] for link in public["related"]] == [shown["id"]]
        private = client.get(f"/v1/articles/{main['id']}", headers=editor).json()
        assert [link["id"] for link in private["related"]] == [
            shown["id"],
            draft["id"],
            withdrawn["id"],
        ]

    def test_draft_translation_is_not_listed(self, client: TestClient, editor: Key) -> None:
        original = create_article(client, editor)
        english = create_article(
            client,
            editor,
            publish=False,
            lang="en",
            headline="New harbour bridge opens",
            translation_of=original["id"],
        )
        assert client.get(f"/v1/articles/{original['id']}").json()["translations"] == []
        private = client.get(f"/v1/articles/{original['id']}", headers=editor).json()
        assert [link["id"] for link in private["translations"]] == [english["id"]]

    def test_fields_gives_only_those_keys(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        response = client.get(f"/v1/articles/{made['id']}", params={"fields": "headline,body"})
        assert response.status_code == 200, response.text
        assert set(response.json()) == {"id", "headline", "body"}

    def test_unknown_field_is_a_bad_request(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        response = client.get(f"/v1/articles/{made['id']}", params={"fields": "headline,secret"})
        problem = assert_problem(response, 400)
        assert "secret" in problem["detail"]

    def test_arabic_article_is_rtl_throughout(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        author = create_author(client, editor)
        tag = create_tag(client, editor)
        made = create_article(
            client, editor, section="local", authors=[author["slug"]], tags=[tag["slug"]]
        )
        article = client.get(f"/v1/articles/{made['id']}").json()
        assert (article["lang"], article["dir"]) == ("ar", "rtl")
        assert (article["section"]["lang"], article["section"]["dir"]) == ("ar", "rtl")
        assert article["section"]["name"] == "محليات"
        assert [(a["lang"], a["dir"]) for a in article["authors"]] == [("ar", "rtl")]
        assert [(t["lang"], t["dir"]) for t in article["tags"]] == [("ar", "rtl")]

    def test_english_article_is_ltr_throughout(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        author = create_author(client, editor, name="Sam Carter", slug="sam-carter", lang="en")
        tag = create_tag(client, editor, name="Public transport", lang="en")
        made = create_article(
            client,
            editor,
            lang="en",
            headline="New harbour bridge opens",
            section="local",
            authors=[author["slug"]],
            tags=[tag["slug"]],
        )
        article = client.get(f"/v1/articles/{made['id']}").json()
        assert (article["lang"], article["dir"]) == ("en", "ltr")
        assert article["section"] == {"slug": "local", "name": "Local", "lang": "en", "dir": "ltr"}
        assert [(a["lang"], a["dir"]) for a in article["authors"]] == [("en", "ltr")]
        assert [(t["lang"], t["dir"]) for t in article["tags"]] == [("en", "ltr")]


class TestListArticles:
    def test_newest_first(self, client: TestClient, editor: Key) -> None:
        first = create_article(client, editor, headline="الخبر الأول")
        second = create_article(client, editor, headline="الخبر الثاني")
        assert ids(client.get("/v1/articles")) == [second["id"], first["id"]]

    @pytest.mark.parametrize("name", ["none", "section", "tag", "author", "lang", "since", "until"])
    def test_drafts_are_hidden_under_every_filter(
        self, client: TestClient, editor: Key, name: str
    ) -> None:
        create_section(client, editor)
        tag = create_tag(client, editor)
        author = create_author(client, editor)
        links: dict[str, Any] = {
            "section": "local",
            "tags": [tag["slug"]],
            "authors": [author["slug"]],
        }
        start = datetime.now(UTC) - timedelta(hours=1)
        shown = create_article(client, editor, headline="خبر منشور للجميع", **links)
        hidden_pair(client, editor, **links)
        params = {
            "none": {},
            "section": {"section": "local"},
            "tag": {"tag": tag["slug"]},
            "author": {"author": author["slug"]},
            "lang": {"lang": "ar"},
            "since": {"since": start.isoformat()},
            "until": {"until": (start + timedelta(hours=2)).isoformat()},
        }[name]
        assert ids(client.get("/v1/articles", params=params)) == [shown["id"]]

    def test_unpublished_article_leaves_the_list(self, client: TestClient, editor: Key) -> None:
        kept = create_article(client, editor, headline="خبر باق")
        gone = create_article(client, editor, headline="خبر يسحب")
        assert ids(client.get("/v1/articles")) == [gone["id"], kept["id"]]
        unpublish(client, editor, gone["id"])
        assert ids(client.get("/v1/articles")) == [kept["id"]]

    def test_drafts_are_listed_with_a_key(self, client: TestClient, editor: Key) -> None:
        create_article(client, editor, headline="خبر منشور")
        draft = create_article(client, editor, publish=False, headline="مسودة")
        response = client.get("/v1/articles", params={"status": "draft"}, headers=editor)
        assert ids(response) == [draft["id"]]
        assert response.headers["cache-control"] == "private, no-store"

    def test_status_filter_needs_a_key(self, client: TestClient) -> None:
        response = client.get("/v1/articles", params={"status": "draft"})
        assert_problem(response, 401)

    def test_section_includes_sub_sections(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor, slug="news", names={"ar": "أخبار", "en": "News"})
        create_section(client, editor, slug="local", parent="news")
        create_section(client, editor, slug="cities", names={"ar": "مدن"}, parent="local")
        create_section(client, editor, slug="sport", names={"ar": "رياضة", "en": "Sport"})
        in_news = create_article(client, editor, headline="خبر عام", section="news")
        in_local = create_article(client, editor, headline="خبر محلي", section="local")
        in_cities = create_article(client, editor, headline="خبر من المدن", section="cities")
        create_article(client, editor, headline="مباراة الأمس", section="sport")

        news = client.get("/v1/articles", params={"section": "news"})
        assert ids(news) == [in_cities["id"], in_local["id"], in_news["id"]]
        local = client.get("/v1/articles", params={"section": "local"})
        assert ids(local) == [in_cities["id"], in_local["id"]]

    def test_section_includes_extra_sections(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor, slug="news", names={"ar": "أخبار"})
        create_section(client, editor, slug="local", parent="news")
        create_section(client, editor, slug="sport", names={"ar": "رياضة"})
        both = create_article(
            client, editor, headline="ملعب جديد في الحي", section="sport", sections=["local"]
        )
        create_article(client, editor, headline="مباراة الأمس", section="sport")
        assert ids(client.get("/v1/articles", params={"section": "local"})) == [both["id"]]
        assert ids(client.get("/v1/articles", params={"section": "news"})) == [both["id"]]

    @pytest.mark.parametrize("arms", [64, 0])
    def test_section_pages_list_each_article_once(
        self, client: TestClient, editor: Key, monkeypatch: pytest.MonkeyPatch, arms: int
    ) -> None:
        """A section's list merges a page per sub-section and one of the articles filed there
        as an extra section: walked page by page, every article comes once, newest first,
        whatever the mix; the same with another filter, and for a newsroom key. With more
        sections in the subtree than MAX_SECTION_ARMS (0 here), one filter on the list's range
        gives the same."""
        monkeypatch.setattr("app.services.articles.MAX_SECTION_ARMS", arms)
        create_section(client, editor, slug="news", names={"ar": "أخبار"})
        create_section(client, editor, slug="local", parent="news")
        create_section(client, editor, slug="cities", names={"ar": "مدن"}, parent="local")
        create_section(client, editor, slug="sport", names={"ar": "رياضة"})
        tag = create_tag(client, editor)["slug"]
        filings: list[dict[str, Any]] = [
            {"section": "news"},
            {"section": "cities"},
            {"section": "sport", "sections": ["local"]},
            {"section": "sport", "sections": ["local", "cities"]},  # twice in the subtree
            {"section": "local", "sections": ["cities"]},  # primary and extra in it
            {"section": "sport"},
            {"sections": ["news"]},  # no primary section
        ]
        made, filed_in = [], []
        for n in range(14):
            filing = filings[n % len(filings)]
            tags = [tag] if n % 2 else []
            made.append(create_article(client, editor, headline=f"خبر {n}", tags=tags, **filing))
            filed_in.append({filing.get("section"), *filing.get("sections", [])})

        def expected(subtree: set[str], *, tagged: bool = False) -> list[str]:
            """The articles filed in these sections (primary or extra), newest first."""
            return [
                made[n]["id"]
                for n in reversed(range(len(made)))
                if filed_in[n] & subtree and (made[n]["tags"] or not tagged)
            ]

        def walk(params: dict[str, Any], headers: Key | None = None) -> list[str]:
            seen: list[str] = []
            cursor = None
            while True:
                page = client.get(
                    "/v1/articles",
                    params={**params, "limit": 3, **({"cursor": cursor} if cursor else {})},
                    headers=headers,
                )
                assert page.status_code == 200, page.text
                seen += ids(page)
                cursor = page.json()["next_cursor"]
                if cursor is None:
                    return seen

        news = expected({"news", "local", "cities"})
        assert walk({"section": "news"}) == news
        assert walk({"section": "news"}, editor) == news
        assert walk({"section": "local"}) == expected({"local", "cities"})
        assert walk({"section": "sport"}) == expected({"sport"})
        tagged = expected({"news", "local", "cities"}, tagged=True)
        assert walk({"section": "news", "tag": tag}) == tagged

    def test_tag_filter(self, client: TestClient, editor: Key) -> None:
        tag = create_tag(client, editor)
        other = create_tag(client, editor, name="الطاقة المتجددة")
        tagged = create_article(client, editor, headline="حافلات جديدة", tags=[tag["slug"]])
        create_article(client, editor, headline="ألواح شمسية", tags=[other["slug"]])
        create_article(client, editor, headline="خبر بلا وسوم")
        assert tag["slug"] == "النقل-العام"
        assert ids(client.get("/v1/articles", params={"tag": tag["slug"]})) == [tagged["id"]]

    def test_author_filter(self, client: TestClient, editor: Key) -> None:
        salma = create_author(client, editor)
        omar = create_author(client, editor, name="عمر النجار", slug="omar-najjar")
        hers = create_article(client, editor, headline="تقرير سلمى", authors=[salma["slug"]])
        both = create_article(
            client, editor, headline="تقرير مشترك", authors=[omar["slug"], salma["slug"]]
        )
        create_article(client, editor, headline="تقرير عمر", authors=[omar["slug"]])
        response = client.get("/v1/articles", params={"author": "salma-haddad"})
        assert ids(response) == [both["id"], hers["id"]]

    def test_lang_filter(self, client: TestClient, editor: Key) -> None:
        arabic = create_article(client, editor)
        english = create_article(client, editor, lang="en", headline="New harbour bridge opens")
        assert ids(client.get("/v1/articles", params={"lang": "ar"})) == [arabic["id"]]
        assert ids(client.get("/v1/articles", params={"lang": "en"})) == [english["id"]]

    def test_since_and_until_with_offsets(self, client: TestClient, editor: Key) -> None:
        made = [create_article(client, editor, headline=f"خبر رقم {n}") for n in range(3)]
        times = [datetime.fromisoformat(a["published_at"]) for a in made]
        assert times[0] < times[1] < times[2]
        riyadh = timezone(timedelta(hours=3))
        new_york = timezone(timedelta(hours=-5))

        since = client.get(
            "/v1/articles", params={"since": times[1].astimezone(riyadh).isoformat()}
        )
        assert ids(since) == [made[2]["id"], made[1]["id"]]
        until = client.get(
            "/v1/articles", params={"until": times[1].astimezone(new_york).isoformat()}
        )
        assert ids(until) == [made[0]["id"]]
        window = client.get(
            "/v1/articles",
            params={
                "since": times[1].astimezone(new_york).isoformat(),
                "until": times[2].astimezone(riyadh).isoformat(),
            },
        )
        assert ids(window) == [made[1]["id"]]

    def test_filters_combine(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        tag = create_tag(client, editor)
        wanted = create_article(client, editor, section="local", tags=[tag["slug"]])
        create_article(client, editor, headline="خبر محلي آخر", section="local")
        create_article(client, editor, headline="خبر موسوم آخر", tags=[tag["slug"]])
        response = client.get("/v1/articles", params={"section": "local", "tag": tag["slug"]})
        assert ids(response) == [wanted["id"]]

    @pytest.mark.parametrize("name", ["section", "tag", "author"])
    def test_unknown_slug_in_a_filter_is_404(
        self, client: TestClient, editor: Key, name: str
    ) -> None:
        create_article(client, editor)
        problem = assert_problem(client.get("/v1/articles", params={name: "لا-وجود-له"}), 404)
        assert "لا-وجود-له" in problem["detail"]

    def test_bad_date_is_422(self, client: TestClient) -> None:
        problem = assert_problem(client.get("/v1/articles", params={"since": "أمس"}), 422)
        assert problem["errors"][0]["loc"] == ["query", "since"]

    def test_limit_defaults_to_20(self, client: TestClient, editor: Key) -> None:
        for n in range(21):
            create_article(client, editor, headline=f"خبر رقم {n}")
        page = client.get("/v1/articles").json()
        assert len(page["items"]) == 20
        assert page["next_cursor"] is not None

    def test_limit_100_is_allowed(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        page = client.get("/v1/articles", params={"limit": 100}).json()
        assert [item["id"] for item in page["items"]] == [made["id"]]
        assert page["next_cursor"] is None

    @pytest.mark.parametrize("limit", ["0", "101", "-1", "ten"])
    def test_limit_out_of_range_is_422(self, client: TestClient, limit: str) -> None:
        problem = assert_problem(client.get("/v1/articles", params={"limit": limit}), 422)
        assert [error["loc"] for error in problem["errors"]] == [["query", "limit"]]

    def test_fields_gives_sparse_cards(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        response = client.get("/v1/articles", params={"fields": "headline, url"})
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["items"] == [
            {"id": made["id"], "headline": made["headline"], "url": made["url"]}
        ]
        assert set(page) == {"items", "next_cursor", "links"}

    @pytest.mark.parametrize("fields", ["headline,secret", "body"])
    def test_unknown_field_is_400(self, client: TestClient, editor: Key, fields: str) -> None:
        create_article(client, editor)
        problem = assert_problem(client.get("/v1/articles", params={"fields": fields}), 400)
        assert problem["errors"][0]["loc"] == ["query", "fields"]

    @pytest.mark.parametrize(
        "cursor",
        [
            "garbage",
            "!!!",
            "WyJwdWJsaXNoZWQiXQ",  # ["published"]: no key values
            "WyJjcmVhdGVkIiwiMjAyNi0wMS0wMVQwMDowMDowMCswMDowMCIsMV0",  # a draft-list cursor
            "WyJwdWJsaXNoZWQiLCIyMDI2LTAxLTAxVDAwOjAwOjAwIiwxXQ",  # naive datetime
            "WyJwdWJsaXNoZWQiLCJ5ZXN0ZXJkYXkiLDFd",  # not a datetime
        ],
    )
    def test_bad_cursor_is_400(self, client: TestClient, editor: Key, cursor: str) -> None:
        create_article(client, editor)
        problem = assert_problem(client.get("/v1/articles", params={"cursor": cursor}), 400)
        assert "cursor" in problem["detail"]


class TestListArticlesPagination:
    def test_pages_see_every_article_once_while_others_are_published(
        self, client: TestClient, editor: Key
    ) -> None:
        originals = [
            create_article(client, editor, headline=f"خبر رقم {n}")["id"] for n in range(25)
        ]
        seen: list[str] = []
        url: str | None = "/v1/articles?limit=4"
        pages = 0
        while url is not None:
            response = client.get(url)
            assert response.status_code == 200, response.text
            page = response.json()
            assert len(page["items"]) <= 4
            seen.extend(item["id"] for item in page["items"])
            url = page["links"]["next"]
            pages += 1
            # Two newer stories go live between page fetches: one created published, one
            # written as a draft and published afterwards.
            create_article(client, editor, headline=f"عاجل {pages} أ")
            draft = create_article(client, editor, publish=False, headline=f"عاجل {pages} ب")
            publish(client, editor, draft["id"])
        assert seen == list(reversed(originals))
        assert pages == 7

    def test_next_link_and_link_header(self, client: TestClient, editor: Key) -> None:
        made = [create_article(client, editor, headline=f"خبر رقم {n}")["id"] for n in range(3)]
        response = client.get("/v1/articles", params={"limit": 2, "lang": "ar"})
        page = response.json()
        assert page["next_cursor"]
        assert page["links"]["self"] == "http://testserver/v1/articles?limit=2&lang=ar"
        next_url = page["links"]["next"]
        assert next_url.startswith("http://testserver/v1/articles?")
        assert f"cursor={page['next_cursor']}" in next_url
        assert "limit=2" in next_url
        assert "lang=ar" in next_url
        assert response.headers["link"] == f'<{next_url}>; rel="next"'

        last = client.get(next_url)
        assert ids(last) == [made[0]]
        assert last.json()["next_cursor"] is None
        assert last.json()["links"]["next"] is None
        assert "link" not in last.headers

    def test_exactly_full_last_page_has_no_next(self, client: TestClient, editor: Key) -> None:
        for n in range(4):
            create_article(client, editor, headline=f"خبر رقم {n}")
        first = client.get("/v1/articles", params={"limit": 2}).json()
        second = client.get(first["links"]["next"]).json()
        assert len(second["items"]) == 2
        assert second["next_cursor"] is None
        assert second["links"]["next"] is None

    def test_empty_list(self, client: TestClient) -> None:
        response = client.get("/v1/articles")
        assert response.json() == {
            "items": [],
            "next_cursor": None,
            "links": {"self": "http://testserver/v1/articles", "next": None},
        }

    def test_draft_list_pages_with_a_key(self, client: TestClient, editor: Key) -> None:
        drafts = [
            create_article(client, editor, publish=False, headline=f"مسودة {n}")["id"]
            for n in range(5)
        ]
        seen: list[str] = []
        url: str | None = "/v1/articles?status=draft&limit=2"
        while url is not None:
            page = client.get(url, headers=editor).json()
            seen.extend(item["id"] for item in page["items"])
            url = page["links"]["next"]
        assert seen == list(reversed(drafts))


class TestGetSectionFront:
    def test_draft_is_not_on_the_front(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        shown = create_article(client, editor, section="local")
        hidden_pair(client, editor, section="local")
        assert front(client, "local") == {"pinned": [], "latest": [shown["id"]]}

    def test_draft_of_a_sub_section_is_not_on_the_front(
        self, client: TestClient, editor: Key
    ) -> None:
        create_section(client, editor, slug="news", names={"ar": "أخبار"})
        create_section(client, editor, parent="news")
        shown = create_article(client, editor, section="local")
        hidden_pair(client, editor, section="local")
        assert front(client, "news") == {"pinned": [], "latest": [shown["id"]]}

    def test_pinned_draft_is_hidden(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        pinned = create_article(client, editor, headline="خبر مثبت", section="local")
        latest = create_article(client, editor, headline="خبر حديث", section="local")
        hidden = hidden_pair(client, editor, section="local")
        response = client.patch(
            "/v1/sections/local",
            json={"pinned": [hidden[0], pinned["id"], hidden[1]]},
            headers=editor,
        )
        assert response.status_code == 200, response.text
        assert front(client, "local") == {"pinned": [pinned["id"]], "latest": [latest["id"]]}

    def test_unpublished_article_leaves_the_front(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        pinned = create_article(client, editor, headline="خبر مثبت", section="local")
        latest = create_article(client, editor, headline="خبر حديث", section="local")
        client.patch("/v1/sections/local", json={"pinned": [pinned["id"]]}, headers=editor)
        assert front(client, "local") == {"pinned": [pinned["id"]], "latest": [latest["id"]]}
        unpublish(client, editor, pinned["id"])
        unpublish(client, editor, latest["id"])
        assert front(client, "local") == {"pinned": [], "latest": []}


class TestConditionalGet:
    """Every public GET carries an ETag and a shared-cache Cache-Control."""

    PATHS = ["by id", "by slug", "list", "filtered list", "section front"]

    def _url(self, client: TestClient, editor: Key, which: str) -> str:
        create_section(client, editor)
        made = create_article(client, editor, section="local")
        return {
            "by id": f"/v1/articles/{made['id']}",
            "by slug": f"/v1/articles/slug/{quote(made['slug'])}",
            "list": "/v1/articles",
            "filtered list": "/v1/articles?section=local&fields=id,headline",
            "section front": "/v1/sections/local",
        }[which]

    @pytest.mark.parametrize("which", PATHS)
    def test_etag_and_public_cache_control(
        self, client: TestClient, editor: Key, which: str
    ) -> None:
        response = client.get(self._url(client, editor, which))
        assert response.status_code == 200, response.text
        assert response.headers["etag"].startswith('"')
        cache_control = [part.strip() for part in response.headers["cache-control"].split(",")]
        assert cache_control[0] == "public"
        assert any(part.startswith("s-maxage=") for part in cache_control)
        assert any(part.startswith("stale-while-revalidate=") for part in cache_control)

    @pytest.mark.parametrize("which", PATHS)
    def test_varies_on_authorization(self, client: TestClient, editor: Key, which: str) -> None:
        # A key changes the body (drafts), so a shared cache must keep the two apart.
        response = client.get(self._url(client, editor, which))
        assert "authorization" in response.headers["vary"].lower()

    def test_article_has_last_modified(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        response = client.get(f"/v1/articles/{made['id']}")
        updated = datetime.fromisoformat(response.json()["updated_at"].replace("Z", "+00:00"))
        sent = parsedate_to_datetime(response.headers["last-modified"])
        assert sent == updated.replace(microsecond=0)

    @pytest.mark.parametrize("which", PATHS)
    def test_if_none_match_gives_304(self, client: TestClient, editor: Key, which: str) -> None:
        url = self._url(client, editor, which)
        etag = client.get(url).headers["etag"]
        response = client.get(url, headers={"If-None-Match": etag})
        assert response.status_code == 304
        assert response.content == b""
        assert response.headers["etag"] == etag
        other = client.get(url, headers={"If-None-Match": '"v1-0000"'})
        assert other.status_code == 200

    @pytest.mark.parametrize("which", PATHS)
    def test_arabic_is_raw_utf8(self, client: TestClient, editor: Key, which: str) -> None:
        response = client.get(self._url(client, editor, which))
        assert response.headers["content-type"].startswith("application/json")
        assert "افتتاح جسر الميناء الجديد".encode() in response.content
        assert b"\\u06" not in response.content

    def test_article_etag_carries_the_version(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        response = client.get(f"/v1/articles/{made['id']}")
        assert response.headers["etag"].startswith(f'"v{made["version"]}-')

    def test_etag_changes_with_the_article(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        url = f"/v1/articles/{made['id']}"
        etag = client.get(url).headers["etag"]
        edited = client.patch(url, json={"urgency": 2}, headers={**editor, "If-Match": etag})
        assert edited.status_code == 200, edited.text
        response = client.get(url, headers={"If-None-Match": etag})
        assert response.status_code == 200
        assert response.json()["urgency"] == 2
        assert response.headers["etag"] != etag

    def test_problem_is_not_cached(self, client: TestClient) -> None:
        response = client.get("/v1/articles/nosucharticle000")
        assert_problem(response, 404)
        assert "public" not in response.headers.get("cache-control", "")

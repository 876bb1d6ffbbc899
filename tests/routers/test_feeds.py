"""Feeds: RSS 2.0 with Media RSS, Atom 1.0 and JSON Feed 1.1, read back as a feed reader would
(feedparser) and as XML (lxml)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import feedparser
import httpx2
import pytest
from fastapi.testclient import TestClient
from lxml import etree

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.services.feeds import topic_urls
from tests.assertions import Key, assert_problem
from tests.factories import (
    act,
    create_article,
    create_author,
    create_section,
    create_tag,
    trash,
    upload_media,
)

FORMATS = ("rss", "atom", "json")
NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "media": "http://search.yahoo.com/mrss/",
}
HUB = "https://hub.example.org/"
# Harakat on every letter of a line of verse-like copy, so that nothing may drop a mark.
VOWELLED = "وَصَلَتِ القَافِلَةُ إِلَى الوَاحَةِ قَبْلَ الغُرُوبِ"
CAPTION = 'ساحة "النخيل" & السوق القديم عند الفجر'
CREDIT = "تصوير: هالة يوسف"


def feed(client: TestClient, kind: str, key: Key | None = None, **params: str) -> httpx2.Response:
    response = client.get(f"/v1/feeds/{kind}", params=params, headers=key)
    assert response.status_code == 200, response.text
    return response


def parsed(response: httpx2.Response) -> Any:
    """The feed as a reader sees it; never "bozo" (feedparser's word for malformed)."""
    result = feedparser.parse(response.content)
    assert not result.bozo, result.get("bozo_exception")
    return result


def xml(response: httpx2.Response) -> etree._Element:
    return etree.fromstring(response.content)


def item_ids(client: TestClient, kind: str, **params: str) -> list[str]:
    """Public ids of a feed's items, in feed order (item ids are tag: URIs ending in it)."""
    response = feed(client, kind, **params)
    if kind == "json":
        ids = [item["id"] for item in response.json()["items"]]
    else:
        ids = [entry.id for entry in parsed(response).entries]
    return [i.rsplit(":", 1)[1] for i in ids]


@contextmanager
def app_with(settings: Settings, database: Database, **changes: Any) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update=changes), database=database)
    with TestClient(app) as test_client:
        yield test_client


def future() -> str:
    return (datetime.now(UTC) + timedelta(days=2)).isoformat()


@pytest.fixture
def story(client: TestClient, editor: Key) -> dict[str, Any]:
    """A published article with everything a feed item shows: a hero with a caption that holds
    quotes and an ampersand, a body with harakat and an inline image, two authors, a section
    (and an extra one), tags."""
    create_section(client, editor, slug="oases", names={"ar": "واحات", "en": "Oases"})
    create_section(client, editor, slug="travel", names={"ar": "سفر", "en": "Travel"})
    create_tag(client, editor, slug="caravans", name="القوافل")
    create_author(client, editor, slug="hala-youssef", name="هالة يوسف")
    create_author(client, editor, slug="karim-nasr", name="كريم نصر")
    hero = upload_media(client, editor, caption=CAPTION, credit=CREDIT)
    inline = upload_media(client, editor, caption="بئر الواحة", credit="أرشيف")
    return create_article(
        client,
        editor,
        headline="القافلة تصل إلى الواحة",
        summary="رحلة استمرت أسبوعين عبر الرمال.",
        section="oases",
        sections=["travel"],
        tags=["caravans"],
        authors=["hala-youssef", "karim-nasr"],
        hero={"media": hero["id"]},
        body=[
            {"type": "paragraph", "html": VOWELLED},
            {"type": "image", "media": inline["id"]},
            {"type": "paragraph", "html": "وصل المسافرون <strong>سالمين</strong>."},
        ],
    )


class TestRssFeed:
    def test_channel(self, client: TestClient, story: dict[str, Any]) -> None:
        response = feed(client, "rss")
        assert response.headers["content-type"] == "application/rss+xml; charset=utf-8"
        channel = parsed(response).feed
        assert channel.title == "خبر"
        assert channel.link == "http://testserver"
        assert channel.language == "ar"
        assert channel.generator.startswith("Khabar")
        assert channel.rights.endswith("خبر")
        updated = parsedate_to_datetime(channel.updated)
        assert updated == datetime.fromisoformat(story["updated_at"]).replace(microsecond=0)
        (self_link,) = [link for link in channel.links if link.rel == "self"]
        assert self_link.href == "http://testserver/v1/feeds/rss"

    def test_item(self, client: TestClient, story: dict[str, Any]) -> None:
        (entry,) = parsed(feed(client, "rss")).entries
        assert entry.title == "القافلة تصل إلى الواحة"
        assert entry.link == story["public_url"]
        assert entry.id.endswith(f":{story['id']}")
        assert entry.id.startswith("tag:testserver,")
        assert entry.guidislink is False
        published = parsedate_to_datetime(entry.published)
        assert published == datetime.fromisoformat(story["published_at"]).replace(microsecond=0)
        assert entry.summary == "رحلة استمرت أسبوعين عبر الرمال."
        assert [a.name for a in entry.authors] == ["هالة يوسف", "كريم نصر"]
        assert [t.term for t in entry.tags] == ["واحات", "سفر", "القوافل"]

    def test_full_arabic_body_round_trips(self, client: TestClient, story: dict[str, Any]) -> None:
        response = feed(client, "rss")
        (entry,) = parsed(response).entries
        html = entry.content[0].value
        assert VOWELLED in html
        assert "<strong>سالمين</strong>" in html
        assert 'dir="rtl"' in html
        assert "<figure" in html
        assert "بئر الواحة" in html
        # Arabic travels as UTF-8 inside CDATA, not as character references.
        assert b"<![CDATA[<div " in response.content
        assert VOWELLED.encode() in response.content
        (encoded,) = xml(response).findall("channel/item/content:encoded", NS)
        assert encoded.text is not None and VOWELLED in encoded.text

    def test_hero_as_media_rss(self, client: TestClient, story: dict[str, Any]) -> None:
        response = feed(client, "rss")
        hero = story["hero"]
        (entry,) = parsed(response).entries
        (content,) = entry.media_content
        assert content["url"] == hero["src"]
        assert (content["medium"], content["type"]) == ("image", "image/jpeg")
        assert (content["width"], content["height"]) == ("1200", "675")
        (thumbnail,) = entry.media_thumbnail
        assert thumbnail["url"] == hero["src"].replace("w=1200", "w=480")
        assert "w=480&fmt=webp&v=" in hero["srcset"]
        assert (thumbnail["width"], thumbnail["height"]) == ("480", "270")
        assert entry.media_credit == [{"content": CREDIT}]
        # The caption's quotes and ampersand survive (Atom has it as an attribute too).
        (media,) = xml(response).findall("channel/item/media:content", NS)
        assert media.findtext("media:description", namespaces=NS) == CAPTION
        assert media.findtext("media:credit", namespaces=NS) == CREDIT
        assert media.get("url") == hero["src"]

    def test_summary_only(self, client: TestClient, story: dict[str, Any]) -> None:
        response = feed(client, "rss", content="summary")
        assert b"<content:encoded" not in response.content
        assert xml(response).findall("channel/item/content:encoded", NS) == []
        (entry,) = parsed(response).entries
        assert entry.summary == "رحلة استمرت أسبوعين عبر الرمال."
        (self_link,) = xml(response).findall("channel/atom:link[@rel='self']", NS)
        assert self_link.get("href") == "http://testserver/v1/feeds/rss?content=summary"

    def test_site_setting_chooses_summaries(
        self, settings: Settings, database: Database, story: dict[str, Any]
    ) -> None:
        with app_with(settings, database, feed_full_content=False) as client:
            summary = feed(client, "rss")
            full = feed(client, "rss", content="full")
        assert xml(summary).findall("channel/item/content:encoded", NS) == []
        assert len(xml(full).findall("channel/item/content:encoded", NS)) == 1

    def test_cdata_end_in_the_body(self, client: TestClient, editor: Key) -> None:
        body = [{"type": "paragraph", "html": "الرمز ]]&gt; في النص"}]
        create_article(client, editor, body=body)
        response = feed(client, "rss")
        (encoded,) = xml(response).findall("channel/item/content:encoded", NS)
        assert "الرمز ]]&gt; في النص" in (encoded.text or "")

    def test_characters_xml_cannot_carry_are_dropped(self, client: TestClient, editor: Key) -> None:
        create_article(client, editor, headline="عنوان\x0b فيه\x1f محارف", summary="ملخص\x08")
        (entry,) = parsed(feed(client, "rss")).entries
        assert entry.title == "عنوان فيه محارف"


class TestAtomFeed:
    def test_feed(self, client: TestClient, story: dict[str, Any]) -> None:
        response = feed(client, "atom")
        assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
        result = parsed(response)
        assert result.version == "atom10"
        head = result.feed
        assert head.title == "خبر"
        assert head.id == "http://testserver/v1/feeds/atom"
        assert head.language == "ar"
        assert head.link == "http://testserver"
        assert head.author == "خبر"
        assert head.rights.endswith("خبر")
        links = {link.rel: link.href for link in head.links}
        assert links["self"] == "http://testserver/v1/feeds/atom"
        assert "hub" not in links
        assert xml(response).get("{http://www.w3.org/XML/1998/namespace}lang") == "ar"

    def test_entry(self, client: TestClient, story: dict[str, Any]) -> None:
        response = feed(client, "atom")
        (entry,) = parsed(response).entries
        assert entry.title == "القافلة تصل إلى الواحة"
        assert entry.link == story["public_url"]
        assert entry.id.endswith(f":{story['id']}")
        when = datetime.fromisoformat(story["published_at"]).replace(microsecond=0)
        assert datetime.fromisoformat(entry.published) == when
        assert datetime.fromisoformat(entry.updated) >= when
        assert [a.name for a in entry.authors] == ["هالة يوسف", "كريم نصر"]
        assert [t.term for t in entry.tags] == ["واحات", "سفر", "القوافل"]
        assert entry.summary == "رحلة استمرت أسبوعين عبر الرمال."
        html = entry.content[0].value
        assert entry.content[0].type == "text/html"
        assert VOWELLED in html and "بئر الواحة" in html
        assert b"<![CDATA[" in response.content

    def test_hero_as_enclosure(self, client: TestClient, story: dict[str, Any]) -> None:
        response = feed(client, "atom")
        (entry,) = parsed(response).entries
        (enclosure,) = [link for link in entry.links if link.rel == "enclosure"]
        assert enclosure.href == story["hero"]["src"]
        assert enclosure.type == "image/jpeg"
        (link,) = xml(response).findall("atom:entry/atom:link[@rel='enclosure']", NS)
        assert link.get("title") == CAPTION  # quotes and & survive as an attribute

    def test_summary_only(self, client: TestClient, story: dict[str, Any]) -> None:
        response = feed(client, "atom", content="summary")
        assert xml(response).findall("atom:entry/atom:content", NS) == []
        assert xml(response).findtext("atom:entry/atom:summary", namespaces=NS)

    def test_entry_in_another_language_says_so(self, client: TestClient, editor: Key) -> None:
        create_article(client, editor, headline="Caravan reaches the oasis", lang="en")
        response = feed(client, "atom")
        (entry,) = xml(response).findall("atom:entry", NS)
        assert entry.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
        assert 'dir="ltr"' in (entry.findtext("atom:content", namespaces=NS) or "")


class TestJsonFeed:
    def test_feed(self, client: TestClient, story: dict[str, Any]) -> None:
        response = feed(client, "json")
        assert response.headers["content-type"] == "application/feed+json"
        document = response.json()
        assert document["version"] == "https://jsonfeed.org/version/1.1"
        assert document["title"] == "خبر"
        assert document["home_page_url"] == "http://testserver"
        assert document["feed_url"] == "http://testserver/v1/feeds/json"
        assert document["language"] == "ar"
        assert "hubs" not in document
        (item,) = document["items"]
        assert item["id"].endswith(f":{story['id']}")
        assert item["url"] == story["public_url"]
        assert item["title"] == "القافلة تصل إلى الواحة"
        assert item["summary"] == "رحلة استمرت أسبوعين عبر الرمال."
        assert item["image"] == story["hero"]["src"]
        assert item["authors"] == [{"name": "هالة يوسف"}, {"name": "كريم نصر"}]
        assert item["tags"] == ["واحات", "سفر", "القوافل"]
        assert item["language"] == "ar"
        published = datetime.fromisoformat(item["date_published"])
        assert published == datetime.fromisoformat(story["published_at"]).replace(microsecond=0)
        assert datetime.fromisoformat(item["date_modified"]) >= published
        assert VOWELLED in item["content_html"] and "بئر الواحة" in item["content_html"]

    def test_arabic_is_plain_utf8(self, client: TestClient, story: dict[str, Any]) -> None:
        response = feed(client, "json")
        assert VOWELLED.encode() in response.content
        assert b"\\u06" not in response.content

    def test_summary_only(self, client: TestClient, story: dict[str, Any]) -> None:
        (item,) = feed(client, "json", content="summary").json()["items"]
        assert "content_html" not in item
        assert item["content_text"] == "رحلة استمرت أسبوعين عبر الرمال."


@pytest.fixture
def newsroom(client: TestClient, editor: Key) -> dict[str, str]:
    """One published article in a sub-section with a tag and an author, and one of each state
    that must never reach a feed, filed the same way."""
    create_section(client, editor, slug="sport", names={"ar": "رياضة", "en": "Sport"})
    create_section(client, editor, slug="football", names={"ar": "كرة القدم"}, parent="sport")
    create_tag(client, editor, slug="derby", name="الديربي")
    create_author(client, editor, slug="omar-saleh", name="عمر صالح")
    filed = {"section": "football", "tags": ["derby"], "authors": ["omar-saleh"]}
    ids = {}
    ids["published"] = create_article(client, editor, headline="فوز في الديربي", **filed)["id"]
    ids["draft"] = create_article(client, editor, headline="مسودة", publish=False, **filed)["id"]
    ids["scheduled"] = create_article(client, editor, headline="مجدول", publish=False, **filed)[
        "id"
    ]
    assert act(client, editor, ids["scheduled"], "schedule", json={"at": future()}).is_success
    for state, action in (("archived", "archive"), ("unpublished", "unpublish")):
        ids[state] = create_article(client, editor, headline=state, **filed)["id"]
        assert act(client, editor, ids[state], action).is_success
    ids["trashed"] = create_article(client, editor, headline="في سلة المحذوفات", **filed)["id"]
    assert trash(client, editor, ids["trashed"]).is_success
    return ids


class TestFeedContents:
    @pytest.mark.parametrize("kind", FORMATS)
    @pytest.mark.parametrize(
        "params",
        [
            {},
            {"section": "sport"},
            {"section": "football"},
            {"tag": "derby"},
            {"author": "omar-saleh"},
            {"lang": "ar"},
        ],
        ids=["site", "section", "sub-section", "tag", "author", "lang"],
    )
    def test_only_published_articles(
        self, client: TestClient, newsroom: dict[str, str], kind: str, params: dict[str, str]
    ) -> None:
        assert item_ids(client, kind, **params) == [newsroom["published"]]

    @pytest.mark.parametrize("kind", FORMATS)
    def test_a_key_unlocks_nothing(
        self, client: TestClient, editor: Key, newsroom: dict[str, str], kind: str
    ) -> None:
        public = feed(client, kind, author="omar-saleh")
        with_key = feed(client, kind, editor, author="omar-saleh")
        assert with_key.content == public.content
        assert with_key.headers["cache-control"].startswith("public")
        assert newsroom["draft"].encode() not in with_key.content

    def test_section_includes_sub_sections(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor, slug="sport", names={"ar": "رياضة"})
        create_section(client, editor, slug="tennis", names={"ar": "تنس"}, parent="sport")
        create_section(client, editor, slug="culture", names={"ar": "ثقافة"})
        top = create_article(client, editor, headline="بطولة", section="sport")["id"]
        sub = create_article(client, editor, headline="مباراة", section="tennis")["id"]
        extra = create_article(
            client, editor, headline="فيلم", section="culture", sections=["tennis"]
        )["id"]
        create_article(client, editor, headline="معرض", section="culture")
        assert item_ids(client, "rss", section="sport") == [extra, sub, top]
        assert item_ids(client, "atom", section="tennis") == [extra, sub]

    def test_per_tag_and_author(self, client: TestClient, editor: Key) -> None:
        create_tag(client, editor, slug="water", name="المياه")
        create_author(client, editor, slug="lina-haddad", name="لينا حداد")
        tagged = create_article(client, editor, headline="سد جديد", tags=["water"])["id"]
        written = create_article(client, editor, headline="حوار", authors=["lina-haddad"])["id"]
        create_article(client, editor, headline="خبر آخر")
        assert item_ids(client, "json", tag="water") == [tagged]
        assert item_ids(client, "rss", author="lina-haddad") == [written]

    def test_per_language(self, client: TestClient, editor: Key) -> None:
        arabic = create_article(client, editor, headline="افتتاح المكتبة")["id"]
        english = create_article(client, editor, headline="Library opens", lang="en")["id"]
        assert item_ids(client, "rss") == [english, arabic]
        response = feed(client, "rss", lang="en")
        result = parsed(response)
        assert [e.id.rsplit(":", 1)[1] for e in result.entries] == [english]
        assert (result.feed.language, result.feed.title) == ("en", "Khabar")
        assert feed(client, "json", lang="en").json()["language"] == "en"
        atom = xml(feed(client, "atom", lang="en"))
        assert atom.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"

    def test_titles_name_the_filter(self, client: TestClient, newsroom: dict[str, str]) -> None:
        assert parsed(feed(client, "rss", section="sport")).feed.title == "خبر — رياضة"
        english = parsed(feed(client, "atom", section="sport", lang="en")).feed.title
        assert english == "Khabar — Sport"
        assert feed(client, "json", tag="derby").json()["title"] == "خبر — الديربي"
        assert parsed(feed(client, "rss", author="omar-saleh")).feed.title == "خبر — عمر صالح"

    def test_newest_first_and_at_most_feed_items(
        self, settings: Settings, database: Database, client: TestClient, editor: Key
    ) -> None:
        made = [create_article(client, editor, headline=f"خبر رقم {n}")["id"] for n in range(4)]
        with app_with(settings, database, feed_items=3) as small:
            for kind in FORMATS:
                assert item_ids(small, kind) == made[::-1][:3]

    @pytest.mark.parametrize("kind", FORMATS)
    @pytest.mark.parametrize("param", ["section", "tag", "author"])
    def test_unknown_filter_is_404(self, client: TestClient, kind: str, param: str) -> None:
        response = client.get(f"/v1/feeds/{kind}", params={param: "لا-يوجد"})
        problem = assert_problem(response, 404)
        assert "لا-يوجد" in problem["detail"]

    def test_bad_content_is_422(self, client: TestClient) -> None:
        assert_problem(client.get("/v1/feeds/rss?content=everything"), 422)

    @pytest.mark.parametrize("kind", FORMATS)
    def test_empty_feed(self, client: TestClient, kind: str) -> None:
        response = feed(client, kind)
        assert "last-modified" not in response.headers
        if kind == "json":
            assert response.json()["items"] == []
        else:
            assert parsed(response).entries == []


class TestWebSub:
    @pytest.mark.parametrize("kind", FORMATS)
    def test_no_hub_unless_configured(self, client: TestClient, editor: Key, kind: str) -> None:
        create_article(client, editor)
        response = feed(client, kind)
        assert b"hub" not in response.content
        assert "link" not in response.headers

    def test_hubs_and_self(
        self, settings: Settings, database: Database, client: TestClient, editor: Key
    ) -> None:
        create_section(client, editor, slug="economy", names={"ar": "اقتصاد"})
        create_tag(client, editor, slug="oil", name="النفط")
        create_article(client, editor, section="economy", tags=["oil"])
        query = {"content": "summary", "lang": "ar", "tag": "oil", "section": "ECONOMY"}
        tail = "?section=economy&tag=oil&lang=ar&content=summary"
        with app_with(settings, database, websub_hubs=[HUB]) as client:
            rss = xml(feed(client, "rss", **query))
            atom = feed(client, "atom", **query)
            json_feed = feed(client, "json", **query)
        rss_links = rss.findall("channel/atom:link", NS)
        assert {(link.get("rel"), link.get("href")) for link in rss_links} == {
            ("hub", HUB),
            ("self", f"http://testserver/v1/feeds/rss{tail}"),
        }
        atom_links = {(link.rel, link.href) for link in parsed(atom).feed.links}
        assert ("hub", HUB) in atom_links
        assert ("self", f"http://testserver/v1/feeds/atom{tail}") in atom_links
        document = json_feed.json()
        assert document["hubs"] == [{"type": "WebSub", "url": HUB}]
        assert document["feed_url"] == f"http://testserver/v1/feeds/json{tail}"
        assert json_feed.headers["link"] == (
            f'<{HUB}>; rel="hub", <http://testserver/v1/feeds/json{tail}>; rel="self"'
        )


class TestTopicUrls:
    def test_every_feed_an_article_appears_in(self) -> None:
        urls = topic_urls(
            "https://api.example.org/",
            sections=["sport", "football"],
            tags=["الديربي"],
            authors=["omar-saleh"],
            lang="ar",
        )
        base = "https://api.example.org/v1/feeds"
        queries = [
            "",
            "?lang=ar",
            "?section=sport",
            "?section=football",
            "?tag=%D8%A7%D9%84%D8%AF%D9%8A%D8%B1%D8%A8%D9%8A",
            "?author=omar-saleh",
        ]
        assert urls == [f"{base}/{kind}{q}" for q in queries for kind in FORMATS]

    def test_no_duplicates(self) -> None:
        urls = topic_urls("http://x", sections=["a", "a"], tags=[], authors=[], lang="en")
        assert len(urls) == len(set(urls)) == 9

    def test_are_the_feeds_self_urls(
        self, settings: Settings, database: Database, client: TestClient, editor: Key
    ) -> None:
        create_section(client, editor, slug="economy", names={"ar": "اقتصاد"})
        create_tag(client, editor, name="أسعار الوقود")  # an Arabic slug
        tag = client.get("/v1/tags").json()["items"][0]["slug"]
        create_author(client, editor)
        create_article(client, editor, section="economy", tags=[tag], authors=["salma-haddad"])
        urls = topic_urls(
            settings.base_url, sections=["economy"], tags=[tag], authors=["salma-haddad"], lang="ar"
        )
        selves = []
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            if url.split("?")[0].endswith("json"):
                selves.append(response.json()["feed_url"])
            else:
                selves += [link.href for link in parsed(response).feed.links if link.rel == "self"]
        assert selves == urls


class TestFeedLinks:
    def test_a_sections_feed_link_works(self, client: TestClient, newsroom: dict[str, str]) -> None:
        links = client.get("/v1/sections/sport").json()["links"]["feeds"]
        response = client.get(links["rss"])
        assert response.status_code == 200
        result = parsed(response)
        assert [e.id.rsplit(":", 1)[1] for e in result.entries] == [newsroom["published"]]
        (self_link,) = [link for link in result.feed.links if link.rel == "self"]
        assert self_link.href == links["rss"]
        assert client.get(links["atom"]).status_code == 200
        assert client.get(links["jsonfeed"]).json()["feed_url"] == links["jsonfeed"]

    def test_the_roots_feed_links_work(self, client: TestClient) -> None:
        links = client.get("/v1").json()["links"]["feeds"]
        for url in links.values():
            assert client.get(url).status_code == 200


class TestConditionalGet:
    @pytest.mark.parametrize("kind", FORMATS)
    def test_304_for_a_matching_etag(
        self, client: TestClient, story: dict[str, Any], kind: str
    ) -> None:
        first = feed(client, kind)
        again = client.get(f"/v1/feeds/{kind}", headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == first.headers["etag"]
        assert again.headers["last-modified"] == first.headers["last-modified"]
        assert again.headers["cache-control"] == first.headers["cache-control"]

    def test_304_if_not_modified_since(self, client: TestClient, story: dict[str, Any]) -> None:
        first = feed(client, "rss")
        last_modified = first.headers["last-modified"]
        later = format_datetime(parsedate_to_datetime(last_modified) + timedelta(hours=1), True)
        earlier = format_datetime(parsedate_to_datetime(last_modified) - timedelta(seconds=1), True)
        for since, status in ((last_modified, 304), (later, 304), (earlier, 200)):
            response = client.get("/v1/feeds/rss", headers={"If-Modified-Since": since})
            assert response.status_code == status, since
        # If-None-Match decides when both are sent; a bad date is ignored.
        both = {"If-None-Match": '"other"', "If-Modified-Since": last_modified}
        assert client.get("/v1/feeds/rss", headers=both).status_code == 200
        bad = client.get("/v1/feeds/rss", headers={"If-Modified-Since": "yesterday"})
        assert bad.status_code == 200

    def test_a_changed_article_changes_the_etag(
        self, client: TestClient, editor: Key, story: dict[str, Any]
    ) -> None:
        before = feed(client, "atom")
        etag = client.get(f"/v1/articles/{story['id']}", headers=editor).headers["etag"]
        changed = client.patch(
            f"/v1/articles/{story['id']}",
            json={"headline": "القافلة تصل إلى الواحة بسلام"},
            headers={**editor, "If-Match": etag},
        )
        assert changed.status_code == 200, changed.text
        after = client.get("/v1/feeds/atom", headers={"If-None-Match": before.headers["etag"]})
        assert after.status_code == 200
        assert after.headers["etag"] != before.headers["etag"]
        assert parsed(after).entries[0].title == "القافلة تصل إلى الواحة بسلام"

    def test_an_unchanged_feed_keeps_its_etag(
        self, client: TestClient, story: dict[str, Any]
    ) -> None:
        assert feed(client, "rss").content == feed(client, "rss").content

    def test_head(self, client: TestClient, story: dict[str, Any]) -> None:
        get = feed(client, "rss")
        head = client.head("/v1/feeds/rss")
        assert head.status_code == 200
        assert head.content == b""
        assert head.headers["etag"] == get.headers["etag"]
        assert head.headers["content-type"] == get.headers["content-type"]

"""Sitemaps: the index, the article files (split, ordered, stable) and the Google News sitemap;
what they list (published only), how their URLs are made, and how caches revalidate."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx2
import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import update

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.models import Article
from tests.assertions import Key, assert_problem
from tests.factories import act, create_article, create_section, trash

SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS = "http://www.google.com/schemas/sitemap-news/0.9"
NS = {"sm": SITEMAP, "news": NEWS}
BASE = "http://testserver"
RIYADH = timezone(timedelta(hours=3))


def xml(response: httpx2.Response) -> etree._Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    assert response.content.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root: etree._Element = etree.fromstring(response.content)
    return root


def texts(root: etree._Element, path: str) -> list[str]:
    return [str(node.text) for node in root.xpath(path, namespaces=NS)]


def index(client: TestClient) -> etree._Element:
    root = xml(client.get("/v1/sitemap.xml"))
    assert root.tag == f"{{{SITEMAP}}}sitemapindex"
    return root


def file_paths(client: TestClient) -> list[str]:
    """The article files the index lists, as paths on the test client."""
    locs = texts(index(client), "sm:sitemap/sm:loc")
    assert locs[-1] == f"{BASE}/v1/sitemaps/news.xml"
    return [loc.removeprefix(BASE) for loc in locs[:-1]]


def urls(client: TestClient, path: str) -> list[str]:
    root = xml(client.get(path))
    assert root.tag == f"{{{SITEMAP}}}urlset"
    for item in root:
        assert [child.tag for child in item] == [f"{{{SITEMAP}}}loc", f"{{{SITEMAP}}}lastmod"]
    return texts(root, "sm:url/sm:loc")


def all_urls(client: TestClient) -> list[str]:
    return [url for path in file_paths(client) for url in urls(client, path)]


def news_items(client: TestClient) -> list[dict[str, str]]:
    root = xml(client.get("/v1/sitemaps/news.xml"))
    assert root.tag == f"{{{SITEMAP}}}urlset"
    assert root.nsmap == {None: SITEMAP, "news": NEWS}
    items = []
    for url in root.xpath("sm:url", namespaces=NS):
        news = url.find("news:news", NS)
        publication = news.find("news:publication", NS)
        items.append(
            {
                "loc": url.findtext("sm:loc", namespaces=NS),
                "name": publication.findtext("news:name", namespaces=NS),
                "language": publication.findtext("news:language", namespaces=NS),
                "date": news.findtext("news:publication_date", namespaces=NS),
                "title": news.findtext("news:title", namespaces=NS),
            }
        )
    return items


def w3c(value: str) -> datetime:
    when = datetime.fromisoformat(value)
    assert when.tzinfo is not None and value.endswith("+00:00"), value
    return when


def to_second(iso: str) -> datetime:
    return datetime.fromisoformat(iso).astimezone(UTC).replace(microsecond=0)


def set_published_at(database: Database, article_id: str, when: datetime) -> None:
    with database.session(write=True) as session:
        session.execute(
            update(Article).where(Article.public_id == article_id).values(published_at=when)
        )
        session.commit()


def ago(**delta: float) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


@pytest.fixture
def small_files(settings: Settings, database: Database) -> Iterator[TestClient]:
    """A client whose sitemaps hold three URLs a file."""
    small = settings.model_copy(update={"sitemap_urls": 3})
    with TestClient(create_app(small, database=database)) as client:
        yield client


def headlined(client: TestClient, key: Key, count: int) -> list[dict[str, Any]]:
    return [
        create_article(client, key, headline=f"جلسة المجلس البلدي رقم {n}", slug=f"جلسة-{n}")
        for n in range(1, count + 1)
    ]


class TestSitemapIndex:
    def test_empty_store_has_one_empty_file(self, client: TestClient) -> None:
        root = index(client)
        assert texts(root, "sm:sitemap/sm:loc") == [
            f"{BASE}/v1/sitemaps/articles-1.xml",
            f"{BASE}/v1/sitemaps/news.xml",
        ]
        assert texts(root, "sm:sitemap/sm:lastmod") == []
        assert urls(client, "/v1/sitemaps/articles-1.xml") == []
        assert news_items(client) == []

    def test_lists_a_file_per_share_with_its_newest_change(
        self, small_files: TestClient, editor: Key
    ) -> None:
        made = headlined(small_files, editor, 7)
        root = index(small_files)
        assert file_paths(small_files) == [f"/v1/sitemaps/articles-{n}.xml" for n in (1, 2, 3)]
        items = root.xpath("sm:sitemap", namespaces=NS)
        lastmods = [item.findtext("sm:lastmod", namespaces=NS) for item in items]
        assert lastmods[-1] is None  # news.xml
        newest = [max(to_second(a["updated_at"]) for a in made[i : i + 3]) for i in (0, 3, 6)]
        assert [w3c(value) for value in lastmods[:-1]] == newest

    def test_a_correction_moves_its_files_lastmod(
        self, small_files: TestClient, editor: Key
    ) -> None:
        made = headlined(small_files, editor, 4)
        before = texts(index(small_files), "sm:sitemap/sm:lastmod")
        etag = small_files.get(f"/v1/articles/{made[0]['id']}", headers=editor).headers["etag"]
        edited = small_files.patch(
            f"/v1/articles/{made[0]['id']}",
            json={"correction": "صُحّح موعد الجلسة القادمة."},
            headers={**editor, "If-Match": etag},
        )
        assert edited.status_code == 200, edited.text
        after = texts(index(small_files), "sm:sitemap/sm:lastmod")
        assert w3c(after[0]) == to_second(edited.json()["updated_at"])
        assert w3c(after[0]) >= w3c(before[0])
        assert after[1] == before[1]

    def test_revalidates_with_etag(self, small_files: TestClient, editor: Key) -> None:
        create_article(small_files, editor)
        first = small_files.get("/v1/sitemap.xml")
        assert first.headers["cache-control"].startswith("public, max-age=")
        assert "vary" not in first.headers  # the same for every caller
        assert "last-modified" in first.headers
        etag = {"If-None-Match": first.headers["etag"]}
        again = small_files.get("/v1/sitemap.xml", headers=etag)
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == first.headers["etag"]
        headlined(small_files, editor, 3)  # a second file
        changed = small_files.get("/v1/sitemap.xml", headers=etag)
        assert changed.status_code == 200
        assert changed.headers["etag"] != first.headers["etag"]


class TestArticleSitemap:
    def test_arabic_slug_is_percent_encoded(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor, slug="محليات", names={"ar": "محليات", "en": "Local"})
        made = create_article(client, editor, section="محليات", slug="افتتاح-المكتبة-العامة")
        root = xml(client.get("/v1/sitemaps/articles-1.xml"))
        [loc] = texts(root, "sm:url/sm:loc")
        [lastmod] = texts(root, "sm:url/sm:lastmod")
        assert loc.isascii()
        assert loc == made["public_url"]
        path = unquote(urlsplit(loc).path)
        assert path == "/محليات/افتتاح-المكتبة-العامة"
        assert w3c(lastmod) == to_second(made["updated_at"])

    def test_without_a_section(self, client: TestClient, editor: Key) -> None:
        create_article(client, editor, headline="Council meets tonight", lang="en")
        assert urls(client, "/v1/sitemaps/articles-1.xml") == [f"{BASE}/news/council-meets-tonight"]

    def test_custom_url_template(
        self, settings: Settings, database: Database, client: TestClient, editor: Key
    ) -> None:
        made = create_article(client, editor, slug="موازنة-البلدية")
        custom = settings.model_copy(
            update={
                "site_url": "https://example.com",
                "public_url_template": "https://example.com/{lang}/{year}/{month}/{slug}",
            }
        )
        with TestClient(create_app(custom, database=database)) as other:
            [loc] = urls(other, "/v1/sitemaps/articles-1.xml")
            [news] = news_items(other)
            assert file_paths(other) == ["/v1/sitemaps/articles-1.xml"]
        year, month = made["published_at"][:7].split("-")
        assert loc.isascii()
        assert unquote(loc) == f"https://example.com/ar/{year}/{month}/موازنة-البلدية"
        assert news["loc"] == loc

    def test_split_across_files_in_id_order(self, small_files: TestClient, editor: Key) -> None:
        made = headlined(small_files, editor, 7)
        paths = file_paths(small_files)
        files = [urls(small_files, path) for path in paths]
        assert [len(f) for f in files] == [3, 3, 1]
        assert [url for f in files for url in f] == [a["public_url"] for a in made]
        assert_problem(small_files.get("/v1/sitemaps/articles-4.xml"), 404)

    def test_older_files_stay_the_same(self, small_files: TestClient, editor: Key) -> None:
        headlined(small_files, editor, 4)
        before = [small_files.get(f"/v1/sitemaps/articles-{n}.xml") for n in (1, 2)]
        create_article(small_files, editor, headline="خبر أحدث من الملفات")
        create_article(small_files, editor, headline="خبر آخر أحدث")
        after = [small_files.get(f"/v1/sitemaps/articles-{n}.xml") for n in (1, 2)]
        assert after[0].content == before[0].content
        assert after[0].headers["etag"] == before[0].headers["etag"]
        assert len(urls(small_files, "/v1/sitemaps/articles-2.xml")) == 3
        assert after[1].headers["etag"] != before[1].headers["etag"]
        assert len(file_paths(small_files)) == 2

    def test_revalidates_with_etag(self, client: TestClient, editor: Key) -> None:
        made = create_article(client, editor)
        first = client.get("/v1/sitemaps/articles-1.xml")
        assert first.headers["cache-control"].startswith("public, max-age=")
        last_modified = parsedate_to_datetime(first.headers["last-modified"])
        assert last_modified == to_second(made["updated_at"])
        again = client.get(
            "/v1/sitemaps/articles-1.xml", headers={"If-None-Match": first.headers["etag"]}
        )
        assert again.status_code == 304
        assert again.content == b""

    @pytest.mark.parametrize("n", ["2", "99", "100000", "123456789012345678901234567890"])
    def test_file_out_of_range_is_404(self, client: TestClient, editor: Key, n: str) -> None:
        create_article(client, editor)
        problem = assert_problem(client.get(f"/v1/sitemaps/articles-{n}.xml"), 404)
        assert "/v1/sitemap.xml" in problem["detail"]

    @pytest.mark.parametrize("n", ["0", "-1", "x", "1.5"])
    def test_file_number_must_be_positive(self, client: TestClient, n: str) -> None:
        assert_problem(client.get(f"/v1/sitemaps/articles-{n}.xml"), 422)


class TestNewsSitemap:
    def test_lists_the_last_48_hours_newest_first(
        self, client: TestClient, editor: Key, database: Database
    ) -> None:
        arabic = create_article(client, editor, headline="أمطار غزيرة تغلق طريق الساحل")
        english = create_article(client, editor, headline="Coast road closed by rain", lang="en")
        older = create_article(client, editor, headline="جلسة استثنائية للمجلس")
        stale = create_article(client, editor, headline="خبر من الأسبوع الماضي")
        set_published_at(database, arabic["id"], ago(hours=1))
        set_published_at(database, english["id"], ago(minutes=30))
        set_published_at(database, older["id"], ago(hours=47))
        set_published_at(database, stale["id"], ago(hours=49))
        items = news_items(client)
        assert [item["title"] for item in items] == [
            "Coast road closed by rain",
            "أمطار غزيرة تغلق طريق الساحل",
            "جلسة استثنائية للمجلس",
        ]
        assert [(item["name"], item["language"]) for item in items] == [
            ("Khabar", "en"),
            ("خبر", "ar"),
            ("خبر", "ar"),
        ]
        assert items[1]["loc"] == arabic["public_url"]
        assert unquote(items[1]["loc"]).endswith("/أمطار-غزيرة-تغلق-طريق-الساحل")
        for item in items:
            assert w3c(item["date"]) <= datetime.now(UTC)
        assert w3c(items[0]["date"]) > w3c(items[1]["date"]) > w3c(items[2]["date"])

    def test_names_the_publication_in_the_article_language(
        self, settings: Settings, database: Database, client: TestClient, editor: Key
    ) -> None:
        create_article(client, editor, headline="Harbour reopens", lang="en")
        create_article(client, editor, headline="إعادة فتح الميناء")
        named = settings.model_copy(
            update={"site_name": {"ar": "صحيفة الساحل", "en": "The Coast Herald"}}
        )
        with TestClient(create_app(named, database=database)) as other:
            items = news_items(other)
        assert {item["title"]: item["name"] for item in items} == {
            "Harbour reopens": "The Coast Herald",
            "إعادة فتح الميناء": "صحيفة الساحل",
        }

    def test_publication_date_is_w3c(
        self, client: TestClient, editor: Key, database: Database
    ) -> None:
        made = create_article(client, editor)
        when = ago(hours=2).replace(microsecond=654321)
        set_published_at(database, made["id"], when)
        [item] = news_items(client)
        assert item["date"] == when.replace(microsecond=0).isoformat()
        assert item["date"].endswith("+00:00")

    def test_revalidates_with_etag(self, client: TestClient, editor: Key) -> None:
        create_article(client, editor)
        first = client.get("/v1/sitemaps/news.xml")
        assert first.headers["cache-control"].startswith("public, max-age=")
        again = client.get(
            "/v1/sitemaps/news.xml", headers={"If-None-Match": first.headers["etag"]}
        )
        assert again.status_code == 304


class TestVisibility:
    def test_only_published_articles_are_listed(
        self, client: TestClient, editor: Key, database: Database
    ) -> None:
        shown = create_article(client, editor, headline="خبر منشور للجميع")
        create_article(client, editor, headline="مسودة لم تكتمل", publish=False)
        scheduled = create_article(client, editor, headline="خبر مجدول للغد", publish=False)
        at = (datetime.now(UTC) + timedelta(days=1)).astimezone(RIYADH).isoformat()
        assert act(client, editor, scheduled["id"], "schedule", json={"at": at}).status_code == 200
        archived = create_article(client, editor, headline="خبر في الأرشيف")
        assert act(client, editor, archived["id"], "archive").status_code == 200
        trashed = create_article(client, editor, headline="خبر في سلة المحذوفات")
        assert trash(client, editor, trashed["id"]).status_code == 200
        withdrawn = create_article(client, editor, headline="خبر سحب بعد نشره")
        assert act(client, editor, withdrawn["id"], "unpublish").status_code == 200
        future = create_article(client, editor, headline="خبر لم يحن وقته")
        set_published_at(database, future["id"], datetime.now(UTC) + timedelta(hours=3))

        assert all_urls(client) == [shown["public_url"]]
        assert [item["loc"] for item in news_items(client)] == [shown["public_url"]]
        assert len(file_paths(client)) == 1

    def test_a_key_changes_nothing(self, client: TestClient, editor: Key) -> None:
        create_article(client, editor, headline="خبر منشور")
        create_article(client, editor, headline="مسودة", publish=False)
        for path in ("/v1/sitemap.xml", "/v1/sitemaps/articles-1.xml", "/v1/sitemaps/news.xml"):
            public = client.get(path)
            keyed = client.get(path, headers=editor)
            assert keyed.status_code == 200
            assert keyed.content == public.content
            assert keyed.headers["cache-control"] == public.headers["cache-control"]
            assert keyed.headers["cache-control"].startswith("public")

    def test_control_characters_do_not_break_the_xml(self, client: TestClient, editor: Key) -> None:
        create_article(client, editor, headline="عنوان\x0bفيه\x01محارف تحكم")
        [item] = news_items(client)
        assert item["title"] == "عنوانفيهمحارف تحكم"

"""IPTC ninjs 2.2 for partners: every item served is valid for IPTC's own schema (a copy in
tests/data), each part of an article lands where the mapping says, drafts never leak (embargoed
articles only to partners granted the embargo), and the list filters, pages and revalidates as
``GET /v1/articles`` does."""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx2
import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator, FormatChecker
from PIL import Image
from sqlalchemy import event

from app.config import Settings
from app.db import Database
from tests.assertions import Key, assert_problem
from tests.conftest import make_key
from tests.factories import (
    act,
    create_article,
    create_author,
    create_section,
    create_tag,
    jpeg_bytes,
    trash,
    upload_media,
)

DATA = Path(__file__).parents[1] / "data"
SCHEMA: dict[str, Any] = json.loads((DATA / "ninjs-schema_2.2.json").read_text(encoding="utf-8"))
TESTSERVER = "http://testserver"
SITE_URL = "https://www.khabar.example"
COPYRIGHT = "© 2026 خبر للإعلام"
USAGE_TERMS = "للشركاء المتعاقدين فقط، مع ذكر المصدر."
PRIVATE = "private, no-store"

# jsonschema checks "uri" and "date-time" only with optional packages (rfc3987,
# rfc3339-validator) that the project does not install. These are the same rules, in short:
# an absolute RFC 3986 URI (ASCII only: Arabic must be percent-encoded), an RFC 3339 time.
FORMATS = FormatChecker()
_URI = re.compile(
    r"[A-Za-z][A-Za-z0-9+.-]*:(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+"
)
_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")


@FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or _URI.fullmatch(value) is not None


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return _DATE_TIME.fullmatch(value) is not None


VALIDATOR = Draft202012Validator(SCHEMA, format_checker=FORMATS)


def assert_ninjs(item: dict[str, Any]) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(item)]
    assert not errors, "\n".join(errors)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The usual test settings, with a web site apart from the API (so the URNs name the site,
    not the API host) and the publication's own notice and terms."""
    return settings.model_copy(
        update={
            "site_url": SITE_URL,
            "site_copyright": COPYRIGHT,
            "site_usage_terms": USAGE_TERMS,
        }
    )


# Helpers ------------------------------------------------------------------------------------


def ninjs(client: TestClient, article_id: str, key: Key | None = None) -> dict[str, Any]:
    """The article's ninjs, checked against IPTC's schema."""
    response = client.get(f"/v1/articles/{article_id}/ninjs", headers=key)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    item: dict[str, Any] = response.json()
    assert_ninjs(item)
    return item


def listing(
    client: TestClient, params: dict[str, Any] | None = None, key: Key | None = None
) -> dict[str, Any]:
    """A page of ``GET /v1/ninjs``, each item checked against IPTC's schema."""
    response = client.get("/v1/ninjs", params=params, headers=key)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    for item in page["items"]:
        assert_ninjs(item)
    return page


def article_id(item: dict[str, Any]) -> str:
    return str(next(alt["value"] for alt in item["altids"] if alt["role"] == "id"))


def ids(page: dict[str, Any]) -> list[str]:
    return [article_id(item) for item in page["items"]]


def local(url: str) -> str:
    """An absolute URL of this API, as the test client asks for it."""
    assert url.startswith(f"{TESTSERVER}/"), url
    return url.removeprefix(TESTSERVER)


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def future(days: int = 3) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def done(response: httpx2.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def correct(client: TestClient, key: Key, article_id: str, note: str) -> dict[str, Any]:
    etag = client.get(f"/v1/articles/{article_id}", headers=key).headers["etag"]
    response = client.patch(
        f"/v1/articles/{article_id}", json={"correction": note}, headers={**key, "If-Match": etag}
    )
    return done(response)


BODY = [
    {
        "type": "paragraph",
        "html": "بدأت محطة <strong>الواحة</strong> الشمسية ضخ الكهرباء في الشبكة صباح الأحد.",
    },
    {"type": "heading", "level": 2, "text": "ماذا تعني المحطة للأسعار؟"},
    {"type": "paragraph", "html": "يتوقع مهندسون أن تنخفض فواتير الصيف المقبل بنحو الخمس."},
]


def rich_article(client: TestClient, editor: Key) -> dict[str, Any]:
    """A published article with everything ninjs carries: kicker, subheadline, summary, a
    section with a parent plus an extra section, tags of every type, two authors, a source, a
    hero, two images in the body (the second an archive photo) and a correction."""
    create_section(client, editor, slug="economy", names={"ar": "اقتصاد", "en": "Economy"})
    create_section(
        client, editor, slug="energy", names={"ar": "طاقة", "en": "Energy"}, parent="economy"
    )
    create_section(client, editor, slug="environment", names={"ar": "بيئة"})
    for name, slug, kind in (
        ("الطاقة الشمسية", "الطاقة-الشمسية", "topic"),  # an Arabic slug
        ("نادية الساعدي", "nadia-saadi", "person"),
        ("الشركة الوطنية للكهرباء", "national-power", "organisation"),
        ("ورزازات", "ouarzazate", "place"),
        ("منتدى المناخ الإقليمي", "climate-forum", "event"),
    ):
        create_tag(client, editor, name=name, slug=slug, type=kind)
    create_author(client, editor)  # سلمى الحداد
    create_author(client, editor, name="يوسف البنا", slug="youssef-banna")
    hero = upload_media(client, editor, caption="ألواح المحطة عند الغروب", credit="تصوير: هدى قاسم")
    first = upload_media(
        client,
        editor,
        jpeg_bytes(800, 600),
        caption="عمال يركبون الألواح",
        credit="تصوير: مازن عيسى",
        alt="عمال بخوذ صفراء فوق صف من الألواح",
    )
    second = upload_media(
        client,
        editor,
        jpeg_bytes(640, 427),
        caption="غرفة التحكم يوم التجربة الأولى",
        credit="المكتب الإعلامي للمحطة",
        archive="true",
    )
    body = [
        BODY[0],
        {"type": "image", "media": first["id"]},
        BODY[1],
        BODY[2],
        {"type": "image", "media": second["id"]},
    ]
    made = create_article(
        client,
        editor,
        headline="محطة شمسية جديدة تضيء مدن الجنوب",
        kicker="طاقة نظيفة",
        subheadline="المحطة تنتج ما يكفي ثلاثمئة ألف منزل",
        summary="دخلت أكبر محطة شمسية في البلاد الخدمة بعد عامين من البناء.",
        section="energy",
        sections=["environment"],
        tags=["الطاقة-الشمسية", "nadia-saadi", "national-power", "ouarzazate", "climate-forum"],
        authors=["youssef-banna", "salma-haddad"],
        source="وكالة الأنباء المحلية",
        hero={"media": hero["id"]},
        body=body,
        urgency=2,
    )
    return correct(client, editor, made["id"], "صُحح عدد المنازل المستفيدة من ثلاثين ألفاً.")


def bare_article(client: TestClient, editor: Key) -> dict[str, Any]:
    """A published article with a headline and nothing else."""
    return create_article(
        client, editor, headline="انقطاع مؤقت للمياه في الحي القديم", summary=None, body=[]
    )


def english_article(client: TestClient, editor: Key) -> dict[str, Any]:
    """An article in English, with a hero that has no caption, credit or alt text."""
    create_section(client, editor, slug="world", names={"ar": "العالم", "en": "World"})
    create_tag(client, editor, name="Rivers", slug="rivers", type="topic", lang="en")
    create_tag(client, editor, name="Lagos", slug="lagos", type="place", lang="en")
    create_author(client, editor, name="Maya Okafor", slug="maya-okafor", lang="en")
    create_author(client, editor, name="Tom Reed", slug="tom-reed", lang="en")
    hero = upload_media(client, editor, jpeg_bytes(640, 360))
    return create_article(
        client,
        editor,
        lang="en",
        headline="River ferries return after the floods",
        summary="Ferries run again on the lagoon, a month after the floods.",
        body=[{"type": "paragraph", "html": "The first ferry left at dawn, <em>full</em>."}],
        section="world",
        tags=["rivers", "lagos"],
        authors=["maya-okafor", "tom-reed"],
        hero={"media": hero["id"]},
    )


def in_state(client: TestClient, editor: Key, state: str) -> dict[str, Any]:
    """An article brought to ``state`` through the workflow."""
    made = create_article(
        client, editor, publish=state in ("unpublished", "archived", "trashed"), headline=state
    )
    if state == "unpublished":
        return done(act(client, editor, made["id"], "unpublish"))
    if state == "archived":
        return done(act(client, editor, made["id"], "archive"))
    if state == "trashed":
        return done(trash(client, editor, made["id"]))
    if state in ("scheduled", "embargoed"):
        at = {"at": future(), "embargo": state == "embargoed"}
        return done(act(client, editor, made["id"], "schedule", json=at))
    return made


HIDDEN = ["draft", "unpublished", "scheduled", "embargoed", "archived", "trashed"]


# The schema itself --------------------------------------------------------------------------


class TestSchema:
    def test_copy_is_the_one_the_readme_names(self) -> None:
        digest = hashlib.sha256((DATA / "ninjs-schema_2.2.json").read_bytes()).hexdigest()
        assert digest in (DATA / "README.md").read_text(encoding="utf-8")
        Draft202012Validator.check_schema(SCHEMA)

    @pytest.mark.parametrize(
        "wrong",
        [
            {"headlines": [{"value": None}]},
            {"authors": [{"name": "سلمى الحداد"}]},  # not a ninjs 2.2 property
            {"uri": "urn:khabar:موقع:article:1"},  # a URI is ASCII
            {"versioncreated": "2026-05-01 10:00"},
            {"associations": [{"name": "hero"}]},  # without its uri
            {"pubstatus": "embargoed"},
        ],
    )
    def test_validator_refuses_what_is_not_ninjs(self, wrong: dict[str, Any]) -> None:
        """The checks above are not vacuous."""
        item = {"uri": "urn:khabar:www.khabar.example:article:1", **wrong}
        assert list(VALIDATOR.iter_errors(item))


# GET /v1/articles/{id}/ninjs ----------------------------------------------------------------


class TestGetNinjs:
    def test_rich_article_is_a_ninjs_text_item(self, client: TestClient, editor: Key) -> None:
        article = rich_article(client, editor)
        item = ninjs(client, article["id"])
        assert item["uri"] == f"urn:khabar:www.khabar.example:article:{article['id']}"
        assert item["standard"] == {
            "name": "ninjs",
            "version": "2.2",
            "schema": "http://www.iptc.org/std/ninjs/ninjs-schema_2.2.json",
        }
        assert (item["type"], item["representationtype"]) == ("text", "full")
        assert item["version"] == str(article["version"])
        assert (item["pubstatus"], item["urgency"], item["language"]) == ("usable", 2, "ar")
        assert "embargoed" not in item
        assert when(item["firstcreated"]) == when(article["first_published_at"])
        assert when(item["versioncreated"]) == when(article["updated_at"])
        assert when(item["contentcreated"]) == when(article["created_at"])
        assert item["slugline"] == article["slug"]
        assert item["altids"] == [
            {"role": "id", "value": article["id"]},
            {"role": "url", "value": article["public_url"]},
        ]
        assert article["public_url"].startswith(f"{SITE_URL}/energy/")

    def test_headlines_descriptions_and_bodies(self, client: TestClient, editor: Key) -> None:
        article = rich_article(client, editor)
        item = ninjs(client, article["id"])
        assert item["headlines"] == [
            {"role": "main", "value": "محطة شمسية جديدة تضيء مدن الجنوب"},
            {"role": "sub", "value": "المحطة تنتج ما يكفي ثلاثمئة ألف منزل"},
            {"role": "kicker", "value": "طاقة نظيفة"},
        ]
        assert item["descriptions"] == [
            {
                "role": "summary",
                "contenttype": "text/plain",
                "value": "دخلت أكبر محطة شمسية في البلاد الخدمة بعد عامين من البناء.",
            },
            {
                "role": "correction",
                "contenttype": "text/plain",
                "value": "صُحح عدد المنازل المستفيدة من ثلاثين ألفاً.",
            },
        ]
        rich, plain = item["bodies"]
        assert (rich["contenttype"], plain["contenttype"]) == ("text/html", "text/plain")
        assert rich["value"] == article["body_html"]
        assert "بدأت محطة <strong>الواحة</strong> الشمسية" in rich["value"]
        assert rich["value"].count("<figure") == 2
        assert plain["value"].splitlines() == [
            "بدأت محطة الواحة الشمسية ضخ الكهرباء في الشبكة صباح الأحد.",
            "ماذا تعني المحطة للأسعار؟",
            "يتوقع مهندسون أن تنخفض فواتير الصيف المقبل بنحو الخمس.",
        ]
        for body in (rich, plain):
            assert body["wordcount"] == article["word_count"] > 0
            assert body["charcount"] == len(plain["value"])

    def test_tags_and_sections_by_kind(self, client: TestClient, editor: Key) -> None:
        article = rich_article(client, editor)
        item = ninjs(client, article["id"])
        api = TESTSERVER
        assert item["subjects"] == [
            {
                "name": "طاقة",
                "rel": "section",
                "uri": f"{api}/v1/sections/energy",
                "literal": "energy",
            },
            {
                "name": "بيئة",
                "rel": "section",
                "uri": f"{api}/v1/sections/environment",
                "literal": "environment",
            },
            {
                "name": "الطاقة الشمسية",
                "uri": f"{api}/v1/tags/{quote('الطاقة-الشمسية')}",
                "literal": "الطاقة-الشمسية",
            },
        ]
        expected = {
            "people": ("نادية الساعدي", "nadia-saadi"),
            "organisations": ("الشركة الوطنية للكهرباء", "national-power"),
            "places": ("ورزازات", "ouarzazate"),
            "events": ("منتدى المناخ الإقليمي", "climate-forum"),
        }
        for field, (name, slug) in expected.items():
            assert item[field] == [{"name": name, "uri": f"{api}/v1/tags/{slug}", "literal": slug}]
        for concept in [*item["subjects"], *(item[field][0] for field in expected)]:
            # Every URI is the thing's own API resource.
            assert done(client.get(local(concept["uri"])))["slug"] == concept["literal"]

    def test_byline_in_order(self, client: TestClient, editor: Key) -> None:
        article = rich_article(client, editor)
        item = ninjs(client, article["id"])
        assert item["by"] == "يوسف البنا، سلمى الحداد"
        assert item["infosources"] == [
            {
                "name": "يوسف البنا",
                "role": "author",
                "uri": f"{TESTSERVER}/v1/authors/youssef-banna",
                "literal": "youssef-banna",
            },
            {
                "name": "سلمى الحداد",
                "role": "author",
                "uri": f"{TESTSERVER}/v1/authors/salma-haddad",
                "literal": "salma-haddad",
            },
            {"name": "وكالة الأنباء المحلية", "role": "source"},
        ]
        for source in item["infosources"][:2]:
            assert done(client.get(local(source["uri"])))["name"] == source["name"]

    def test_images_are_picture_associations(self, client: TestClient, editor: Key) -> None:
        article = rich_article(client, editor)
        item = ninjs(client, article["id"])
        hero, first, second = item["associations"]
        inline = [block["image"] for block in article["body"] if block["type"] == "image"]
        assert [(p["name"], p["uri"]) for p in item["associations"]] == [
            (name, f"urn:khabar:www.khabar.example:media:{image['id']}")
            for name, image in zip(
                ["hero", "image-1", "image-2"], [article["hero"], *inline], strict=True
            )
        ]
        for picture in (hero, first, second):
            assert (picture["type"], picture["representationtype"]) == ("picture", "partial")
            assert picture["language"] == "ar"
        assert hero["by"] == "تصوير: هدى قاسم"
        assert hero["descriptions"] == [{"role": "caption", "value": "ألواح المحطة عند الغروب"}]
        assert first["descriptions"] == [
            {"role": "caption", "value": "عمال يركبون الألواح"},
            {"role": "alt", "value": "عمال بخوذ صفراء فوق صف من الألواح"},
        ]
        assert second["by"] == "المكتب الإعلامي للمحطة"
        assert second["genres"] == [{"literal": "archive"}]
        assert "genres" not in hero and "genres" not in first
        # The renditions are the ones the body's <figure> offers.
        for picture in (first, second):
            for rendition in picture["renditions"]:
                assert html.escape(rendition["href"]) in item["bodies"][0]["value"]

    def test_renditions_load_at_the_size_they_say(self, client: TestClient, editor: Key) -> None:
        article = rich_article(client, editor)
        item = ninjs(client, article["id"])
        sizes = {"hero": (1600, 900), "image-1": (800, 600), "image-2": (640, 427)}
        for picture in item["associations"]:
            renditions = picture["renditions"]
            original = sizes[picture["name"]]
            assert renditions[0]["contenttype"] == "image/jpeg"  # the src, first
            assert {r["contenttype"] for r in renditions[1:]} == {"image/webp"}
            assert len({r["name"] for r in renditions}) == len(renditions)
            assert max(r["width"] for r in renditions) == original[0]
            for rendition in renditions:
                response = client.get(local(rendition["href"]))
                assert response.status_code == 200, rendition
                assert response.headers["content-type"] == rendition["contenttype"]
                with Image.open(io.BytesIO(response.content)) as image:
                    assert image.size == (rendition["width"], rendition["height"])
                assert rendition["height"] == round(rendition["width"] * original[1] / original[0])

    def test_rights_are_the_publications(self, client: TestClient, editor: Key) -> None:
        article = create_article(client, editor)
        item = ninjs(client, article["id"])
        site = done(client.get("/v1/site"))
        assert item["copyrightholder"] == site["name"]["ar"] == "خبر"
        assert item["copyrightnotice"] == site["copyright"] == COPYRIGHT
        assert item["usageterms"] == site["usage_terms"] == USAGE_TERMS

    def test_without_terms_there_are_none(
        self, client: TestClient, editor: Key, settings: Settings
    ) -> None:
        bare = settings.model_copy(update={"site_copyright": None, "site_usage_terms": None})
        client.app.state.settings = bare  # type: ignore[attr-defined]  # read per request
        item = ninjs(client, create_article(client, editor)["id"])
        assert "usageterms" not in item
        notice = done(client.get("/v1/site"))["copyright"]  # the default: © <year> <name>
        assert item["copyrightnotice"] == notice
        assert notice.startswith("© ") and notice.endswith(" خبر")

    def test_bare_article_leaves_out_what_it_lacks(self, client: TestClient, editor: Key) -> None:
        article = bare_article(client, editor)
        item = ninjs(client, article["id"])
        assert item["headlines"] == [{"role": "main", "value": "انقطاع مؤقت للمياه في الحي القديم"}]
        absent = {
            "descriptions",
            "bodies",
            "by",
            "infosources",
            "subjects",
            "people",
            "organisations",
            "places",
            "events",
            "associations",
            "embargoed",
        }
        assert absent.isdisjoint(item)
        assert None not in item.values()

    def test_english_article(self, client: TestClient, editor: Key) -> None:
        article = english_article(client, editor)
        item = ninjs(client, article["id"])
        assert item["language"] == "en"
        assert item["headlines"][0]["value"] == "River ferries return after the floods"
        assert item["by"] == "Maya Okafor, Tom Reed"
        assert item["copyrightholder"] == "Khabar"
        assert [s["name"] for s in item["subjects"]] == ["World", "Rivers"]
        assert [p["name"] for p in item["places"]] == ["Lagos"]
        assert "The first ferry left at dawn, <em>full</em>." in item["bodies"][0]["value"]
        [hero] = item["associations"]
        assert hero["language"] == "en"
        assert {"by", "descriptions", "genres"}.isdisjoint(hero)

    @pytest.mark.parametrize("state", HIDDEN)
    def test_unpublished_is_not_found(
        self, client: TestClient, editor: Key, database: Database, state: str
    ) -> None:
        article = in_state(client, editor, state)
        for key in ({}, make_key(database, "partner")):
            assert_problem(client.get(f"/v1/articles/{article['id']}/ninjs", headers=key), 404)

    def test_unknown_article_is_not_found(self, client: TestClient) -> None:
        problem = assert_problem(client.get("/v1/articles/nosucharticle000/ninjs"), 404)
        assert "nosucharticle000" in problem["detail"]

    def test_revalidates_with_its_etag(self, client: TestClient, editor: Key) -> None:
        article = create_article(client, editor)
        url = f"/v1/articles/{article['id']}/ninjs"
        first = client.get(url)
        assert first.headers["cache-control"].startswith("public, max-age=")
        assert first.headers["etag"].startswith(f'"v{article["version"]}-')
        assert first.headers["last-modified"]
        again = client.get(url, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        assert again.content == b""
        edited = correct(client, editor, article["id"], "صُحح اسم الحي.")
        changed = client.get(url, headers={"If-None-Match": first.headers["etag"]})
        assert changed.status_code == 200
        assert changed.json()["version"] == str(edited["version"])

    def test_reads_with_a_key_are_private(
        self, client: TestClient, editor: Key, partner: Key
    ) -> None:
        article = create_article(client, editor)
        response = client.get(f"/v1/articles/{article['id']}/ninjs", headers=partner)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == PRIVATE
        assert response.headers["vary"] == "Authorization"

    def test_embargo_partner_reads_an_embargoed_article(
        self, client: TestClient, editor: Key, embargo_partner: Key, database: Database
    ) -> None:
        hero = upload_media(client, editor, caption="قاعة المؤتمر قبل الإعلان")
        made = create_article(
            client, editor, publish=False, headline="نتائج المسح الوطني", hero={"media": hero["id"]}
        )
        at = {"at": future(), "embargo": True}
        article = done(act(client, editor, made["id"], "schedule", json=at))
        response = client.get(f"/v1/articles/{article['id']}/ninjs", headers=embargo_partner)
        assert response.headers["cache-control"] == PRIVATE
        item = ninjs(client, article["id"], embargo_partner)
        assert item["pubstatus"] == "withheld"
        assert when(item["embargoed"]) == when(article["scheduled_at"])
        assert when(item["firstcreated"]) == when(article["created_at"])  # never published
        for rendition in item["associations"][0]["renditions"]:
            href = local(rendition["href"])
            assert client.get(href, headers=embargo_partner).status_code == 200
            assert_problem(client.get(href), 404)
        for key in ({}, make_key(database, "partner")):
            assert_problem(client.get(f"/v1/articles/{article['id']}/ninjs", headers=key), 404)

    def test_embargo_partner_sees_nothing_else_unpublished(
        self, client: TestClient, editor: Key, embargo_partner: Key
    ) -> None:
        for state in ("draft", "scheduled", "archived", "trashed"):
            article = in_state(client, editor, state)
            response = client.get(f"/v1/articles/{article['id']}/ninjs", headers=embargo_partner)
            assert_problem(response, 404)

    @pytest.mark.parametrize(
        ("state", "status"),
        [("draft", "withheld"), ("archived", "withheld"), ("trashed", "canceled")],
    )
    def test_newsroom_reads_unpublished_articles(
        self, client: TestClient, editor: Key, state: str, status: str
    ) -> None:
        article = in_state(client, editor, state)
        item = ninjs(client, article["id"], editor)
        assert item["pubstatus"] == status
        assert "embargoed" not in item


# GET /v1/ninjs ------------------------------------------------------------------------------


class TestListNinjs:
    def test_items_are_the_articles_ninjs(self, client: TestClient, editor: Key) -> None:
        made = [rich_article(client, editor), bare_article(client, editor)]
        made.append(english_article(client, editor))
        page = listing(client)
        assert ids(page) == [a["id"] for a in reversed(made)]  # newest first
        for item in page["items"]:
            assert item == ninjs(client, article_id(item))
        assert page["next_cursor"] is None
        assert page["links"] == {"self": f"{TESTSERVER}/v1/ninjs", "next": None}

    def test_filters_as_the_article_list_does(self, client: TestClient, editor: Key) -> None:
        rich = rich_article(client, editor)["id"]
        bare = bare_article(client, editor)["id"]
        english = english_article(client, editor)["id"]
        past, later = "2001-01-01T00:00:00Z", future()
        cases: list[tuple[dict[str, str], list[str]]] = [
            ({"section": "economy"}, [rich]),  # the parent of the article's section
            ({"section": "environment"}, [rich]),
            ({"tag": "ouarzazate"}, [rich]),
            ({"author": "tom-reed"}, [english]),
            ({"lang": "en"}, [english]),
            ({"lang": "ar"}, [bare, rich]),
            ({"since": later}, []),
            ({"until": past}, []),
            ({"since": past, "until": later}, [english, bare, rich]),
        ]
        for params, expected in cases:
            assert ids(listing(client, params)) == expected, params
            articles = done(client.get("/v1/articles", params=params))["items"]
            assert [a["id"] for a in articles] == expected, params

    def test_unknown_filter_is_not_found(self, client: TestClient) -> None:
        assert_problem(client.get("/v1/ninjs", params={"section": "no-such-section"}), 404)
        assert_problem(client.get("/v1/ninjs", params={"tag": "no-such-tag"}), 404)

    def test_cursor_pages_are_stable(self, client: TestClient, editor: Key) -> None:
        made = [create_article(client, editor, headline=f"خبر رقم {n}")["id"] for n in range(5)]
        response = client.get("/v1/ninjs", params={"limit": 2})
        seen: list[str] = []
        while True:
            assert response.status_code == 200, response.text
            page = response.json()
            for item in page["items"]:
                assert_ninjs(item)
            seen.extend(ids(page))
            if page["links"]["next"] is None:
                assert page["next_cursor"] is None
                assert "link" not in response.headers
                break
            assert f"cursor={page['next_cursor']}" in page["links"]["next"]
            assert response.headers["link"] == f'<{page["links"]["next"]}>; rel="next"'
            if len(seen) == 2:  # news breaks while a partner pages through
                create_article(client, editor, headline="خبر عاجل وسط التصفح")
            response = client.get(local(page["links"]["next"]))
        assert seen == list(reversed(made))

    def test_a_page_costs_the_same_queries_whatever_its_size(
        self, client: TestClient, editor: Key, database: Database
    ) -> None:
        """No statement per article: a page of five runs as many as a page of one."""
        create_section(client, editor, slug="sport", names={"ar": "رياضة"})
        create_tag(client, editor, name="كرة القدم", slug="football", type="topic")
        create_author(client, editor)
        for n in range(5):
            photo = upload_media(client, editor, jpeg_bytes(320, 180))["id"]
            create_article(
                client,
                editor,
                headline=f"مباراة الأسبوع رقم {n}",
                section="sport",
                tags=["football"],
                authors=["salma-haddad"],
                hero={"media": photo},
                body=[BODY[0], {"type": "image", "media": photo}],
            )
        statements: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(statement)

        counts: dict[int, int] = {}
        event.listen(database.engine, "before_cursor_execute", record)
        try:
            for limit in (1, 5):
                statements.clear()
                assert len(listing(client, {"limit": limit})["items"]) == limit
                counts[limit] = len(statements)
        finally:
            event.remove(database.engine, "before_cursor_execute", record)
        assert 0 < counts[1] == counts[5]

    def test_bad_cursor_is_a_problem(self, client: TestClient) -> None:
        assert_problem(client.get("/v1/ninjs", params={"cursor": "not-a-cursor"}), 400)

    def test_lists_published_articles_only(
        self, client: TestClient, editor: Key, embargo_partner: Key
    ) -> None:
        hidden = {in_state(client, editor, state)["id"] for state in HIDDEN}
        published = create_article(client, editor)["id"]
        for key in (None, embargo_partner, editor):
            assert ids(listing(client, {"limit": 100}, key)) == [published]
        assert hidden.isdisjoint(ids(listing(client, {"limit": 100}, editor)))

    def test_revalidates_with_its_etag(self, client: TestClient, editor: Key, partner: Key) -> None:
        create_article(client, editor)
        first = client.get("/v1/ninjs")
        assert first.headers["cache-control"].startswith("public, max-age=")
        again = client.get("/v1/ninjs", headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        create_article(client, editor, headline="خبر أحدث")
        assert (
            client.get("/v1/ninjs", headers={"If-None-Match": first.headers["etag"]}).status_code
            == 200
        )
        private = client.get("/v1/ninjs", headers=partner)
        assert private.status_code == 200
        assert private.headers["cache-control"] == PRIVATE

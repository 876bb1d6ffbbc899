"""Images in articles and bylines: the hero, image blocks in the body (as blocks and as HTML),
author avatars, and which media the public may see because of them (drafts never leak)."""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
from fastapi.testclient import TestClient
from PIL import Image

from tests.assertions import Key, assert_problem
from tests.factories import (
    act,
    create_article,
    create_author,
    create_section,
    jpeg_bytes,
    upload_media,
)

# Shaped like a media id (16 characters of Crockford base32), so HTML input keeps it too.
UNKNOWN = "zzzzzzzzzzzzzzzz"
SRCSET_ENTRY = re.compile(r"^(http://testserver/\S+) (\d+)w$")
PARAGRAPH = {"type": "paragraph", "html": "افتتحت البلدية جسر الميناء صباح اليوم."}


def photo(client: TestClient, key: Key, **fields: str) -> dict[str, Any]:
    """A new 800×450 JPEG in the library (small, so renditions are quick)."""
    return upload_media(client, key, jpeg_bytes(800, 450), **fields)


def image_block(media: dict[str, Any], **texts: str | None) -> dict[str, Any]:
    return {"type": "image", "media": media["id"], **texts}


def create_from_html(client: TestClient, key: Key, html: str) -> dict[str, Any]:
    """A published article whose body is given as HTML (the factory sends blocks)."""
    return create_article(client, key, body=None, body_html=html)


def read(client: TestClient, article_id: str, key: Key | None = None) -> httpx2.Response:
    response = client.get(f"/v1/articles/{article_id}", headers=key)
    assert response.status_code == 200, response.text
    return response


def patch(client: TestClient, key: Key, article: dict[str, Any], **changes: Any) -> httpx2.Response:
    headers = {**key, "If-Match": str(article["version"])}
    return client.patch(f"/v1/articles/{article['id']}", json=changes, headers=headers)


def without_images(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Blocks as they were sent: without the read-only ``image`` that responses add."""
    return [{k: v for k, v in block.items() if k != "image"} for block in blocks]


def srcset_widths(srcset: str) -> dict[int, str]:
    entries = {}
    for entry in srcset.split(", "):
        match = SRCSET_ENTRY.match(entry)
        assert match, entry
        entries[int(match[2])] = match[1]
    return entries


def decoded(response: httpx2.Response) -> Image.Image:
    assert response.status_code == 200, response.text
    return Image.open(io.BytesIO(response.content))


def media_ids(response: httpx2.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def assert_public(client: TestClient, media_id: str) -> None:
    assert client.get(f"/v1/media/{media_id}").status_code == 200
    assert client.get(f"/v1/media/{media_id}/image", params={"w": 160}).status_code == 200
    assert media_id in media_ids(client.get("/v1/media"))


def assert_hidden(client: TestClient, media_id: str) -> None:
    assert_problem(client.get(f"/v1/media/{media_id}"), 404)
    assert_problem(client.get(f"/v1/media/{media_id}/image", params={"w": 160}), 404)
    assert media_id not in media_ids(client.get("/v1/media"))


class TestArticleHero:
    def test_is_ready_to_render(self, client: TestClient, editor: Key) -> None:
        media = photo(client, editor, caption="الجسر عند الغروب", credit="تصوير: سلمى", alt="جسر")
        made = create_article(client, editor, hero={"media": media["id"]})
        hero = read(client, made["id"]).json()["hero"]
        assert hero["id"] == media["id"]
        assert (hero["width"], hero["height"]) == (800, 450)
        assert (hero["lang"], hero["dir"]) == ("ar", "rtl")
        assert hero["placeholder"].startswith("data:image/")
        assert re.fullmatch(r"#[0-9a-f]{6}", hero["color"])
        assert (hero["alt"], hero["caption"], hero["credit"]) == (
            "جسر",
            "الجسر عند الغروب",
            "تصوير: سلمى",
        )
        assert hero["archive"] is False
        assert hero["sizes"]
        assert hero["url"] == f"http://testserver/v1/media/{media['id']}"

    def test_src_is_an_absolute_jpeg_url(self, client: TestClient, editor: Key) -> None:
        media = photo(client, editor)
        made = create_article(client, editor, hero={"media": media["id"]})
        src = read(client, made["id"]).json()["hero"]["src"]
        parts = urlsplit(src)
        assert (parts.scheme, parts.netloc) == ("http", "testserver")
        assert parts.path == f"/v1/media/{media['id']}/image"
        query = parse_qs(parts.query)
        assert query["fmt"] == ["jpeg"]
        assert int(query["w"][0]) <= 1200
        image = decoded(client.get(src))
        assert (image.format, image.width) == ("JPEG", 800)

    def test_srcset_urls_serve_their_widths(self, client: TestClient, editor: Key) -> None:
        media = photo(client, editor)
        made = create_article(client, editor, hero={"media": media["id"]})
        widths = srcset_widths(read(client, made["id"]).json()["hero"]["srcset"])
        assert 800 in widths
        assert max(widths) == 800
        for width in (320, 640):
            image = decoded(client.get(widths[width]))
            assert (image.format, image.width) == ("WEBP", width)

    def test_own_caption_and_credit_win(self, client: TestClient, editor: Key) -> None:
        media = photo(client, editor, caption="تعليق المكتبة", credit="تصوير المكتبة")
        hero = {"media": media["id"], "caption": "تعليق المقال", "credit": "تصوير المقال"}
        made = create_article(client, editor, hero=hero)
        shown = read(client, made["id"]).json()["hero"]
        assert (shown["caption"], shown["credit"]) == ("تعليق المقال", "تصوير المقال")

    def test_english_article_uses_the_english_caption(
        self, client: TestClient, editor: Key
    ) -> None:
        media = photo(client, editor, caption="الجسر عند الغروب")
        response = client.patch(
            f"/v1/media/{media['id']}",
            json={"caption": {"en": "The bridge at dusk"}},
            headers=editor,
        )
        assert response.status_code == 200, response.text
        made = create_article(
            client, editor, lang="en", headline="Harbour bridge opens", hero={"media": media["id"]}
        )
        hero = read(client, made["id"]).json()["hero"]
        assert (hero["lang"], hero["dir"], hero["caption"]) == ("en", "ltr", "The bridge at dusk")

    def test_english_article_falls_back_to_arabic(self, client: TestClient, editor: Key) -> None:
        media = photo(client, editor, caption="الجسر عند الغروب")
        made = create_article(
            client, editor, lang="en", headline="Harbour bridge opens", hero={"media": media["id"]}
        )
        assert read(client, made["id"]).json()["hero"]["caption"] == "الجسر عند الغروب"

    def test_patch_to_another_media(self, client: TestClient, editor: Key) -> None:
        first, second = photo(client, editor), photo(client, editor)
        made = create_article(client, editor, hero={"media": first["id"]})
        response = patch(client, editor, made, hero={"media": second["id"]})
        assert response.status_code == 200, response.text
        assert response.json()["hero"]["id"] == second["id"]
        assert read(client, made["id"]).json()["hero"]["id"] == second["id"]

    def test_patch_to_null_removes_it(self, client: TestClient, editor: Key) -> None:
        media = photo(client, editor)
        made = create_article(client, editor, hero={"media": media["id"]})
        response = patch(client, editor, made, hero=None)
        assert response.status_code == 200, response.text
        assert response.json()["hero"] is None
        assert read(client, made["id"]).json()["hero"] is None

    def test_unknown_media_is_422(self, client: TestClient, editor: Key) -> None:
        problem = assert_problem(
            client.post(
                "/v1/articles",
                json={"headline": "خبر", "hero": {"media": UNKNOWN}},
                headers=editor,
            ),
            422,
        )
        assert [e["loc"] for e in problem["errors"]] == [["body", "hero", "media"]]

    def test_unknown_media_in_a_patch_changes_nothing(
        self, client: TestClient, editor: Key
    ) -> None:
        media = photo(client, editor)
        made = create_article(client, editor, hero={"media": media["id"]})
        response = patch(client, editor, made, headline="عنوان آخر", hero={"media": UNKNOWN})
        problem = assert_problem(response, 422)
        assert [e["loc"] for e in problem["errors"]] == [["body", "hero", "media"]]
        after = read(client, made["id"]).json()
        assert after["version"] == made["version"]
        assert after["headline"] == made["headline"]
        assert after["hero"]["id"] == media["id"]

    def test_shown_in_list_cards(self, client: TestClient, editor: Key) -> None:
        media = photo(client, editor, caption="الجسر عند الغروب")
        made = create_article(client, editor, hero={"media": media["id"]})
        plain = create_article(client, editor, headline="خبر بلا صورة")
        cards = {card["id"]: card for card in client.get("/v1/articles").json()["items"]}
        assert cards[made["id"]]["hero"]["id"] == media["id"]
        assert cards[made["id"]]["hero"]["caption"] == "الجسر عند الغروب"
        assert cards[made["id"]]["hero"]["srcset"]
        assert cards[plain["id"]]["hero"] is None

    def test_shown_on_section_fronts(self, client: TestClient, editor: Key) -> None:
        create_section(client, editor)
        media = photo(client, editor)
        made = create_article(client, editor, section="local", hero={"media": media["id"]})
        response = client.get("/v1/sections/local")
        assert response.status_code == 200, response.text
        [card] = response.json()["front"]["latest"]
        assert card["id"] == made["id"]
        assert card["hero"]["id"] == media["id"]

    def test_archive_photo_says_so(self, client: TestClient, editor: Key) -> None:
        media = photo(client, editor, archive="true")
        made = create_article(client, editor, hero={"media": media["id"]})
        assert read(client, made["id"]).json()["hero"]["archive"] is True


class TestBodyImages:
    def test_block_keeps_what_was_sent(self, client: TestClient, editor: Key) -> None:
        media = photo(client, editor, caption="تعليق المكتبة")
        block = image_block(media, caption="تعليق المقال", credit="تصوير: عمر", alt="الجسر")
        made = create_article(client, editor, body=[PARAGRAPH, block])
        body = read(client, made["id"]).json()["body"]
        assert without_images(body) == [PARAGRAPH, block]
        image = body[1]["image"]
        assert image["id"] == media["id"]
        assert (image["width"], image["height"]) == (800, 450)
        assert (image["caption"], image["credit"], image["alt"]) == (
            "تعليق المقال",
            "تصوير: عمر",
            "الجسر",
        )
        assert 800 in srcset_widths(image["srcset"])

    def test_block_without_texts_shows_the_media_texts(
        self, client: TestClient, editor: Key
    ) -> None:
        media = photo(client, editor, caption="تعليق المكتبة", credit="تصوير المكتبة", alt="جسر")
        made = create_article(client, editor, body=[image_block(media)])
        [block] = read(client, made["id"]).json()["body"]
        assert (block["caption"], block["credit"], block["alt"]) == (None, None, None)
        image = block["image"]
        assert (image["caption"], image["credit"], image["alt"]) == (
            "تعليق المكتبة",
            "تصوير المكتبة",
            "جسر",
        )

    def test_body_html_draws_a_figure(self, client: TestClient, editor: Key) -> None:
        media = photo(client, editor, caption="الجسر عند الغروب", credit="تصوير: سلمى")
        made = create_article(client, editor, body=[PARAGRAPH, image_block(media)])
        html = read(client, made["id"]).json()["body_html"]
        assert '<figure class="image">' in html
        [img] = re.findall(r"<img [^>]*>", html)
        assert f"/v1/media/{media['id']}/image?" in img
        assert 'srcset="' in img
        assert 'sizes="' in img
        assert 'width="800"' in img
        assert 'height="450"' in img
        assert (
            '<figcaption>الجسر عند الغروب <small class="credit">تصوير: سلمى</small></figcaption>'
            in html
        )
        assert 'class="archive"' not in html

    def test_archive_photo_is_labelled(self, client: TestClient, editor: Key) -> None:
        media = photo(client, editor, caption="الجسر قبل الترميم", archive="true")
        made = create_article(client, editor, body=[image_block(media)])
        article = read(client, made["id"]).json()
        assert article["body"][0]["image"]["archive"] is True
        assert '<small class="archive">أرشيفية</small>' in article["body_html"]

    def test_block_caption_wins(self, client: TestClient, editor: Key) -> None:
        media = photo(client, editor, caption="تعليق المكتبة")
        made = create_article(client, editor, body=[image_block(media, caption="تعليق المقال")])
        article = read(client, made["id"]).json()
        assert article["body"][0]["image"]["caption"] == "تعليق المقال"
        assert "<figcaption>تعليق المقال</figcaption>" in article["body_html"]
        assert "تعليق المكتبة" not in article["body_html"]

    def test_same_photo_twice_keeps_each_caption(self, client: TestClient, editor: Key) -> None:
        media = photo(client, editor)
        body = [
            image_block(media, caption="الجسر صباحا"),
            PARAGRAPH,
            image_block(media, caption="الجسر مساء"),
        ]
        made = create_article(client, editor, body=body)
        article = read(client, made["id"]).json()
        assert [b["image"]["caption"] for b in article["body"] if b["type"] == "image"] == [
            "الجسر صباحا",
            "الجسر مساء",
        ]
        assert re.findall(r"<figcaption>([^<]*)</figcaption>", article["body_html"]) == [
            "الجسر صباحا",
            "الجسر مساء",
        ]

    def test_body_read_can_be_sent_back(self, client: TestClient, editor: Key) -> None:
        media = photo(client, editor, caption="الجسر عند الغروب", archive="true")
        body = [PARAGRAPH, image_block(media, credit="تصوير: عمر"), image_block(media)]
        made = create_article(client, editor, body=body)
        first = read(client, made["id"], editor)
        article = first.json()
        response = client.patch(
            f"/v1/articles/{made['id']}",
            json={"body": article["body"]},
            headers={**editor, "If-Match": first.headers["etag"]},
        )
        assert response.status_code == 200, response.text
        assert response.json()["body"] == article["body"]
        assert response.json()["body_html"] == article["body_html"]

    def test_unknown_media_is_422(self, client: TestClient, editor: Key) -> None:
        media = photo(client, editor)
        body = [PARAGRAPH, image_block(media), {"type": "image", "media": UNKNOWN}]
        problem = assert_problem(
            client.post("/v1/articles", json={"headline": "خبر", "body": body}, headers=editor),
            422,
        )
        assert [e["loc"] for e in problem["errors"]] == [["body", "body", 2, "media"]]

    def test_unknown_media_loc_counts_the_blocks_sent(
        self, client: TestClient, editor: Key
    ) -> None:
        # The empty paragraph is dropped on save; the error must still point at the block sent.
        body = [{"type": "paragraph", "html": " "}, {"type": "image", "media": UNKNOWN}]
        problem = assert_problem(
            client.post("/v1/articles", json={"headline": "خبر", "body": body}, headers=editor),
            422,
        )
        assert [e["loc"] for e in problem["errors"]] == [["body", "body", 1, "media"]]

    def test_unknown_media_in_a_patch_changes_nothing(
        self, client: TestClient, editor: Key
    ) -> None:
        made = create_article(client, editor)
        body = [PARAGRAPH, {"type": "image", "media": UNKNOWN}]
        problem = assert_problem(patch(client, editor, made, body=body), 422)
        assert [e["loc"] for e in problem["errors"]] == [["body", "body", 1, "media"]]
        after = read(client, made["id"]).json()
        assert (after["version"], after["body"]) == (made["version"], made["body"])

    def test_pasted_figure_becomes_an_image_block(self, client: TestClient, editor: Key) -> None:
        media = photo(client, editor)
        html = (
            "<p>افتتحت البلدية الجسر.</p>"
            f'<figure><img src="http://testserver/v1/media/{media["id"]}/image?w=800">'
            '<figcaption>نص <span class="credit">تصوير</span></figcaption></figure>'
        )
        made = create_from_html(client, editor, html)
        body = read(client, made["id"]).json()["body"]
        assert without_images(body) == [
            {"type": "paragraph", "html": "افتتحت البلدية الجسر."},
            {
                "type": "image",
                "media": media["id"],
                "caption": "نص",
                "credit": "تصوير",
                "alt": None,
            },
        ]
        assert body[1]["image"]["id"] == media["id"]

    def test_img_with_data_media_becomes_an_image_block(
        self, client: TestClient, editor: Key
    ) -> None:
        media = photo(client, editor)
        made = create_from_html(client, editor, f'<img data-media="{media["id"]}">')
        assert without_images(read(client, made["id"]).json()["body"]) == [
            {"type": "image", "media": media["id"], "caption": None, "credit": None, "alt": None}
        ]

    def test_foreign_img_is_dropped(self, client: TestClient, editor: Key) -> None:
        html = '<p>قبل</p><img src="https://elsewhere.example/x.jpg"><p>بعد</p>'
        made = create_from_html(client, editor, html)
        article = read(client, made["id"]).json()
        assert [block["type"] for block in article["body"]] == ["paragraph", "paragraph"]
        assert "<img" not in article["body_html"]
        assert "elsewhere.example" not in article["body_html"]

    def test_unknown_media_in_body_html_is_422(self, client: TestClient, editor: Key) -> None:
        html = f'<p>خبر</p><img data-media="{UNKNOWN}">'
        problem = assert_problem(
            client.post(
                "/v1/articles", json={"headline": "خبر", "body_html": html}, headers=editor
            ),
            422,
        )
        assert [e["loc"] for e in problem["errors"]] == [["body", "body_html"]]

    def test_media_caption_change_shows_on_next_read(self, client: TestClient, editor: Key) -> None:
        media = photo(client, editor, caption="تعليق أول")
        made = create_article(client, editor, body=[PARAGRAPH, image_block(media)])
        before = read(client, made["id"])
        response = client.patch(
            f"/v1/media/{media['id']}", json={"caption": {"ar": "تعليق ثان"}}, headers=editor
        )
        assert response.status_code == 200, response.text
        after = read(client, made["id"])
        assert after.json()["body"][1]["image"]["caption"] == "تعليق ثان"
        assert "<figcaption>تعليق ثان</figcaption>" in after.json()["body_html"]
        assert "تعليق أول" not in after.json()["body_html"]
        assert after.headers["etag"] != before.headers["etag"]
        stale = client.get(
            f"/v1/articles/{made['id']}", headers={"If-None-Match": before.headers["etag"]}
        )
        assert stale.status_code == 200

    def test_body_html_sent_back_keeps_following_the_media(
        self, client: TestClient, editor: Key
    ) -> None:
        """The figures of body_html carry the item's own caption and alt; sending that HTML
        back must not freeze them as the article's overrides."""
        media = photo(client, editor, caption="تعليق أول", alt="جسر", credit="تصوير: رنا")
        made = create_article(client, editor, body=[PARAGRAPH, image_block(media)])
        sent_back = patch(
            client, editor, made, body_html=read(client, made["id"]).json()["body_html"]
        )
        assert sent_back.status_code == 200, sent_back.text
        block = sent_back.json()["body"][1]
        assert (block["caption"], block["credit"], block["alt"]) == (None, None, None)
        client.patch(
            f"/v1/media/{media['id']}", json={"caption": {"ar": "تعليق ثان"}}, headers=editor
        )
        assert read(client, made["id"]).json()["body"][1]["image"]["caption"] == "تعليق ثان"

    def test_deleted_media_leaves_the_draft(self, client: TestClient, editor: Key) -> None:
        media = photo(client, editor, caption="صورة ستحذف")
        kept = photo(client, editor)
        body = [PARAGRAPH, image_block(media), image_block(kept)]
        made = create_article(client, editor, publish=False, body=body, hero={"media": media["id"]})
        response = client.delete(f"/v1/media/{media['id']}", headers=editor)
        assert response.status_code == 204, response.text
        article = read(client, made["id"], editor).json()
        assert article["hero"] is None
        assert [(b["type"], b.get("media")) for b in article["body"]] == [
            ("paragraph", None),
            ("image", kept["id"]),
        ]
        assert media["id"] not in article["body_html"]
        assert "صورة ستحذف" not in article["body_html"]
        assert article["body_html"].count("<figure") == 1


class TestImageVisibility:
    def test_new_upload_is_not_public(self, client: TestClient, editor: Key) -> None:
        assert_hidden(client, photo(client, editor)["id"])

    def test_image_of_a_draft_is_not_public(self, client: TestClient, editor: Key) -> None:
        in_body, hero = photo(client, editor), photo(client, editor)
        create_article(
            client, editor, publish=False, body=[image_block(in_body)], hero={"media": hero["id"]}
        )
        assert_hidden(client, in_body["id"])
        assert_hidden(client, hero["id"])

    def test_public_while_the_article_is_published(self, client: TestClient, editor: Key) -> None:
        in_body, hero = photo(client, editor), photo(client, editor)
        made = create_article(
            client, editor, publish=False, body=[image_block(in_body)], hero={"media": hero["id"]}
        )
        response = act(client, editor, made["id"], "publish")
        assert response.status_code == 200, response.text
        assert_public(client, in_body["id"])
        assert_public(client, hero["id"])
        response = act(client, editor, made["id"], "unpublish")
        assert response.status_code == 200, response.text
        assert_hidden(client, in_body["id"])
        assert_hidden(client, hero["id"])

    def test_used_by_a_draft_and_a_published_article(self, client: TestClient, editor: Key) -> None:
        media = photo(client, editor)
        create_article(client, editor, publish=False, body=[image_block(media)])
        create_article(client, editor, headline="خبر منشور", hero={"media": media["id"]})
        assert_public(client, media["id"])

    def test_replaced_image_is_no_longer_public(self, client: TestClient, editor: Key) -> None:
        old, new = photo(client, editor), photo(client, editor)
        made = create_article(client, editor, body=[PARAGRAPH, image_block(old)])
        assert_public(client, old["id"])
        response = patch(client, editor, made, body=[PARAGRAPH, image_block(new)])
        assert response.status_code == 200, response.text
        assert_public(client, new["id"])
        assert_hidden(client, old["id"])

    def test_replaced_hero_is_no_longer_public(self, client: TestClient, editor: Key) -> None:
        old, new = photo(client, editor), photo(client, editor)
        made = create_article(client, editor, hero={"media": old["id"]})
        response = patch(client, editor, made, hero={"media": new["id"]})
        assert response.status_code == 200, response.text
        assert_public(client, new["id"])
        assert_hidden(client, old["id"])

    def test_draft_is_visible_with_a_key(self, client: TestClient, editor: Key) -> None:
        media = photo(client, editor)
        create_article(client, editor, publish=False, body=[image_block(media)])
        assert client.get(f"/v1/media/{media['id']}", headers=editor).status_code == 200
        image = client.get(f"/v1/media/{media['id']}/image", params={"w": 160}, headers=editor)
        assert image.status_code == 200
        assert image.headers["cache-control"] == "private, no-store"


class TestAuthorAvatar:
    def test_author_shows_the_avatar(self, client: TestClient, editor: Key) -> None:
        media = photo(client, editor, alt="صورة سلمى")
        made = create_author(client, editor, avatar=media["id"])
        assert made["avatar"]["id"] == media["id"]
        avatar = client.get("/v1/authors/salma-haddad").json()["avatar"]
        assert avatar["id"] == media["id"]
        assert (avatar["width"], avatar["height"], avatar["alt"]) == (800, 450, "صورة سلمى")
        assert (avatar["lang"], avatar["dir"]) == ("ar", "rtl")
        assert 800 in srcset_widths(avatar["srcset"])

    def test_patch_avatar_to_null(self, client: TestClient, editor: Key) -> None:
        media = photo(client, editor)
        create_author(client, editor, avatar=media["id"])
        response = client.patch("/v1/authors/salma-haddad", json={"avatar": None}, headers=editor)
        assert response.status_code == 200, response.text
        assert response.json()["avatar"] is None
        assert client.get("/v1/authors/salma-haddad").json()["avatar"] is None

    def test_unknown_avatar_is_422(self, client: TestClient, editor: Key) -> None:
        response = client.post(
            "/v1/authors", json={"name": "سلمى الحداد", "avatar": UNKNOWN}, headers=editor
        )
        problem = assert_problem(response, 422)
        assert [e["loc"] for e in problem["errors"]] == [["body", "avatar"]]

    def test_unknown_avatar_in_a_patch_is_422(self, client: TestClient, editor: Key) -> None:
        media = photo(client, editor)
        create_author(client, editor, avatar=media["id"])
        response = client.patch(
            "/v1/authors/salma-haddad", json={"avatar": UNKNOWN}, headers=editor
        )
        problem = assert_problem(response, 422)
        assert [e["loc"] for e in problem["errors"]] == [["body", "avatar"]]
        assert client.get("/v1/authors/salma-haddad").json()["avatar"]["id"] == media["id"]

    def test_avatar_is_public(self, client: TestClient, editor: Key) -> None:
        media = photo(client, editor)
        create_author(client, editor, avatar=media["id"])
        assert_public(client, media["id"])

    def test_byline_on_the_article_page_has_the_avatar(
        self, client: TestClient, editor: Key
    ) -> None:
        media = photo(client, editor)
        create_author(client, editor, avatar=media["id"])
        create_author(client, editor, name="عمر الخطيب", slug="omar-khatib")
        made = create_article(client, editor, authors=["salma-haddad", "omar-khatib"])
        authors = read(client, made["id"]).json()["authors"]
        assert [a["slug"] for a in authors] == ["salma-haddad", "omar-khatib"]
        assert authors[0]["avatar"]["id"] == media["id"]
        assert authors[0]["avatar"]["srcset"]
        assert authors[1]["avatar"] is None

    def test_cards_carry_no_avatar(self, client: TestClient, editor: Key) -> None:
        media = photo(client, editor)
        create_author(client, editor, avatar=media["id"])
        made = create_article(client, editor, authors=["salma-haddad"])
        [card] = client.get("/v1/articles").json()["items"]
        assert card["id"] == made["id"]
        assert [(a["slug"], a["avatar"]) for a in card["authors"]] == [("salma-haddad", None)]

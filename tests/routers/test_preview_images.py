"""A preview shows a draft as readers will see it, pictures included: the image URLs in a
previewed article carry the token, and the token opens exactly that article's images."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.assertions import Key, assert_problem
from tests.factories import create_article, upload_media

BASE = "http://testserver"


def preview_token(client: TestClient, key: Key, article_id: str) -> str:
    response = client.post(f"/v1/articles/{article_id}/preview", headers=key)
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


def draft_with_images(client: TestClient, key: Key) -> tuple[dict[str, Any], str, str]:
    hero = upload_media(client, key)["id"]
    inline = upload_media(client, key)["id"]
    made = create_article(
        client,
        key,
        publish=False,
        hero={"media": hero},
        body=[
            {"type": "paragraph", "html": "صورة من موقع العمل قبل الافتتاح."},
            {"type": "image", "media": inline},
        ],
    )
    return made, hero, inline


def test_previewed_images_load_with_the_token(client: TestClient, editor: Key) -> None:
    made, hero, inline = draft_with_images(client, editor)
    token = preview_token(client, editor, made["id"])
    page = client.get(f"/v1/articles/{made['id']}", params={"preview": token})
    assert page.status_code == 200, page.text
    body = page.json()
    assert f"preview={token}" in body["hero"]["src"]
    assert all(f"preview={token}" in entry for entry in body["hero"]["srcset"].split(", "))
    assert f"/v1/media/{inline}/image" in body["body_html"]
    assert body["body_html"].count(f"preview={token}") >= 2  # src and srcset of the figure

    image = client.get(body["hero"]["src"].removeprefix(BASE))
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/jpeg"
    assert image.headers["cache-control"] == "private, no-store"
    for media_id in (hero, inline):
        item = client.get(f"/v1/media/{media_id}", params={"preview": token})
        assert item.status_code == 200, item.text
        assert item.headers["cache-control"] == "private, no-store"
        original = client.get(f"/v1/media/{media_id}/original", params={"preview": token})
        assert original.status_code == 200
        # Without the token the draft's pictures do not exist for the public.
        assert_problem(client.get(f"/v1/media/{media_id}"), 404)
        assert_problem(client.get(f"/v1/media/{media_id}/image", params={"w": 480}), 404)


def test_published_article_has_no_token_in_its_urls(client: TestClient, editor: Key) -> None:
    hero = upload_media(client, editor)["id"]
    made = create_article(client, editor, hero={"media": hero})
    body = client.get(f"/v1/articles/{made['id']}").json()
    assert "preview=" not in body["hero"]["src"]
    assert "preview=" not in body["body_html"]


def test_a_token_opens_only_its_own_articles_images(client: TestClient, editor: Key) -> None:
    first, _, _ = draft_with_images(client, editor)
    _second, other_hero, other_inline = draft_with_images(client, editor)
    token = preview_token(client, editor, first["id"])
    for media_id in (other_hero, other_inline):
        assert_problem(client.get(f"/v1/media/{media_id}", params={"preview": token}), 404)
        response = client.get(f"/v1/media/{media_id}/image", params={"preview": token, "w": 480})
        assert_problem(response, 404)


def test_a_bad_token_is_refused_on_images(client: TestClient, editor: Key) -> None:
    made, hero, _ = draft_with_images(client, editor)
    token = preview_token(client, editor, made["id"])
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert_problem(client.get(f"/v1/media/{hero}/image", params={"preview": forged}), 401)
    assert_problem(client.get(f"/v1/media/{hero}", params={"preview": "nonsense"}), 401)

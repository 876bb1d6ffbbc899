"""Plain functions that make content through the management API, as a newsroom would (and
``make_due``, which moves the clock for the scheduler the one way the API cannot)."""

from __future__ import annotations

import io
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import update

from app.db import Database
from app.models import Article

_colours = itertools.count(1)


def create_section(client: TestClient, key: dict[str, str], **overrides: Any) -> dict[str, Any]:
    payload = {"slug": "local", "names": {"ar": "محليات", "en": "Local"}, **overrides}
    response = client.post("/v1/sections", json=payload, headers=key)
    assert response.status_code == 201, response.text
    return response.json()


def create_tag(client: TestClient, key: dict[str, str], **overrides: Any) -> dict[str, Any]:
    payload = {"name": "النقل العام", "type": "topic", **overrides}
    response = client.post("/v1/tags", json=payload, headers=key)
    assert response.status_code == 201, response.text
    return response.json()


def create_author(client: TestClient, key: dict[str, str], **overrides: Any) -> dict[str, Any]:
    payload = {"name": "سلمى الحداد", "slug": "salma-haddad", **overrides}
    response = client.post("/v1/authors", json=payload, headers=key)
    assert response.status_code == 201, response.text
    return response.json()


def create_article(
    client: TestClient, key: dict[str, str], *, publish: bool = True, **overrides: Any
) -> dict[str, Any]:
    payload = {
        "headline": "افتتاح جسر الميناء الجديد",
        "summary": "البلدية تفتتح الجسر بعد ثلاث سنوات من العمل.",
        "body": [
            {"type": "paragraph", "html": "افتتحت البلدية جسر الميناء صباح اليوم."},
            {"type": "heading", "level": 2, "text": "ماذا بعد؟"},
        ],
        "status": "published" if publish else "draft",
        **overrides,
    }
    response = client.post("/v1/articles", json=payload, headers=key)
    assert response.status_code == 201, response.text
    return response.json()


def jpeg_bytes(
    width: int = 1600, height: int = 900, colour: tuple[int, int, int] | None = None
) -> bytes:
    """A JPEG of one colour; each call without a colour gives different bytes (no dedupe)."""
    if colour is None:
        n = next(_colours)
        colour = (n * 37 % 256, n * 71 % 256, n * 113 % 256)
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def upload_media(
    client: TestClient,
    key: dict[str, str],
    data: bytes | None = None,
    *,
    filename: str = "photo.jpg",
    **fields: str,
) -> dict[str, Any]:
    """Upload an image (a new JPEG unless ``data`` is given) with optional form fields."""
    response = client.post(
        "/v1/media",
        headers=key,
        files={"file": (filename, data if data is not None else jpeg_bytes(), "image/jpeg")},
        data=fields,
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


def act(
    client: TestClient,
    key: dict[str, str],
    article_id: str,
    action: str,
    json: dict[str, Any] | None = None,
) -> httpx2.Response:
    """POST an article action (publish, unpublish, schedule, …) with the current version as
    ``If-Match``, as a careful client does: read, then act on what was read."""
    etag = client.get(f"/v1/articles/{article_id}", headers=key).headers["etag"]
    return client.post(
        f"/v1/articles/{article_id}/{action}", json=json, headers={**key, "If-Match": etag}
    )


def trash(client: TestClient, key: dict[str, str], article_id: str) -> httpx2.Response:
    """DELETE (to the trash) with the current version as ``If-Match``."""
    etag = client.get(f"/v1/articles/{article_id}", headers=key).headers["etag"]
    return client.delete(f"/v1/articles/{article_id}", headers={**key, "If-Match": etag})


def make_due(database: Database, *public_ids: str) -> None:
    """Move these scheduled articles' time to a second ago (the API only takes future times),
    so that the scheduler's next pass publishes them."""
    with database.session(write=True) as session:
        session.execute(
            update(Article)
            .where(Article.public_id.in_(public_ids))
            .values(scheduled_at=datetime.now(UTC) - timedelta(seconds=1))
            .execution_options(synchronize_session=False)
        )
        session.commit()

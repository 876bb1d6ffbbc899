"""Plain functions that make content through the management API, as a newsroom would."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


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

from fastapi.testclient import TestClient

from tests.factories import create_article, create_section


def test_create_and_read(client: TestClient, editor: dict[str, str]) -> None:
    create_section(client, editor)
    made = create_article(client, editor, section="local")
    got = client.get(f"/v1/articles/{made['id']}")
    assert got.status_code == 200, got.text
    assert got.json()["headline"] == "افتتاح جسر الميناء الجديد"
    listed = client.get("/v1/articles")
    assert [a["id"] for a in listed.json()["items"]] == [made["id"]]

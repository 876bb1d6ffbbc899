"""The ``khabar`` command, run in-process against a SQLite file of its own."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner, Result

from app.cli import cli
from app.config import Settings
from app.db import create_db_engine
from app.main import create_app

DEMO_FILE = Path(__file__).resolve().parent.parent / "app" / "demo" / "content.json"
TOKEN = re.compile(r"^khb_([0-9a-f]+)_\S+$", re.MULTILINE)
SECTION = {"slug": "local", "names": {"ar": "محليات"}}
Khabar = Callable[..., Result]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture
def khabar(database_url: str, media_dir: Path) -> Khabar:
    """Runs ``khabar ARGS...`` with KHABAR_DATABASE_URL pointing at this test's file."""
    runner = CliRunner()
    env = {
        "KHABAR_DATABASE_URL": database_url,
        "KHABAR_MEDIA_DIR": str(media_dir),
        "COLUMNS": "200",
        "NO_COLOR": "1",
    }

    def run(*args: str) -> Result:
        return runner.invoke(cli, list(args), env=env)

    return run


@pytest.fixture
def migrated(khabar: Khabar) -> None:
    result = khabar("db", "upgrade")
    assert result.exit_code == 0, result.output


@pytest.fixture
def api(database_url: str, media_dir: Path) -> Iterator[TestClient]:
    # No background scheduler: it would query the file while the commands under test migrate it.
    settings = Settings(
        database_url=database_url,
        base_url="http://testserver",
        media_dir=str(media_dir),
        scheduler_interval=0,
    )
    app = create_app(settings)
    with TestClient(app) as client:
        yield client


def create_key(khabar: Khabar, role: str = "editor", name: str = "news desk") -> tuple[str, str]:
    """The printed key and its prefix."""
    result = khabar("keys", "create", "--role", role, "--name", name)
    assert result.exit_code == 0, result.output
    found = TOKEN.search(result.stdout)
    assert found is not None, result.stdout
    return found.group(0), found.group(1)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def flatten(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [n for node in nodes for n in [node, *flatten(node["children"])]]


class TestDbUpgrade:
    def test_migrates_an_empty_file(self, khabar: Khabar, api: TestClient) -> None:
        result = khabar("db", "upgrade")
        assert result.exit_code == 0, result.output
        assert "head" in result.stdout
        assert api.get("/v1/sections").json() == {"items": []}

    def test_twice_is_fine(self, khabar: Khabar) -> None:
        assert khabar("db", "upgrade").exit_code == 0
        result = khabar("db", "upgrade")
        assert result.exit_code == 0, result.output


class TestDbDowngrade:
    def test_to_base_and_back(self, khabar: Khabar, migrated: None, api: TestClient) -> None:
        result = khabar("db", "downgrade", "base")
        assert result.exit_code == 0, result.output
        assert khabar("db", "upgrade").exit_code == 0
        assert api.get("/v1/articles").json()["items"] == []


class TestKeysCreate:
    def test_prints_a_key_that_works(self, khabar: Khabar, migrated: None, api: TestClient) -> None:
        token, _prefix = create_key(khabar, "editor", "news desk")
        response = api.post("/v1/sections", json=SECTION, headers=bearer(token))
        assert response.status_code == 201, response.text

    def test_writer_key_has_the_writer_role(
        self, khabar: Khabar, migrated: None, api: TestClient
    ) -> None:
        token, _prefix = create_key(khabar, "writer", "intern")
        response = api.post("/v1/sections", json=SECTION, headers=bearer(token))
        assert response.status_code == 403, response.text

    def test_admin_key(self, khabar: Khabar, migrated: None, api: TestClient) -> None:
        token, _prefix = create_key(khabar, "admin", "ops")
        response = api.post("/v1/sections", json=SECTION, headers=bearer(token))
        assert response.status_code == 201, response.text

    def test_each_key_is_new(self, khabar: Khabar, migrated: None) -> None:
        first, _ = create_key(khabar)
        second, _ = create_key(khabar)
        assert first != second

    def test_invalid_role_fails(self, khabar: Khabar, migrated: None) -> None:
        result = khabar("keys", "create", "--role", "owner", "--name", "news desk")
        assert result.exit_code != 0
        assert TOKEN.search(result.stdout) is None
        assert "news desk" not in khabar("keys", "list").stdout

    def test_needs_a_name(self, khabar: Khabar, migrated: None) -> None:
        assert khabar("keys", "create", "--role", "editor").exit_code != 0

    def test_expired_key_does_not_work(
        self, khabar: Khabar, migrated: None, api: TestClient
    ) -> None:
        result = khabar(
            "keys", "create", "--role", "editor", "--name", "old", "--expires", "2020-01-01"
        )
        assert result.exit_code == 0, result.output
        found = TOKEN.search(result.stdout)
        assert found is not None
        response = api.post("/v1/sections", json=SECTION, headers=bearer(found.group(0)))
        assert response.status_code == 401

    def test_partner_key_with_the_embargo_scope(
        self, khabar: Khabar, migrated: None, api: TestClient
    ) -> None:
        result = khabar(
            "keys", "create", "--role", "partner", "--scope", "embargo", "--name", "wire"
        )
        assert result.exit_code == 0, result.output
        found = TOKEN.search(result.stdout)
        assert found is not None, result.stdout
        token, prefix = found.group(0), found.group(1)
        assert api.get("/v1/sections", headers=bearer(token)).status_code == 200
        response = api.post("/v1/sections", json=SECTION, headers=bearer(token))
        assert response.status_code == 403, response.text
        (row,) = [line for line in khabar("keys", "list").stdout.splitlines() if prefix in line]
        assert "partner" in row
        assert "embargo" in row

    def test_scope_given_twice_is_kept_once(self, khabar: Khabar, migrated: None) -> None:
        scopes = ["--scope", "embargo"] * 2
        result = khabar("keys", "create", "--role", "partner", "--name", "wire", *scopes)
        assert result.exit_code == 0, result.output
        (row,) = [line for line in khabar("keys", "list").stdout.splitlines() if "wire" in line]
        assert row.count("embargo") == 1

    def test_no_scope_shows_a_dash(self, khabar: Khabar, migrated: None) -> None:
        _token, prefix = create_key(khabar, "editor", "news desk")
        (row,) = [line for line in khabar("keys", "list").stdout.splitlines() if prefix in line]
        assert "embargo" not in row
        assert " - " in row

    def test_unknown_scope_fails(self, khabar: Khabar, migrated: None) -> None:
        result = khabar(
            "keys", "create", "--role", "partner", "--scope", "publish", "--name", "wire"
        )
        assert result.exit_code != 0
        assert "publish" in result.output
        assert TOKEN.search(result.stdout) is None
        assert "wire" not in khabar("keys", "list").stdout


class TestKeysAudit:
    def test_create_and_revoke_are_recorded_as_the_cli(
        self, khabar: Khabar, migrated: None, api: TestClient
    ) -> None:
        admin, admin_prefix = create_key(khabar, "admin", "ops")
        _token, prefix = create_key(khabar, "partner", "wire")
        assert khabar("keys", "revoke", prefix).exit_code == 0
        assert khabar("keys", "revoke", prefix).exit_code == 0  # already revoked: no event

        response = api.get("/v1/audit", headers=bearer(admin))

        assert response.status_code == 200, response.text
        events = [
            (e["action"], e["item_id"], e["actor"], e["key"], e["role"], e["detail"])
            for e in response.json()["items"]
        ]
        assert events == [
            ("key.revoke", prefix, "cli", None, None, {"name": "wire", "role": "partner"}),
            (
                "key.create",
                prefix,
                "cli",
                None,
                None,
                {"name": "wire", "role": "partner", "scopes": []},
            ),
            (
                "key.create",
                admin_prefix,
                "cli",
                None,
                None,
                {"name": "ops", "role": "admin", "scopes": []},
            ),
        ]


class TestKeysList:
    def test_shows_the_key(self, khabar: Khabar, migrated: None) -> None:
        _token, prefix = create_key(khabar, "editor", "news desk")
        result = khabar("keys", "list")
        assert result.exit_code == 0, result.output
        (row,) = [line for line in result.stdout.splitlines() if prefix in line]
        assert "news desk" in row
        assert "editor" in row
        assert "active" in row

    def test_never_shows_the_secret(self, khabar: Khabar, migrated: None) -> None:
        token, _prefix = create_key(khabar)
        assert token not in khabar("keys", "list").stdout

    def test_shows_revoked_keys_as_revoked(self, khabar: Khabar, migrated: None) -> None:
        _token, prefix = create_key(khabar, "writer", "intern")
        assert khabar("keys", "revoke", prefix).exit_code == 0
        (row,) = [line for line in khabar("keys", "list").stdout.splitlines() if prefix in line]
        assert "revoked" in row


class TestKeysRevoke:
    def test_the_key_stops_working(self, khabar: Khabar, migrated: None, api: TestClient) -> None:
        token, prefix = create_key(khabar)
        assert api.post("/v1/sections", json=SECTION, headers=bearer(token)).status_code == 201

        result = khabar("keys", "revoke", prefix)

        assert result.exit_code == 0, result.output
        assert prefix in result.stdout
        response = api.patch("/v1/sections/local", json={"position": 1}, headers=bearer(token))
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")

    def test_other_keys_keep_working(self, khabar: Khabar, migrated: None, api: TestClient) -> None:
        _gone, prefix = create_key(khabar, name="old desk")
        kept, _ = create_key(khabar, name="new desk")
        assert khabar("keys", "revoke", prefix).exit_code == 0
        assert api.post("/v1/sections", json=SECTION, headers=bearer(kept)).status_code == 201

    def test_unknown_prefix_fails(self, khabar: Khabar, migrated: None) -> None:
        result = khabar("keys", "revoke", "deadbeef")
        assert result.exit_code == 1
        assert "deadbeef" in result.output


def publish_articles(api: TestClient, token: str) -> None:
    """A published article about a flood, and a draft about one."""
    for status in ("published", "draft"):
        made = api.post(
            "/v1/articles",
            json={"headline": f"فيضان النهر يغمر الحقول ({status})", "status": status},
            headers=bearer(token),
        )
        assert made.status_code == 201, made.text


def wipe_search_index(database_url: str) -> None:
    engine = create_db_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM article_search"))
    finally:
        engine.dispose()


def search_hits(api: TestClient, q: str) -> list[str]:
    response = api.get("/v1/search", params={"q": q})
    assert response.status_code == 200, response.text
    return [hit["headline"] for hit in response.json()["items"]]


class TestReindex:
    def test_restores_a_wiped_index(
        self, khabar: Khabar, migrated: None, api: TestClient, database_url: str
    ) -> None:
        token, _prefix = create_key(khabar)
        publish_articles(api, token)
        wipe_search_index(database_url)
        assert search_hits(api, "فيضان") == []

        result = khabar("reindex")

        assert result.exit_code == 0, result.output
        assert "Indexed 1 published articles" in result.stdout
        assert search_hits(api, "فيضان") == ["فيضان النهر يغمر الحقول (published)"]

    def test_twice_is_fine(self, khabar: Khabar, migrated: None, api: TestClient) -> None:
        token, _prefix = create_key(khabar)
        publish_articles(api, token)
        assert khabar("reindex").exit_code == 0
        assert khabar("reindex").exit_code == 0
        assert search_hits(api, "الحقول") == ["فيضان النهر يغمر الحقول (published)"]

    def test_empty_store(self, khabar: Khabar, migrated: None) -> None:
        result = khabar("reindex")
        assert result.exit_code == 0, result.output
        assert "Indexed 0 published articles" in result.stdout


class TestDbUpgradeIndexes:
    def test_fills_an_empty_index(
        self, khabar: Khabar, migrated: None, api: TestClient, database_url: str
    ) -> None:
        token, _prefix = create_key(khabar)
        publish_articles(api, token)
        wipe_search_index(database_url)

        result = khabar("db", "upgrade")

        assert result.exit_code == 0, result.output
        assert "search index is empty" in result.stdout
        assert search_hits(api, "فيضان") == ["فيضان النهر يغمر الحقول (published)"]

    def test_leaves_a_filled_index_alone(
        self, khabar: Khabar, migrated: None, api: TestClient
    ) -> None:
        token, _prefix = create_key(khabar)
        publish_articles(api, token)
        result = khabar("db", "upgrade")
        assert result.exit_code == 0, result.output
        assert "Indexed" not in result.stdout
        assert search_hits(api, "فيضان") == ["فيضان النهر يغمر الحقول (published)"]

    def test_indexes_again_when_the_pipeline_changed(
        self, khabar: Khabar, migrated: None, api: TestClient, database_url: str
    ) -> None:
        token, _prefix = create_key(khabar)
        publish_articles(api, token)
        assert khabar("db", "upgrade").exit_code == 0  # records the pipeline's version
        # As if the rows had been made by an older pipeline that spelled the word otherwise.
        engine = create_db_engine(database_url)
        try:
            with engine.begin() as conn:
                conn.execute(text("UPDATE article_search SET headline = 'old', body = 'old'"))
                conn.execute(text("UPDATE search_state SET value = 'an-older-pipeline'"))
        finally:
            engine.dispose()
        assert search_hits(api, "فيضان") == []

        result = khabar("db", "upgrade")

        assert result.exit_code == 0, result.output
        assert "out of date" in result.stdout
        assert search_hits(api, "فيضان") == ["فيضان النهر يغمر الحقول (published)"]
        assert "Indexed" not in khabar("db", "upgrade").stdout


class TestDemo:
    @pytest.fixture(autouse=True)
    def _needs_demo_content(self) -> None:
        if not DEMO_FILE.exists():
            pytest.skip("app/demo/content.json is not there yet")

    def test_loads_into_an_empty_store(self, khabar: Khabar, migrated: None) -> None:
        result = khabar("demo", "--if-empty")
        assert result.exit_code == 0, result.output
        articles = json.loads(DEMO_FILE.read_text(encoding="utf-8"))["articles"]
        assert f"{len(articles)} articles" in result.stdout

    def test_if_empty_loads_nothing_the_second_time(
        self, khabar: Khabar, migrated: None, api: TestClient
    ) -> None:
        assert khabar("demo", "--if-empty").exit_code == 0
        before = api.get("/v1/articles?limit=100").json()["items"]

        result = khabar("demo", "--if-empty")

        assert result.exit_code == 0, result.output
        assert "not loaded" in result.stdout
        assert api.get("/v1/articles?limit=100").json()["items"] == before

    def test_skips_a_store_that_has_articles(
        self, khabar: Khabar, migrated: None, api: TestClient
    ) -> None:
        token, _prefix = create_key(khabar)
        made = api.post(
            "/v1/articles", json={"headline": "خبر من غرفة الأخبار"}, headers=bearer(token)
        )
        assert made.status_code == 201, made.text
        result = khabar("demo", "--if-empty")
        assert result.exit_code == 0, result.output
        assert "not loaded" in result.stdout
        assert api.get("/v1/sections").json()["items"] == []

    def test_content_is_served(self, khabar: Khabar, migrated: None, api: TestClient) -> None:
        assert khabar("demo", "--if-empty").exit_code == 0
        content = json.loads(DEMO_FILE.read_text(encoding="utf-8"))

        articles = api.get("/v1/articles")
        assert articles.status_code == 200, articles.text
        assert articles.json()["items"]
        assert all(a["status"] == "published" for a in articles.json()["items"])

        tree = api.get("/v1/sections").json()["items"]
        nodes = flatten(tree)
        assert {n["slug"] for n in nodes} == {s["slug"] for s in content["sections"]}
        assert len(nodes) == len(content["sections"])
        parents = {s["slug"]: s.get("parent") for s in content["sections"]}
        assert {n["slug"] for n in tree} == {s for s, p in parents.items() if p is None}
        assert all(n["parent"] == parents[n["slug"]] for n in nodes)

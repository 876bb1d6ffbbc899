"""Property-based tests of the whole API against its own OpenAPI schema (Schemathesis).

Every operation is called with generated (valid and invalid) input and an editor key. The run
fails on any 5xx, any undocumented status code or content type, and any response body that does
not match the schema the route declares.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.migrate import upgrade
from tests.conftest import make_key
from tests.factories import create_article, create_author, create_section, create_tag

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
KEY: dict[str, str] = {}


def _seeded_schema() -> Any:
    """A migrated SQLite store with a little of everything, and the schema of an app over it.

    Built at import: Schemathesis parametrizes tests at collection time.
    """
    path = Path(_TMP.name) / "khabar.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    database = Database(url)
    settings = Settings(
        database_url=url, base_url="http://testserver", media_dir=str(Path(_TMP.name) / "media")
    )
    app = create_app(settings, database=database)
    KEY.update(make_key(database, "editor"))
    with TestClient(app) as client:
        create_section(client, KEY, slug="local")
        create_section(client, KEY, slug="sport", names={"ar": "رياضة"}, parent="local")
        create_tag(client, KEY, slug="transport")
        create_author(client, KEY)
        first = create_article(
            client, KEY, section="local", tags=["transport"], authors=["salma-haddad"]
        )
        create_article(
            client, KEY, headline="Port bridge opens", lang="en", translation_of=first["id"]
        )
        create_article(client, KEY, headline="مسودة لم تنشر", publish=False)
    return schemathesis.openapi.from_asgi("/openapi.json", app)


_TMP = tempfile.TemporaryDirectory(prefix="khabar-fuzz-")
schema = _seeded_schema()


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_schema(case: Any) -> None:
    case.call_and_validate(headers=dict(KEY), checks=CHECKS)

"""The OpenAPI document is the contract: a snapshot makes every change a visible diff.

Run ``KHABAR_UPDATE_SNAPSHOTS=1 make test ARGS=tests/test_openapi.py`` after an intended change.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from app.config import Settings
from app.main import create_app

SNAPSHOT = Path(__file__).parent / "snapshots" / "openapi.json"
ARABIC = re.compile(r"[\u0600-\u06FF]")


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("spec")
    app = create_app(
        Settings(database_url=f"sqlite:///{folder / 'khabar.db'}", media_dir=str(folder))
    )
    spec: dict[str, Any] = app.openapi()
    app.state.db.dispose()
    return spec


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    ]


def test_matches_snapshot(spec: dict[str, Any]) -> None:
    rendered = json.dumps(spec, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if os.environ.get("KHABAR_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(rendered, encoding="utf-8")
    assert rendered == SNAPSHOT.read_text(encoding="utf-8"), (
        "The OpenAPI document changed: if that is intended, rerun with KHABAR_UPDATE_SNAPSHOTS=1 "
        "and commit tests/snapshots/openapi.json."
    )


def test_every_operation_is_described(spec: dict[str, Any]) -> None:
    for method, path, operation in _operations(spec):
        assert operation.get("summary"), f"{method} {path} has no summary"
        assert "200" in operation["responses"] or any(
            code.startswith("2") for code in operation["responses"]
        ), f"{method} {path} documents no success"


def test_every_error_is_a_problem_document(spec: dict[str, Any]) -> None:
    for method, path, operation in _operations(spec):
        for status, response in operation["responses"].items():
            if status.isdigit() and int(status) >= 400:
                assert list(response["content"]) == ["application/problem+json"], (
                    f"{method} {path} {status}"
                )
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_management_operations_declare_their_errors(spec: dict[str, Any]) -> None:
    for method, path, operation in _operations(spec):
        if method in ("POST", "PATCH", "DELETE"):
            assert {"401", "403", "404"} & set(operation["responses"]), f"{method} {path}"
            assert "401" in operation["responses"], f"{method} {path}"


def test_examples_are_arabic(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for name in ("ArticleCreate", "SectionCreate", "TagCreate", "AuthorCreate", "Problem"):
        assert ARABIC.search(json.dumps(schemas[name].get("examples"), ensure_ascii=False)), name

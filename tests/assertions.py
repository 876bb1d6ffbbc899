"""Assertions shared by the HTTP tests."""

from __future__ import annotations

from typing import Any

import httpx2

Key = dict[str, str]
BAD_KEY: Key = {"Authorization": "Bearer khb_00000000_no-such-secret"}


def assert_problem(response: httpx2.Response, status: int) -> dict[str, Any]:
    """An RFC 9457 problem document with this status; validation problems list their fields."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["type"]
    assert problem["title"]
    assert problem["detail"]
    if status == 422:
        assert problem["errors"], problem
        assert all({"loc", "msg", "type"} <= set(error) for error in problem["errors"])
    return problem


def assert_needs_key(response: httpx2.Response) -> None:
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")

"""Eight editors edit one story at once, each reading, changing and saving with If-Match.

No edit may be lost: every save that succeeded is in the revision history and in the final
text, and a save that lost the race gets 412 and tries again from a fresh read.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

from tests.assertions import Key
from tests.factories import create_article

THREADS = 8
WRITES_EACH = 5


@dataclass
class Tally:
    attempts: int = 0
    conflicts: int = 0
    saved: dict[str, int] = field(default_factory=dict)  # marker → version it was saved as
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def editor_at_work(client: TestClient, key: Key, article_id: str, name: str, tally: Tally) -> None:
    for n in range(WRITES_EACH):
        marker = f"[{name}.{n}]"
        for _ in range(200):
            read = client.get(f"/v1/articles/{article_id}", headers=key)
            if read.status_code != 200:
                tally.unexpected.append(f"read {read.status_code}: {read.text}")
                return
            summary = read.json()["summary"] or ""
            saved = client.patch(
                f"/v1/articles/{article_id}",
                json={"summary": f"{summary} {marker}".strip()},
                headers={**key, "If-Match": read.headers["etag"]},
            )
            with tally.lock:
                tally.attempts += 1
                if saved.status_code == 200:
                    tally.saved[marker] = saved.json()["version"]
                elif saved.status_code == 412:
                    tally.conflicts += 1
                else:
                    tally.unexpected.append(f"save {saved.status_code}: {saved.text}")
            if saved.status_code != 412:
                break


def test_eight_editors_lose_nothing(client: TestClient, editor: Key) -> None:
    made = create_article(client, editor, summary="")
    tally = Tally()
    workers = [
        threading.Thread(target=editor_at_work, args=(client, editor, made["id"], f"e{i}", tally))
        for i in range(THREADS)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert not any(worker.is_alive() for worker in workers), "an editor never finished"
    assert tally.unexpected == []
    assert len(tally.saved) == THREADS * WRITES_EACH

    final = client.get(f"/v1/articles/{made['id']}", headers=editor).json()
    lost = [marker for marker in tally.saved if marker not in final["summary"]]
    assert lost == []
    # Each save made exactly one new version, and no two saves claimed the same one.
    assert sorted(tally.saved.values()) == list(range(2, 2 + len(tally.saved)))
    assert final["version"] == 1 + len(tally.saved)

    revisions = history(client, editor, made["id"])
    assert [r["version"] for r in revisions] == list(range(final["version"], 0, -1))
    assert [r["action"] for r in revisions] == ["update"] * len(tally.saved) + ["create"]
    for marker, version in tally.saved.items():
        snapshot = client.get(
            f"/v1/articles/{made['id']}/revisions/{version}", headers=editor
        ).json()["snapshot"]
        assert snapshot["summary"].endswith(marker)
    print(
        f"\nconcurrent edits: {THREADS} editors, {tally.attempts} attempts, "
        f"{tally.conflicts} × 412, {len(tally.saved)} saved, {len(lost)} lost"
    )


def history(client: TestClient, key: Key, article_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    url: str | None = f"/v1/articles/{article_id}/revisions?limit=100"
    while url is not None:
        page = client.get(url, headers=key)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        url = page.json()["links"]["next"]
    return items

"""app.memory: malloc_trim while the edge cache takes entries, and not while it is idle."""

from __future__ import annotations

import asyncio

import pytest

from app import memory


def test_trims_while_the_cache_stores_and_not_when_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    trims: list[int] = []
    stats = {"stores": 0}
    monkeypatch.setattr(memory, "trim", lambda: trims.append(stats["stores"]))

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(memory.trim_while_growing(stats, interval=0.02, stop=stop))
        await asyncio.sleep(0.1)  # idle: the first look only
        stats["stores"] = 5
        await asyncio.sleep(0.1)
        stop.set()
        await asyncio.wait_for(task, timeout=1)

    asyncio.run(scenario())
    assert trims == [0, 5]


def test_trim_runs_here() -> None:
    memory.trim()  # glibc: returns free pages; elsewhere nothing (no error either way)

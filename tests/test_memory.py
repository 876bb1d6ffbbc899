"""app.memory: malloc_trim every interval until stopped."""

from __future__ import annotations

import asyncio
import itertools
import platform

import pytest

from app import memory


def test_trims_every_interval_until_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> list[float]:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        trims: list[float] = []

        def trim() -> None:
            trims.append(loop.time())
            if len(trims) == 3:
                stop.set()

        monkeypatch.setattr(memory, "trim", trim)
        await asyncio.wait_for(memory.trim_every(0.05, stop=stop), timeout=5)
        return trims

    trims = asyncio.run(scenario())
    assert len(trims) == 3  # and none once stopped
    assert all(b - a >= 0.04 for a, b in itertools.pairwise(trims))


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_glibc_is_found_so_trim_and_arenas_take_effect() -> None:
    assert memory._LIBC is not None
    memory.trim()

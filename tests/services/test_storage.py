"""The local media store: keys stay inside the root, writes are whole, scratch is swept."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from app.services.storage import SCRATCH_MAX_AGE, LocalStorage


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


class TestKeys:
    @pytest.mark.parametrize(
        "key", ["../outside.jpg", "originals/../../outside.jpg", "/etc/passwd", "", "a//b", "./a"]
    )
    def test_a_key_cannot_leave_the_root(self, tmp_path: Path, key: str) -> None:
        storage = LocalStorage(tmp_path / "media")
        with pytest.raises(ValueError):
            storage.put_bytes(key, b"x")
        assert not (tmp_path / "outside.jpg").exists()

    def test_round_trip(self, tmp_path: Path) -> None:
        storage = LocalStorage(tmp_path)
        storage.put_bytes("renditions/abc/w160-q80.webp", b"bytes")
        assert storage.get_bytes("renditions/abc/w160-q80.webp") == b"bytes"
        with pytest.raises(FileNotFoundError):
            storage.get_bytes("renditions/abc/w320-q80.webp")


class TestWrites:
    def test_put_file_moves_the_file_in(self, tmp_path: Path) -> None:
        storage = LocalStorage(tmp_path / "media")
        source = storage.scratch / "upload"
        source.write_bytes(b"image")
        storage.put_file("originals/abc.jpg", source)
        assert not source.exists()
        assert storage.get_bytes("originals/abc.jpg") == b"image"

    def test_put_bytes_leaves_no_temporary_file(self, tmp_path: Path) -> None:
        storage = LocalStorage(tmp_path / "media")
        storage.put_bytes("originals/abc.jpg", b"one")
        storage.put_bytes("originals/abc.jpg", b"two")
        assert files_under(tmp_path / "media") == ["originals/abc.jpg"]
        assert storage.get_bytes("originals/abc.jpg") == b"two"

    def test_delete_prefix_removes_a_file_or_a_folder(self, tmp_path: Path) -> None:
        storage = LocalStorage(tmp_path)
        storage.put_bytes("originals/abc.jpg", b"x")
        storage.put_bytes("renditions/abc/w160-q80.webp", b"x")
        storage.put_bytes("renditions/abd/w160-q80.webp", b"x")
        storage.delete_prefix("originals/abc.jpg")
        storage.delete_prefix("renditions/abc")
        storage.delete_prefix("renditions/nothing-here")
        assert files_under(tmp_path) == ["renditions/abd/w160-q80.webp"]


class TestScratch:
    def test_old_leftovers_are_swept_on_start(self, tmp_path: Path) -> None:
        scratch = LocalStorage(tmp_path).scratch
        old, fresh = scratch / "upload-old", scratch / "upload-fresh"
        old.write_bytes(b"x")
        fresh.write_bytes(b"x")
        an_hour_ago = time.time() - SCRATCH_MAX_AGE - 60
        os.utime(old, (an_hour_ago, an_hour_ago))
        LocalStorage(tmp_path)
        assert not old.exists()
        assert fresh.exists()

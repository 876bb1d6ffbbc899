"""Where media files live. Routers and services see only ``Storage``; the local directory is
the one implementation today, and an S3-compatible store is another class with the same five
methods (``local_path`` returning None), chosen in ``open_storage``.

Keys are relative POSIX paths that Khabar makes itself (``originals/<id>.jpg``,
``renditions/<id>/<name>``), never a client's file name. Every write is atomic: a reader sees
the old file or the whole new one, never half of it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Protocol

from app.config import Settings


class Storage(Protocol):
    scratch: Path
    """A local directory for work in progress (uploads being received, images being cleaned)."""

    def put_file(self, key: str, source: Path) -> None:
        """Store the finished file at ``source`` under ``key`` (``source`` is consumed)."""

    def put_bytes(self, key: str, data: bytes) -> None: ...

    def get_bytes(self, key: str) -> bytes:
        """The stored bytes; FileNotFoundError if there are none."""

    def local_path(self, key: str) -> Path | None:
        """A local file holding the key's bytes, if this store keeps files on this machine."""

    def delete_prefix(self, prefix: str) -> None:
        """Delete the key ``prefix`` and everything under ``prefix/``."""


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.scratch = self.root / ".scratch"
        self.scratch.mkdir(parents=True, exist_ok=True)
        _sweep(self.scratch, older_than=SCRATCH_MAX_AGE)

    def _path(self, key: str) -> Path:
        parts = key.split("/")
        if any(part in ("", ".", "..") or "\\" in part or "\0" in part for part in parts):
            raise ValueError(f"not a storage key: {key!r}")
        return self.root.joinpath(*parts)

    def put_file(self, key: str, source: Path) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(source, "rb") as handle:
            os.fsync(handle.fileno())
        try:
            os.replace(source, target)
        except OSError:
            # Another file system (a scratch directory elsewhere): copy beside, then rename.
            self.put_bytes(key, Path(source).read_bytes())
            Path(source).unlink(missing_ok=True)

    def put_bytes(self, key: str, data: bytes) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get_bytes(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def local_path(self, key: str) -> Path | None:
        return self._path(key)

    def delete_prefix(self, prefix: str) -> None:
        path = self._path(prefix)
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


SCRATCH_MAX_AGE = 3600.0


def _sweep(folder: Path, *, older_than: float) -> None:
    """Remove what a crashed process left in scratch (nothing in use is an hour old: an upload
    or a render takes seconds)."""
    limit = time.time() - older_than
    for path in folder.rglob("*"):
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass  # another process swept it first


def open_storage(settings: Settings) -> LocalStorage:
    return LocalStorage(Path(settings.media_dir))

"""Receiving a multipart upload as a stream.

The file part goes straight to a scratch file while its SHA-256 is computed; the upload is cut
off with a 413 as soon as it passes the size limit (and before reading anything when
Content-Length already says it is too large), so a 2 GB upload never sits in memory or on disk.
Form fields are small and kept in memory, with limits of their own.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

from python_multipart.multipart import (
    MultipartParseError,
    MultipartParser,
    MultipartState,
    parse_options_header,
)
from starlette.requests import ClientDisconnect, Request

from app.errors import BadRequest, ContentTooLarge, UnsupportedMediaType, ValidationFailed
from app.errors import field_error as error
from app.services.media import Upload

FILE_FIELD = "file"
MAX_FIELDS = 20
MAX_FIELD_BYTES = 16 * 1024
# Multipart framing and form fields around the file, allowed on top of the file size limit.
ENVELOPE_BYTES = 64 * 1024


async def receive_upload(
    request: Request, *, scratch: Path, max_bytes: int
) -> tuple[Upload, dict[str, str]]:
    """The uploaded file (in a scratch file the caller must delete) and the other form fields."""
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise UnsupportedMediaType(
            "Send the image as multipart/form-data with the file in a field named «file», "
            "e.g. curl -F file=@photo.jpg …"
        )
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > max_bytes + ENVELOPE_BYTES:
        raise _too_large(max_bytes)
    receiver = _Receiver(scratch, max_bytes)
    received = 0
    try:
        parser = MultipartParser(boundary, receiver.callbacks())  # type: ignore[arg-type]
        async for chunk in request.stream():
            # The whole body counts, not only the file: fields, unnamed parts and bytes after
            # the closing boundary would otherwise be read without end.
            received += len(chunk)
            if received > max_bytes + ENVELOPE_BYTES:
                raise _too_large(max_bytes)
            parser.write(chunk)
            if receiver.failure is not None:
                raise receiver.failure
        parser.finalize()
        if receiver.failure is not None:
            raise receiver.failure
        if parser.state != MultipartState.END:
            # Cut off in transit: what arrived of the file is not the file that was sent.
            raise BadRequest("The multipart body ends before its closing boundary.")
        return receiver.result()
    except MultipartParseError as exc:
        receiver.discard()
        raise BadRequest(f"The multipart body is malformed: {exc}") from exc
    except ClientDisconnect:
        receiver.discard()
        raise
    except BaseException:
        receiver.discard()
        raise


def _too_large(max_bytes: int) -> ContentTooLarge:
    return ContentTooLarge(
        f"The upload is larger than the limit of {_size(max_bytes)} (KHABAR_MEDIA_MAX_BYTES).",
        max_bytes=max_bytes,
    )


def _size(count: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if count >= scale:
            return f"{round(count / scale, 1):g} {unit}"
    return f"{count} bytes"


class _Receiver:
    """The parser's callbacks: headers of each part, then its data to a file or a field."""

    def __init__(self, scratch: Path, max_bytes: int) -> None:
        self.scratch = scratch
        self.max_bytes = max_bytes
        self.fields: dict[str, str] = {}
        self.failure: Exception | None = None
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name: str | None = None
        self._field = bytearray()
        self._in_file = False
        self._file: Any = None
        self._path: Path | None = None
        self._digest = hashlib.sha256()
        self._size = 0
        self._filename: str | None = None

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value_data,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _fail(self, failure: Exception) -> None:
        if self.failure is None:
            self.failure = failure

    def _part_begin(self) -> None:
        self._headers = {}
        self._name = None
        self._field = bytearray()
        self._in_file = False

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_name.strip().lower()] = self._header_value.strip()
        self._header_name = b""
        self._header_value = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name")
        self._name = name.decode("utf-8", "replace") if name is not None else None
        if self._name != FILE_FIELD:
            if len(self.fields) >= MAX_FIELDS:
                self._fail(ValidationFailed(f"Too many form fields (at most {MAX_FIELDS})."))
            return
        if self._path is not None:
            self._fail(ValidationFailed("Send one file per upload.", errors=[_file_error("one")]))
            return
        raw = options.get(b"filename")
        try:
            self._filename = _checked_filename(raw.decode("utf-8") if raw is not None else None)
        except (ValueError, UnicodeDecodeError) as exc:
            self._fail(
                ValidationFailed(
                    f"The file name is not acceptable: {exc}",
                    errors=[error(["body", "file"], f"file name: {exc}")],
                )
            )
            return
        handle, name_ = tempfile.mkstemp(dir=self.scratch, prefix="upload-")
        self._file = os.fdopen(handle, "wb")
        self._path = Path(name_)
        self._in_file = True

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self.failure is not None:
            return
        chunk = data[start:end]
        if self._in_file:
            self._size += len(chunk)
            if self._size > self.max_bytes:
                self._fail(_too_large(self.max_bytes))
                return
            self._digest.update(chunk)
            self._file.write(chunk)
            return
        self._field += chunk
        if len(self._field) > MAX_FIELD_BYTES:
            self._fail(
                ValidationFailed(
                    f"The form field «{self._name}» is too long.",
                    errors=[error(["body", self._name or "?"], "too long")],
                )
            )

    def _part_end(self) -> None:
        if self.failure is not None:
            return
        if self._in_file:
            self._in_file = False
            return
        if self._name is None:
            return
        try:
            self.fields[self._name] = self._field.decode("utf-8")
        except UnicodeDecodeError:
            self._fail(
                ValidationFailed(
                    f"The form field «{self._name}» is not UTF-8.",
                    errors=[error(["body", self._name], "not UTF-8")],
                )
            )

    def result(self) -> tuple[Upload, dict[str, str]]:
        if self._path is None or self._file is None:
            raise ValidationFailed(
                "No file: send the image in a multipart field named «file» "
                "(with a file name, as curl -F file=@photo.jpg does).",
                errors=[_file_error("missing")],
            )
        self._file.close()
        if self._size == 0:
            raise ValidationFailed("The file is empty.", errors=[_file_error("empty")])
        upload = Upload(
            path=self._path,
            sha256=self._digest.hexdigest(),
            size=self._size,
            filename=self._filename,
        )
        return upload, self.fields

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
        if self._path is not None:
            self._path.unlink(missing_ok=True)


def _file_error(message: str) -> dict[str, Any]:
    return error(["body", FILE_FIELD], message)


_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _checked_filename(name: str | None) -> str | None:
    """The client's file name, kept only as a label (files are stored under our own keys).
    A name that tries to be a path is refused rather than quietly cut down."""
    if name is None:
        return None
    name = unicodedata.normalize("NFC", name).strip()
    if not name:
        return None
    if "/" in name or "\\" in name:
        raise ValueError("it contains a path separator")
    if name in (".", "..") or name.startswith(".."):
        raise ValueError("it points outside the upload")
    if any(unicodedata.category(c) in ("Cc", "Cs") or c in _BIDI_CONTROLS for c in name):
        # Bidi overrides are how "photo\u202egpj.exe" passes for "photoexe.jpg".
        raise ValueError("it contains control characters")
    if len(name) > 255:
        raise ValueError("it is longer than 255 characters")
    return name

"""The media library over HTTP: uploads (and what they refuse), metadata edits, who may see an
image, deletion, and the renditions clients ask for."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import struct
import zlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import ExifTags, Image, PngImagePlugin
from starlette.requests import ClientDisconnect

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.services import imaging
from tests.assertions import BAD_KEY, Key, assert_needs_key, assert_problem
from tests.factories import (
    act,
    create_article,
    create_author,
    jpeg_bytes,
    trash,
    upload_media,
)

IMMUTABLE = "public, max-age=31536000, immutable"
SMALL_LIMIT = 100_000
CHUNK = 64 * 1024
AVIF = "avif" in imaging.OUTPUT_FORMATS
needs_avif = pytest.mark.skipif(not AVIF, reason="this Pillow cannot write AVIF")
METADATA_FORMATS = ["JPEG", "PNG", "WEBP", pytest.param("AVIF", marks=needs_avif)]

GPS_MARKER = "KHABAR-GPS-SECRET"
XMP_MARKER = "KHABAR-XMP-SECRET"
XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    f'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="{XMP_MARKER}"/>'
    "</rdf:RDF></x:xmpmeta>"
)


# Images ------------------------------------------------------------------------------------


def encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def png_with_alpha(width: int = 400, height: int = 300) -> bytes:
    """Opaque blue on the left half, fully transparent on the right."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    image.paste((20, 60, 200, 255), (0, 0, width // 2, height))
    return encode(image, "PNG")


def webp_bytes(width: int = 500, height: int = 250) -> bytes:
    return encode(Image.new("RGB", (width, height), (30, 140, 90)), "WEBP", quality=80)


def gif_animated() -> bytes:
    frames = [Image.new("P", (120, 80), index) for index in (1, 2, 3)]
    for frame, colour in zip(frames, ((255, 0, 0), (0, 255, 0), (0, 0, 255)), strict=True):
        frame.putpalette([0, 0, 0, *colour, *colour, *colour] * 64)
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def avif_bytes() -> bytes:
    return encode(Image.new("RGB", (320, 200), (180, 40, 90)), "AVIF", quality=70)


def oriented_jpeg() -> bytes:
    """300×200 as stored, with a red stripe on its left edge, and EXIF Orientation 6 (the
    camera was turned: shown upright it is 200×300 with the stripe along the top)."""
    image = Image.new("RGB", (300, 200), (128, 128, 128))
    image.paste((255, 0, 0), (0, 0, 40, 200))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    return encode(image, "JPEG", quality=95, exif=exif)


def with_private_metadata(fmt: str) -> bytes:
    """A photo carrying GPS coordinates in EXIF and an XMP packet, both with marker strings."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "KhabarCam"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (33.0, 53.0, 40.5),
        ExifTags.GPS.GPSMapDatum: GPS_MARKER,
    }
    image = Image.new("RGB", (320, 240), (200, 120, 40))
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", XMP)
        return encode(image, fmt, exif=exif, pnginfo=info)
    return encode(image, fmt, exif=exif, xmp=XMP.encode())


def png_claiming(width: int, height: int) -> bytes:
    """A valid PNG header announcing width × height, with one row of pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 4))
        + chunk(b"IEND", b"")
    )


def red_square_at(x: float, y: float) -> bytes:
    """1600×800 grey with a pure red 200×200 square centred at (x, y) (fractions)."""
    image = Image.new("RGB", (1600, 800), (128, 128, 128))
    cx, cy = round(x * 1600), round(y * 800)
    image.paste((255, 0, 0), (cx - 100, cy - 100, cx + 100, cy + 100))
    return encode(image, "JPEG", quality=95)


def is_red(pixel: Any) -> bool:
    red, green, blue = pixel[:3]
    return bool(red > 200 and green < 60 and blue < 60)


def red_pixels(image: Image.Image) -> int:
    return sum(1 for pixel in image.convert("RGB").get_flattened_data() if is_red(pixel))


def decoded(response: httpx2.Response) -> Image.Image:
    assert response.status_code == 200, response.text
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


def assert_no_private_metadata(data: bytes) -> None:
    assert GPS_MARKER.encode() not in data
    assert XMP_MARKER.encode() not in data
    assert b"Exif\x00\x00" not in data
    assert b"http://ns.adobe.com/xap" not in data
    image = Image.open(io.BytesIO(data))
    exif = image.getexif()
    assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
    assert len(exif) == 0
    assert "xmp" not in image.info
    assert "exif" not in image.info


# Requests ----------------------------------------------------------------------------------


def post_file(
    client: TestClient,
    key: Key | None,
    data: bytes,
    *,
    filename: str = "photo.jpg",
    content_type: str = "image/jpeg",
    **fields: str,
) -> httpx2.Response:
    return client.post(
        "/v1/media", headers=key, files={"file": (filename, data, content_type)}, data=fields
    )


def multipart(*parts: tuple[bytes, bytes], boundary: str = "khabar-boundary") -> bytes:
    """A multipart/form-data body written by hand, each part given as (the Content-Disposition
    parameters after ``form-data; ``, content), so that names reach the server unescaped."""
    body = b""
    for disposition, content in parts:
        body += f"--{boundary}\r\n".encode()
        body += b"Content-Disposition: form-data; " + disposition + b"\r\n"
        body += b"Content-Type: application/octet-stream\r\n\r\n" + content + b"\r\n"
    return body + f"--{boundary}--\r\n".encode()


def post_multipart(
    client: TestClient, key: Key, body: bytes, boundary: str = "khabar-boundary"
) -> httpx2.Response:
    headers = {**key, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    return client.post("/v1/media", headers=headers, content=body)


def path_of(url: str) -> str:
    """A URL the API handed out, as the path and query the test client requests."""
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == "http://testserver", url
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def make_public(client: TestClient, key: Key, media_id: str) -> dict[str, Any]:
    """Publish an article with the item as its hero."""
    return create_article(client, key, hero={"media": media_id})


def public_media(client: TestClient, key: Key, data: bytes | None = None) -> dict[str, Any]:
    media = upload_media(client, key, data)
    make_public(client, key, media["id"])
    return media


def stored_files(media_dir: Path) -> list[Path]:
    return sorted(path for path in media_dir.rglob("*") if not path.is_dir())


def assert_nothing_stored(client: TestClient, key: Key, media_dir: Path) -> None:
    listed = client.get("/v1/media", headers=key)
    assert listed.status_code == 200, listed.text
    assert listed.json()["items"] == []
    assert stored_files(media_dir) == []


def error_fields(problem: dict[str, Any]) -> set[str]:
    return {str(part) for error in problem["errors"] for part in error["loc"]}


# A small upload limit, and clients that stream ---------------------------------------------


@pytest.fixture
def small_app(settings: Settings, database: Database) -> FastAPI:
    limited = Settings(
        database_url=settings.database_url,
        base_url="http://testserver",
        media_dir=settings.media_dir,
        media_max_bytes=SMALL_LIMIT,
    )
    return create_app(limited, database=database)


@pytest.fixture
def small_client(small_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(small_app) as test_client:
        yield test_client


STREAM_BOUNDARY = "khabar-stream"


def stream_part(name: str, content: bytes, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    head = f"--{STREAM_BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
    return head + content + b"\r\n"


STREAM_END = f"--{STREAM_BOUNDARY}--\r\n".encode()
SMALL_FILE_PART = stream_part("file", jpeg_bytes(64, 64), "a.jpg")
NAMELESS_PART = f"--{STREAM_BOUNDARY}\r\nX-Note: 1\r\n\r\n".encode() + b"n" * 8000 + b"\r\n"


class Stream:
    """A multipart upload sent chunk by chunk: ``head``, then ``chunks`` times ``filler``,
    then ``tail``, with no Content-Length (unless one is given). Counts how many of the filler
    chunks the server asked for."""

    def __init__(
        self,
        *,
        chunks: int,
        head: bytes | None = None,
        filler: bytes = b"\x00" * CHUNK,
        tail: bytes = b"\r\n" + STREAM_END,
        content_length: int | None = None,
    ) -> None:
        if head is None:  # a file part whose data goes on and on
            head = stream_part("file", jpeg_bytes(64, 64), "huge.jpg").removesuffix(b"\r\n")
        self.head, self.filler, self.tail, self.chunks = head, filler, tail, chunks
        self.sent = 0
        self.headers = {"Content-Type": f"multipart/form-data; boundary={STREAM_BOUNDARY}"}
        if content_length is not None:
            self.headers["Content-Length"] = str(content_length)

    async def body(self) -> AsyncIterator[bytes]:
        yield self.head
        for _ in range(self.chunks):
            self.sent += 1
            yield self.filler
        yield self.tail

    def post(self, app: FastAPI, key: Key) -> httpx2.Response:
        async def send() -> httpx2.Response:
            transport = httpx2.ASGITransport(app=app)
            async with httpx2.AsyncClient(
                transport=transport, base_url="http://testserver"
            ) as client:
                return await client.post(
                    "/v1/media", headers={**key, **self.headers}, content=self.body()
                )

        return asyncio.run(send())


def disconnecting_upload(app: FastAPI, key: Key) -> None:
    """Start sending an image, then go away: what a phone losing its signal does."""
    messages = [
        {
            "type": "http.request",
            "body": stream_part("file", jpeg_bytes(64, 64), "gone.jpg").removesuffix(b"\r\n"),
            "more_body": True,
        },
        {"type": "http.request", "body": b"\x00" * CHUNK, "more_body": True},
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        pass

    headers = [
        (b"host", b"testserver"),
        (b"content-type", f"multipart/form-data; boundary={STREAM_BOUNDARY}".encode()),
        *((name.lower().encode(), value.encode()) for name, value in key.items()),
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/media",
        "raw_path": b"/v1/media",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "server": ("testserver", 80),
        "client": ("203.0.113.9", 50000),
    }
    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]


# Upload ------------------------------------------------------------------------------------


class TestUploadMedia:
    @pytest.mark.parametrize(
        ("make", "fmt", "mime", "size"),
        [
            (lambda: jpeg_bytes(640, 480), "jpeg", "image/jpeg", (640, 480)),
            (png_with_alpha, "png", "image/png", (400, 300)),
            (webp_bytes, "webp", "image/webp", (500, 250)),
            (gif_animated, "gif", "image/gif", (120, 80)),
            pytest.param(avif_bytes, "avif", "image/avif", (320, 200), marks=needs_avif),
        ],
        ids=["jpeg", "png", "webp", "gif", "avif"],
    )
    def test_format_is_stored(
        self,
        client: TestClient,
        editor: Key,
        make: Any,
        fmt: str,
        mime: str,
        size: tuple[int, int],
    ) -> None:
        data = make()
        response = post_file(client, editor, data, filename=f"picture.{fmt}", content_type=mime)
        assert response.status_code == 201, response.text
        media = response.json()
        assert (media["kind"], media["format"], media["mime"]) == ("image", fmt, mime)
        assert (media["width"], media["height"]) == size
        assert media["sha256"] == hashlib.sha256(data).hexdigest()
        assert media["filename"] == f"picture.{fmt}"
        assert media["version"] == 1

        original = client.get(path_of(media["links"]["original"]), headers=editor)
        assert original.status_code == 200, original.text
        assert original.headers["content-type"] == mime
        assert media["bytes"] == len(original.content)
        assert decoded(original).size == size

    def test_response_has_location_and_absolute_urls(self, client: TestClient, editor: Key) -> None:
        response = post_file(client, editor, jpeg_bytes(1000, 600))
        assert response.status_code == 201, response.text
        media = response.json()
        url = f"http://testserver/v1/media/{media['id']}"
        assert response.headers["location"] == url
        assert media["links"]["self"] == url
        assert media["links"]["image"] == f"{url}/image"
        assert media["links"]["original"].startswith(f"{url}/original?v=")
        assert media["src"].startswith(f"{url}/image?w=1000&fmt=jpeg&v=")
        sources = [entry.rsplit(" ", 1) for entry in media["srcset"].split(", ")]
        assert [width for _, width in sources] == [
            f"{w}w" for w in (160, 320, 480, 640, 800, 960, 1000)
        ]
        assert all(src.startswith(f"{url}/image?w=") for src, _ in sources)
        header, encoded = media["placeholder"].split(",", 1)
        assert header.startswith("data:image/") and header.endswith(";base64")
        assert max(Image.open(io.BytesIO(base64.b64decode(encoded))).size) <= 16
        assert media["color"].startswith("#")
        assert response.headers["cache-control"] == "private, no-store"

    def test_texts_are_stored_under_arabic_by_default(
        self, client: TestClient, editor: Key
    ) -> None:
        media = upload_media(
            client, editor, caption="الجسر عند الغروب", credit="تصوير: سلمى", alt="جسر"
        )
        assert media["caption"] == {"ar": "الجسر عند الغروب"}
        assert media["credit"] == {"ar": "تصوير: سلمى"}
        assert media["alt"] == {"ar": "جسر"}

    def test_texts_are_stored_under_the_given_lang(self, client: TestClient, editor: Key) -> None:
        media = upload_media(
            client,
            editor,
            lang="en",
            caption="The bridge at dusk",
            credit="Photo: Salma",
            alt="A bridge",
            archive="true",
            focal_x="0.25",
            focal_y="0.75",
            source_url="https://example.com/photo",
        )
        assert media["caption"] == {"en": "The bridge at dusk"}
        assert media["credit"] == {"en": "Photo: Salma"}
        assert media["alt"] == {"en": "A bridge"}
        assert media["archive"] is True
        assert media["focal"] == {"x": 0.25, "y": 0.75}
        assert media["source_url"] == "https://example.com/photo"

    def test_type_comes_from_the_bytes(self, client: TestClient, editor: Key) -> None:
        response = post_file(
            client, editor, png_with_alpha(), filename="photo.jpg", content_type="image/jpeg"
        )
        assert response.status_code == 201, response.text
        media = response.json()
        assert (media["format"], media["mime"]) == ("png", "image/png")
        assert (
            client.get(path_of(media["links"]["original"]), headers=editor).headers["content-type"]
            == "image/png"
        )

    def test_alpha_is_kept(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor, png_with_alpha(), filename="logo.png")
        original = decoded(client.get(path_of(media["links"]["original"]), headers=editor))
        assert original.convert("RGBA").getpixel((10, 10)) == (20, 60, 200, 255)
        assert original.convert("RGBA").getchannel("A").getpixel((390, 10)) == 0

    def test_animation_is_kept(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor, gif_animated(), filename="loop.gif")
        assert media["animated"] is True
        original = decoded(client.get(path_of(media["links"]["original"]), headers=editor))
        assert original.format == "GIF"
        assert getattr(original, "n_frames", 1) == 3

    def test_same_bytes_twice_is_one_item(self, client: TestClient, editor: Key) -> None:
        data = jpeg_bytes(400, 300)
        first = post_file(client, editor, data, caption="أولى")
        assert first.status_code == 201, first.text
        again = post_file(client, editor, data, filename="copy.jpg")
        assert again.status_code == 200, again.text
        assert again.json()["id"] == first.json()["id"]
        assert again.json()["caption"] == {"ar": "أولى"}
        listed = client.get("/v1/media", headers=editor).json()["items"]
        assert [item["id"] for item in listed] == [first.json()["id"]]

    def test_exif_orientation_is_applied(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor, oriented_jpeg())
        assert (media["width"], media["height"]) == (200, 300)
        original = decoded(client.get(path_of(media["links"]["original"]), headers=editor))
        assert original.size == (200, 300)
        assert is_red(original.convert("RGB").getpixel((100, 10)))
        assert not is_red(original.convert("RGB").getpixel((100, 290)))
        assert ExifTags.Base.Orientation not in original.getexif()

    @pytest.mark.parametrize("fmt", METADATA_FORMATS)
    def test_gps_and_xmp_are_gone_from_the_original(
        self, client: TestClient, editor: Key, fmt: str
    ) -> None:
        data = with_private_metadata(fmt)
        assert GPS_MARKER.encode() in data and XMP_MARKER.encode() in data
        media = upload_media(client, editor, data, filename=f"phone.{fmt.lower()}")
        original = client.get(path_of(media["links"]["original"]), headers=editor)
        assert original.status_code == 200, original.text
        assert_no_private_metadata(original.content)

    @pytest.mark.parametrize("fmt", METADATA_FORMATS)
    def test_gps_and_xmp_are_gone_from_renditions(
        self, client: TestClient, editor: Key, fmt: str
    ) -> None:
        media = upload_media(client, editor, with_private_metadata(fmt))
        for out in imaging.OUTPUT_FORMATS:
            response = client.get(
                f"/v1/media/{media['id']}/image", params={"w": 160, "fmt": out}, headers=editor
            )
            assert response.status_code == 200, (out, response.text)
            assert_no_private_metadata(response.content)

    def test_writer_can_upload(self, client: TestClient, writer: Key) -> None:
        assert post_file(client, writer, jpeg_bytes(200, 100)).status_code == 201

    def test_admin_can_upload(self, client: TestClient, admin: Key) -> None:
        assert post_file(client, admin, jpeg_bytes(200, 100)).status_code == 201


class TestUploadMediaRefused:
    """Every refusal is a problem document, and leaves nothing behind: no item, no file."""

    @pytest.mark.parametrize(
        ("data", "status"),
        [
            (b"", 422),
            (jpeg_bytes(400, 300)[:1500], 422),
            (b"Just some words, certainly not a photo.\n" * 20, 415),
            (b"<!DOCTYPE html><html><body><h1>hello</h1></body></html>", 415),
        ],
        ids=["empty", "truncated-jpeg", "text", "html"],
    )
    def test_not_an_image(
        self, client: TestClient, editor: Key, media_dir: Path, data: bytes, status: int
    ) -> None:
        assert_problem(post_file(client, editor, data, filename="photo.jpg"), status)
        assert_nothing_stored(client, editor, media_dir)

    @pytest.mark.parametrize(
        "svg",
        [
            b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            b'<rect width="10" height="10"/></svg>',
            b'<?xml version="1.0"?>\n<!-- logo -->\n<svg xmlns="http://www.w3.org/2000/svg">'
            b"<script>alert(document.cookie)</script></svg>",
        ],
        ids=["plain", "with-script"],
    )
    def test_svg(self, client: TestClient, editor: Key, media_dir: Path, svg: bytes) -> None:
        response = post_file(client, editor, svg, filename="logo.svg", content_type="image/svg+xml")
        problem = assert_problem(response, 415)
        assert "SVG" in problem["detail"]
        assert_nothing_stored(client, editor, media_dir)

    def test_decompression_bomb(self, client: TestClient, editor: Key, media_dir: Path) -> None:
        # Only a header: decoding 2.5 gigapixels would need 7.5 GB, so a 422 (not a crash or a
        # MemoryError) shows that the size was checked before any pixel was decoded.
        response = post_file(client, editor, png_claiming(50_000, 50_000), filename="bomb.png")
        problem = assert_problem(response, 422)
        assert "file" in error_fields(problem)
        assert_nothing_stored(client, editor, media_dir)

    def test_image_past_the_pixel_limit(
        self, client: TestClient, editor: Key, media_dir: Path
    ) -> None:
        # 56 megapixels: under Pillow's own guard, over KHABAR_MEDIA_MAX_PIXELS (50)
        problem = assert_problem(post_file(client, editor, png_claiming(8000, 7000)), 422)
        assert "megapixels" in problem["detail"]
        assert_nothing_stored(client, editor, media_dir)

    @pytest.mark.parametrize(
        "filename",
        [
            b"../../etc/passwd.jpg",
            b"..\\..\\x.jpg",
            b"/abs/x.jpg",
            b"photo\x00.jpg",
            "photo\u202egpj.exe".encode(),
        ],
        ids=["dot-dot", "backslashes", "absolute", "nul", "bidi-override"],
    )
    def test_path_like_file_name(
        self, client: TestClient, editor: Key, media_dir: Path, filename: bytes
    ) -> None:
        body = multipart((b'name="file"; filename="' + filename + b'"', jpeg_bytes(200, 100)))
        problem = assert_problem(post_multipart(client, editor, body), 422)
        assert "file" in error_fields(problem)
        assert_nothing_stored(client, editor, media_dir)

    def test_no_file_field(self, client: TestClient, editor: Key, media_dir: Path) -> None:
        body = multipart((b'name="caption"', "صورة بلا ملف".encode()))
        problem = assert_problem(post_multipart(client, editor, body), 422)
        assert "file" in error_fields(problem)
        assert_nothing_stored(client, editor, media_dir)

    def test_json_body(self, client: TestClient, editor: Key, media_dir: Path) -> None:
        response = client.post("/v1/media", headers=editor, json={"file": "aGVsbG8="})
        problem = assert_problem(response, 415)
        assert "multipart/form-data" in problem["detail"]
        assert_nothing_stored(client, editor, media_dir)

    @pytest.mark.parametrize(
        "content_type",
        [
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "multipart/form-data; boundary=",
            "image/jpeg",
            None,
        ],
    )
    def test_not_multipart(
        self, client: TestClient, editor: Key, media_dir: Path, content_type: str | None
    ) -> None:
        headers = editor if content_type is None else {**editor, "Content-Type": content_type}
        response = client.post("/v1/media", headers=headers, content=jpeg_bytes(64, 64))
        assert_problem(response, 415)
        assert_nothing_stored(client, editor, media_dir)

    def test_malformed_multipart(self, client: TestClient, editor: Key, media_dir: Path) -> None:
        body = b"this is not where a boundary goes\r\n" + multipart(
            (b'name="file"; filename="a.jpg"', jpeg_bytes(64, 64))
        )
        assert_problem(post_multipart(client, editor, body), 400)
        assert_nothing_stored(client, editor, media_dir)

    @pytest.mark.parametrize(
        "cut", [b"", b"\r\n--khabar-boundary"], ids=["after-data", "in-boundary"]
    )
    def test_body_without_its_closing_boundary(
        self, client: TestClient, editor: Key, media_dir: Path, cut: bytes
    ) -> None:
        # What a proxy that gave up half way delivers: the server cannot know the file is whole.
        whole = multipart((b'name="file"; filename="a.jpg"', jpeg_bytes(64, 64)))
        body = whole.removesuffix(b"\r\n--khabar-boundary--\r\n") + cut
        assert_problem(post_multipart(client, editor, body), 400)
        assert_nothing_stored(client, editor, media_dir)

    def test_client_going_away_leaves_no_file(
        self, small_app: FastAPI, client: TestClient, editor: Key, media_dir: Path
    ) -> None:
        with pytest.raises(ClientDisconnect):
            disconnecting_upload(small_app, editor)
        assert_nothing_stored(client, editor, media_dir)

    def test_two_files(self, client: TestClient, editor: Key, media_dir: Path) -> None:
        response = client.post(
            "/v1/media",
            headers=editor,
            files=[
                ("file", ("one.jpg", jpeg_bytes(200, 100), "image/jpeg")),
                ("file", ("two.jpg", jpeg_bytes(200, 100), "image/jpeg")),
            ],
        )
        problem = assert_problem(response, 422)
        assert "file" in error_fields(problem)
        assert_nothing_stored(client, editor, media_dir)

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("focal_x", "2"),
            ("focal_y", "-0.1"),
            ("lang", "not a lang"),
            ("source_url", "javascript:alert(1)"),
            ("archive", "maybe"),
            ("colour", "red"),
        ],
    )
    def test_bad_form_field(
        self, client: TestClient, editor: Key, media_dir: Path, field: str, value: str
    ) -> None:
        response = post_file(client, editor, jpeg_bytes(200, 100), **{field: value})
        problem = assert_problem(response, 422)
        assert field in error_fields(problem)
        assert_nothing_stored(client, editor, media_dir)

    def test_needs_a_key(self, client: TestClient, editor: Key, media_dir: Path) -> None:
        assert_needs_key(post_file(client, None, jpeg_bytes(200, 100)))
        assert_nothing_stored(client, editor, media_dir)

    def test_bad_key(self, client: TestClient, editor: Key, media_dir: Path) -> None:
        assert_needs_key(post_file(client, BAD_KEY, jpeg_bytes(200, 100)))
        assert_nothing_stored(client, editor, media_dir)


class TestUploadMediaSizeLimit:
    def test_file_past_the_limit_is_cut_off(
        self, small_client: TestClient, editor: Key, media_dir: Path
    ) -> None:
        # Small enough for the multipart envelope allowance, so the limit bites while reading.
        data = jpeg_bytes(64, 64) + b"\x00" * (SMALL_LIMIT + 20_000)
        problem = assert_problem(post_file(small_client, editor, data), 413)
        assert "limit" in problem["detail"]
        assert_nothing_stored(small_client, editor, media_dir)

    def test_file_at_the_limit_is_read(self, small_client: TestClient, editor: Key) -> None:
        data = jpeg_bytes(64, 64)
        data += b"\x00" * (SMALL_LIMIT - len(data))  # bytes after the JPEG's end are ignored
        response = post_file(small_client, editor, data)
        assert response.status_code == 201, response.text

    def test_large_upload_is_refused(
        self, small_client: TestClient, editor: Key, media_dir: Path
    ) -> None:
        data = jpeg_bytes(64, 64) + b"\x00" * 300_000
        assert_problem(post_file(small_client, editor, data), 413)
        assert_nothing_stored(small_client, editor, media_dir)

    def test_limit_is_enforced_while_streaming(
        self, small_app: FastAPI, small_client: TestClient, editor: Key, media_dir: Path
    ) -> None:
        stream = Stream(chunks=800)  # a 50 MB file, never announced
        response = stream.post(small_app, editor)
        assert_problem(response, 413)
        assert stream.sent < 10
        assert_nothing_stored(small_client, editor, media_dir)

    @pytest.mark.parametrize(
        ("head", "filler", "tail"),
        [
            # a small image, then megabytes after the closing boundary
            (SMALL_FILE_PART + STREAM_END, b"x" * CHUNK, b""),
            # the same form field again and again, each time well under the field limit
            (b"", stream_part("caption", b"c" * 1600) * 40, SMALL_FILE_PART + STREAM_END),
            # parts without a name, each small
            (b"", NAMELESS_PART * 8, SMALL_FILE_PART + STREAM_END),
        ],
        ids=["after-the-closing-boundary", "repeated-field", "nameless-parts"],
    )
    def test_whole_body_is_limited_while_streaming(
        self, small_app: FastAPI, editor: Key, head: bytes, filler: bytes, tail: bytes
    ) -> None:
        # With Content-Length, a body past the limit plus the envelope allowance is refused
        # unread; the same body sent without it must not be read to its end either.
        stream = Stream(chunks=200, head=head, filler=filler, tail=tail)  # 12 MB
        response = stream.post(small_app, editor)
        assert stream.sent < 10, (
            f"read {stream.sent} of {stream.chunks} chunks, then answered {response.status_code}"
        )
        assert response.status_code in (413, 422), response.text
        assert_problem(response, response.status_code)

    def test_content_length_past_the_limit_is_refused_before_reading(
        self, small_app: FastAPI, small_client: TestClient, editor: Key, media_dir: Path
    ) -> None:
        stream = Stream(chunks=800, content_length=800 * CHUNK)
        response = stream.post(small_app, editor)
        assert_problem(response, 413)
        assert stream.sent == 0
        assert_nothing_stored(small_client, editor, media_dir)


# Read --------------------------------------------------------------------------------------


class TestGetMedia:
    def test_with_a_key(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor, caption="ميناء")
        response = client.get(f"/v1/media/{media['id']}", headers=editor)
        assert response.status_code == 200, response.text
        assert response.json() == media
        assert response.headers["cache-control"] == "private, no-store"
        assert response.headers["etag"].startswith('"v1-')

    def test_unused_item_is_hidden(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor)
        assert_problem(client.get(f"/v1/media/{media['id']}"), 404)

    def test_draft_hero_is_hidden(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor)
        create_article(client, editor, publish=False, hero={"media": media["id"]})
        for path in ("", "/image", "/original"):
            assert_problem(client.get(f"/v1/media/{media['id']}{path}"), 404)
            response = client.get(f"/v1/media/{media['id']}{path}", headers=editor)
            assert response.status_code == 200, (path, response.text)
            assert response.headers["cache-control"] == "private, no-store"

    def test_published_hero_is_public(self, client: TestClient, editor: Key) -> None:
        media = public_media(client, editor)
        response = client.get(f"/v1/media/{media['id']}")
        assert response.status_code == 200, response.text
        assert response.json()["id"] == media["id"]
        assert response.headers["cache-control"].startswith("public, ")

    def test_published_image_block_is_public(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor)
        create_article(
            client,
            editor,
            body=[
                {"type": "paragraph", "html": "افتتحت البلدية الجسر."},
                {"type": "image", "media": media["id"]},
            ],
        )
        assert client.get(f"/v1/media/{media['id']}").status_code == 200

    def test_avatar_is_public(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor)
        create_author(client, editor, avatar=media["id"])
        assert client.get(f"/v1/media/{media['id']}").status_code == 200

    def test_unpublished_article_hides_its_hero_again(
        self, client: TestClient, editor: Key
    ) -> None:
        media = upload_media(client, editor)
        article = make_public(client, editor, media["id"])
        assert client.get(f"/v1/media/{media['id']}").status_code == 200
        response = act(client, editor, article["id"], "unpublish")
        assert response.status_code == 200, response.text
        for path in ("", "/image", "/original"):
            assert_problem(client.get(f"/v1/media/{media['id']}{path}"), 404)
        assert client.get("/v1/media").json()["items"] == []

    def test_replaced_hero_is_hidden(self, client: TestClient, editor: Key) -> None:
        old = upload_media(client, editor)
        new = upload_media(client, editor)
        article = make_public(client, editor, old["id"])
        response = client.patch(
            f"/v1/articles/{article['id']}",
            headers={**editor, "If-Match": "*"},
            json={"hero": {"media": new["id"]}},
        )
        assert response.status_code == 200, response.text
        assert_problem(client.get(f"/v1/media/{old['id']}"), 404)
        assert client.get(f"/v1/media/{new['id']}").status_code == 200

    def test_image_block_taken_out_is_hidden(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor)
        article = create_article(client, editor, body=[{"type": "image", "media": media["id"]}])
        assert client.get(f"/v1/media/{media['id']}").status_code == 200
        response = client.patch(
            f"/v1/articles/{article['id']}",
            headers={**editor, "If-Match": "*"},
            json={"body": [{"type": "paragraph", "html": "بلا صورة."}]},
        )
        assert response.status_code == 200, response.text
        assert_problem(client.get(f"/v1/media/{media['id']}"), 404)

    def test_deleted_article_hides_its_hero(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor)
        article = make_public(client, editor, media["id"])
        assert trash(client, editor, article["id"]).status_code == 200
        assert_problem(client.get(f"/v1/media/{media['id']}"), 404)

    def test_avatar_taken_off_is_hidden(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor)
        author = create_author(client, editor, avatar=media["id"])
        response = client.patch(
            f"/v1/authors/{author['slug']}", headers=editor, json={"avatar": None}
        )
        assert response.status_code == 200, response.text
        assert_problem(client.get(f"/v1/media/{media['id']}"), 404)

    def test_bad_key_is_401(self, client: TestClient, editor: Key) -> None:
        media = public_media(client, editor)
        assert_needs_key(client.get(f"/v1/media/{media['id']}", headers=BAD_KEY))

    def test_unknown_id(self, client: TestClient, editor: Key) -> None:
        problem = assert_problem(client.get("/v1/media/nosuchmedia00000", headers=editor), 404)
        assert "nosuchmedia00000" in problem["detail"]

    def test_if_none_match_gives_304(self, client: TestClient, editor: Key) -> None:
        media = public_media(client, editor)
        first = client.get(f"/v1/media/{media['id']}")
        again = client.get(
            f"/v1/media/{media['id']}", headers={"If-None-Match": first.headers["etag"]}
        )
        assert again.status_code == 304
        assert again.content == b""


class TestListMedia:
    def test_newest_first(self, client: TestClient, editor: Key) -> None:
        made = [upload_media(client, editor, jpeg_bytes(160, 90))["id"] for _ in range(3)]
        listed = client.get("/v1/media", headers=editor)
        assert listed.status_code == 200, listed.text
        assert [item["id"] for item in listed.json()["items"]] == list(reversed(made))
        assert listed.headers["cache-control"] == "private, no-store"

    def test_pages_see_every_item_once(self, client: TestClient, editor: Key) -> None:
        made = [upload_media(client, editor, jpeg_bytes(160, 90))["id"] for _ in range(5)]
        seen: list[str] = []
        url: str | None = "/v1/media?limit=2"
        pages = 0
        while url is not None:
            response = client.get(url, headers=editor)
            assert response.status_code == 200, response.text
            page = response.json()
            assert len(page["items"]) <= 2
            seen.extend(item["id"] for item in page["items"])
            url = page["links"]["next"]
            pages += 1
        assert seen == list(reversed(made))
        assert pages == 3

    @pytest.mark.parametrize(
        "cursor",
        [
            "not-a-cursor",
            "WyJtZWRpYSJd",  # ["media"]: no key values
            "e30",  # {}
            "WyJwdWJsaXNoZWQiLCIyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwxXQ",  # an article cursor
        ],
    )
    def test_bad_cursor_is_400(self, client: TestClient, editor: Key, cursor: str) -> None:
        upload_media(client, editor, jpeg_bytes(160, 90))
        response = client.get("/v1/media", params={"cursor": cursor}, headers=editor)
        problem = assert_problem(response, 400)
        assert "cursor" in problem["detail"]

    def test_public_list_shows_only_media_in_public_use(
        self, client: TestClient, editor: Key
    ) -> None:
        hero = upload_media(client, editor, jpeg_bytes(160, 90))
        make_public(client, editor, hero["id"])
        avatar = upload_media(client, editor, jpeg_bytes(160, 90))
        create_author(client, editor, avatar=avatar["id"])
        draft_hero = upload_media(client, editor, jpeg_bytes(160, 90))
        create_article(client, editor, publish=False, hero={"media": draft_hero["id"]})
        unused = upload_media(client, editor, jpeg_bytes(160, 90))

        public = client.get("/v1/media")
        assert public.status_code == 200, public.text
        assert [item["id"] for item in public.json()["items"]] == [avatar["id"], hero["id"]]
        assert public.headers["cache-control"].startswith("public, ")
        private = client.get("/v1/media", headers=editor).json()["items"]
        assert [item["id"] for item in private] == [
            unused["id"],
            draft_hero["id"],
            avatar["id"],
            hero["id"],
        ]

    def test_unpublished_article_leaves_the_public_list(
        self, client: TestClient, editor: Key
    ) -> None:
        media = upload_media(client, editor, jpeg_bytes(160, 90))
        article = make_public(client, editor, media["id"])
        assert [item["id"] for item in client.get("/v1/media").json()["items"]] == [media["id"]]
        response = act(client, editor, article["id"], "unpublish")
        assert response.status_code == 200, response.text
        assert client.get("/v1/media").json()["items"] == []

    @pytest.mark.parametrize("limit", ["0", "101", "many"])
    def test_limit_out_of_range_is_422(self, client: TestClient, limit: str) -> None:
        assert_problem(client.get("/v1/media", params={"limit": limit}), 422)


# Update ------------------------------------------------------------------------------------


class TestUpdateMedia:
    def test_caption_merges_per_language(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor, caption="الجسر")
        response = client.patch(
            f"/v1/media/{media['id']}", headers=editor, json={"caption": {"en": "The bridge"}}
        )
        assert response.status_code == 200, response.text
        assert response.json()["caption"] == {"ar": "الجسر", "en": "The bridge"}
        again = client.get(f"/v1/media/{media['id']}", headers=editor).json()
        assert again["caption"] == {"ar": "الجسر", "en": "The bridge"}

    @pytest.mark.parametrize("empty", [None, "", "   "])
    def test_null_or_empty_removes_a_language(
        self, client: TestClient, editor: Key, empty: str | None
    ) -> None:
        media = upload_media(client, editor, credit="تصوير: سلمى")
        client.patch(f"/v1/media/{media['id']}", headers=editor, json={"credit": {"en": "Salma"}})
        response = client.patch(
            f"/v1/media/{media['id']}", headers=editor, json={"credit": {"ar": empty}}
        )
        assert response.status_code == 200, response.text
        assert response.json()["credit"] == {"en": "Salma"}

    def test_whole_map_cannot_be_null(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor)
        response = client.patch(f"/v1/media/{media['id']}", headers=editor, json={"alt": None})
        assert_problem(response, 422)

    def test_archive_focal_and_source_url(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor)
        response = client.patch(
            f"/v1/media/{media['id']}",
            headers=editor,
            json={
                "archive": True,
                "focal": {"x": 0.2, "y": 0.8},
                "source_url": "https://agency.example/pictures/1",
            },
        )
        assert response.status_code == 200, response.text
        updated = response.json()
        assert updated["archive"] is True
        assert updated["focal"] == {"x": 0.2, "y": 0.8}
        assert updated["source_url"] == "https://agency.example/pictures/1"
        cleared = client.patch(
            f"/v1/media/{media['id']}", headers=editor, json={"source_url": None}
        )
        assert cleared.json()["source_url"] is None

    def test_version_and_etag_change(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor)
        before = client.get(f"/v1/media/{media['id']}", headers=editor)
        response = client.patch(
            f"/v1/media/{media['id']}", headers=editor, json={"alt": {"ar": "جسر"}}
        )
        assert response.status_code == 200, response.text
        assert response.json()["version"] == 2
        assert response.headers["etag"] != before.headers["etag"]
        assert response.headers["etag"].startswith('"v2-')
        assert response.json()["updated_at"] >= media["updated_at"]

    def test_current_if_match_is_accepted(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor)
        etag = client.get(f"/v1/media/{media['id']}", headers=editor).headers["etag"]
        response = client.patch(
            f"/v1/media/{media['id']}",
            headers={**editor, "If-Match": etag},
            json={"archive": True},
        )
        assert response.status_code == 200, response.text

    def test_stale_if_match_is_412(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor)
        stale = client.get(f"/v1/media/{media['id']}", headers=editor).headers["etag"]
        client.patch(f"/v1/media/{media['id']}", headers=editor, json={"archive": True})
        response = client.patch(
            f"/v1/media/{media['id']}",
            headers={**editor, "If-Match": stale},
            json={"caption": {"en": "Too late"}},
        )
        problem = assert_problem(response, 412)
        assert problem["current_version"] == 2
        after = client.get(f"/v1/media/{media['id']}", headers=editor).json()
        assert after["caption"] == {}
        assert after["version"] == 2

    @pytest.mark.parametrize(
        "changes",
        [
            {"focal": {"x": 1.5, "y": 0.5}},
            {"focal": {"x": 0.5}},
            {"caption": {"not a lang": "x"}},
            {"source_url": "javascript:alert(1)"},
            {"archive": "maybe"},
            {"width": 10},
        ],
        ids=["focal-out-of-range", "focal-half", "bad-lang", "bad-url", "bad-archive", "extra"],
    )
    def test_invalid_change_is_422(
        self, client: TestClient, editor: Key, changes: dict[str, Any]
    ) -> None:
        media = upload_media(client, editor)
        response = client.patch(f"/v1/media/{media['id']}", headers=editor, json=changes)
        problem = assert_problem(response, 422)
        assert next(iter(changes)) in error_fields(problem)
        unchanged = client.get(f"/v1/media/{media['id']}", headers=editor).json()
        assert unchanged["version"] == 1

    def test_unknown_id(self, client: TestClient, editor: Key) -> None:
        response = client.patch("/v1/media/nosuchmedia00000", headers=editor, json={})
        assert_problem(response, 404)

    def test_needs_a_key(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor)
        assert_needs_key(client.patch(f"/v1/media/{media['id']}", json={"archive": True}))

    def test_writer_can_change_unused_media(self, client: TestClient, writer: Key) -> None:
        media = upload_media(client, writer)
        response = client.patch(
            f"/v1/media/{media['id']}", headers=writer, json={"alt": {"ar": "جسر"}}
        )
        assert response.status_code == 200, response.text

    def test_writer_cannot_change_published_media(
        self, client: TestClient, editor: Key, writer: Key
    ) -> None:
        media = public_media(client, editor)
        response = client.patch(
            f"/v1/media/{media['id']}", headers=writer, json={"alt": {"ar": "جسر"}}
        )
        assert_problem(response, 403)
        assert client.get(f"/v1/media/{media['id']}").json()["alt"] == {}

    def test_writer_cannot_change_an_avatar(
        self, client: TestClient, editor: Key, writer: Key
    ) -> None:
        media = upload_media(client, editor)
        create_author(client, editor, avatar=media["id"])
        response = client.patch(f"/v1/media/{media['id']}", headers=writer, json={"archive": True})
        assert_problem(response, 403)

    def test_editor_can_change_published_media(self, client: TestClient, editor: Key) -> None:
        media = public_media(client, editor)
        response = client.patch(
            f"/v1/media/{media['id']}", headers=editor, json={"alt": {"ar": "جسر"}}
        )
        assert response.status_code == 200, response.text
        assert client.get(f"/v1/media/{media['id']}").json()["alt"] == {"ar": "جسر"}

    def test_new_focal_point_changes_the_version_token(
        self, client: TestClient, editor: Key
    ) -> None:
        media = upload_media(client, editor)
        response = client.patch(
            f"/v1/media/{media['id']}", headers=editor, json={"focal": {"x": 0.1, "y": 0.1}}
        )
        updated = response.json()
        assert updated["src"] != media["src"]
        assert updated["src"].split("&v=")[0] == media["src"].split("&v=")[0]
        assert updated["links"]["original"] != media["links"]["original"]
        untouched = client.patch(
            f"/v1/media/{media['id']}", headers=editor, json={"caption": {"en": "Bridge"}}
        ).json()
        assert untouched["src"] == updated["src"]


# Delete ------------------------------------------------------------------------------------


class TestDeleteMedia:
    def test_unused_item_is_deleted_with_its_files(
        self, client: TestClient, editor: Key, media_dir: Path
    ) -> None:
        media = upload_media(client, editor)
        rendition = client.get(f"/v1/media/{media['id']}/image?w=320", headers=editor)
        assert rendition.status_code == 200, rendition.text
        assert any(media["id"] in str(path) for path in stored_files(media_dir))

        response = client.delete(f"/v1/media/{media['id']}", headers=editor)
        assert response.status_code == 204, response.text
        assert response.content == b""
        assert stored_files(media_dir) == []
        assert_problem(client.get(f"/v1/media/{media['id']}", headers=editor), 404)
        assert_problem(client.get(f"/v1/media/{media['id']}/image", headers=editor), 404)
        assert_problem(client.delete(f"/v1/media/{media['id']}", headers=editor), 404)

    def test_other_items_keep_their_files(
        self, client: TestClient, editor: Key, media_dir: Path
    ) -> None:
        kept = upload_media(client, editor)
        client.get(f"/v1/media/{kept['id']}/image?w=320", headers=editor)
        files = stored_files(media_dir)
        gone = upload_media(client, editor)
        client.get(f"/v1/media/{gone['id']}/image?w=320", headers=editor)
        assert client.delete(f"/v1/media/{gone['id']}", headers=editor).status_code == 204
        assert stored_files(media_dir) == files

    def test_published_article_blocks_it(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor)
        article = make_public(client, editor, media["id"])
        problem = assert_problem(client.delete(f"/v1/media/{media['id']}", headers=editor), 409)
        assert problem["articles"] == [article["id"]]
        assert client.get(f"/v1/media/{media['id']}").status_code == 200

    def test_published_image_block_blocks_it(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor)
        article = create_article(
            client, editor, body=[{"type": "image", "media": media["id"], "caption": "الجسر"}]
        )
        problem = assert_problem(client.delete(f"/v1/media/{media['id']}", headers=editor), 409)
        assert problem["articles"] == [article["id"]]

    def test_avatar_blocks_it(self, client: TestClient, editor: Key, media_dir: Path) -> None:
        media = upload_media(client, editor)
        author = create_author(client, editor, avatar=media["id"])
        problem = assert_problem(client.delete(f"/v1/media/{media['id']}", headers=editor), 409)
        assert author["slug"] in problem["detail"]
        assert len(stored_files(media_dir)) == 1

    def test_draft_loses_its_hero(self, client: TestClient, editor: Key, media_dir: Path) -> None:
        media = upload_media(client, editor)
        draft = create_article(client, editor, publish=False, hero={"media": media["id"]})
        assert draft["hero"]["id"] == media["id"]
        client.get(f"/v1/media/{media['id']}/image?w=160", headers=editor)

        assert client.delete(f"/v1/media/{media['id']}", headers=editor).status_code == 204
        article = client.get(f"/v1/articles/{draft['id']}", headers=editor)
        assert article.status_code == 200, article.text
        assert article.json()["hero"] is None
        assert stored_files(media_dir) == []

    def test_draft_loses_its_image_block(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor)
        draft = create_article(
            client,
            editor,
            publish=False,
            body=[
                {"type": "paragraph", "html": "افتتحت البلدية الجسر."},
                {"type": "image", "media": media["id"]},
            ],
        )
        assert client.delete(f"/v1/media/{media['id']}", headers=editor).status_code == 204
        article = client.get(f"/v1/articles/{draft['id']}", headers=editor)
        assert article.status_code == 200, article.text
        assert media["id"] not in article.text

    def test_article_that_dropped_it_no_longer_blocks_it(
        self, client: TestClient, editor: Key
    ) -> None:
        media = upload_media(client, editor)
        article = make_public(client, editor, media["id"])
        response = client.patch(
            f"/v1/articles/{article['id']}",
            headers={**editor, "If-Match": "*"},
            json={"hero": None},
        )
        assert response.status_code == 200, response.text
        assert client.delete(f"/v1/media/{media['id']}", headers=editor).status_code == 204

    def test_unpublished_article_no_longer_blocks_it(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor)
        article = make_public(client, editor, media["id"])
        act(client, editor, article["id"], "unpublish")
        assert client.delete(f"/v1/media/{media['id']}", headers=editor).status_code == 204

    def test_stale_if_match_is_412(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor)
        client.patch(f"/v1/media/{media['id']}", headers=editor, json={"archive": True})
        response = client.delete(
            f"/v1/media/{media['id']}", headers={**editor, "If-Match": '"v1-0"'}
        )
        assert_problem(response, 412)
        assert client.get(f"/v1/media/{media['id']}", headers=editor).status_code == 200

    def test_same_bytes_after_deletion_is_a_new_item(self, client: TestClient, editor: Key) -> None:
        data = jpeg_bytes(320, 200)
        first = upload_media(client, editor, data)
        assert client.delete(f"/v1/media/{first['id']}", headers=editor).status_code == 204
        again = post_file(client, editor, data)
        assert again.status_code == 201, again.text
        assert again.json()["id"] != first["id"]
        assert client.get(path_of(again.json()["src"]), headers=editor).status_code == 200

    def test_writer_cannot_delete(
        self, client: TestClient, editor: Key, writer: Key, media_dir: Path
    ) -> None:
        media = upload_media(client, writer)
        assert_problem(client.delete(f"/v1/media/{media['id']}", headers=writer), 403)
        assert client.get(f"/v1/media/{media['id']}", headers=editor).status_code == 200
        assert len(stored_files(media_dir)) == 1

    def test_needs_a_key(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor)
        assert_needs_key(client.delete(f"/v1/media/{media['id']}"))


# Renditions --------------------------------------------------------------------------------


def rendition(client: TestClient, key: Key | None, media_id: str, **params: Any) -> httpx2.Response:
    return client.get(f"/v1/media/{media_id}/image", params=params, headers=key)


class TestGetImage:
    @pytest.mark.parametrize(
        ("w", "expected"),
        [(1000, 1200), (1200, 1200), (161, 320), (100, 160), (2560, 1600), (1700, 1600)],
    )
    def test_width_snaps_up_the_ladder_and_never_upscales(
        self, client: TestClient, editor: Key, w: int, expected: int
    ) -> None:
        media = upload_media(client, editor, jpeg_bytes(1600, 900))
        image = decoded(rendition(client, editor, media["id"], w=w))
        assert image.format == "JPEG"
        assert image.size == (expected, round(900 * expected / 1600))

    def test_no_width_gives_the_largest_step(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor, jpeg_bytes(1000, 500))
        assert decoded(rendition(client, editor, media["id"])).size == (960, 480)

    def test_cover_crops_to_the_ratio(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor, jpeg_bytes(1600, 900))
        assert decoded(rendition(client, editor, media["id"], w=800, h=450)).size == (800, 450)
        square = decoded(rendition(client, editor, media["id"], w=640, h=640, fit="cover"))
        assert square.size == (640, 640)

    def test_ratio_snaps(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor, jpeg_bytes(1600, 900))
        # 800×455 is nearest 16:9
        assert decoded(rendition(client, editor, media["id"], w=800, h=455)).size == (800, 450)

    def test_cover_never_upscales(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor, jpeg_bytes(1600, 900))
        # the largest 1:1 crop of a 1600×900 image is 900×900
        assert decoded(rendition(client, editor, media["id"], w=1600, h=1600)).size == (900, 900)

    def test_contain_keeps_the_aspect_ratio(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor, jpeg_bytes(1600, 900))
        image = decoded(rendition(client, editor, media["id"], w=800, h=800, fit="contain"))
        assert image.size == (800, 450)
        tall = decoded(rendition(client, editor, media["id"], w=320, h=640, fit="contain"))
        assert tall.size == (320, 180)

    def test_contain_fills_the_box_of_a_narrow_image(self, client: TestClient, editor: Key) -> None:
        # 600×1600 fits an 800×800 box at half size, 300×800: no upscaling needed. Narrower
        # than the box is no reason to shrink the box.
        media = upload_media(client, editor, jpeg_bytes(600, 1600))
        image = decoded(rendition(client, editor, media["id"], w=800, h=800, fit="contain"))
        assert image.size == (300, 800)

    @pytest.mark.parametrize(
        ("fmt", "mime", "pillow"),
        [
            ("jpeg", "image/jpeg", "JPEG"),
            ("webp", "image/webp", "WEBP"),
            pytest.param("avif", "image/avif", "AVIF", marks=needs_avif),
        ],
    )
    def test_format(
        self, client: TestClient, editor: Key, fmt: str, mime: str, pillow: str
    ) -> None:
        media = upload_media(client, editor, jpeg_bytes(800, 450))
        response = rendition(client, editor, media["id"], w=320, fmt=fmt)
        assert response.headers["content-type"] == mime
        assert response.headers["x-content-type-options"] == "nosniff"
        image = decoded(response)
        assert (image.format, image.size) == (pillow, (320, 180))

    def test_alpha_defaults_to_webp(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor, png_with_alpha(), filename="logo.png")
        response = rendition(client, editor, media["id"], w=160)
        assert response.headers["content-type"] == "image/webp"
        image = decoded(response)
        assert image.mode == "RGBA"
        assert image.getchannel("A").getpixel((150, 10)) == 0

    def test_animation_gives_its_first_frame(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor, gif_animated(), filename="loop.gif")
        image = decoded(rendition(client, editor, media["id"], w=160, fmt="jpeg"))
        assert image.size == (120, 80)
        assert is_red(image.convert("RGB").getpixel((60, 40)))

    def test_quality_snaps(self, client: TestClient, editor: Key, media_dir: Path) -> None:
        media = upload_media(client, editor, jpeg_bytes(800, 450))
        q71 = rendition(client, editor, media["id"], w=320, q=71)
        q68 = rendition(client, editor, media["id"], w=320, q=68)
        assert q71.headers["etag"] == q68.headers["etag"]
        assert q71.content == q68.content
        rendition(client, editor, media["id"], w=320, q=75)  # a tie goes up
        rendition(client, editor, media["id"], w=320, q=100)
        names = sorted(path.name for path in (media_dir / "renditions" / media["id"]).iterdir())
        assert names == ["w320-q70.jpg", "w320-q80.jpg", "w320-q90.jpg"]

    @pytest.mark.parametrize(
        "params",
        [
            {"w": 0},
            {"w": 99999},
            {"w": -5},
            {"w": "wide"},
            {"h": 400},
            {"w": 400, "h": 0},
            {"w": 400, "h": 400, "fit": "stretch"},
            {"fmt": "bmp"},
            {"fmt": "png"},
            {"q": 0},
            {"q": 101},
        ],
        ids=lambda params: "&".join(f"{k}={v}" for k, v in params.items()),
    )
    def test_out_of_range_is_422(
        self, client: TestClient, editor: Key, media_dir: Path, params: dict[str, Any]
    ) -> None:
        media = upload_media(client, editor, jpeg_bytes(800, 450))
        assert_problem(rendition(client, editor, media["id"], **params), 422)
        assert not (media_dir / "renditions").exists()

    def test_avif_where_unsupported_is_422(
        self, client: TestClient, editor: Key, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        media = upload_media(client, editor, jpeg_bytes(800, 450))
        monkeypatch.setattr(imaging, "_AVIF", False)
        problem = assert_problem(rendition(client, editor, media["id"], w=320, fmt="avif"), 422)
        assert "avif" in problem["detail"]

    def test_rendition_is_rendered_once_and_kept(
        self, client: TestClient, editor: Key, media_dir: Path
    ) -> None:
        media = upload_media(client, editor, jpeg_bytes(800, 450))
        folder = media_dir / "renditions" / media["id"]
        assert not folder.exists()
        first = rendition(client, editor, media["id"], w=480, fmt="webp")
        assert [path.name for path in folder.iterdir()] == ["w480-q80.webp"]
        assert (folder / "w480-q80.webp").read_bytes() == first.content
        again = rendition(client, editor, media["id"], w=480, fmt="webp")
        assert again.content == first.content
        assert again.headers["etag"] == first.headers["etag"]

    def test_if_none_match_gives_304(self, client: TestClient, editor: Key) -> None:
        media = public_media(client, editor, jpeg_bytes(800, 450))
        first = rendition(client, None, media["id"], w=320)
        assert first.status_code == 200, first.text
        etag = first.headers["etag"]
        assert rendition(client, None, media["id"], w=320).headers["etag"] == etag
        again = client.get(f"/v1/media/{media['id']}/image?w=320", headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag
        other = client.get(f"/v1/media/{media['id']}/image?w=480", headers={"If-None-Match": etag})
        assert other.status_code == 200

    def test_versioned_url_is_immutable(self, client: TestClient, editor: Key) -> None:
        media = public_media(client, editor, jpeg_bytes(800, 450))
        response = client.get(path_of(media["src"]))
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == IMMUTABLE
        srcset = [entry.rsplit(" ", 1)[0] for entry in media["srcset"].split(", ")]
        webp = client.get(path_of(srcset[0]))
        assert webp.headers["content-type"] == "image/webp"
        assert webp.headers["cache-control"] == IMMUTABLE

    @pytest.mark.parametrize("v", [None, "deadbeef"])
    def test_unversioned_url_is_cached_briefly(
        self, client: TestClient, editor: Key, v: str | None
    ) -> None:
        media = public_media(client, editor, jpeg_bytes(800, 450))
        params: dict[str, Any] = {"w": 320} if v is None else {"w": 320, "v": v}
        response = rendition(client, None, media["id"], **params)
        assert response.status_code == 200, response.text
        cache_control = response.headers["cache-control"]
        assert cache_control.startswith("public, max-age=")
        assert "immutable" not in cache_control
        assert "31536000" not in cache_control

    def test_with_a_key_it_is_private(self, client: TestClient, editor: Key) -> None:
        media = public_media(client, editor, jpeg_bytes(800, 450))
        response = client.get(path_of(media["src"]), headers=editor)
        assert response.headers["cache-control"] == "private, no-store"

    def test_focal_point_stays_in_the_crop(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor, red_square_at(0.85, 0.5))
        patched = client.patch(
            f"/v1/media/{media['id']}", headers=editor, json={"focal": {"x": 0.85, "y": 0.5}}
        )
        assert patched.status_code == 200, patched.text
        square = decoded(rendition(client, editor, media["id"], w=400, h=400))
        assert square.size == (480, 480)  # 400 snaps up to 480
        # The 800×800 crop is pushed against the right edge (x 800–1600), so the red square
        # (x 1260–1460) lands at x 276–396 of the output rather than in its centre.
        assert is_red(square.convert("RGB").getpixel((336, 240)))
        assert red_pixels(square) > 100 * 100
        # A tall crop has room to centre on the focal point.
        tall = decoded(rendition(client, editor, media["id"], w=320, h=640))
        assert tall.size == (320, 640)
        assert is_red(tall.convert("RGB").getpixel((160, 320)))

    def test_focal_point_elsewhere_leaves_the_square_out(
        self, client: TestClient, editor: Key
    ) -> None:
        media = upload_media(client, editor, red_square_at(0.85, 0.5))
        client.patch(
            f"/v1/media/{media['id']}", headers=editor, json={"focal": {"x": 0.15, "y": 0.5}}
        )
        square = decoded(rendition(client, editor, media["id"], w=400, h=400))
        assert red_pixels(square) == 0

    def test_new_focal_point_gives_a_new_crop(self, client: TestClient, editor: Key) -> None:
        media = upload_media(client, editor, red_square_at(0.85, 0.5))
        left = client.patch(
            f"/v1/media/{media['id']}", headers=editor, json={"focal": {"x": 0.15, "y": 0.5}}
        ).json()
        before = client.get(path_of(left["src"].replace("w=1200", "w=400&h=400")), headers=editor)
        assert red_pixels(decoded(before)) == 0
        right = client.patch(
            f"/v1/media/{media['id']}", headers=editor, json={"focal": {"x": 0.85, "y": 0.5}}
        ).json()
        assert right["src"] != left["src"]
        after = client.get(path_of(right["src"].replace("w=1200", "w=400&h=400")), headers=editor)
        assert after.headers["etag"] != before.headers["etag"]
        assert red_pixels(decoded(after)) > 0

    def test_head(self, client: TestClient, editor: Key) -> None:
        media = public_media(client, editor, jpeg_bytes(800, 450))
        response = client.head(path_of(media["src"]))
        assert response.status_code == 200
        assert response.content == b""
        assert response.headers["content-type"] == "image/jpeg"
        assert response.headers["etag"] == client.get(path_of(media["src"])).headers["etag"]

    def test_unknown_id(self, client: TestClient, editor: Key) -> None:
        assert_problem(rendition(client, editor, "nosuchmedia00000", w=320), 404)


class TestGetOriginal:
    def test_versioned_url_is_immutable(self, client: TestClient, editor: Key) -> None:
        media = public_media(client, editor, jpeg_bytes(400, 300))
        response = client.get(path_of(media["links"]["original"]))
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == IMMUTABLE
        assert response.headers["content-type"] == "image/jpeg"
        assert decoded(response).size == (400, 300)

    def test_if_none_match_gives_304(self, client: TestClient, editor: Key) -> None:
        media = public_media(client, editor, jpeg_bytes(400, 300))
        first = client.get(f"/v1/media/{media['id']}/original")
        assert "immutable" not in first.headers["cache-control"]
        again = client.get(
            f"/v1/media/{media['id']}/original", headers={"If-None-Match": first.headers["etag"]}
        )
        assert again.status_code == 304
        assert again.content == b""

    def test_unknown_id(self, client: TestClient, editor: Key) -> None:
        assert_problem(client.get("/v1/media/nosuchmedia00000/original", headers=editor), 404)

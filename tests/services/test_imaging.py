import base64
import io
import struct
import warnings
import zlib
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageChops, ImageCms, ImageStat, PngImagePlugin, features

from app.services import imaging
from app.services.imaging import ImageRejected, ingest, output_size, plan_rendition, render

AVIF = features.check("avif")
LIMIT = 50_000_000

# Markers that must not survive cleaning: the camera make and GPS datum (EXIF), the tool
# (XMP), a comment, a caption (IPTC, in a JPEG's APP13 segment). Each one also shows up in
# the raw bytes of the source: the tests check that first.
SECRETS = (b"KhabarCam", b"WGS-84 GPS", b"SecretTool", b"SecretComment", b"SecretCaption")
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF'
    b' xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description'
    b' xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="SecretTool"/>'
    b"</rdf:RDF></x:xmpmeta>"
)


def iptc_segment() -> bytes:
    """A JPEG APP13 segment holding an IPTC caption, the way Photoshop writes it."""
    iptc = b"\x1c\x02\x78" + struct.pack(">H", 13) + b"SecretCaption"
    payload = b"Photoshop 3.0\x00" + b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iptc)) + iptc
    return b"\xff\xed" + struct.pack(">H", 2 + len(payload)) + payload


def exif_with_gps(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "KhabarCam"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (33.0, 30.0, 15.0),
        ExifTags.GPS.GPSMapDatum: "WGS-84 GPS",
    }
    return exif


def two_halves(size: tuple[int, int] = (60, 40), mode: str = "RGB") -> Image.Image:
    """Left half red, right half blue: shows which way an image was turned."""
    image = Image.new(mode, size, "red")
    image.paste(Image.new(mode, (size[0] - size[0] // 2, size[1]), "blue"), (size[0] // 2, 0))
    return image


def gradient(size: tuple[int, int]) -> Image.Image:
    ramp = Image.linear_gradient("L").resize(size)
    return Image.merge("RGB", (ramp, ramp.transpose(Image.Transpose.ROTATE_180), ramp))


def save(image: Image.Image, path: Path, fmt: str, **options: object) -> Path:
    image.save(path, fmt, **options)
    return path


def with_metadata(path: Path, fmt: str) -> Path:
    """A small image in `fmt` carrying EXIF with GPS, XMP and a comment where the format can."""
    image = gradient((64, 48))
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", XMP.decode())
        info.add_text("Comment", "SecretComment")
        return save(image, path, fmt, exif=exif_with_gps(), pnginfo=info)
    if fmt == "GIF":
        return save(image, path, fmt, comment=b"SecretComment")
    options: dict[str, object] = {"exif": exif_with_gps(), "xmp": XMP}
    if fmt == "JPEG":
        options.update(comment=b"SecretComment", extra=iptc_segment())
    return save(image, path, fmt, **options)


def assert_no_metadata(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        assert not exif
        assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
        for key in ("exif", "xmp", "XML:com.adobe.xmp", "comment", "Comment"):
            assert key not in image.info
    for marker in (b"Exif\x00\x00", b"GPS", b"http://ns.adobe.com/xap", *SECRETS):
        assert marker not in data


def rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def close_to(pixel: object, expected: tuple[int, ...], tolerance: int = 24) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=False))


def plan(**request: object) -> imaging.Rendition:
    args: dict[str, object] = {
        "width": None,
        "height": None,
        "fit": "cover",
        "fmt": None,
        "quality": None,
        "source_width": 4000,
        "source_height": 3000,
        "source_format": "jpeg",
    }
    args.update(request)
    return plan_rendition(**args)  # type: ignore[arg-type]


def png_header(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims width×height, with a tiny IDAT: all header, no pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


PILLOW_NAMES = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "gif": "GIF", "avif": "AVIF"}


class TestIngest:
    @pytest.mark.parametrize("fmt", list(imaging.FORMATS))
    def test_each_format(self, tmp_path, fmt):
        source = save(gradient((64, 48)), tmp_path / "upload", PILLOW_NAMES[fmt])
        dest = tmp_path / "clean"
        original = ingest(source, dest, max_pixels=LIMIT)
        assert (original.format, original.mime) == (fmt, imaging.FORMATS[fmt])
        assert (original.width, original.height) == (64, 48)
        assert original.bytes == dest.stat().st_size
        assert not original.animated
        with Image.open(dest) as cleaned:
            assert cleaned.format == PILLOW_NAMES[fmt]
            assert cleaned.size == (64, 48)

    def test_type_comes_from_the_bytes(self, tmp_path):
        source = save(gradient((30, 20)), tmp_path / "x.jpg", "PNG")
        assert ingest(source, tmp_path / "clean", max_pixels=LIMIT).format == "png"

    @pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", *(["AVIF"] if AVIF else [])])
    def test_metadata_is_gone(self, tmp_path, fmt):
        source = with_metadata(tmp_path / "upload", fmt)
        raw = source.read_bytes()
        assert any(secret in raw for secret in SECRETS)  # the test's own premise
        dest = tmp_path / "clean"
        ingest(source, dest, max_pixels=LIMIT)
        assert_no_metadata(dest.read_bytes())

    def test_jpeg_exif_and_xmp_really_were_there(self, tmp_path):
        source = with_metadata(tmp_path / "upload", "JPEG")
        raw = source.read_bytes()
        for marker in (b"Exif\x00\x00", b"GPS", b"http://ns.adobe.com/xap", *SECRETS):
            assert marker in raw
        with Image.open(source) as image:
            assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
            assert "xmp" in image.info
            assert any(marker == "APP13" for marker, _ in image.applist)  # type: ignore[attr-defined]

    def test_icc_profile_is_kept(self, tmp_path):
        icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
        source = save(gradient((32, 24)), tmp_path / "upload", "PNG", icc_profile=icc)
        dest = tmp_path / "clean"
        ingest(source, dest, max_pixels=LIMIT)
        with Image.open(dest) as cleaned:
            assert cleaned.info["icc_profile"] == icc

    @pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
    def test_orientation_is_applied(self, tmp_path, fmt):
        # Orientation 6: the camera was turned; show the stored pixels turned 90° clockwise,
        # which puts the stored left half (red) on top.
        source = save(two_halves(), tmp_path / "upload", fmt, exif=exif_with_gps(6))
        dest = tmp_path / "clean"
        original = ingest(source, dest, max_pixels=LIMIT)
        assert (original.width, original.height) == (40, 60)
        with Image.open(dest) as cleaned:
            assert cleaned.size == (40, 60)
            assert close_to(cleaned.convert("RGB").getpixel((20, 5)), (255, 0, 0))
            assert close_to(cleaned.convert("RGB").getpixel((20, 55)), (0, 0, 255))
            assert ExifTags.Base.Orientation not in cleaned.getexif()

    def test_upright_jpeg_keeps_its_quantisation(self, tmp_path):
        source = save(gradient((64, 48)), tmp_path / "upload", "JPEG", quality=55)
        dest = tmp_path / "clean"
        ingest(source, dest, max_pixels=LIMIT)
        with Image.open(source) as before, Image.open(dest) as after:
            assert after.quantization == before.quantization  # type: ignore[attr-defined]
            assert (
                ImageChops.difference(before.convert("L"), after.convert("L")).getextrema()[1] <= 8
            )

    def test_empty_file(self, tmp_path):
        source = tmp_path / "upload"
        source.write_bytes(b"")
        with pytest.raises(ImageRejected) as caught:
            ingest(source, tmp_path / "clean", max_pixels=LIMIT)
        assert (caught.value.status, caught.value.detail) == (422, "The file is empty.")

    def test_truncated_jpeg(self, tmp_path):
        whole = save(gradient((256, 192)), tmp_path / "whole.jpg", "JPEG").read_bytes()
        source = tmp_path / "upload"
        source.write_bytes(whole[: len(whole) // 2])
        with pytest.raises(ImageRejected) as caught:
            ingest(source, tmp_path / "clean", max_pixels=LIMIT)
        assert caught.value.status == 422
        assert caught.value.detail.startswith("The image is truncated or corrupt: ")

    @pytest.mark.parametrize(
        "content",
        [
            b"just some text, nothing to see\n",
            b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)><svg></svg></body></html>",
            b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n",
            b"\x1f\x8b\x08\x00\x00\x00\x00\x00",  # gzip, e.g. an svgz
        ],
    )
    def test_not_an_image(self, tmp_path, content):
        source = tmp_path / "photo.jpg"
        source.write_bytes(content)
        with pytest.raises(ImageRejected) as caught:
            ingest(source, tmp_path / "clean", max_pixels=LIMIT)
        assert caught.value.status == 415
        assert caught.value.detail.startswith("The file is not a JPEG, PNG, WebP, GIF")

    @pytest.mark.parametrize(
        "content",
        [
            b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
            b'\xef\xbb\xbf<?xml version="1.0" encoding="UTF-8"?>\n<!-- made by hand -->\n'
            b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
            b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            '<svg xmlns="http://www.w3.org/2000/svg"/>'.encode("utf-16"),
        ],
    )
    def test_svg(self, tmp_path, content):
        source = tmp_path / "logo.png"
        source.write_bytes(content)
        with pytest.raises(ImageRejected) as caught:
            ingest(source, tmp_path / "clean", max_pixels=LIMIT)
        assert caught.value.status == 415
        assert caught.value.detail.startswith("SVG is not accepted: it can carry scripts.")

    @pytest.mark.parametrize("fmt", ["BMP", "TIFF", "ICO", "PPM"])
    def test_other_image_formats(self, tmp_path, fmt):
        source = save(gradient((32, 32)), tmp_path / "upload.jpg", fmt)
        with pytest.raises(ImageRejected) as caught:
            ingest(source, tmp_path / "clean", max_pixels=LIMIT)
        assert caught.value.status == 415

    def test_decompression_bomb(self, tmp_path):
        source = tmp_path / "bomb.png"
        source.write_bytes(png_header(50_000, 50_000))
        # Only the header is there: decoding 2.5 gigapixels is not even attempted.
        with pytest.raises(ImageRejected) as caught:
            ingest(source, tmp_path / "clean", max_pixels=LIMIT)
        assert caught.value.status == 422
        assert "the limit is 50 megapixels" in caught.value.detail

    def test_over_our_limit_says_the_size(self, tmp_path):
        # Under Pillow's own limit (89 MP) but over ours.
        source = tmp_path / "big.png"
        source.write_bytes(png_header(8000, 8000))
        with pytest.raises(ImageRejected) as caught:
            ingest(source, tmp_path / "clean", max_pixels=LIMIT)
        assert caught.value.status == 422
        assert caught.value.detail == ("The image is 8000×8000 pixels; the limit is 50 megapixels.")

    def test_pillows_own_warning_is_a_refusal_too(self, tmp_path):
        # 100 MP: over Pillow's warning threshold (89 MP), which is an error in this suite.
        source = tmp_path / "big.png"
        source.write_bytes(png_header(10_000, 10_000))
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with pytest.raises(ImageRejected) as caught:
                ingest(source, tmp_path / "clean", max_pixels=200_000_000)
        assert caught.value.status == 422

    def test_limit_is_the_callers(self, tmp_path):
        source = save(gradient((100, 100)), tmp_path / "upload", "PNG")
        with pytest.raises(ImageRejected) as caught:
            ingest(source, tmp_path / "clean", max_pixels=9_999)
        assert caught.value.status == 422
        assert "100×100 pixels" in caught.value.detail

    def test_placeholder_and_color(self, tmp_path):
        source = save(Image.new("RGB", (300, 200), (200, 30, 40)), tmp_path / "upload", "PNG")
        original = ingest(source, tmp_path / "clean", max_pixels=LIMIT)
        assert original.color == "#c81e28"
        prefix = "data:image/webp;base64,"
        assert original.placeholder.startswith(prefix)
        assert len(original.placeholder) < 1024
        with decode(base64.b64decode(original.placeholder.removeprefix(prefix))) as tiny:
            assert tiny.format == "WEBP"
            assert tiny.size == (16, 11)
            assert close_to(tiny.convert("RGB").getpixel((8, 5)), (200, 30, 40))

    def test_color_ignores_transparent_pixels(self, tmp_path):
        image = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
        image.paste((0, 128, 255, 255), (0, 0, 40, 20))
        source = save(image, tmp_path / "upload", "PNG")
        color = ingest(source, tmp_path / "clean", max_pixels=LIMIT).color
        assert close_to(rgb(color), (0, 128, 255), 2)  # not darkened by the transparent half

    def test_photo_placeholder_is_small(self, tmp_path):
        noisy = Image.merge("RGB", [Image.effect_noise((400, 300), 64)] * 3)
        source = save(noisy, tmp_path / "upload", "JPEG")
        original = ingest(source, tmp_path / "clean", max_pixels=LIMIT)
        assert len(original.placeholder) < 1024

    @pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
    def test_animation_keeps_its_frames(self, tmp_path, fmt):
        frames = [Image.new("RGB", (40, 30), color) for color in ("red", "lime", "blue")]
        source = save(
            frames[0],
            tmp_path / "upload",
            fmt,
            save_all=True,
            append_images=frames[1:],
            duration=[100, 200, 300],
            loop=0,
            comment=b"SecretComment",
        )
        dest = tmp_path / "clean"
        original = ingest(source, dest, max_pixels=LIMIT)
        assert original.animated
        assert (original.width, original.height) == (40, 30)
        with Image.open(dest) as cleaned:
            assert getattr(cleaned, "n_frames", 1) == 3
            durations = []
            for index in range(3):
                cleaned.seek(index)
                cleaned.load()  # WebP sets a frame's duration when decoding it
                durations.append(cleaned.info["duration"])
            assert durations == [100, 200, 300]
        assert_no_metadata(dest.read_bytes())

        rendition = render(
            dest, plan(fmt="jpeg", source_width=40, source_height=30), focal=(0.5, 0.5)
        )
        with decode(rendition) as first:
            assert close_to(first.getpixel((20, 15)), (255, 0, 0))

    def test_sixteen_bit_png(self, tmp_path):
        image = Image.frombytes("I;16", (40, 30), struct.pack("<H", 40000) * 1200)
        source = save(image, tmp_path / "upload", "PNG")
        dest = tmp_path / "clean"
        original = ingest(source, dest, max_pixels=LIMIT)
        assert (original.format, original.width, original.height) == ("png", 40, 30)
        assert original.color == "#9c9c9c"  # 40000 / 256 = 156: scaled, not clipped to white
        rendition = render(
            dest, plan(fmt="webp", source_width=40, source_height=30), focal=(0.5, 0.5)
        )
        assert close_to(decode(rendition).convert("RGB").getpixel((20, 15)), (156, 156, 156), 4)

    def test_palette_png_with_transparency(self, tmp_path):
        image = Image.new("P", (40, 30), 1)
        image.putpalette([255, 255, 255, 255, 0, 0] + [0] * 762)
        image.paste(0, (0, 0, 20, 30))
        source = save(image, tmp_path / "upload", "PNG", transparency=0)
        dest = tmp_path / "clean"
        original = ingest(source, dest, max_pixels=LIMIT)
        assert original.color == "#ff0000"
        with Image.open(dest) as cleaned:
            assert cleaned.mode == "P"
            assert cleaned.info["transparency"] == 0
        webp = decode(
            render(dest, plan(fmt="webp", source_width=40, source_height=30), focal=(0, 0))
        )
        assert webp.mode == "RGBA"
        assert webp.getpixel((5, 15))[3] == 0  # type: ignore[index]
        assert close_to(webp.getpixel((35, 15)), (255, 0, 0, 255))
        jpeg = decode(
            render(dest, plan(fmt="jpeg", source_width=40, source_height=30), focal=(0, 0))
        )
        assert close_to(jpeg.getpixel((5, 15)), (255, 255, 255))  # flattened on white

    def test_cmyk_jpeg(self, tmp_path):
        source = save(Image.new("CMYK", (40, 30), (0, 255, 255, 0)), tmp_path / "upload", "JPEG")
        dest = tmp_path / "clean"
        original = ingest(source, dest, max_pixels=LIMIT)
        assert (original.format, original.width, original.height) == ("jpeg", 40, 30)
        for fmt in imaging.OUTPUT_FORMATS:
            rendition = decode(
                render(dest, plan(fmt=fmt, source_width=40, source_height=30), focal=(0.5, 0.5))
            )
            assert rendition.mode == "RGB"
            assert close_to(rendition.getpixel((20, 15)), (255, 0, 0), 40)

    def test_avif_round_trip(self, tmp_path):
        if not AVIF:
            pytest.skip("Pillow has no AVIF support here")
        source = save(two_halves((64, 48)), tmp_path / "upload", "AVIF", quality=90)
        dest = tmp_path / "clean"
        original = ingest(source, dest, max_pixels=LIMIT)
        assert (original.format, original.mime) == ("avif", "image/avif")
        request = plan(fmt="avif", width=160, height=160, source_width=64, source_height=48)
        rendition = decode(render(dest, request, focal=(0.5, 0.5)))
        assert (rendition.format, rendition.size) == ("AVIF", (48, 48))
        assert close_to(rendition.getpixel((4, 12)), (255, 0, 0), 40)


class TestPlanRendition:
    @pytest.mark.parametrize(
        ("width", "expected"),
        [(1, 160), (160, 160), (161, 320), (1000, 1200), (1200, 1200), (2001, 2560), (2560, 2560)],
    )
    def test_width_snaps_up_the_ladder(self, width, expected):
        assert plan(width=width).width == expected

    def test_never_upscale(self):
        assert plan(width=1200, source_width=1000, source_height=800).width == 1000
        assert plan(width=100, source_width=90, source_height=80).width == 90

    def test_without_width(self):
        assert plan(source_width=4000).width == 2560
        assert plan(source_width=1000, source_height=800).width == 960
        assert plan(source_width=100, source_height=80).width == 100

    @pytest.mark.parametrize(
        ("width", "height", "expected"),
        [
            (1200, 700, (1200, 675)),  # 1.71 → 16:9
            (1200, 1100, (1200, 1200)),  # 1.09 → 1:1
            (1200, 5000, (1200, 2400)),  # 0.24 → 1:2
            (800, 333, (800, 343)),  # 2.40 → 21:9
            (1000, 1300, (1200, 1600)),  # 0.77 → 3:4
        ],
    )
    def test_ratio_snaps(self, width, height, expected):
        request = plan(width=width, height=height, fit="contain", source_width=5000)
        assert (request.width, request.height) == expected

    def test_cover_never_upscales_the_crop(self):
        # The largest 1:1 region of a 1600×800 image is 800×800.
        request = plan(width=1200, height=1200, source_width=1600, source_height=800)
        assert (request.width, request.height) == (800, 800)

    def test_contain_box_is_kept(self):
        request = plan(width=1200, height=1200, fit="contain", source_width=1600, source_height=800)
        assert (request.width, request.height) == (1200, 1200)
        assert output_size(request, 1600, 800) == (1200, 600)

    @pytest.mark.parametrize(
        ("quality", "expected"), [(1, 30), (34, 30), (35, 40), (84, 80), (85, 90), (100, 90)]
    )
    def test_quality_snaps(self, quality, expected):
        assert plan(quality=quality).quality == expected

    def test_default_quality_and_format(self):
        assert (plan().format, plan().quality) == ("jpeg", 80)
        assert plan(source_format="png").format == "webp"  # may have alpha; JPEG has none
        assert plan(source_format="gif").format == "webp"
        assert plan(fmt="webp").quality == 80
        if AVIF:
            assert plan(fmt="avif").quality == 60

    @pytest.mark.parametrize(
        ("request_", "message"),
        [
            ({"fit": "fill"}, "fit must be cover or contain"),
            ({"fmt": "png"}, "format must be one of"),
            ({"fmt": "gif"}, "format must be one of"),
            ({"height": 300}, "height needs a width"),
            ({"width": 0}, "width must be between 1 and 2560"),
            ({"width": 2561}, "width must be between 1 and 2560"),
            ({"width": 300, "height": 0}, "height must be at least 1"),
            ({"quality": 0}, "quality must be between 1 and 100"),
            ({"quality": 101}, "quality must be between 1 and 100"),
        ],
    )
    def test_requests_we_cannot_serve(self, request_, message):
        with pytest.raises(ValueError, match=message):
            plan(**request_)

    def test_avif_when_unsupported(self, monkeypatch):
        monkeypatch.setattr(imaging, "_AVIF", False)
        with pytest.raises(ValueError, match="avif is not supported by this server"):
            plan(fmt="avif")

    def test_names(self):
        cover = plan(width=1200, height=675, fmt="webp")
        assert cover.name((0.5, 0.3)) == "w1200-h675-cover-f500x300-q80.webp"
        assert cover.name((0.12345, 1.5)) == "w1200-h675-cover-f123x1000-q80.webp"
        assert cover.mime == "image/webp"
        contain = plan(width=1200, height=675, fit="contain")
        assert contain.name((0.1, 0.1)) == "w1200-h675-contain-q80.jpg"
        assert plan(width=1200).name((0.1, 0.1)) == "w1200-q80.jpg"
        assert plan(width=1200).mime == "image/jpeg"


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """The same odd-sized picture as a JPEG and as a PNG with alpha."""
    folder = tmp_path_factory.mktemp("sources")
    image = gradient((1001, 667))
    return [
        save(image, folder / "odd.jpg", "JPEG", quality=90),
        save(image.convert("RGBA"), folder / "odd.png", "PNG"),
    ]


@pytest.fixture(scope="module")
def red_square(tmp_path_factory):
    """A grey 1600×800 image with a red 200×200 square centred at (0.85, 0.5)."""
    image = Image.new("RGB", (1600, 800), (128, 128, 128))
    image.paste((255, 0, 0), (1260, 300, 1460, 500))
    return save(image, tmp_path_factory.mktemp("focal") / "square.jpg", "JPEG", quality=95)


def red_box(image: Image.Image) -> tuple[int, int, int, int] | None:
    """Where the pure red pixels are."""
    image = image.convert("RGB")
    red = image.getchannel("R").point(lambda value: 255 if value > 200 else 0)
    not_green = image.getchannel("G").point(lambda value: 255 if value < 60 else 0)
    return ImageChops.multiply(red, not_green).getbbox()


class TestRender:
    @pytest.mark.parametrize(
        "request_",
        [
            {"width": 320},
            {"width": 800},
            {},
            {"width": 480, "height": 480},
            {"width": 640, "height": 100},
            {"width": 1000, "height": 100},
            {"width": 320, "height": 480},
            {"width": 480, "height": 480, "fit": "contain"},
            {"width": 640, "height": 100, "fit": "contain"},
            {"width": 2000, "height": 1000, "fit": "contain"},
        ],
    )
    def test_output_size_is_the_real_size(self, sources, request_):
        for source in sources:
            request = plan(source_width=1001, source_height=667, **request_)
            rendered = decode(render(source, request, focal=(0.3, 0.7)))
            assert rendered.size == output_size(request, 1001, 667), (source.name, request)

    def test_formats(self, sources):
        for fmt in imaging.OUTPUT_FORMATS:
            request = plan(width=160, fmt=fmt, source_width=1001, source_height=667)
            rendered = decode(render(sources[0], request, focal=(0.5, 0.5)))
            assert rendered.format == imaging.FORMATS[fmt].removeprefix("image/").upper()
            assert rendered.get_format_mimetype() == request.mime

    def test_colour_profile_is_applied(self, tmp_path):
        # Renditions are converted to sRGB, so they need no profile of their own.
        icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
        image = Image.new("RGB", (64, 48), (200, 30, 40))
        source = save(image, tmp_path / "upload.png", "PNG", icc_profile=icc)
        for fmt in imaging.OUTPUT_FORMATS:
            request = plan(fmt=fmt, source_width=64, source_height=48)
            rendered = decode(render(source, request, focal=(0.5, 0.5)))
            assert "icc_profile" not in rendered.info
            assert close_to(rendered.getpixel((32, 24)), (200, 30, 40), 12)

    @pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", *(["AVIF"] if AVIF else [])])
    def test_no_metadata(self, tmp_path, fmt):
        # Straight from a source full of metadata, not from a cleaned original.
        source = with_metadata(tmp_path / "upload", fmt)
        for output in imaging.OUTPUT_FORMATS:
            for request_ in ({"width": 32}, {"width": 32, "height": 32}):
                request = plan(fmt=output, source_width=64, source_height=48, **request_)
                assert_no_metadata(render(source, request, focal=(0.5, 0.5)))

    def test_focal_point_keeps_the_subject(self, red_square):
        request = plan(width=480, height=480, source_width=1600, source_height=800)
        box = red_box(decode(render(red_square, request, focal=(0.85, 0.5))))
        # The 800×800 crop is pushed against the right edge (x 800–1600): the square, at
        # 1260–1460, is whole, and as central as that edge allows (its centre at 0.7 of the
        # width). Scaled by 480/800.
        assert box == pytest.approx((276, 180, 396, 300), abs=2)

    def test_focal_point_elsewhere_leaves_it_out(self, red_square):
        request = plan(width=480, height=480, source_width=1600, source_height=800)
        assert red_box(decode(render(red_square, request, focal=(0.15, 0.5)))) is None

    def test_focal_point_in_the_middle(self, red_square):
        # A 1:2 crop (400×800) fits around the square with room to spare: the focal point ends
        # up in the middle of the 320×640 output.
        request = plan(width=320, height=640, source_width=1600, source_height=800)
        box = red_box(decode(render(red_square, request, focal=(0.85, 0.5))))
        assert box == pytest.approx((80, 240, 240, 400), abs=2)

    def test_draft_decoding_matches_a_full_decode(self, tmp_path):
        # A big JPEG is decoded at 1/8 scale here; the crop must land where a full decode puts
        # it, and look much the same.
        image = Image.new("RGB", (2400, 1600), (128, 128, 128))
        image.paste(Image.linear_gradient("L").resize((600, 1600)), (900, 0))
        image.paste((255, 0, 0), (1800, 1000, 2000, 1200))
        source = save(image, tmp_path / "big.jpg", "JPEG", quality=95)
        request = plan(width=160, height=160, source_width=2400, source_height=1600)
        drafted = decode(render(source, request, focal=(0.75, 0.5)))
        assert red_box(drafted) == pytest.approx((100, 100, 120, 120), abs=1)
        full = image.crop((800, 0, 2400, 1600)).resize((160, 160), Image.Resampling.LANCZOS)
        difference = ImageStat.Stat(ImageChops.difference(drafted, full).convert("L"))
        assert difference.mean[0] < 3


def test_an_animation_with_too_many_pixels_in_all_is_refused(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (100, 100), (i * 40, 0, 0)) for i in range(5)]
    source = tmp_path / "long.gif"
    frames[0].save(source, "GIF", save_all=True, append_images=frames[1:], duration=100)
    # 5 frames × 10,000 px = 50,000 px: over 4 × 10,000, though each frame is within 10,000.
    with pytest.raises(imaging.ImageRejected) as caught:
        imaging.ingest(source, tmp_path / "out.gif", max_pixels=10_000)
    assert caught.value.status == 422
    assert "5 frames" in caught.value.detail
    assert not (tmp_path / "out.gif").exists()

"""Image processing for the media library: checking and cleaning uploads, and rendering the
resized "renditions" clients ask for. Pillow only: no database, no HTTP.

An upload is accepted only if it decodes, in full, as one of FORMATS; the type comes from the
bytes, never the file name. Its declared size is checked before any pixel is decoded (the
decompression-bomb guard). What we store is a re-encoded copy that keeps the pixels (EXIF
orientation applied) and the ICC profile, and nothing else: EXIF (GPS), XMP, IPTC, comments and
text chunks do not survive.

Renditions come from a bounded set of variants (WIDTHS × RATIOS × QUALITIES × OUTPUT_FORMATS,
plus the focal point for crops): plan_rendition() snaps a request onto that set, so a client
cannot make us render, or cache, an unbounded number of files, and Rendition.name() gives each
variant its cache file name.
"""

from __future__ import annotations

import base64
import io
import math
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import ExifTags, Image, ImageCms, JpegImagePlugin, features

_AVIF = features.check("avif")
_CMS = features.check("littlecms2")

FORMATS: dict[str, str] = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    **({"avif": "image/avif"} if _AVIF else {}),
}
OUTPUT_FORMATS: tuple[str, ...] = ("jpeg", "webp", *(("avif",) if _AVIF else ()))
WIDTHS: tuple[int, ...] = (160, 320, 480, 640, 800, 960, 1200, 1600, 2000, 2560)
RATIOS: tuple[tuple[int, int], ...] = (
    (1, 1),
    (5, 4),
    (4, 3),
    (3, 2),
    (16, 10),
    (16, 9),
    (2, 1),
    (21, 9),
    (3, 1),
    (4, 5),
    (3, 4),
    (2, 3),
    (9, 16),
    (1, 2),
)
QUALITIES: tuple[int, ...] = (30, 40, 50, 60, 70, 80, 90)
DEFAULT_QUALITY: dict[str, int] = {"jpeg": 80, "webp": 80, "avif": 60}
FITS = ("cover", "contain")
# An animation may hold this many times the still-image pixel limit over all its frames.
ANIMATION_PIXELS = 4

# Our format names and Pillow's. MPO is how Pillow opens a JPEG with extra pictures appended
# (many phones write them): it is still a JPEG.
_PILLOW_NAMES = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "gif": "GIF", "avif": "AVIF"}
_OUR_NAMES = {"MPO": "jpeg", **{pillow: ours for ours, pillow in _PILLOW_NAMES.items()}}
_OPEN_FORMATS = [_PILLOW_NAMES[name] for name in FORMATS]
_LABELS = {"jpeg": "JPEG", "png": "PNG", "webp": "WebP", "gif": "GIF", "avif": "AVIF"}
# File name extension of each format, for stored originals and cached renditions alike.
EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp", "gif": "gif", "avif": "avif"}
# Formats that can carry transparency: their renditions default to WebP, as JPEG has no alpha.
_MAY_HAVE_ALPHA = {"png", "webp", "gif", "avif"}

# What a malformed file makes Pillow raise while decoding.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, struct.error)

_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

# An SVG document: optional XML declaration, comments and doctype, then an <svg> element.
_SVG = re.compile(
    rb"\s*(?:<\?xml.*?\?>\s*|<!--.*?-->\s*|<!DOCTYPE[^[>]*(?:\[.*?\])?\s*>\s*)*<(?:\w+:)?svg\b",
    re.IGNORECASE | re.DOTALL,
)


class ImageRejected(Exception):
    """An upload we refuse. `status` is the HTTP status the caller will send (413, 415 or 422)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Original:
    format: str
    mime: str
    width: int
    height: int
    bytes: int
    placeholder: str
    color: str
    animated: bool


@dataclass(frozen=True, slots=True)
class Rendition:
    width: int
    # For cover, the output height; for contain, the height of the box the image fits in;
    # None: proportional to the source.
    height: int | None
    fit: str
    format: str
    quality: int

    @property
    def mime(self) -> str:
        return FORMATS.get(self.format, f"image/{self.format}")

    def name(self, focal: tuple[float, float]) -> str:
        """File name for the disk cache, unique per output bytes, e.g.
        'w1200-h675-cover-f500x300-q80.webp'. The focal point (in thousandths, as render()
        rounds it) is part of the name only where it moves the crop: cover with a height."""
        parts = [f"w{self.width}"]
        if self.height is not None:
            parts += [f"h{self.height}", self.fit]
            if self.fit == "cover":
                fx, fy = _thousandths(focal)
                parts.append(f"f{fx}x{fy}")
        parts.append(f"q{self.quality}")
        return "-".join(parts) + "." + EXTENSIONS[self.format]


# -- Uploads -------------------------------------------------------------------------------


def ingest(source: Path, dest: Path, *, max_pixels: int) -> Original:
    """Decode the upload at `source`, refuse what we don't accept, and write a cleaned copy to
    `dest` (the caller later moves `dest` into storage; `dest`'s parent exists).
    Raises ImageRejected."""
    if source.stat().st_size == 0:
        raise ImageRejected(422, "The file is empty.")
    with _open_upload(source, max_pixels) as im:
        fmt = _OUR_NAMES[im.format or ""]
        try:
            im.load()
            turn = _TRANSPOSE.get(_orientation(im))
            icc = im.info.get("icc_profile") or None
            loop = im.info.get("loop")
            count = int(getattr(im, "n_frames", 1))
            animated = fmt != "jpeg" and count > 1
            if animated and count * im.width * im.height > ANIMATION_PIXELS * max_pixels:
                # Every frame is held decoded while the animation is written again.
                raise ImageRejected(
                    422,
                    f"The animation has {count} frames of {im.width}×{im.height}: more "
                    f"than {ANIMATION_PIXELS * max_pixels / 1e6:g} megapixels in all.",
                )
            frames = [_clean(frame, turn) for frame in _frames(im)] if animated else []
        except Image.DecompressionBombError as exc:
            raise ImageRejected(422, _too_large(max_pixels)) from exc
        except _DECODE_ERRORS as exc:
            raise ImageRejected(422, f"The image is truncated or corrupt: {exc}") from exc
        if frames:
            first = frames[0]
            _write_animation(frames, dest, fmt=fmt, icc=icc, loop=loop, source=source)
        elif fmt == "jpeg" and im.format == "JPEG" and turn is None:
            # Nothing to turn: re-encode with the source's own quantisation tables and
            # subsampling, which loses far less than a fresh encode at any quality.
            first = im
            im.save(dest, "JPEG", quality="keep", icc_profile=icc, **_NO_METADATA)
        else:
            first = _clean(im, turn)
            _write_still(first, dest, fmt=fmt, icc=icc, source=source, sampling=_sampling(im))
        small = _tiny(first, icc)
        return Original(
            format=fmt,
            mime=FORMATS[fmt],
            width=first.width,
            height=first.height,
            bytes=dest.stat().st_size,
            placeholder=placeholder(small),
            color=average_color(small),
            animated=animated,
        )


def _open_upload(source: Path, max_pixels: int) -> Image.Image:
    """Open (read the header of) an upload: its format and its declared size, no pixels yet."""
    try:
        im = Image.open(source, formats=_OPEN_FORMATS)
    except Image.UnidentifiedImageError:
        if _looks_like_svg(source):
            raise ImageRejected(
                415,
                "SVG is not accepted: it can carry scripts. Upload a PNG, JPEG or WebP instead.",
            ) from None
        labels = [_LABELS[name] for name in FORMATS]
        raise ImageRejected(
            415, f"The file is not a {', '.join(labels[:-1])} or {labels[-1]} image."
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own guard, which fires on opening: past twice Image.MAX_IMAGE_PIXELS it
        # raises; past once it warns, and the warning is an exception when warnings are errors.
        raise ImageRejected(422, _too_large(max_pixels)) from exc
    except _DECODE_ERRORS as exc:
        raise ImageRejected(422, f"The image is truncated or corrupt: {exc}") from exc
    width, height = im.size
    if width * height > max_pixels:
        im.close()
        raise ImageRejected(
            422,
            f"The image is {width}×{height} pixels; the limit is {max_pixels / 1e6:g} megapixels.",
        )
    return im


def _too_large(max_pixels: int) -> str:
    return f"The image is too large to decode; the limit is {max_pixels / 1e6:g} megapixels."


def _looks_like_svg(source: Path) -> bool:
    with source.open("rb") as file:
        head = file.read(65536)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", errors="ignore").encode()
    return _SVG.match(head.removeprefix(b"\xef\xbb\xbf")) is not None


def _orientation(im: Image.Image) -> int:
    try:
        return int(im.getexif().get(ExifTags.Base.Orientation, 1))
    except _DECODE_ERRORS:
        return 1  # unreadable EXIF: the photo is still good, and we drop the EXIF anyway


def _frames(im: Image.Image) -> Iterator[Image.Image]:
    for index in range(getattr(im, "n_frames", 1)):
        im.seek(index)
        yield im


def _clean(frame: Image.Image, turn: Image.Transpose | None) -> Image.Image:
    """A copy of a frame's pixels, turned upright, without its metadata: of `info` only what
    drawing it needs stays (the ICC profile is passed to the writer separately)."""
    copy = frame.transpose(turn) if turn is not None else frame.copy()
    copy.info = {key: frame.info[key] for key in ("transparency", "duration") if key in frame.info}
    return copy


def _sampling(im: Image.Image) -> int:
    """The source JPEG's chroma subsampling, so turning a photo upright keeps it (-1: default)."""
    if isinstance(im, JpegImagePlugin.JpegImageFile):
        return JpegImagePlugin.get_sampling(im)
    return -1


# Every writer is also given empty exif/xmp/comment: some of Pillow's writers would otherwise
# copy them from the image's `info`.
_NO_METADATA: dict[str, bytes] = {"exif": b"", "xmp": b"", "comment": b""}


def _write_still(
    image: Image.Image, dest: Path, *, fmt: str, icc: bytes | None, source: Path, sampling: int
) -> None:
    options: dict[str, object] = {"icc_profile": icc, **_NO_METADATA}
    if fmt == "jpeg":
        if image.mode not in ("L", "RGB", "CMYK"):
            image = image.convert("RGB")
        options.update(quality=92, subsampling=sampling)
    elif fmt == "png":
        options.update(optimize=False)  # optimize=True is several times slower for a few %
    elif fmt == "webp":
        options.update(_webp_options(source))
    elif fmt == "avif":
        options.update(quality=80)
    image.save(dest, _PILLOW_NAMES[fmt], **options)


def _write_animation(
    frames: list[Image.Image],
    dest: Path,
    *,
    fmt: str,
    icc: bytes | None,
    loop: int | None,
    source: Path,
) -> None:
    # Pillow hands us every frame fully composited, so they are written as plain full frames.
    options: dict[str, object] = {
        "save_all": True,
        "append_images": frames[1:],
        "duration": [frame.info.get("duration", 0) for frame in frames],
        "icc_profile": icc,
        **_NO_METADATA,
    }
    if loop is not None:  # a GIF without a loop count plays once
        options["loop"] = loop
    if fmt == "webp":
        options.update(_webp_options(source))
    elif fmt == "avif":
        options.update(quality=80)
    frames[0].save(dest, _PILLOW_NAMES[fmt], **options)


def _webp_options(source: Path) -> dict[str, object]:
    if _webp_is_lossless(source.read_bytes()):
        return {"lossless": True, "method": 4}
    return {"quality": 90, "method": 4}


def _webp_is_lossless(data: bytes) -> bool:
    """Whether a WebP file holds only lossless (VP8L) bitstreams: Pillow does not tell us."""
    kinds = []
    for kind, start, end in _riff_chunks(data, 12, len(data)):
        if kind == b"ANMF":  # an animation frame: 16 bytes of header, then its own chunks
            kinds += [sub for sub, _, _ in _riff_chunks(data, start + 16, end)]
        else:
            kinds.append(kind)
    return b"VP8L" in kinds and b"VP8 " not in kinds


def _riff_chunks(data: bytes, pos: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    while pos + 8 <= end:
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        yield data[pos : pos + 4], pos + 8, min(pos + 8 + size, end)
        pos += 8 + size + (size & 1)


def placeholder(image: Image.Image) -> str:
    """A low-quality image placeholder: the image at most 16 px on its long side, as a WebP
    data URI of a few hundred bytes that a page can show while the real image loads."""
    out = io.BytesIO()
    _tiny(image, None).save(out, "WEBP", quality=40, method=6)
    return "data:image/webp;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def average_color(image: Image.Image) -> str:
    """The average colour "#rrggbb" of the visible pixels (weighted by their opacity)."""
    premultiplied = _tiny(image, None).convert("RGBA").convert("RGBa")
    pixel = premultiplied.resize((1, 1), Image.Resampling.BOX).convert("RGBA").getpixel((0, 0))
    assert isinstance(pixel, tuple)
    red, green, blue, _ = pixel
    return f"#{red:02x}{green:02x}{blue:02x}"


def _tiny(image: Image.Image, icc: bytes | None) -> Image.Image:
    """The image at most 16 px on its long side, in sRGB RGB or RGBA."""
    scale = min(16 / max(image.size), 1.0)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    small = _to_8bit(image).resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    return _to_srgb(small, icc)[0]


# -- Renditions ----------------------------------------------------------------------------


def plan_rendition(
    *,
    width: int | None,
    height: int | None,
    fit: str,
    fmt: str | None,
    quality: int | None,
    source_width: int,
    source_height: int,
    source_format: str,
) -> Rendition:
    """Snap a client's request to the bounded set of variants. Raises ValueError(message) for
    a request that cannot be served (the caller turns it into a 422)."""
    if fit not in FITS:
        raise ValueError(f"fit must be cover or contain, not {fit!r}.")
    if fmt is None:
        fmt = "webp" if source_format in _MAY_HAVE_ALPHA else "jpeg"
    elif fmt == "avif" and not _AVIF:
        raise ValueError("avif is not supported by this server.")
    elif fmt not in OUTPUT_FORMATS:
        raise ValueError(f"format must be one of {', '.join(OUTPUT_FORMATS)}, not {fmt!r}.")
    if quality is not None and not 1 <= quality <= 100:
        raise ValueError("quality must be between 1 and 100.")
    if height is not None and width is None:
        raise ValueError("height needs a width: give both, or width alone.")
    if width is not None and not 1 <= width <= WIDTHS[-1]:
        raise ValueError(f"width must be between 1 and {WIDTHS[-1]}.")
    if height is not None and height < 1:
        raise ValueError("height must be at least 1.")

    quality = DEFAULT_QUALITY[fmt] if quality is None else _nearest_quality(quality)

    if width is None:
        out_width = max((step for step in WIDTHS if step <= source_width), default=source_width)
        return Rendition(out_width, None, fit, fmt, quality)
    # up the ladder, but never past the source
    ladder_width = next(step for step in WIDTHS if step >= width)
    out_width = min(ladder_width, source_width)
    if height is None:
        return Rendition(out_width, None, fit, fmt, quality)

    wanted = math.log(width / height)
    rw, rh = min(RATIOS, key=lambda ratio: abs(math.log(ratio[0] / ratio[1]) - wanted))
    if fit == "contain":
        # The box keeps its snapped size, whatever the source's: a narrow image fills the
        # box's height. render() never scales past the source.
        return Rendition(ladder_width, max(1, round(ladder_width * rh / rw)), fit, fmt, quality)
    if fit == "cover":  # never upscale: no wider than the largest crop of that shape
        crop_width = min(source_width, source_height * rw / rh)
        out_width = min(out_width, max(1, math.floor(crop_width)))
    return Rendition(out_width, max(1, round(out_width * rh / rw)), fit, fmt, quality)


def _nearest_quality(quality: int) -> int:
    """The nearest of QUALITIES, the higher one on a tie."""
    return min(QUALITIES, key=lambda step: (abs(step - quality), -step))


def output_size(plan: Rendition, source_width: int, source_height: int) -> tuple[int, int]:
    """The pixel size render() will produce (used for srcset and width/height attributes)."""
    return _layout(plan, source_width, source_height, (0.5, 0.5))[1]


def render(source: Path, plan: Rendition, *, focal: tuple[float, float]) -> bytes:
    """Render one rendition of the cleaned original at `source` (for an animation, its first
    frame)."""
    fx, fy = _thousandths(focal)
    with Image.open(source, formats=_OPEN_FORMATS) as im:
        width, height = im.size
        box, size = _layout(plan, width, height, (fx / 1000, fy / 1000))
        if isinstance(im, JpegImagePlugin.JpegImageFile):
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale (DCT scaling) when the crop still
            # has at least the output's pixels: much less to decode and to resize.
            needed = (
                math.ceil(size[0] * width / (box[2] - box[0])),
                math.ceil(size[1] * height / (box[3] - box[1])),
            )
            drafted = im.draft("RGB", needed)
            if drafted is not None:
                scale = drafted[1][2] / width
                box = (box[0] * scale, box[1] * scale, box[2] * scale, box[3] * scale)
        icc = im.info.get("icc_profile") or None
        image = _to_8bit(im).resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)
    image, keep_icc = _to_srgb(image, icc)
    return _encode(image, plan, keep_icc)


def _thousandths(focal: tuple[float, float]) -> tuple[int, int]:
    fx, fy = (round(min(max(value, 0.0), 1.0) * 1000) for value in focal)
    return fx, fy


def _layout(
    plan: Rendition, width: int, height: int, focal: tuple[float, float]
) -> tuple[tuple[float, float, float, float], tuple[int, int]]:
    """The region of the source to use and the output size."""
    whole = (0.0, 0.0, float(width), float(height))
    if plan.height is None:
        return whole, (plan.width, max(1, round(height * plan.width / width)))
    if plan.fit == "contain":
        scale = min(plan.width / width, plan.height / height, 1.0)
        return whole, (max(1, round(width * scale)), max(1, round(height * scale)))
    # cover: the largest region of the output's shape, its centre as close to the focal point
    # as the edges allow
    ratio = plan.width / plan.height
    if width / height > ratio:
        crop_width, crop_height = height * ratio, float(height)
    else:
        crop_width, crop_height = float(width), width / ratio
    left = min(max(focal[0] * width - crop_width / 2, 0.0), width - crop_width)
    top = min(max(focal[1] * height - crop_height / 2, 0.0), height - crop_height)
    return (left, top, left + crop_width, top + crop_height), (plan.width, plan.height)


def _to_8bit(image: Image.Image) -> Image.Image:
    """The image in a mode that resizes well and converts to sRGB: L, RGB, RGBA or CMYK
    (palette images resize with NEAREST only, 16-bit ones need scaling)."""
    if image.mode == "1":
        return image.convert("L")
    if image.mode == "I" or image.mode.startswith("I;16"):
        # convert("L") would clip every sample above 255 to white
        return image.convert("I").point(lambda value: value / 256).convert("L")
    if image.mode in ("L", "RGB", "RGBA", "CMYK") and "transparency" not in image.info:
        return image
    return image.convert("RGBA" if image.has_transparency_data else "RGB")


def _to_srgb(image: Image.Image, icc: bytes | None) -> tuple[Image.Image, bytes | None]:
    """The image as sRGB RGB or RGBA, and the ICC profile to embed (None: plain sRGB).
    Without LittleCMS an RGB image keeps its profile, so it still displays right."""
    mode = "RGBA" if image.mode == "RGBA" else "RGB"
    if icc and _CMS:
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
            converted = ImageCms.profileToProfile(image, profile, srgb, outputMode=mode)
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile, or one for other pixels than these: ignore it
        else:
            assert converted is not None
            return converted, None
    elif icc and image.mode == mode:
        return image, icc
    return image.convert(mode), None


def _encode(image: Image.Image, plan: Rendition, icc: bytes | None) -> bytes:
    image.info = {}  # resize() and convert() copy `info`; nothing of it belongs in the output
    if plan.format == "jpeg" and image.mode == "RGBA":
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        image = background
    out = io.BytesIO()
    if plan.format == "jpeg":
        options: dict[str, object] = {"optimize": True, "progressive": True}
    elif plan.format == "webp":
        options = {"method": 4}
    else:
        options = {}
    image.save(
        out,
        _PILLOW_NAMES[plan.format],
        quality=plan.quality,
        icc_profile=icc,
        **_NO_METADATA,
        **options,
    )
    return out.getvalue()

"""Pictures for the demo publication, drawn with Pillow when the demo is loaded.

They stand in for press photos: a gradient sky, a landscape or a city, a sun or a moon, and a
small Arabic label saying that the picture is an illustration («صورة توضيحية»). Everything is
chosen by a random generator seeded from a string key, so a key always gives the same bytes:
a translation that asks for its original's key gets the original's picture (and the media
library, which knows files by their SHA-256, the same item).

Text needs a font with Arabic glyphs and Pillow's raqm layout (shaping, joining, bidi); without
either the pictures simply have no label.
"""

from __future__ import annotations

import functools
import hashlib
import io
import itertools
import math
import random
from collections.abc import Callable, Iterator
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, features

Colour = tuple[int, int, int]

# Sky top, sky bottom, far ground, near ground, accent (sun, windows, ...).
PALETTES: tuple[tuple[Colour, Colour, Colour, Colour, Colour], ...] = (
    ((24, 44, 92), (242, 150, 96), (70, 62, 104), (38, 34, 64), (255, 214, 120)),  # dusk
    ((86, 160, 214), (206, 232, 242), (96, 150, 108), (58, 110, 74), (255, 244, 196)),  # noon
    ((250, 196, 140), (252, 236, 200), (196, 138, 92), (150, 96, 62), (255, 250, 230)),  # desert
    ((12, 20, 48), (52, 72, 128), (28, 36, 70), (14, 18, 38), (240, 236, 200)),  # night
    ((116, 184, 196), (230, 242, 236), (64, 128, 140), (30, 84, 100), (255, 230, 160)),  # coast
    ((92, 54, 110), (236, 128, 120), (120, 64, 96), (66, 34, 66), (255, 200, 150)),  # violet
    ((188, 206, 214), (238, 240, 236), (128, 140, 150), (84, 94, 106), (250, 250, 250)),  # haze
    ((30, 96, 92), (168, 216, 176), (52, 120, 84), (26, 78, 60), (250, 232, 150)),  # green
)
PORTRAIT_BACKGROUNDS: tuple[tuple[Colour, Colour], ...] = (
    ((58, 96, 140), (140, 182, 214)),
    ((150, 72, 72), (232, 160, 140)),
    ((54, 120, 104), (160, 214, 190)),
    ((110, 84, 150), (196, 176, 230)),
    ((176, 124, 46), (244, 208, 140)),
    ((70, 78, 92), (170, 180, 192)),
)
SKIN: tuple[Colour, ...] = ((236, 200, 170), (214, 168, 130), (176, 124, 90), (124, 84, 60))
HAIR: tuple[Colour, ...] = ((36, 28, 24), (70, 48, 34), (120, 86, 56), (150, 150, 150))
CLOTHES: tuple[Colour, ...] = ((40, 48, 66), (228, 228, 232), (92, 40, 52), (34, 84, 90))

DEFAULT_LABEL = "خبر اليوم · صورة توضيحية"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/arial.ttf",
)
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", str(Path.home() / ".fonts"))
JPEG_QUALITY = 85


def scene(key: str, width: int = 1600, height: int = 900, *, label: str | None = None) -> bytes:
    """A landscape picture (JPEG) for ``key``; ``label`` defaults to DEFAULT_LABEL, "" for none."""
    rng = _rng(key)
    sky_top, sky_bottom, far, near, accent = rng.choice(PALETTES)
    image = _gradient(width, height, sky_top, sky_bottom, vertical=True)
    draw = ImageDraw.Draw(image)
    horizon = int(height * rng.uniform(0.55, 0.72))
    _sun(draw, rng, width, horizon, accent)
    motif = rng.choice(_MOTIFS)
    motif(draw, rng, width, height, horizon, far, near, accent)
    _text(image, DEFAULT_LABEL if label is None else label, size=max(14, height // 30))
    return _jpeg(image)


def portrait(key: str, size: int = 600) -> bytes:
    """A square avatar (JPEG): a head-and-shoulders silhouette on a coloured background."""
    rng = _rng(key)
    dark, light = rng.choice(PORTRAIT_BACKGROUNDS)
    image = _gradient(size, size, light, dark, vertical=rng.random() < 0.5)
    draw = ImageDraw.Draw(image)
    skin, clothes = rng.choice(SKIN), rng.choice(CLOTHES)
    centre = size // 2 + rng.randint(-size // 20, size // 20)
    # Shoulders: the top of a wide ellipse rising from the bottom edge.
    shoulders = int(size * rng.uniform(0.36, 0.44))
    top = int(size * 0.66)
    draw.ellipse((centre - shoulders, top, centre + shoulders, top + size), fill=clothes)
    neck = size // 14
    draw.rectangle((centre - neck, int(size * 0.5), centre + neck, top + size // 20), fill=skin)
    head_w, head_h = int(size * rng.uniform(0.17, 0.2)), int(size * rng.uniform(0.21, 0.24))
    head_y = int(size * 0.4)
    style = rng.choice(("short", "long", "scarf"))
    if style != "short":  # long hair or a headscarf: a larger shape behind the head
        behind = rng.choice(HAIR) if style == "long" else _shade(clothes, 1.25)
        pad = size // 28
        reach = head_y + head_h + (size // 6 if style == "long" else pad * 3)
        draw.ellipse(
            (centre - head_w - pad, head_y - head_h - pad, centre + head_w + pad, reach),
            fill=behind,
        )
    draw.ellipse((centre - head_w, head_y - head_h, centre + head_w, head_y + head_h), fill=skin)
    if style == "short":
        box = (centre - head_w, head_y - head_h, centre + head_w, head_y + head_h // 3)
        draw.chord(box, 180, 360, fill=rng.choice(HAIR))
    return _jpeg(image)


# Drawing ------------------------------------------------------------------------------------


def _rng(key: str) -> random.Random:
    return random.Random(hashlib.sha256(key.encode()).digest())


def _gradient(
    width: int, height: int, start: Colour, end: Colour, *, vertical: bool
) -> Image.Image:
    """``start`` at the top (or left) fading to ``end``: one line of colours, stretched."""
    steps = height if vertical else width
    line = Image.new("RGB", (1, steps) if vertical else (steps, 1))
    line.putdata([_mix(start, end, i / max(1, steps - 1)) for i in range(steps)])
    return line.resize((width, height), Image.Resampling.NEAREST)


def _mix(a: Colour, b: Colour, t: float) -> Colour:
    """``a`` moved towards ``b`` by ``t`` (past ``b`` when t > 1, clamped to valid values)."""
    r, g, bl = (min(255, max(0, round(x + (y - x) * t))) for x, y in zip(a, b, strict=True))
    return (r, g, bl)


def _shade(colour: Colour, factor: float) -> Colour:
    return _mix((0, 0, 0), colour, factor)


def _sun(
    draw: ImageDraw.ImageDraw, rng: random.Random, width: int, horizon: int, accent: Colour
) -> None:
    radius = int(horizon * rng.uniform(0.1, 0.2))
    x = int(width * rng.uniform(0.15, 0.85))
    y = int(horizon * rng.uniform(0.3, 0.75))
    for ring in range(3, 0, -1):  # a halo of thin rings around the disc
        grow = radius * ring // 3
        draw.ellipse(
            (x - radius - grow, y - radius - grow, x + radius + grow, y + radius + grow),
            fill=None,
            outline=accent,
            width=max(1, radius // 12),
        )
    draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=accent)


def _hills(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    width: int,
    height: int,
    horizon: int,
    far: Colour,
    near: Colour,
    accent: Colour,
) -> None:
    for layer, colour in enumerate((far, _mix(far, near, 0.5), near)):
        base = horizon + layer * (height - horizon) // 4
        amplitude = (height - horizon) * rng.uniform(0.15, 0.35)
        points: list[tuple[float, float]] = [(0, height)]
        steps = 24
        phase, waves = rng.uniform(0, math.tau), rng.uniform(1.0, 2.5)
        for i in range(steps + 1):
            x = width * i / steps
            wobble = 0.5 + 0.5 * math.sin(i / steps * waves * math.pi + phase)
            wobble += rng.uniform(-0.1, 0.1)
            points.append((x, base - amplitude * wobble))
        points.append((width, height))
        draw.polygon(points, fill=colour)
    # A few trees or poles on the nearest ridge.
    for _ in range(rng.randint(3, 8)):
        x = rng.randint(0, width)
        y = rng.randint(horizon + (height - horizon) // 2, height - height // 10)
        h = rng.randint(height // 20, height // 9)
        draw.rectangle((x - 3, y - h, x + 3, y), fill=_shade(near, 0.6))
        draw.ellipse((x - h // 3, y - h - h // 3, x + h // 3, y - h // 2), fill=_shade(near, 0.8))


def _skyline(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    width: int,
    height: int,
    horizon: int,
    far: Colour,
    near: Colour,
    accent: Colour,
) -> None:
    for layer, colour in enumerate((far, near)):
        x = -rng.randint(0, width // 20)
        while x < width:
            w = rng.randint(width // 28, width // 10)
            h = int((height - horizon) * 0.3 + horizon * rng.uniform(0.1, 0.5 - layer * 0.15))
            top = horizon + layer * (height - horizon) // 3 - h
            draw.rectangle((x, top, x + w, height), fill=colour)
            if rng.random() < 0.25:  # a dome or a minaret-like spire on some roofs
                draw.pieslice((x, top - w // 2, x + w, top + w // 2), 180, 360, fill=colour)
            if layer == 1:
                _windows(draw, rng, x, top, w, height, accent)
            x += w + rng.randint(0, width // 60)
    draw.rectangle((0, height - height // 14, width, height), fill=_shade(near, 0.7))


def _windows(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    x: int,
    top: int,
    w: int,
    bottom: int,
    accent: Colour,
) -> None:
    size = max(4, w // 9)
    for wy in range(top + size * 2, bottom - size * 2, size * 3):
        for wx in range(x + size, x + w - size * 2, size * 2):
            if rng.random() < 0.35:
                draw.rectangle((wx, wy, wx + size, wy + size), fill=accent)


def _sea(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    width: int,
    height: int,
    horizon: int,
    far: Colour,
    near: Colour,
    accent: Colour,
) -> None:
    draw.rectangle((0, horizon, width, height), fill=far)
    for i in range(1, 14):  # bands of waves, denser towards the viewer
        y = horizon + (height - horizon) * (i / 14) ** 1.4
        length = width // rng.randint(8, 20)
        for _ in range(rng.randint(4, 10)):
            x = rng.randint(-length, width)
            draw.line((x, y, x + length, y), fill=_mix(far, accent, 0.35), width=1 + i // 4)
    # A pier or a boat on the water, sized for a 1600-pixel-wide picture and scaled.
    u = width / 1600
    if rng.random() < 0.5:
        px = rng.randint(0, width // 2)
        deck, posts = horizon + round(10 * u), horizon + round(22 * u)
        draw.rectangle((px, deck, px + width // 2, posts), fill=near)
        for post in range(px, px + width // 2, max(1, width // 30)):
            draw.rectangle((post, posts, post + round(6 * u), horizon + round(70 * u)), fill=near)
    else:
        bx, by = rng.randint(width // 6, width * 5 // 6), horizon + (height - horizon) // 3

        def at(dx: float, dy: float) -> tuple[float, float]:
            return (bx + dx * u, by + dy * u)

        draw.polygon([at(-90, 0), at(90, 0), at(60, 30), at(-60, 30)], fill=near)
        draw.polygon([at(0, -120), at(0, -6), at(70, -6)], fill=_mix(accent, near, 0.2))


def _shapes(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    width: int,
    height: int,
    horizon: int,
    far: Colour,
    near: Colour,
    accent: Colour,
) -> None:
    """An abstract composition (a poster rather than a place): circles, bars and a ground."""
    draw.rectangle((0, horizon, width, height), fill=near)
    for _ in range(rng.randint(5, 9)):
        colour = rng.choice((far, accent, _mix(far, accent, 0.5), _shade(near, 1.3)))
        if rng.random() < 0.5:
            r = rng.randint(height // 16, height // 5)
            x, y = rng.randint(0, width), rng.randint(height // 8, horizon)
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
        else:
            w, h = rng.randint(width // 20, width // 6), rng.randint(height // 6, height // 2)
            x = rng.randint(0, width - w)
            draw.rectangle((x, horizon - h, x + w, horizon + h // 6), fill=colour)


_MOTIFS: tuple[Callable[..., None], ...] = (_hills, _skyline, _sea, _shapes)


def _text(image: Image.Image, label: str, *, size: int) -> None:
    """The label in the bottom right corner (where Arabic text starts), on a dark box."""
    if not label:
        return
    font = _font(size)
    if font is None:
        return
    draw = ImageDraw.Draw(image)
    margin = size
    right, bottom = image.width - margin, image.height - margin
    box = draw.textbbox((right, bottom), label, font=font, anchor="rd", direction="rtl")
    pad = size // 2
    draw.rounded_rectangle(
        (box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad), radius=pad, fill=(0, 0, 0)
    )
    draw.text((right, bottom), label, font=font, fill=(255, 255, 255), anchor="rd", direction="rtl")


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont | None:
    path = _font_path()
    if path is None:
        return None
    try:
        return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.RAQM)
    except OSError:
        return None


@functools.cache
def _font_path() -> str | None:
    """A font that has Arabic letters, if this machine has one and Pillow can shape Arabic."""
    if not features.check("raqm"):
        return None
    for path in _font_files():
        if _has_arabic(path):
            return str(path)
    return None


def _font_files() -> Iterator[Path]:
    """The usual suspects first, then any TrueType font in the usual places (a few hundred at
    most: this runs once, while the demo loads)."""
    yield from (p for p in map(Path, FONT_CANDIDATES) if p.is_file())
    for directory in map(Path, FONT_DIRS):
        if directory.is_dir():
            yield from itertools.islice(sorted(directory.rglob("*.ttf")), 200)


def _has_arabic(path: Path) -> bool:
    """Whether the font draws «ع» as something other than its missing-glyph box."""
    try:
        font = ImageFont.truetype(str(path), 24, layout_engine=ImageFont.Layout.RAQM)
    except OSError:
        return False

    def drawn(text: str) -> bytes:
        canvas = Image.new("L", (48, 48))
        ImageDraw.Draw(canvas).text((4, 4), text, font=font, fill=255)
        return canvas.tobytes()

    letter = drawn("ع")
    return letter != drawn("\ufffe") and any(letter)


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=False)
    return out.getvalue()

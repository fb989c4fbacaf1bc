"""The certificate's QR code: it scans back to the exact HC1 text, at level Q, and is drawn once per text."""

import io
import random
import re
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import pytest
import zxingcpp
from django.utils import translation
from PIL import Image

from sotiem.certificates import qr

BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
SVG = "{http://www.w3.org/2000/svg}"


def hc1(length: int = 446, *, seed: int = 0) -> str:
    """A certificate-shaped text: "HC1:" then base45, as long as a real signed certificate."""
    rng = random.Random(seed)
    return "HC1:" + "".join(rng.choice(BASE45) for _ in range(length))


def decode(image: Image.Image) -> list[zxingcpp.Barcode]:
    return zxingcpp.read_barcodes(image, formats=zxingcpp.QRCode)


def png_modules(png: bytes, scale: int) -> list[list[bool]]:
    """Dark (True) or light for each module of a PNG, quiet zone included, read at module centres."""
    image = Image.open(io.BytesIO(png)).convert("L")
    side = image.width // scale
    return [
        [image.getpixel((x * scale + scale // 2, y * scale + scale // 2)) < 128 for x in range(side)]
        for y in range(side)
    ]


def svg_modules(svg: str) -> list[list[bool]]:
    """Dark or light for each module, read back from the path of horizontal one-module strokes."""
    root = ET.fromstring(svg)
    _, _, side, _ = (int(v) for v in root.attrib["viewBox"].split())
    (path,) = root.iter(f"{SVG}path")
    grid = [[False] * side for _ in range(side)]
    d = path.attrib["d"]
    commands = re.findall(r"([Mmh])(\d+(?:\.\d+)?)(?: (\d+(?:\.\d+)?))?", d)
    assert "".join(f"{c}{a}" + (f" {b}" if b else "") for c, a, b in commands) == d, "only M, m and h"
    x = y = 0.0
    for command, first, second in commands:
        if command == "M":
            x, y = float(first), float(second)
        elif command == "m":
            x, y = x + float(first), y + float(second)
        else:
            assert y % 1 == 0.5, "strokes run through the middle of a module row"
            for column in range(int(x), int(x + float(first))):
                grid[int(y)][column] = True
            x += float(first)
    return grid


def raster(grid: list[list[bool]], scale: int = 4) -> Image.Image:
    image = Image.new("L", (len(grid), len(grid)), 255)
    image.putdata([0 if dark else 255 for row in grid for dark in row])
    return image.resize((len(grid) * scale, len(grid) * scale), Image.Resampling.NEAREST)


@pytest.fixture(autouse=True)
def _empty_caches():
    qr.clear_caches()
    yield
    qr.clear_caches()


def test_the_png_decodes_back_to_exactly_the_text() -> None:
    text = hc1()
    (found,) = decode(Image.open(io.BytesIO(qr.qr_png(text))))
    assert found.text == text
    assert found.format == zxingcpp.QRCode


def test_it_uses_error_correction_level_q() -> None:
    (found,) = decode(Image.open(io.BytesIO(qr.qr_png(hc1()))))
    assert found.ec_level == "Q"


def test_a_600_character_certificate_fits_at_level_q() -> None:
    text = hc1(596, seed=1)
    (found,) = decode(Image.open(io.BytesIO(qr.qr_png(text))))
    assert found.text == text
    assert found.ec_level == "Q"
    # Base45 is QR's alphanumeric set: 600 characters need version 19, not the 23 of byte mode.
    assert int(found.extra["Version"]) <= 19


def test_the_png_is_one_bit_black_on_white_with_a_four_module_quiet_zone() -> None:
    scale = 3
    image = Image.open(io.BytesIO(qr.qr_png(hc1(), scale=scale)))
    assert image.format == "PNG"
    assert image.mode == "1"
    modules = png_modules(qr.qr_png(hc1(), scale=scale), scale)
    side = len(modules)
    assert image.size == (side * scale, side * scale)
    quiet = [
        modules[y][x] for y in range(side) for x in range(side) if min(x, y, side - 1 - x, side - 1 - y) < 4
    ]
    assert not any(quiet)
    assert modules[4][4], "the top-left finder pattern starts right after the quiet zone"


def test_scale_sets_the_pixels_per_module() -> None:
    small = Image.open(io.BytesIO(qr.qr_png(hc1(), scale=1)))
    large = Image.open(io.BytesIO(qr.qr_png(hc1(), scale=5)))
    assert large.width == small.width * 5


@pytest.mark.parametrize("scale", [0, -1, qr.MAX_SCALE + 1, 2.5, True])
def test_it_refuses_a_scale_outside_the_range(scale: object) -> None:
    with pytest.raises(ValueError, match="scale"):
        qr.qr_png(hc1(), scale=scale)  # type: ignore[arg-type]


@pytest.mark.parametrize("draw", [qr.qr_svg, qr.qr_png])
def test_it_refuses_empty_or_oversized_text(draw) -> None:
    with pytest.raises(ValueError, match="non-empty"):
        draw("")
    with pytest.raises(ValueError, match="cannot draw"):
        draw(hc1(5000))


def test_the_svg_is_one_scalable_path_titled_in_the_readers_language() -> None:
    root = ET.fromstring(qr.qr_svg(hc1()))
    assert root.tag == f"{SVG}svg"
    assert "width" not in root.attrib and "height" not in root.attrib
    assert root.attrib["viewBox"].startswith("0 0 ")
    assert root.attrib["shape-rendering"] == "crispEdges"
    assert root.find(f"{SVG}title").text == "Mã QR chứng nhận tiêm chủng"
    assert len(list(root.iter(f"{SVG}path"))) == 1
    with translation.override("en"):
        english = ET.fromstring(qr.qr_svg(hc1()))  # the same text: the cached drawing must not answer
    assert english.find(f"{SVG}title").text == "Vaccination certificate QR code"
    assert len(list(english.iter(f"{SVG}path"))) == 1


def test_the_svg_holds_the_same_modules_as_the_png() -> None:
    text = hc1(seed=2)
    assert svg_modules(qr.qr_svg(text)) == png_modules(qr.qr_png(text, scale=2), 2)


def test_the_svg_rasterised_decodes_back_to_the_text() -> None:
    text = hc1(seed=3)
    (found,) = decode(raster(svg_modules(qr.qr_svg(text))))
    assert found.text == text


def test_a_cached_call_returns_the_same_object_without_redrawing(monkeypatch) -> None:
    drawn = []
    draw_svg, draw_png = qr._draw_svg, qr._draw_png
    monkeypatch.setattr(qr, "_draw_svg", lambda *a: drawn.append("svg") or draw_svg(*a))
    monkeypatch.setattr(qr, "_draw_png", lambda *a: drawn.append("png") or draw_png(*a))
    text = hc1(seed=4)

    assert qr.qr_svg(text) is qr.qr_svg(text)
    assert qr.qr_png(text) is qr.qr_png(text)
    assert drawn == ["svg", "png"]

    qr.qr_png(text, scale=2)
    assert drawn == ["svg", "png", "png"], "another scale is another drawing"


def test_the_cache_is_bounded() -> None:
    assert qr._svg_cached.cache_info().maxsize == qr.CACHE_SIZE
    assert qr._png_cached.cache_info().maxsize == qr.CACHE_SIZE


def test_threads_asking_at_once_get_the_same_drawings() -> None:
    texts = [hc1(300, seed=seed) for seed in range(12)] * 4
    with ThreadPoolExecutor(max_workers=6) as pool:
        svgs = list(pool.map(qr.qr_svg, texts))
        pngs = list(pool.map(qr.qr_png, texts))
    qr.clear_caches()
    assert svgs == [qr.qr_svg(text) for text in texts]
    assert pngs == [qr.qr_png(text) for text in texts]

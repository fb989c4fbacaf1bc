"""The QR code a citizen shows: a signed certificate's HC1 string drawn as SVG (web) and PNG (PDF, apps).

Error correction is level Q, as the EU DCC apps print it: a creased or scratched paper copy still scans.
An HC1 string is base45, whose 45 characters are exactly QR's alphanumeric set, so a 600-character
certificate fits in a version 19 symbol (93 modules).

Drawing takes a few milliseconds, but certificates are reissued and the same code is asked for again
and again, so finished drawings are kept in bounded LRU caches keyed by the text.
"""

import functools
import html
import io
import re

import zxingcpp
from PIL import Image

from sotiem.lib.i18n import _

QUIET_ZONE = 4  # modules of white around the symbol; ISO/IEC 18004 requires 4
CACHE_SIZE = 2048
MAX_SCALE = 40
TITLE = _("Vaccination certificate QR code")  # the SVG's accessible name, in the reader's language

_DARK_RUN = re.compile(rb"\x00+")  # zxing-cpp draws dark modules as 0 and light ones as 255


def qr_svg(text: str) -> str:
    """The QR code of `text` as a compact, scalable SVG document (one path, no fixed pixel size), titled in the
    active language."""
    _check_text(text)
    return _svg_cached(text, str(TITLE))


def qr_png(text: str, *, scale: int = 4) -> bytes:
    """The QR code of `text` as a 1-bit greyscale PNG, `scale` pixels per module, quiet zone included."""
    _check_text(text)
    if not isinstance(scale, int) or isinstance(scale, bool) or not 1 <= scale <= MAX_SCALE:
        raise ValueError(f"scale must be an integer from 1 to {MAX_SCALE}, got {scale!r}")
    return _png_cached(text, scale)


def clear_caches() -> None:
    """Forget every drawing (tests; a deployment never needs to, the caches are bounded)."""
    _modules.cache_clear()
    _svg_cached.cache_clear()
    _png_cached.cache_clear()


def _check_text(text: object) -> None:
    if not isinstance(text, str) or not text:
        raise ValueError("the QR code text must be a non-empty string")


# functools.lru_cache keeps its table coherent under concurrent threads. Two threads missing the same
# key at once may both draw it; the drawings are equal and one wins, which is harmless.
@functools.lru_cache(maxsize=CACHE_SIZE)
def _svg_cached(text: str, title: str) -> str:
    return _draw_svg(*_modules(text), title)


@functools.lru_cache(maxsize=CACHE_SIZE)
def _png_cached(text: str, scale: int) -> bytes:
    return _draw_png(*_modules(text), scale)


# A page showing the SVG and a PDF embedding the PNG encode the same text: share the encoding.
@functools.lru_cache(maxsize=256)
def _modules(text: str) -> tuple[bytes, int]:
    """The symbol without its quiet zone: `size * size` bytes, row by row, 0 for dark and 255 for light."""
    try:
        symbol = zxingcpp.create_barcode(text, zxingcpp.QRCode, ec_level="Q")
    except ValueError as error:
        raise ValueError(f"cannot draw this text as a QR code: {error}") from error
    image = symbol.to_image(scale=1, add_quiet_zones=False)
    size = image.shape[0]
    return memoryview(image).tobytes(), size  # type: ignore[arg-type]  # Image is a buffer; its stub omits it


def _draw_svg(modules: bytes, size: int, title: str) -> str:
    # Each run of dark modules in a row is one horizontal stroke, one module wide, through the middle
    # of the row: "M4 4.5h7" then "m2 0h1" relative to the end of the previous run. A third of the size
    # of one rectangle per run, and still one path.
    side = size + 2 * QUIET_ZONE
    parts: list[str] = []
    for y in range(size):
        pen = None  # where the previous stroke of this row ended
        for run in _DARK_RUN.finditer(modules, y * size, (y + 1) * size):
            start, end = run.start() - y * size, run.end() - y * size
            if pen is None:
                parts.append(f"M{start + QUIET_ZONE} {y + QUIET_ZONE}.5h{end - start}")
            else:
                parts.append(f"m{start - pen} 0h{end - start}")
            pen = end
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" '
        f'shape-rendering="crispEdges" role="img">'
        f"<title>{html.escape(title)}</title>"
        f'<rect width="{side}" height="{side}" fill="#fff"/>'
        f'<path stroke="#000" d="{"".join(parts)}"/>'
        f"</svg>"
    )


def _draw_png(modules: bytes, size: int, scale: int) -> bytes:
    side = size + 2 * QUIET_ZONE
    canvas = Image.new("L", (side, side), 255)
    canvas.paste(Image.frombytes("L", (size, size), modules), (QUIET_ZONE, QUIET_ZONE))
    if scale > 1:
        canvas = canvas.resize((side * scale, side * scale), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    canvas.convert("1", dither=Image.Dither.NONE).save(buffer, format="PNG")
    return buffer.getvalue()

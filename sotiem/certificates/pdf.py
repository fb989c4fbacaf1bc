"""The printable certificate: an A4 page and a two-sided wallet card, Vietnamese first, then English.

Pure: it draws what a `CertificateView` holds and reads no database. The QR code is embedded as a 1-bit
image (fpdf2 stores it CCITT G4, a few kilobytes), so the PDF carries the exact symbol a verifier app
scans, and a test can extract it and decode it back to the HC1 text.

Fonts are the bundled DejaVu Sans: the PDF core fonts cannot draw Vietnamese, and a fresh machine may
have no system fonts. The PDF's creation date is the certificate's issue time, so drawing the same
certificate twice gives the same bytes.
"""

import datetime
import functools
import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, TableBordersLayout, XPos, YPos
from fpdf.fonts import FontFace

from sotiem.certificates.qr import qr_png

SIZES = ("a4", "card")
FONT_DIR = Path(__file__).parent / "data" / "fonts"
FONT = "DejaVuSans"

TITLE_VI = "CHỨNG NHẬN TIÊM CHỦNG COVID-19"
TITLE_EN = "COVID-19 VACCINATION CERTIFICATE"
VERIFY_VI = "Kiểm tra bằng ứng dụng đọc chứng nhận EU DCC; không cần gọi tới sổ tiêm."
VERIFY_EN = "Verify with any EU DCC verifier app; works offline."
QR_TITLE = "Mã QR chứng nhận tiêm chủng / Vaccination certificate QR code"  # the image's alternative text

# Viet Nam has kept UTC+7 all year since 1975: a fixed offset needs no tz database on the machine.
VIET_NAM_TIME = datetime.timezone(datetime.timedelta(hours=7), "ICT")

CARD_WIDTH = 85.6  # ISO/IEC 7810 ID-1, millimetres
CARD_HEIGHT = 54.0
CARD_MARGIN = 3.0

# Enough pixels per module that a viewer which smooths images still shows sharp edges; the 1-bit
# image costs a few kilobytes whatever the scale.
QR_SCALE = 8

_INK = (0, 0, 0)
_MUTED = (85, 85, 85)
_ACCENT = (0, 56, 120)
_RULE = (170, 170, 170)
_HEADING_FILL = (232, 237, 243)


@dataclass(frozen=True)
class DoseLine:
    """One dose as the certificate prints it."""

    number_label: str  # "1", "2", "Nhắc lại 1 / Booster 1"
    administered_on: datetime.date
    vaccine: str
    site: str


@dataclass(frozen=True)
class CertificateView:
    """Everything the printed certificate shows, already chosen and formatted by the caller."""

    full_name: str
    birth_date: str  # as recorded: "12/03/1985", "03/1985" or "1985"
    uvci: str
    issued_at: datetime.datetime
    expires_at: datetime.datetime
    status_vi: str
    status_en: str
    doses: tuple[DoseLine, ...]
    hc1: str
    issuer_vi: str = "Bộ Y tế Việt Nam"
    issuer_en: str = "Ministry of Health of Viet Nam"

    def __post_init__(self) -> None:
        # A list of doses would make the view unhashable, and the view is the drawing cache's key.
        object.__setattr__(self, "doses", tuple(self.doses))


def certificate_pdf(view: CertificateView, *, size: str = "a4") -> bytes:
    """The certificate as PDF bytes: `size="a4"` for a printed page, `"card"` for a two-sided wallet card."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}, got {size!r}")
    return _certificate_pdf_cached(view, size)


def clear_caches() -> None:
    """Forget every drawn PDF (tests; a deployment never needs to, the cache is bounded)."""
    _certificate_pdf_cached.cache_clear()


# Loading the fonts and subsetting them dominates the cost (~0.2 s); a certificate fetched again soon
# (a reload, a second print) is served from here. The view is a frozen dataclass, so it is the key.
@functools.lru_cache(maxsize=64)
def _certificate_pdf_cached(view: CertificateView, size: str) -> bytes:
    pdf = _new_document(view, size)
    if size == "a4":
        _draw_a4(pdf, view)
    else:
        _draw_card_front(pdf, view)
        _draw_card_back(pdf, view)
    return bytes(pdf.output())


def _new_document(view: CertificateView, size: str) -> FPDF:
    if size == "a4":
        pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        pdf.set_margins(18, 15, 18)
        pdf.set_auto_page_break(True, margin=15)
    else:
        pdf = FPDF(orientation="landscape", unit="mm", format=(CARD_HEIGHT, CARD_WIDTH))
        pdf.set_margins(CARD_MARGIN, CARD_MARGIN, CARD_MARGIN)
        pdf.c_margin = 0.5  # padding inside cells; fpdf2's default 1 mm is too wide at 5 pt
        # Each side is laid out to fit; a page break would print a third side.
        pdf.set_auto_page_break(False)
    pdf.add_font(FONT, "", FONT_DIR / "DejaVuSans.ttf")
    pdf.add_font(FONT, "B", FONT_DIR / "DejaVuSans-Bold.ttf")
    pdf.set_title(f"{TITLE_VI} / {TITLE_EN}")
    pdf.set_author(f"{view.issuer_vi} / {view.issuer_en}")
    pdf.set_lang("vi")
    pdf.set_creation_date(_local(view.issued_at))
    pdf.set_text_color(*_INK)
    return pdf


# --- A4 ---------------------------------------------------------------------------------------------


def _draw_a4(pdf: FPDF, view: CertificateView) -> None:
    pdf.add_page()
    width = pdf.epw
    left = pdf.l_margin

    pdf.set_font(FONT, "", 9)
    pdf.set_text_color(*_MUTED)
    pdf.cell(
        width,
        5,
        _text(f"{view.issuer_vi} / {view.issuer_en}"),
        align=Align.C,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(3)
    pdf.set_text_color(*_ACCENT)
    pdf.set_font(FONT, "B", 17)
    pdf.cell(width, 9, TITLE_VI, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 12)
    pdf.cell(width, 7, TITLE_EN, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*_INK)
    pdf.ln(3)
    _rule(pdf, left, pdf.get_y(), width)

    # Holder on the left, the QR code on the right, both starting under the title.
    top = pdf.get_y() + 6
    qr_size = 70.0
    gap = 6.0
    column = width - qr_size - gap
    pdf.image(
        io.BytesIO(qr_png(view.hc1, scale=QR_SCALE)),
        x=left + column + gap,
        y=top,
        w=qr_size,
        h=qr_size,
        alt_text=QR_TITLE,
    )

    pdf.set_xy(left, top)
    _field(pdf, column, "Họ và tên / Name", view.full_name, size=15, bold=True)
    _field(pdf, column, "Ngày sinh / Date of birth", view.birth_date, size=11)
    _field(pdf, column, "Tình trạng / Status", f"{view.status_vi}\n{view.status_en}", size=11, bold=True)
    _field(pdf, column, "Mã chứng nhận / Certificate identifier (UVCI)", view.uvci, size=9)
    _field(pdf, column, "Ngày cấp / Issued on", _day(_local(view.issued_at)), size=10)
    _field(pdf, column, "Có giá trị đến / Valid until", _day(_local(view.expires_at)), size=10)

    pdf.set_xy(left, max(pdf.get_y(), top + qr_size) + 6)
    pdf.set_font(FONT, "B", 11)
    pdf.cell(width, 6, "Các mũi đã tiêm / Doses received", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    _dose_table_a4(pdf, view.doses, width)

    pdf.ln(8)
    if pdf.get_y() > pdf.h - pdf.b_margin - 14:
        pdf.add_page()
    _rule(pdf, left, pdf.get_y(), width)
    pdf.ln(2)
    pdf.set_font(FONT, "", 9)
    pdf.multi_cell(width, 4.5, VERIFY_VI, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*_MUTED)
    pdf.multi_cell(width, 4.5, VERIFY_EN, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*_INK)


def _field(pdf: FPDF, width: float, label: str, value: str, *, size: float, bold: bool = False) -> None:
    x = pdf.get_x()
    pdf.set_font(FONT, "", 8)
    pdf.set_text_color(*_MUTED)
    pdf.multi_cell(width, 4, label, align=Align.L, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_text_color(*_INK)
    pdf.set_font(FONT, "B" if bold else "", size)
    pdf.multi_cell(width, size * 0.45, _text(value), align=Align.L, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_xy(x, pdf.get_y() + 3)


def _dose_table_a4(pdf: FPDF, doses: tuple[DoseLine, ...], width: float) -> None:
    if not doses:
        pdf.set_font(FONT, "", 10)
        pdf.cell(width, 6, "Chưa có mũi tiêm nào / No doses recorded", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return
    pdf.set_font(FONT, "", 10)
    pdf.set_draw_color(*_RULE)
    with pdf.table(
        width=width,
        col_widths=(16, 18, 30, 36),
        text_align=(Align.C, Align.C, Align.L, Align.L),
        line_height=5,
        padding=(1.5, 2),
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        headings_style=FontFace(emphasis="BOLD", size_pt=9, fill_color=_HEADING_FILL),
        align=Align.L,
    ) as table:
        table.row(("Mũi / Dose", "Ngày / Date", "Vắc xin / Vaccine", "Nơi tiêm / Site"))
        for dose in doses:
            table.row(
                (_text(dose.number_label), _day(dose.administered_on), _text(dose.vaccine), _text(dose.site))
            )


# --- Wallet card ------------------------------------------------------------------------------------


def _draw_card_front(pdf: FPDF, view: CertificateView) -> None:
    pdf.add_page()
    _card_title(pdf)

    top = pdf.get_y() + 1
    # The code's own quiet zone is its margin, so it may run a millimetre into the card's.
    qr_size = CARD_HEIGHT - CARD_MARGIN + 1 - top
    qr_x = CARD_WIDTH - CARD_MARGIN + 1 - qr_size
    pdf.image(
        io.BytesIO(qr_png(view.hc1, scale=QR_SCALE)), x=qr_x, y=top, w=qr_size, h=qr_size, alt_text=QR_TITLE
    )

    column = qr_x - CARD_MARGIN
    pdf.set_xy(CARD_MARGIN, top + 1)
    _card_field(pdf, column, "Họ và tên / Name", view.full_name, sizes=(8, 7, 6.5), bold=True)
    _card_field(pdf, column, "Ngày sinh / Date of birth", view.birth_date, sizes=(7, 6))
    _card_field(
        pdf,
        column,
        "Tình trạng / Status",
        f"{view.status_vi}\n{view.status_en}",
        sizes=(6, 5.5, 5),
        bold=True,
        max_lines=4,
    )

    pdf.set_font(FONT, "", 4.5)
    pdf.set_text_color(*_MUTED)
    pdf.set_xy(CARD_MARGIN, CARD_HEIGHT - CARD_MARGIN - 4)
    pdf.multi_cell(column, 2, _text(f"{view.issuer_vi}\n{view.issuer_en}"), align=Align.L)
    pdf.set_text_color(*_INK)


_CARD_LINE = 2.3  # line height of the back's dose table, mm
_CARD_FOOTER = 12.5  # identifier, dates and verification note at the foot of the back, mm


def _draw_card_back(pdf: FPDF, view: CertificateView) -> None:
    pdf.add_page()
    width = CARD_WIDTH - 2 * CARD_MARGIN
    pdf.set_xy(CARD_MARGIN, CARD_MARGIN)
    pdf.set_text_color(*_ACCENT)
    pdf.set_font(FONT, "B", 6.5)
    pdf.cell(width, 3.5, "Các mũi đã tiêm / Doses received", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*_INK)
    pdf.ln(0.5)

    widths = (14.0, 12.5, 22.0, width - 48.5)
    pdf.set_fill_color(*_HEADING_FILL)
    pdf.set_font(FONT, "B", 4.5)
    headings = ("Mũi / Dose", "Ngày / Date", "Vắc xin / Vaccine", "Nơi tiêm / Site")
    for heading, cell_width in zip(headings, widths, strict=True):
        pdf.cell(cell_width, 2.9, _clip(pdf, heading, cell_width - 1), fill=True)
    pdf.ln(2.9)

    pdf.set_font(FONT, "", 5)
    footer_top = CARD_HEIGHT - CARD_MARGIN - _CARD_FOOTER
    rows = [_card_dose_cells(pdf, dose, widths) for dose in view.doses]
    shown = _rows_that_fit(rows, footer_top - 1 - pdf.get_y())
    pdf.set_draw_color(*_RULE)
    pdf.set_line_width(0.1)
    for cells in rows[len(rows) - shown :]:
        y = pdf.get_y()
        height = max(len(lines) for lines in cells) * _CARD_LINE
        x = CARD_MARGIN
        for lines, cell_width in zip(cells, widths, strict=True):
            pdf.set_xy(x, y)
            pdf.multi_cell(cell_width, _CARD_LINE, "\n".join(lines), align=Align.L)
            x += cell_width
        pdf.line(CARD_MARGIN, y + height, CARD_MARGIN + width, y + height)
        pdf.set_xy(CARD_MARGIN, y + height)
    pdf.set_font(FONT, "", 4.5)
    if not rows:
        pdf.cell(width, _CARD_LINE, "Chưa có mũi tiêm nào / No doses recorded")
    elif shown < len(rows):
        hidden = len(rows) - shown
        pdf.cell(
            width, _CARD_LINE, f"… và {hidden} mũi trước đó, xem bản A4 / and {hidden} earlier, see the A4"
        )

    pdf.set_xy(CARD_MARGIN, footer_top)
    _rule(pdf, CARD_MARGIN, footer_top, width)
    pdf.set_y(footer_top + 0.8)
    pdf.set_font(FONT, "", 4.5)
    pdf.set_text_color(*_MUTED)
    pdf.cell(width, 2.2, "Mã chứng nhận / Certificate identifier (UVCI)", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*_INK)
    pdf.set_font(FONT, "B", 5.5)
    pdf.cell(width, 2.8, _clip(pdf, view.uvci, width), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 4.5)
    issued, expires = _day(_local(view.issued_at)), _day(_local(view.expires_at))
    pdf.cell(
        width,
        2.3,
        f"Ngày cấp / Issued on: {issued}    Có giá trị đến / Valid until: {expires}",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_text_color(*_MUTED)
    pdf.cell(width, 2.1, _clip(pdf, VERIFY_VI, width), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.cell(width, 2.1, _clip(pdf, VERIFY_EN, width), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*_INK)


def _card_dose_cells(pdf: FPDF, dose: DoseLine, widths: tuple[float, ...]) -> list[list[str]]:
    """The lines of each cell of one dose row: at most two, the second clipped if the text runs on."""
    texts = (dose.number_label, _day(dose.administered_on), dose.vaccine, dose.site)
    cells: list[list[str]] = []
    for text, cell_width in zip(texts, widths, strict=True):
        lines = _wrapped(pdf, cell_width, _text(text))
        if len(lines) > 2:
            lines = [lines[0], _clip(pdf, " ".join(lines[1:]), cell_width - 2 * pdf.c_margin)]
        cells.append(lines or [""])
    return cells


def _rows_that_fit(rows: list[list[list[str]]], available: float) -> int:
    """How many of the latest rows fit in `available` mm, keeping a line for "and n earlier" if some don't."""
    heights = [max(len(lines) for lines in cells) * _CARD_LINE for cells in rows]
    if sum(heights) <= available:
        return len(rows)
    room, shown = available - _CARD_LINE, 0
    for height in reversed(heights):
        if height > room:
            break
        room -= height
        shown += 1
    return shown


def _card_title(pdf: FPDF) -> None:
    width = CARD_WIDTH - 2 * CARD_MARGIN
    pdf.set_xy(CARD_MARGIN, CARD_MARGIN)
    pdf.set_text_color(*_ACCENT)
    pdf.set_font(FONT, "B", 7)
    pdf.cell(width, 3.2, TITLE_VI, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 5.5)
    pdf.cell(width, 2.6, TITLE_EN, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*_INK)
    _rule(pdf, CARD_MARGIN, pdf.get_y() + 0.6, width)
    pdf.set_y(pdf.get_y() + 1.2)


def _card_field(
    pdf: FPDF,
    width: float,
    label: str,
    value: str,
    *,
    sizes: tuple[float, ...],
    bold: bool = False,
    max_lines: int = 1,
) -> None:
    """A label and its value; the value at the largest of `sizes` that fits `max_lines`, else wrapped."""
    x = pdf.get_x()
    pdf.set_font(FONT, "", 4.5)
    pdf.set_text_color(*_MUTED)
    pdf.cell(width, 2.2, label, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_text_color(*_INK)
    value = _text(value)
    for size in sizes:
        pdf.set_font(FONT, "B" if bold else "", size)
        if len(_wrapped(pdf, width, value)) <= max_lines:
            break
    pdf.multi_cell(width, pdf.font_size_pt * 0.42, value, align=Align.L, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_xy(x, pdf.get_y() + 1.2)


# --- Helpers ----------------------------------------------------------------------------------------


def _rule(pdf: FPDF, x: float, y: float, width: float) -> None:
    pdf.set_draw_color(*_RULE)
    pdf.set_line_width(0.2)
    pdf.line(x, y, x + width, y)


def _wrapped(pdf: FPDF, width: float, text: str) -> list[str]:
    """The lines `text` wraps into at `width` in the current font, drawing nothing."""
    return cast(list[str], pdf.multi_cell(width, 1, text, dry_run=True, output=MethodReturnValue.LINES))


def _clip(pdf: FPDF, text: str, width: float) -> str:
    """`text` shortened with an ellipsis until it fits `width` in the current font."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _text(value: str) -> str:
    # Names typed on some keyboards arrive decomposed (e + combining marks); the fonts draw the
    # precomposed Vietnamese letters properly, and fpdf2 does no mark positioning without shaping.
    return unicodedata.normalize("NFC", value)


def _local(moment: datetime.datetime) -> datetime.datetime:
    """`moment` in Viet Nam time; a naive datetime is taken to be Viet Nam time already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=VIET_NAM_TIME)
    return moment.astimezone(VIET_NAM_TIME)


def _day(day: datetime.date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"

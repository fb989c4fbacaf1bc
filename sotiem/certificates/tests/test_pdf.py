"""The printed certificate: A4 and wallet card, Vietnamese and English, carrying the certificate's own QR."""

import datetime
import io
import random
import re
import unicodedata

import pytest
import zxingcpp
from pypdf import PdfReader

from sotiem.certificates import pdf as certificate
from sotiem.certificates.pdf import CertificateView, DoseLine, certificate_pdf

NAME = "Nguyễn Thị Hồng Nhung"
UVCI = "URN:UVCI:01:VN:7K3QW9XH2M4T#P"
MM = 72 / 25.4  # points per millimetre
UTC = datetime.UTC


def hc1(seed: int) -> str:
    rng = random.Random(seed)
    return "HC1:" + "".join(rng.choice("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:") for _ in range(446))


def dose(number: int, on: datetime.date, **overrides: str) -> DoseLine:
    fields = {
        "number_label": str(number),
        "vaccine": "Comirnaty (Pfizer-BioNTech)",
        "site": "Trạm Y tế phường Bến Nghé, Quận 1, TP. Hồ Chí Minh",
    }
    return DoseLine(administered_on=on, **{**fields, **overrides})


def make_view(**overrides) -> CertificateView:
    fields = {
        "full_name": NAME,
        "birth_date": "12/03/1985",
        "uvci": UVCI,
        "issued_at": datetime.datetime(2024, 3, 1, 20, 0, tzinfo=UTC),
        "expires_at": datetime.datetime(2025, 3, 1, 20, 0, tzinfo=UTC),
        "status_vi": "Đã tiêm đủ liều cơ bản và nhắc lại",
        "status_en": "Primary series and booster complete",
        "doses": (
            dose(1, datetime.date(2021, 8, 2)),
            dose(2, datetime.date(2021, 9, 6), vaccine="Vaxzevria (AstraZeneca)"),
            dose(3, datetime.date(2022, 1, 14), number_label="Nhắc lại 1 / Booster 1", vaccine="Spikevax"),
        ),
        "hc1": hc1(7),
    }
    return CertificateView(**{**fields, **overrides})


def text_of(document: bytes) -> str:
    """The text of every page, whitespace collapsed so that wrapped lines read as one."""
    reader = PdfReader(io.BytesIO(document))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


@pytest.fixture(autouse=True)
def _empty_cache():
    certificate.clear_caches()
    yield
    certificate.clear_caches()


@pytest.mark.parametrize("size", ["a4", "card"])
def test_it_prints_the_holder_identifier_titles_and_every_dose_date(size: str) -> None:
    text = text_of(certificate_pdf(make_view(), size=size))

    assert NAME in text
    assert "12/03/1985" in text
    assert UVCI in text
    assert "CHỨNG NHẬN TIÊM CHỦNG COVID-19" in text
    assert "COVID-19 VACCINATION CERTIFICATE" in text
    for day in ("02/08/2021", "06/09/2021", "14/01/2022"):
        assert day in text


def test_the_a4_page_has_the_status_table_headings_dates_and_verification_note() -> None:
    document = certificate_pdf(make_view())
    text = text_of(document)

    (page,) = PdfReader(io.BytesIO(document)).pages
    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(
        (595.28, 841.89), abs=0.5
    )
    assert "Đã tiêm đủ liều cơ bản và nhắc lại" in text
    assert "Primary series and booster complete" in text
    for heading in ("Mũi / Dose", "Ngày / Date", "Vắc xin / Vaccine", "Nơi tiêm / Site"):
        assert heading in text
    assert "Nhắc lại 1 / Booster 1" in text
    assert "Bến Nghé" in text
    assert "Kiểm tra bằng ứng dụng đọc chứng nhận EU DCC" in text
    assert "Verify with any EU DCC verifier app" in text
    assert "Bộ Y tế Việt Nam" in text and "Ministry of Health of Viet Nam" in text


def test_dates_are_printed_in_viet_nam_time() -> None:
    text = text_of(certificate_pdf(make_view()))

    # 20:00 UTC on 1 March is already 2 March in Ha Noi.
    assert "02/03/2024" in text
    assert "02/03/2025" in text
    assert "01/03/2024" not in text


def test_the_card_is_two_id1_pages_in_landscape() -> None:
    reader = PdfReader(io.BytesIO(certificate_pdf(make_view(), size="card")))

    assert len(reader.pages) == 2
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(85.6 * MM, abs=0.5)
        assert float(page.mediabox.height) == pytest.approx(54 * MM, abs=0.5)


def test_the_card_front_has_the_holder_and_the_back_the_doses() -> None:
    reader = PdfReader(io.BytesIO(certificate_pdf(make_view(), size="card")))
    front, back = (" ".join(page.extract_text().split()) for page in reader.pages)

    assert NAME in front and "12/03/1985" in front and "Primary series" in front
    assert "02/08/2021" in back and UVCI in back
    assert len(reader.pages[0].images) == 1
    assert len(reader.pages[1].images) == 0


@pytest.mark.parametrize("size", ["a4", "card"])
def test_the_qr_in_the_pdf_is_the_certificates_own(size: str) -> None:
    view = make_view()
    reader = PdfReader(io.BytesIO(certificate_pdf(view, size=size)))

    (image,) = reader.pages[0].images
    (found,) = zxingcpp.read_barcodes(image.image, formats=zxingcpp.QRCode)
    assert found.text == view.hc1
    assert found.ec_level == "Q"


def test_the_a4_qr_is_at_least_six_centimetres() -> None:
    (page,) = PdfReader(io.BytesIO(certificate_pdf(make_view()))).pages
    content = page.get_contents().get_data().decode("latin-1")

    # fpdf2 places an image with "q w 0 0 h x y cm /I1 Do Q".
    placed = re.search(r"([\d.]+) 0 0 ([\d.]+) [\d.]+ [\d.]+ cm /I\d+ Do", content)
    assert placed, "the QR code is placed as an image"
    assert float(placed[1]) >= 60 * MM
    assert float(placed[1]) == pytest.approx(float(placed[2]))


def test_a_decomposed_name_is_printed_composed() -> None:
    decomposed = unicodedata.normalize("NFD", NAME)
    assert decomposed != NAME

    assert NAME in text_of(certificate_pdf(make_view(full_name=decomposed)))


def test_a_long_history_and_long_names_still_fit_the_card_on_two_pages() -> None:
    doses = tuple(
        dose(
            n, datetime.date(2021, 8, 2) + datetime.timedelta(days=90 * n), site="Bệnh viện " + "Đa khoa " * 8
        )
        for n in range(1, 10)
    )
    long_name = "Tôn Nữ Hoàng Thị Phương Thảo Nguyễn Lê Bảo Ngọc Trâm"
    document = certificate_pdf(make_view(doses=doses, full_name=long_name), size="card")
    reader = PdfReader(io.BytesIO(document))
    text = text_of(document)

    assert len(reader.pages) == 2
    assert long_name in text
    assert "mũi trước đó" in text, "the doses that do not fit are counted"
    assert f"{doses[-1].administered_on:%d/%m/%Y}" in text, "the latest dose is shown"
    assert UVCI in text


def test_a_long_history_flows_onto_a_second_a4_page() -> None:
    doses = tuple(dose(n, datetime.date(2021, 1, 1) + datetime.timedelta(days=30 * n)) for n in range(1, 31))
    document = certificate_pdf(make_view(doses=doses))
    text = text_of(document)

    assert len(PdfReader(io.BytesIO(document)).pages) > 1
    for line in doses:
        assert f"{line.administered_on:%d/%m/%Y}" in text


def test_a_person_without_doses_gets_a_certificate_that_says_so() -> None:
    text = text_of(certificate_pdf(make_view(doses=())))
    assert "Chưa có mũi tiêm nào / No doses recorded" in text


def test_the_same_certificate_prints_to_the_same_bytes() -> None:
    first = certificate_pdf(make_view(), size="card")
    certificate.clear_caches()
    assert certificate_pdf(make_view(), size="card") == first


def test_doses_given_as_a_list_are_kept_as_a_tuple() -> None:
    view = make_view(doses=[dose(1, datetime.date(2021, 8, 2))])
    assert view.doses == (dose(1, datetime.date(2021, 8, 2)),)
    assert "02/08/2021" in text_of(certificate_pdf(view))


def test_it_refuses_an_unknown_size() -> None:
    with pytest.raises(ValueError, match="size"):
        certificate_pdf(make_view(), size="letter")


def test_the_fonts_travel_with_the_project() -> None:
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "LICENSE"):
        assert (certificate.FONT_DIR / name).is_file()

"""The reason and evidence form of every correction: a reason is required, evidence is bounded, typed by its
bytes and re-encoded so nothing hidden in it is kept."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.utils import translation
from PIL import Image

from sotiem.audit import forms as reason_forms
from sotiem.audit.forms import EVIDENCE_MAX_BYTES, ReasonForm


def photo(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), *, gps: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    if gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x0112] = 6  # Orientation: rotated 90° — the stored copy must be turned upright
        exif[0x8825] = {1: "N", 2: (10.0, 46.0, 0.0)}  # GPSInfo near Hồ Chí Minh City
        image.save(out, format=fmt, exif=exif)
    else:
        image.save(out, format=fmt)
    return out.getvalue()


def evidence_of(data: bytes) -> reason_forms.Evidence:
    bound = form(evidence=data)
    assert bound.is_valid(), bound.errors
    return bound.cleaned_data["evidence"]


def form(reason: str = "Paper card seen", **files: bytes) -> ReasonForm:
    uploads = {name: SimpleUploadedFile(f"{name}.bin", data) for name, data in files.items()}
    return ReasonForm(data={"reason": reason}, files=uploads)


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_a_blank_reason_is_refused_in_the_readers_language(reason):
    with translation.override("vi"):
        bound = form(reason)
        assert not bound.is_valid()
        assert bound.errors["reason"] == ["Cần nêu lý do"]
    with translation.override("en"):
        assert form(reason).errors["reason"] == ["A reason is required"]


def test_the_reason_is_stripped_and_no_evidence_is_none():
    bound = form("  paper card seen at the commune station  ")
    assert bound.is_valid(), bound.errors
    assert bound.cleaned_data == {"reason": "paper card seen at the commune station", "evidence": None}


def test_a_photo_is_reencoded_upright_without_its_metadata():
    sent = photo(gps=True)
    assert b"PhoneMaker" in sent
    bound = form(evidence=sent)
    assert bound.is_valid(), bound.errors
    evidence = bound.cleaned_data["evidence"]
    assert evidence.content_type == "image/jpeg" and evidence.name.endswith(".jpg")
    assert b"PhoneMaker" not in evidence.data
    with Image.open(io.BytesIO(evidence.data)) as kept:
        assert not kept.getexif()  # no EXIF at all: no GPS, no camera, no orientation left to misread
        assert kept.size == (48, 64)  # turned as its orientation said


def test_a_png_with_bytes_hidden_after_it_keeps_none_of_them():
    sent = photo("PNG") + b"<script>alert(1)</script>"
    evidence = evidence_of(sent)
    assert b"<script>" not in evidence.data and evidence.content_type == "image/jpeg"


def test_a_large_photo_is_scaled_to_a_readable_size():
    evidence = evidence_of(photo(size=(4000, 3000)))
    with Image.open(io.BytesIO(evidence.data)) as kept:
        assert max(kept.size) == reason_forms.EVIDENCE_LONGEST_SIDE


def test_a_pdf_is_kept_as_sent():
    sent = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    evidence = evidence_of(sent)
    assert evidence.content_type == "application/pdf" and evidence.data == sent


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"MZ\x90\x00 an executable named card.jpg", "evidence_type"),
        (b"<html><body>card</body></html>", "evidence_type"),
        (b"\xff\xd8\xff\xe0 not really a jpeg", "evidence_unreadable"),
        (b"%PDF-" + b"x" * EVIDENCE_MAX_BYTES, "evidence_too_large"),
    ],
    ids=["executable", "html", "broken-jpeg", "too-large"],
)
def test_what_is_not_evidence_is_refused_with_the_reason(data, code):
    bound = form(evidence=data)
    assert not bound.is_valid()
    assert bound.has_error("evidence", code)
    assert bound.cleaned_data.get("reason") == "Paper card seen"  # the reason typed is not lost


def test_a_decompression_bomb_is_refused_before_it_is_decoded(monkeypatch):
    monkeypatch.setattr(reason_forms, "EVIDENCE_MAX_PIXELS", 100)
    bound = form(evidence=photo(size=(20, 20)))
    assert bound.has_error("evidence", "evidence_too_large")


@pytest.mark.parametrize(("language", "legend", "label"), [("vi", "Lý do", "Lý do"), ("en", "Why", "Reason")])
def test_the_partial_renders_labelled_fields_with_their_errors(language, legend, label):
    with translation.override(language):
        html = render_to_string("partials/reason_form.html", {"reason_form": form("")})
    assert f"<legend>{legend}</legend>" in html
    assert f'<label for="id_reason">{label}</label>' in html
    assert 'role="alert"' in html and 'aria-invalid="true"' in html
    assert 'aria-describedby="id_reason_helptext' in html and 'id="id_reason_helptext"' in html

"""The one form every correction asks for: why (required, into the audit trail) and, optionally, the evidence.

An official correcting a record, or a citizen reporting a mistake, gives a reason and may attach a photo or a PDF
of the paper record. What is attached is never stored as sent: its size is bounded before it is read, its type
comes from its bytes (not its name or the browser's word), and an image is decoded and re-encoded, which drops
every piece of metadata (GPS position, camera, author) and anything hidden after the picture.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from sotiem.audit.services import require_reason

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_MAX_PIXELS = 40_000_000  # a 12 MP phone photo is 12 M; more is a decompression bomb, not a record
EVIDENCE_LONGEST_SIDE = 3000  # enough to read a vaccination card; keeps what is stored small
REASON_MAX_LENGTH = 2000


@dataclass(frozen=True)
class Evidence:
    """An attachment as it will be stored: cleaned bytes, their type, a safe name, and their SHA-256."""

    name: str
    content_type: str
    data: bytes
    sha256: str


def _reencoded_image(raw: bytes) -> bytes:
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            if probe.width * probe.height > EVIDENCE_MAX_PIXELS:
                raise ValidationError(
                    gettext("The image is too large (at most %(megapixels)s megapixels)")
                    % {"megapixels": EVIDENCE_MAX_PIXELS // 1_000_000},
                    code="evidence_too_large",
                )
            probe.load()
            image = ImageOps.exif_transpose(probe)  # keep the picture upright once its EXIF is gone
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(gettext("The image cannot be read"), code="evidence_unreadable") from exc
    image = image.convert("RGB")
    image.thumbnail((EVIDENCE_LONGEST_SIDE, EVIDENCE_LONGEST_SIDE))
    out = io.BytesIO()
    image.save(
        out, format="JPEG", quality=85, optimize=True
    )  # no exif=, no icc_profile=: nothing carried over
    return out.getvalue()


def clean_evidence(upload: Any) -> Evidence:
    """An uploaded file made into stored evidence, or a ValidationError that says what is accepted."""
    if upload.size is not None and upload.size > EVIDENCE_MAX_BYTES:
        raise ValidationError(
            gettext("The file is too large (at most %(mb)s MB)")
            % {"mb": EVIDENCE_MAX_BYTES // (1024 * 1024)},
            code="evidence_too_large",
        )
    raw = upload.read(EVIDENCE_MAX_BYTES + 1)
    if len(raw) > EVIDENCE_MAX_BYTES:
        raise ValidationError(
            gettext("The file is too large (at most %(mb)s MB)")
            % {"mb": EVIDENCE_MAX_BYTES // (1024 * 1024)},
            code="evidence_too_large",
        )
    if raw.startswith(b"%PDF-"):
        data, content_type, suffix = raw, "application/pdf", "pdf"
    elif raw.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")) or (
        raw[:4] == b"RIFF" and raw[8:12] == b"WEBP"
    ):
        data, content_type, suffix = _reencoded_image(raw), "image/jpeg", "jpg"
    else:
        raise ValidationError(gettext("Attach a photo (JPEG, PNG or WebP) or a PDF"), code="evidence_type")
    digest = hashlib.sha256(data).hexdigest()
    return Evidence(
        name=f"evidence-{digest[:16]}.{suffix}", content_type=content_type, data=data, sha256=digest
    )


class ReasonForm(forms.Form):
    """Why an act is done (required) and the evidence for it (optional): the form of every correction."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX_LENGTH,
        strip=False,  # require_reason strips, and refuses what is only blank
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Say why, as it will stand in the record's history (for example: “paper card seen”)."),
        error_messages={"required": _("A reason is required")},
    )
    evidence = forms.FileField(
        label=_("Evidence (photo or PDF, optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}),
        help_text=_("At most 10 MB. Photos are re-encoded and their metadata removed before they are kept."),
    )

    def clean_reason(self) -> str:
        return require_reason(self.cleaned_data.get("reason"))

    def clean_evidence(self) -> Evidence | None:
        upload = self.cleaned_data.get("evidence")
        return clean_evidence(upload) if upload else None

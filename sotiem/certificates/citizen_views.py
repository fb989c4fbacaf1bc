"""Citizens' certificates: after proving their phone (/my/phone/), a citizen opens the certificate of a person who
gave that phone by typing that person's birth date, then gets the status with its explanation, the QR code (SVG,
PNG) and the printable certificate (PDF, A4 or wallet card), made on demand from the current signed certificate.

Proving the phone shows only names and birth years; a certificate carries the full birth date and the doses, so
it takes one more proof. Wrong birth dates are limited to five per person per session. Every certificate read is
audited as the citizen.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from sotiem.audit.services import audit_record
from sotiem.certificates import selectors
from sotiem.certificates.models import Certificate
from sotiem.certificates.pdf import CertificateView, DoseLine, certificate_pdf
from sotiem.certificates.qr import qr_png, qr_svg
from sotiem.certificates.services import certificate_current
from sotiem.certificates.status import rules_from_catalogue, vaccination_status
from sotiem.immunizations.models import Dose
from sotiem.lib.dates import DateError, parse_partial_date
from sotiem.people.citizen_views import PROOF_KEY, _proved_phone
from sotiem.people.models import ContactPoint, Person, PersonStatus
from sotiem.people.services import CITIZEN_ACTOR

UNLOCKED_KEY = "citizen_certificates"  # {"unlocked": [person ids], "tries": {handle: wrong birth dates}}
MAX_TRIES = 5
WRONG_BIRTH = "Ngày sinh không khớp, còn {left} lần thử / The birth date does not match; {left} tries left"
NO_TRIES = ("Đã nhập sai 5 lần; hãy liên hệ trạm y tế / Five wrong birth dates; please contact your health "
            "station")
NO_BIRTH = ("Hồ sơ chưa có ngày sinh; hãy liên hệ trạm y tế để bổ sung / The record has no birth date; ask your "
            "health station to add it")
FILES = {"qr.svg": "image/svg+xml", "qr.png": "image/png", "a4.pdf": "application/pdf",
         "card.pdf": "application/pdf"}


def _person(request: HttpRequest, handle: str) -> tuple[str, Person]:
    """The phone this session proved and the person of the handle, who must still give that phone."""
    phone = _proved_phone(request)
    if phone is None:
        raise Http404
    contact_pk = request.session[PROOF_KEY]["handles"].get(handle)
    contact = (ContactPoint.objects.filter(pk=contact_pk, phone=phone, active=True,
                                           person__status=PersonStatus.ACTIVE).select_related("person").first()
               if contact_pk else None)
    if contact is None:
        raise Http404
    return phone, contact.person


def _state(request: HttpRequest) -> dict[str, Any]:
    state = request.session.setdefault(UNLOCKED_KEY, {"unlocked": [], "tries": {}})
    request.session.modified = True
    return state


def _birth_matches(person: Person, text: str) -> bool:
    """Whether the typed birth date is the person's, to the precision the registry knows it."""
    try:
        typed = parse_partial_date(text.strip()[:20])
    except DateError:
        return False
    if person.birth_date is None:
        return False
    date, precision = typed.value, typed.precision
    if person.birth_precision == "year":
        return date.year == person.birth_date.year
    if person.birth_precision == "month":
        return (date.year, date.month) == (person.birth_date.year, person.birth_date.month) and precision != "year"
    return precision == "day" and date == person.birth_date


def _unlock_page(request: HttpRequest, person: Person, handle: str, *, error: str = "",
                 status: int = 200) -> HttpResponse:
    return render(request, "certificates/citizen/unlock.html",
                  {"name": person.full_name, "handle": handle, "error": error,
                   "no_birth": person.birth_date is None}, status=status)


def _read(phone: str, person: Person, what: str) -> Certificate | None:
    """The person's current certificate (issued or replaced first if the record changed), the read audited."""
    actor = CITIZEN_ACTOR.format(phone=phone)
    certificate = certificate_current(person=person, actor=actor, reason=f"citizen asked: {what}")
    audit_record(actor=actor, action="person.read", obj=person, person_id=person.pk, reason=f"certificate {what}")
    return certificate


def _doses(person: Person) -> tuple[Any, list[DoseLine], list[str]]:
    """The status, one printable line per counted dose and one explained line per dose."""
    facts = selectors.person_facts([person.pk])[0]
    status = vaccination_status(facts.doses, rules_from_catalogue(), on=timezone.localdate())
    rows = {str(d["public_id"]): d for d in Dose.objects.filter(person=person).values(
        "public_id", "vaccine__name", "site__name", "administered_on")}
    lines = []
    for counted in status.counted:
        row = rows[counted.public_id]
        lines.append(DoseLine(number_label=counted.label,
                              administered_on=row["administered_on"], vaccine=row["vaccine__name"],
                              site=row["site__name"]))
    return status, lines, status.explain(rules_from_catalogue())


@never_cache
@require_http_methods(["GET", "POST"])
def my_certificate(request: HttpRequest, handle: str) -> HttpResponse:
    """GET: the certificate page (or the birth-date form); POST: check the typed birth date."""
    phone, person = _person(request, handle)
    state = _state(request)
    if request.method == "POST":
        tries = state["tries"].get(handle, 0)
        if person.birth_date is None:
            return _unlock_page(request, person, handle, error=NO_BIRTH, status=400)
        if tries >= MAX_TRIES:
            return _unlock_page(request, person, handle, error=NO_TRIES, status=429)
        if not _birth_matches(person, request.POST.get("birth_date") or ""):
            state["tries"][handle] = tries + 1
            left = MAX_TRIES - tries - 1
            return _unlock_page(request, person, handle, error=WRONG_BIRTH.format(left=left) if left else NO_TRIES,
                                status=400)
        state["unlocked"].append(person.pk)
        return redirect("citizen_certificate", handle=handle)
    if person.pk not in state["unlocked"]:
        return _unlock_page(request, person, handle)
    certificate = _read(phone, person, "page")
    status, _lines, explained = _doses(person)
    return render(request, "certificates/citizen/certificate.html", {
        "handle": handle, "person": person, "certificate": certificate, "status": status, "explained": explained,
        "qr": qr_svg(certificate.hc1) if certificate else "",
    })


@never_cache
@require_GET
def my_certificate_file(request: HttpRequest, handle: str, name: str) -> HttpResponse:
    """The QR code (SVG, PNG) or the printable certificate (PDF, A4 or card) of an unlocked person."""
    if name not in FILES:
        raise Http404
    phone, person = _person(request, handle)
    if person.pk not in _state(request)["unlocked"]:
        return redirect("citizen_certificate", handle=handle)
    certificate = _read(phone, person, name)
    if certificate is None:
        raise Http404
    if name == "qr.svg":
        body: bytes | str = qr_svg(certificate.hc1)
    elif name == "qr.png":
        body = qr_png(certificate.hc1)
    else:
        status, lines, _ = _doses(person)
        body = certificate_pdf(_view(person, certificate, status, lines), size=name.split(".")[0])
    response = HttpResponse(body, content_type=FILES[name])
    if name.endswith(".pdf"):
        response["Content-Disposition"] = f'inline; filename="chung-nhan-{certificate.uvci[-8:-2]}-{name}"'
    return response


def _view(person: Person, certificate: Certificate, status: Any, lines: list[DoseLine]) -> CertificateView:
    born = person.birth_date
    birth = "" if born is None else {"year": f"{born:%Y}", "month": f"{born:%m/%Y}"}.get(person.birth_precision,
                                                                                          f"{born:%d/%m/%Y}")
    return CertificateView(full_name=person.full_name, birth_date=birth, uvci=certificate.uvci,
                           issued_at=timezone.localtime(certificate.issued_at),
                           expires_at=timezone.localtime(certificate.expires_at),
                           status_vi=status.label_vi, status_en=status.label_en, doses=tuple(lines),
                           hc1=certificate.hc1)


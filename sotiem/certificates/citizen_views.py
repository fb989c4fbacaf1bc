"""Citizens' certificates: after proving their phone (/my/phone/), a citizen opens the certificate of a person who
gave that phone by typing that person's birth date, then gets the status with its explanation, the QR code (SVG,
PNG) and the printable certificate (PDF, A4 or wallet card), made on demand from the current signed certificate.

Proving the phone shows only names and birth years; a certificate carries the full birth date and the doses, so
it takes one more proof. Wrong birth dates are counted in the database per person, per phone and per client
address, across codes and sessions; past a limit each is locked for a while that grows with each lock
(`SOTIEM_BIRTH_DATE_LIMITS`), and the page says until when. Every wrong try, lock and certificate read is audited
as the citizen.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from sotiem.accounts.clients import client_address
from sotiem.audit.services import audit_record
from sotiem.certificates import selectors
from sotiem.certificates.models import Certificate
from sotiem.certificates.pdf import CertificateView, DoseLine, certificate_pdf
from sotiem.certificates.qr import qr_png, qr_svg
from sotiem.certificates.services import certificate_current
from sotiem.certificates.status import CountedDose, Status, rules_from_catalogue, vaccination_status
from sotiem.immunizations.models import Dose
from sotiem.lib.dates import DateError, parse_partial_date
from sotiem.people.citizen_views import _proved_phone, proved_contact
from sotiem.people.models import BirthDateLock, LockScope, Person
from sotiem.people.selectors import birth_date_lock_active
from sotiem.people.services import birth_date_try_record, citizen_actor

UNLOCKED_KEY = "citizen_certificates"  # {"unlocked": [person ids]}; wrong tries are counted in the database
LOCKED = {
    LockScope.PERSON: gettext_lazy(
        "Too many wrong birth dates for this person; their certificate is locked until %(until)s (Vietnam time). "
        "If you need it sooner, contact your health station"
    ),
    LockScope.PHONE: gettext_lazy(
        "Too many wrong birth dates from this phone; opening certificates is locked until %(until)s (Vietnam "
        "time). If you need it sooner, contact your health station"
    ),
    LockScope.ADDRESS: gettext_lazy(
        "Too many wrong birth dates from this network address; opening certificates is locked until %(until)s "
        "(Vietnam time). If you need it sooner, contact your health station"
    ),
}
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
FILES = {
    "qr.svg": "image/svg+xml",
    "qr.png": "image/png",
    "a4.pdf": "application/pdf",
    "card.pdf": "application/pdf",
}


def _person(request: HttpRequest, handle: str) -> tuple[str, Person]:
    """The phone this session proved and the person of the handle, who must still give that phone."""
    phone = _proved_phone(request)
    if phone is None:
        raise Http404
    contact = proved_contact(request, phone, handle)
    if contact is None:
        raise Http404
    return phone, contact.person


def _state(request: HttpRequest) -> dict[str, Any]:
    state = request.session.setdefault(UNLOCKED_KEY, {"unlocked": []})
    request.session.modified = True
    return state


def _lock_message(lock: BirthDateLock) -> str:
    """What the lock refuses and until when, in Vietnam's local time, with the health station to turn to."""
    until = lock.until.astimezone(VIETNAM)
    # the time then the day, as each language writes them (14:30 ngày 05/03/2024; 14:30 on 5 Mar 2024)
    when = _("%(time)s on %(day)s") % {
        "time": f"{until:%H:%M}",
        "day": formats.date_format(until, _("j M Y")),
    }
    return LOCKED[LockScope(lock.scope)] % {"until": when}


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
        return (date.year, date.month) == (
            person.birth_date.year,
            person.birth_date.month,
        ) and precision != "year"
    return precision == "day" and date == person.birth_date


def _unlock_page(
    request: HttpRequest,
    person: Person,
    handle: str,
    *,
    error: str = "",
    lock: BirthDateLock | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "certificates/citizen/unlock.html",
        {
            "name": person.full_name,
            "handle": handle,
            "error": error,
            "locked": _lock_message(lock) if lock else "",
            "no_birth": person.birth_date is None,
        },
        status=status,
    )


def _read(phone: str, person: Person, what: str) -> Certificate | None:
    """The person's current certificate (issued or replaced first if the record changed), the read audited."""
    actor = citizen_actor(phone)
    certificate = certificate_current(person=person, actor=actor, reason=f"citizen asked: {what}")
    audit_record(
        actor=actor, action="person.read", obj=person, person_id=person.pk, reason=f"certificate {what}"
    )
    return certificate


def _doses(person: Person) -> tuple[Status, list[DoseLine], list[str]]:
    """The status, one printable line per counted dose (its number in both languages: the printed certificate is
    bilingual) and one explained line per dose (in the reader's language)."""
    facts = selectors.person_facts([person.pk])[0]
    status = vaccination_status(facts.doses, rules_from_catalogue(), on=timezone.localdate())
    rows = {
        str(d["public_id"]): d
        for d in Dose.objects.filter(person=person).values(
            "public_id", "vaccine__name", "site__name", "administered_on"
        )
    }
    lines = []
    for counted in status.counted:
        row = rows[counted.public_id]
        lines.append(
            DoseLine(
                number_label=_number_label(counted),
                administered_on=row["administered_on"],
                vaccine=row["vaccine__name"],
                site=row["site__name"],
            )
        )
    return status, lines, status.explain(rules_from_catalogue())


@never_cache
@require_http_methods(["GET", "POST"])
def my_certificate(request: HttpRequest, handle: str) -> HttpResponse:
    """GET: the certificate page (or the birth-date form); POST: check the typed birth date."""
    phone, person = _person(request, handle)
    state = _state(request)
    if request.method == "POST":
        if person.birth_date is None:
            error = _("The record has no birth date; ask your health station to add it")
            return _unlock_page(request, person, handle, error=error, status=400)
        address = client_address(request)
        lock = birth_date_lock_active(person=person, phone=phone, address=address)
        if lock is not None:  # even the right birth date: a lock that a right guess lifts would tell it
            return _unlock_page(request, person, handle, lock=lock, status=429)
        typed = request.POST.get("birth_date") or ""
        try:  # a date that cannot be one (31/02, empty, letters) cannot be the right one: said, and not a try
            parse_partial_date(typed.strip()[:20])
        except DateError as exc:
            return _unlock_page(request, person, handle, error=str(exc), status=400)
        if not _birth_matches(person, typed):
            outcome = birth_date_try_record(person=person, phone=phone, address=address)
            if outcome.lock is not None:
                return _unlock_page(request, person, handle, lock=outcome.lock, status=429)
            error = ngettext(
                "The birth date does not match; %(left)s try left",
                "The birth date does not match; %(left)s tries left",
                outcome.tries_left,
            ) % {"left": outcome.tries_left}
            return _unlock_page(request, person, handle, error=error, status=400)
        if person.pk not in state["unlocked"]:
            state["unlocked"].append(person.pk)
        return redirect("citizen_certificate", handle=handle)
    if person.pk not in state["unlocked"]:
        lock = birth_date_lock_active(person=person, phone=phone, address=client_address(request))
        return _unlock_page(request, person, handle, lock=lock)
    certificate = _read(phone, person, "page")
    status, _lines, explained = _doses(person)
    return render(
        request,
        "certificates/citizen/certificate.html",
        {
            "handle": handle,
            "person": person,
            "certificate": certificate,
            "status": status,
            "explained": explained,
            "qr": qr_svg(certificate.hc1) if certificate else "",
        },
    )


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


def _number_label(counted: CountedDose) -> str:
    """A dose's number as the printed certificate shows it: Vietnamese, then English, whatever the reader's
    language (the certificate is read at a border); once where both read the same ("2/2")."""
    with translation.override("vi"):
        vi = counted.label
    with translation.override("en"):
        en = counted.label
    return vi if vi == en else f"{vi} / {en}"


def _in(language: str, message: object) -> str:
    """A message in one language whatever the reader's (the printed certificate carries both)."""
    with translation.override(language):
        return str(message)


def _view(person: Person, certificate: Certificate, status: Status, lines: list[DoseLine]) -> CertificateView:
    born = person.birth_date
    birth = (
        ""
        if born is None
        else {"year": f"{born:%Y}", "month": f"{born:%m/%Y}"}.get(person.birth_precision, f"{born:%d/%m/%Y}")
    )
    return CertificateView(
        full_name=person.full_name,
        birth_date=birth,
        uvci=certificate.uvci,
        issued_at=timezone.localtime(certificate.issued_at),
        expires_at=timezone.localtime(certificate.expires_at),
        status_vi=_in("vi", status.label),
        status_en=_in("en", status.label),
        doses=tuple(lines),
        hc1=certificate.hc1,
    )

"""Citizens' page for their phone: prove it with a one-time code, see who gave it, detach who is not family.

No account is needed: proving the phone is the login, and it proves only the phone. The proof lives in the
session for 30 minutes; the citizen sees the name and birth year of each person who gave the phone (nothing
else), and every listing is audited as a read by `citizen:<phone>`.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy, ngettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from sotiem.people.models import ContactPoint, PersonStatus, PhoneChallenge
from sotiem.people.selectors import household_citizen_read
from sotiem.people.services import (
    citizen_actor,
    contact_point_detach,
    phone_challenge_start,
    phone_challenge_verify,
)

CHALLENGE_KEY = "citizen_phone_challenge"  # the public id of the code last sent from this session
PROOF_KEY = "citizen_phone"  # {"phone": E.164, "until": epoch seconds, "handles": {handle: contact point id}}
PROOF_SECONDS = 30 * 60
LIST_LIMIT = 200

CODE_SENT = gettext_lazy("A code was sent to %(phone)s")
WRONG_CODE = ngettext_lazy("Wrong code; %(left)s try left", "Wrong code; %(left)s tries left", "left")
CODE_EXPIRED = gettext_lazy("The code expired; ask for a new one")
CODE_SPENT = gettext_lazy("Five wrong codes; ask for a new one")
CODE_USED = gettext_lazy("This code was already used; ask for a new one")
NO_CODE = gettext_lazy("No code was sent yet; enter your phone number")
PROOF_EXPIRED = gettext_lazy("Your phone proof expired (30 minutes); prove it again")
DETACHED = gettext_lazy("%(name)s was detached from %(phone)s; their record and doses are unchanged")


def _proved_phone(request: HttpRequest) -> str | None:
    """The phone this session proved, while the proof lasts; an expired proof is dropped (and said so)."""
    proof = request.session.get(PROOF_KEY)
    if not proof:
        return None
    if proof.get("until", 0) <= time.time():
        del request.session[PROOF_KEY]
        messages.warning(request, PROOF_EXPIRED)
        return None
    return proof["phone"]


def proved_contact(request: HttpRequest, phone: str, handle: str) -> ContactPoint | None:
    """The contact point behind a handle this session was shown, while it still links an active person to the
    proved phone: the handle came from this session, but the phone is checked again."""
    contact_pk = request.session[PROOF_KEY]["handles"].get(handle)
    if not contact_pk:
        return None
    return (
        ContactPoint.objects.filter(
            pk=contact_pk, phone=phone, active=True, person__status=PersonStatus.ACTIVE
        )
        .select_related("person")
        .first()
    )


def _pending_challenge(request: HttpRequest) -> PhoneChallenge | None:
    public_id = request.session.get(CHALLENGE_KEY)
    return PhoneChallenge.objects.filter(public_id=public_id).first() if public_id else None


def _household_rows(request: HttpRequest, phone: str) -> tuple[list[dict[str, Any]], int]:
    """The persons who gave the proved phone, as name and birth year only, each read audited as the citizen.

    Each row carries an opaque handle, kept in the session, that the detach form sends back: neither the
    person's nor the contact point's identifiers reach the page.
    """
    shown, total = household_citizen_read(phone=phone, actor=citizen_actor(phone), limit=LIST_LIMIT)
    proof = request.session[PROOF_KEY]
    handle_of = {pk: handle for handle, pk in proof["handles"].items()}
    rows = []
    for contact in shown:
        handle = handle_of.get(contact.pk) or secrets.token_urlsafe(12)
        proof["handles"][handle] = contact.pk
        person = contact.person
        rows.append(
            {
                "handle": handle,
                "name": person.full_name,
                "birth_year": person.birth_date.year if person.birth_date else None,
            }
        )
    request.session.modified = True
    return rows, total


def _page(request: HttpRequest, *, error: str = "", raw: str = "", status: int = 200) -> HttpResponse:
    """The page at the citizen's step: the phone form, the code form, or the household of the proved phone."""
    context: dict[str, Any] = {"error": error, "raw": raw}
    phone = _proved_phone(request)
    challenge = _pending_challenge(request)
    if phone:
        rows, total = _household_rows(request, phone)
        context.update(step="household", phone=phone, rows=rows, total=total)
    elif challenge and not (
        challenge.verified_at or challenge.is_expired() or challenge.attempts_left() == 0
    ):
        context.update(step="code", phone=challenge.phone, attempts_left=challenge.attempts_left())
    else:
        context.update(step="phone")
    return render(request, "people/citizen/phone.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def my_phone(request: HttpRequest) -> HttpResponse:
    """GET: the citizen's current step; POST: send a one-time code to the phone they typed."""
    if request.method == "GET":
        return _page(request)
    raw = (request.POST.get("phone") or "").strip()[:32]
    try:
        challenge = phone_challenge_start(phone=raw)
    except ValidationError as exc:
        return _page(request, error="; ".join(exc.messages), raw=raw, status=400)
    request.session.pop(PROOF_KEY, None)  # asking a code for a phone starts over
    request.session[CHALLENGE_KEY] = str(challenge.public_id)
    messages.info(request, CODE_SENT % {"phone": challenge.phone})
    return redirect("citizen_phone")


@never_cache
@require_POST
def my_phone_verify(request: HttpRequest) -> HttpResponse:
    """Check the code the citizen typed; the right one proves the phone to this session for 30 minutes."""
    challenge = _pending_challenge(request)
    if challenge is None:
        return _page(request, error=str(NO_CODE), status=400)
    if phone_challenge_verify(challenge=challenge, code=request.POST.get("code") or ""):
        request.session.cycle_key()  # a proved session gets a new id, so a planted one proves nothing
        del request.session[CHALLENGE_KEY]
        request.session[PROOF_KEY] = {
            "phone": challenge.phone,
            "until": time.time() + PROOF_SECONDS,
            "handles": {},
        }
        return redirect("citizen_phone")
    if challenge.verified_at:
        error = str(CODE_USED)
    elif challenge.is_expired():
        error = str(CODE_EXPIRED)
    elif challenge.attempts_left() == 0:
        error = str(CODE_SPENT)
    else:
        error = WRONG_CODE % {"left": challenge.attempts_left()}
    return _page(request, error=error, status=400)


@never_cache
@require_POST
def my_phone_detach(request: HttpRequest) -> HttpResponse:
    """Detach one person from the proved phone ("not my family member"), with the citizen's reason."""
    phone = _proved_phone(request)
    if phone is None:
        return redirect("citizen_phone")
    contact = proved_contact(request, phone, request.POST.get("member") or "")
    if contact is None:
        raise Http404
    try:
        contact_point_detach(
            contact=contact,
            actor=citizen_actor(phone),
            reason=(request.POST.get("reason") or "").strip(),
        )
    except ValidationError as exc:
        return _page(request, error="; ".join(exc.messages), status=400)
    messages.success(request, DETACHED % {"name": contact.person.full_name, "phone": phone})
    return redirect("citizen_phone")


@require_POST
def my_phone_forget(request: HttpRequest) -> HttpResponse:
    """Forget the proved phone (and any code sent) in this session, e.g. on a shared computer."""
    request.session.pop(PROOF_KEY, None)
    request.session.pop(CHALLENGE_KEY, None)
    return redirect("citizen_phone")

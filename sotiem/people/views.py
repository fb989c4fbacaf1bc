"""Officials' pages for identity: the review queue of candidate pairs, and the households behind a phone."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from sotiem.accounts.scoping import grants_of, has_national
from sotiem.audit.services import REASON_REQUIRED
from sotiem.lib.phones import PhoneError, normalize_phone
from sotiem.people.matching import FIELD_LABELS, field_label, level_label
from sotiem.people.merging import review_decide
from sotiem.people.models import ReviewCandidate, ReviewStatus, Sex
from sotiem.people.selectors import (
    household_contact_list,
    household_read,
    review_candidate_get,
    review_candidate_list,
    review_candidate_may_decide,
)
from sotiem.people.services import contact_point_detach
from sotiem.places.models import AdminUnit

LIST_LIMIT = 200
OFFICIALS_ONLY = gettext_lazy("This page is for officials with a grant")
VIEW_ONLY = gettext_lazy("You may only view this")
CHOOSE_DECISION = gettext_lazy("Choose a decision")
ALREADY_DECIDED = gettext_lazy("This pair was already decided; it is not asked again")
DECISIONS: dict[str, Promise] = {
    ReviewStatus.LINKED: gettext_lazy("Same person — merge"),
    ReviewStatus.NOT_SAME: gettext_lazy("Not the same person"),
}


def _is_official(user: Any) -> bool:
    """Whether the user holds any grant that lets them see registry data (a bare citizen account does not)."""
    return has_national(user, "view") or any(grant.allows("view") for grant in grants_of(user))


def _official(request: HttpRequest) -> User:
    """The signed-in official who acts (behind login_required an anonymous visitor never gets this far)."""
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


def _render(
    request: HttpRequest, page: str, fragment: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """The full page, or only its fragment when htmx asks for it."""
    return render(request, fragment if request.headers.get("HX-Request") else page, context, status=status)


def _shown(field: str, value: Any, places: dict[str, str]) -> Any:
    """An evidence value as the reader reads it: a sex code by its name in the reader's language, a place's codes
    by the units' names (pairs queued before codes were stored keep the words they were stored with)."""
    if field == "sex" and value in Sex.values:
        return Sex(value).label
    if field == "place" and isinstance(value, str) and value:
        return ", ".join(places.get(code, code) for code in value.split())
    return value


def _place_names(entries: list[Any]) -> dict[str, str]:
    """The names of the units whose codes the evidence's place values hold (today's units first)."""
    codes = {
        code
        for entry in entries
        if isinstance(entry, dict) and entry.get("field") == "place"
        for side in ("a", "b")
        for code in str(entry.get(side) or "").split()
    }
    names: dict[str, str] = {}
    for code, name, _era in (
        AdminUnit.objects.filter(code__in=codes).order_by("-era").values_list("code", "full_name", "era")
    ):
        names.setdefault(code, name)
    return names


def _evidence_rows(candidate: ReviewCandidate) -> tuple[list[dict[str, Any]], float]:
    """The per-field evidence as table rows, and what the fields leave of the total weight (the prior)."""
    rows: list[dict[str, Any]] = []
    places = _place_names(candidate.evidence or [])
    for entry in candidate.evidence or []:
        if not isinstance(entry, dict):
            continue
        try:
            weight = float(entry.get("weight") or 0.0)
        except (TypeError, ValueError):
            weight = 0.0
        field, level = str(entry.get("field", "")), str(entry.get("level", ""))
        # the labels are looked up by code when the page is read, so they follow the reader's language (the
        # words stored with the pair are those of whoever queued it)
        rows.append(
            {
                "field": field,
                "label": field_label(field) if field in FIELD_LABELS else entry.get("label") or field,
                "a": _shown(field, entry.get("a"), places),
                "b": _shown(field, entry.get("b"), places),
                "level": level,
                "level_label": level_label(field, level),
                "weight": weight,
            }
        )
    return rows, candidate.weight - sum(row["weight"] for row in rows)


@login_required
@require_GET
def review_list(request: HttpRequest) -> HttpResponse:
    """The candidate pairs of the official's jurisdiction: pending by default, or those decided (?status=)."""
    if not _is_official(request.user):
        raise PermissionDenied(OFFICIALS_ONLY)
    status = request.GET.get("status") or ReviewStatus.PENDING
    if status not in ReviewStatus.values:
        status = ReviewStatus.PENDING
    candidates = review_candidate_list(viewer=request.user, status=status)
    return _render(
        request,
        "people/review_list.html",
        "people/partials/review_rows.html",
        {
            "candidates": candidates[:LIST_LIMIT],
            "total": candidates.count(),
            "limit": LIST_LIMIT,
            "status": status,
            "statuses": ReviewStatus.choices,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """GET: both records and the match score explained field by field; POST: link them or keep them apart."""
    candidate = review_candidate_get(viewer=request.user, public_id=public_id)
    if candidate is None:
        raise Http404
    may_decide = review_candidate_may_decide(viewer=request.user, candidate=candidate)
    error, status = "", 200
    decision = request.POST.get("decision", "")
    reason = (request.POST.get("reason") or "").strip()
    if request.method == "POST":
        if not may_decide:
            raise PermissionDenied(VIEW_ONLY)
        if not candidate.is_pending():
            error, status = str(ALREADY_DECIDED), 409
        elif decision not in DECISIONS:
            error, status = str(CHOOSE_DECISION), 400
        elif not reason:
            error, status = str(REASON_REQUIRED), 400
        else:
            try:
                review_decide(candidate=candidate, decision=decision, actor=_official(request), reason=reason)
            except ValidationError as exc:
                error, status = "; ".join(exc.messages), 400
            else:
                messages.success(
                    request,
                    _("Decision recorded: %(decision)s — %(name_a)s · %(name_b)s")
                    % {
                        "decision": DECISIONS[decision],
                        "name_a": candidate.person_a.full_name,
                        "name_b": candidate.person_b.full_name,
                    },
                )
                return redirect("review_list")
    rows, prior = _evidence_rows(candidate)
    return _render(
        request,
        "people/review_detail.html",
        "people/partials/evidence.html",
        {
            "candidate": candidate,
            "rows": rows,
            "prior": prior,
            "field_total": candidate.weight - prior,
            "percent": 100 * candidate.probability,
            "may_decide": may_decide,
            "decisions": DECISIONS.items(),
            "decision": decision,
            "reason": reason,
            "error": error,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def household(request: HttpRequest) -> HttpResponse:
    """GET ?phone=: everyone who gave this phone; POST: detach one of them ("not my family member")."""
    if not _is_official(request.user):
        raise PermissionDenied(OFFICIALS_ONLY)
    data = request.POST if request.method == "POST" else request.GET
    raw = (data.get("phone") or "").strip()
    reason = (data.get("reason") or "").strip()
    error, status, phone = "", 200, ""
    if raw:
        try:
            phone = normalize_phone(raw)
        except PhoneError as exc:
            error, status = str(exc), 400
    elif request.method == "POST":
        error, status = _("The phone number is empty"), 400
    if request.method == "POST" and phone:
        try:
            person_id = uuid.UUID(data.get("person") or "")
        except ValueError as exc:
            raise Http404 from exc
        contact = (
            household_contact_list(viewer=request.user, phone=phone)
            .filter(person__public_id=person_id)
            .first()
        )
        if contact is None:
            raise Http404
        if (
            not household_contact_list(viewer=request.user, phone=phone, action="change")
            .filter(pk=contact.pk)
            .exists()
        ):
            raise PermissionDenied(VIEW_ONLY)
        try:
            contact_point_detach(contact=contact, actor=_official(request), reason=reason)
        except ValidationError as exc:
            error, status = "; ".join(exc.messages), 400
        else:
            messages.success(
                request,
                _("%(name)s was detached from %(phone)s; their doses are unchanged")
                % {"name": contact.person.full_name, "phone": phone},
            )
            return redirect(f"{reverse('household')}?{urlencode({'phone': phone})}")
    contacts = household_read(viewer=request.user, phone=phone) if phone else []
    return _render(
        request,
        "people/households.html",
        "people/partials/household.html",
        {"raw": raw, "phone": phone, "contacts": contacts, "error": error},
        status=status,
    )

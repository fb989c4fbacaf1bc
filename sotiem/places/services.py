"""Writes for sites and site sessions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from sotiem.audit.services import audit_record, snapshot
from sotiem.places.models import AdminUnit, Era, Level, Site, SiteKind, SiteSession


def site_create(*, code: str, name: str, kind: str, province: AdminUnit, commune: AdminUnit | None = None,
                actor: Any, reason: str = "") -> Site:
    """Register a site or team under its owning 2025-era province."""
    if kind not in SiteKind.values:
        raise ValidationError(f"Loại điểm tiêm không hợp lệ / Unknown site kind {kind!r}; "
                              f"expected one of {', '.join(SiteKind.values)}")
    if province.level != Level.PROVINCE or province.era != Era.Y2025:
        raise ValidationError("Điểm tiêm thuộc một tỉnh (2025) / A site belongs to a 2025-era province")
    if not code.strip():
        raise ValidationError("Thiếu mã điểm tiêm / The site code is missing")
    with transaction.atomic():
        site = Site.objects.create(code=code.strip(), name=name.strip(), kind=kind, province=province,
                                   commune=commune)
        audit_record(actor=actor, action="site.create", obj=site, after=snapshot(site), reason=reason)
    return site


def session_find_or_create(*, site: Site, date: dt.date, commune: AdminUnit | None = None, place_text: str = "",
                           actor: Any) -> SiteSession:
    """The session of a site on a day at a place, created (and audited) the first time it is named."""
    place_text = " ".join(place_text.split())[:200]
    found = SiteSession.objects.filter(site=site, date=date, place_text=place_text).first()
    if found:
        return found
    try:
        with transaction.atomic():
            session = SiteSession.objects.create(site=site, date=date, commune=commune or site.commune,
                                                 place_text=place_text)
            audit_record(actor=actor, action="session.create", obj=session, after=snapshot(session))
        return session
    except IntegrityError:  # created concurrently by another writer
        return SiteSession.objects.get(site=site, date=date, place_text=place_text)

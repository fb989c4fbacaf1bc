"""Writes for sites and site sessions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from sotiem.audit.services import audit_event, audit_record, audit_record_many, snapshot
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


@dataclass(frozen=True)
class SessionIn:
    site: Site
    date: dt.date
    commune: AdminUnit | None = None
    place_text: str = ""

    def key(self) -> tuple[int, dt.date, str]:
        return (self.site.pk, self.date, " ".join(self.place_text.split())[:200])


def sessions_find_or_create_many(*, items: list[SessionIn], actor: Any) -> dict[tuple[int, dt.date, str], SiteSession]:
    """The sessions for many (site, day, place) at once, creating and auditing the missing ones."""
    wanted = {item.key(): item for item in items}
    if not wanted:
        return {}
    found: dict[tuple[int, dt.date, str], SiteSession] = {}
    site_ids = {k[0] for k in wanted}
    dates = {k[1] for k in wanted}
    for session in SiteSession.objects.filter(site_id__in=site_ids, date__in=dates):
        key = (session.site_id, session.date, session.place_text)
        if key in wanted:
            found[key] = session
    missing = [SiteSession(site=item.site, date=item.date, commune=item.commune or item.site.commune,
                           place_text=key[2]) for key, item in wanted.items() if key not in found]
    try:
        with transaction.atomic():
            SiteSession.objects.bulk_create(missing, batch_size=500)
            audit_record_many([audit_event(actor=actor, action="session.create", obj=s, after=snapshot(s))
                               for s in missing])
        found.update({(s.site_id, s.date, s.place_text): s for s in missing})
    except IntegrityError:  # another writer created some of them meanwhile: fall back to one at a time
        for s in missing:
            found[(s.site_id, s.date, s.place_text)] = session_find_or_create(
                site=s.site, date=s.date, commune=s.commune, place_text=s.place_text, actor=actor)
    return found

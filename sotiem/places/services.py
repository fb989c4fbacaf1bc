"""Writes for sites and site sessions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from sotiem.audit.actors import Actor
from sotiem.audit.services import audit_record, audit_record_entries, snapshot
from sotiem.db.bulk import insert_objects, loaded
from sotiem.places.models import AdminUnit, Era, Level, Site, SiteKind, SiteSession


def site_create(
    *,
    code: str,
    name: str,
    kind: str,
    province: AdminUnit,
    commune: AdminUnit | None = None,
    actor: Actor,
    reason: str = "",
) -> Site:
    """Register a site or team under its owning 2025-era province."""
    if kind not in SiteKind.values:
        raise ValidationError(
            _("Unknown site kind %(kind)s; expected one of %(kinds)s")
            % {"kind": repr(kind), "kinds": ", ".join(SiteKind.values)}
        )
    if province.level != Level.PROVINCE or province.era != Era.Y2025:
        raise ValidationError(_("A site belongs to a 2025-era province"))
    if not code.strip():
        raise ValidationError(_("The site code is missing"))
    with transaction.atomic():
        site = Site.objects.create(
            code=code.strip(), name=name.strip(), kind=kind, province=province, commune=commune
        )
        audit_record(actor=actor, action="site.create", obj=site, after=snapshot(site), reason=reason)
    return site


def session_find_or_create(
    *, site: Site, date: dt.date, commune: AdminUnit | None = None, place_text: str = "", actor: Actor
) -> SiteSession:
    """The session of a site on a day at a place, created (and audited) the first time it is named."""
    place_text = " ".join(place_text.split())[:200]
    found = SiteSession.objects.filter(site=site, date=date, place_text=place_text).first()
    if found:
        return found
    try:
        with transaction.atomic():
            session = SiteSession.objects.create(
                site=site, date=date, commune=commune or site.commune, place_text=place_text
            )
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


def sessions_find_or_create_many(
    *, items: list[SessionIn], actor: Actor, batch_audit: list[list[Any]] | None = None
) -> dict[tuple[int, dt.date, str], SiteSession]:
    """The sessions for many (site, day, place) at once, creating and auditing the missing ones.

    With `batch_audit` (ingestion), each created session is listed there as [id, site id, date, place] for the
    caller's one audit event of the whole received batch, instead of one event per session.
    """
    wanted = {item.key(): item for item in items}
    if not wanted:
        return {}
    found: dict[tuple[int, dt.date, str], SiteSession] = {}
    site_ids = {k[0] for k in wanted}
    dates = {k[1] for k in wanted}
    rows = SiteSession.objects.filter(site_id__in=site_ids, date__in=dates).values_list(
        "id", "site_id", "date", "place_text", "commune_id"
    )
    for pk, site_id, date, place_text, commune_id in rows:  # light instances: callers need ids, not the rows
        key = (site_id, date, place_text)
        if key in wanted:
            found[key] = loaded(
                SiteSession, id=pk, site_id=site_id, date=date, place_text=place_text, commune_id=commune_id
            )
    missing = [
        SiteSession(
            site=item.site,
            date=item.date,
            commune_id=item.commune.pk if item.commune else item.site.commune_id,
            place_text=key[2],
        )
        for key, item in wanted.items()
        if key not in found
    ]
    try:
        with transaction.atomic():
            insert_objects(missing)
            if batch_audit is not None:
                batch_audit.extend([s.pk, s.site_id, s.date.isoformat(), s.place_text] for s in missing)
            else:
                audit_record_entries(
                    actor=actor,
                    action="session.create",
                    object_type=SiteSession._meta.label_lower,
                    entries=[(str(s.pk), str(s), None, snapshot(s)) for s in missing],
                )
        found.update({(s.site_id, s.date, s.place_text): s for s in missing})
    except IntegrityError:  # another writer created some of them meanwhile: fall back to one at a time
        for s in missing:
            found[(s.site_id, s.date, s.place_text)] = session_find_or_create(
                site=s.site, date=s.date, commune=s.commune, place_text=s.place_text, actor=actor
            )
    return found


@dataclass(frozen=True)
class SiteRowResult:
    site_code: str
    status: str  # created, unchanged, conflict, rejected
    reasons: str = ""


def site_import_row(*, values: dict[str, str], actor: Actor) -> SiteRowResult:
    """Create one site from a spreadsheet row; an existing identical site is left unchanged (idempotent)."""
    from sotiem.places.selectors import codes_2025_of, commune_find, province_find

    code = (values.get("site_code") or "").strip()
    reasons = []
    if not code:
        reasons.append(_("The site code is missing"))
    if not (values.get("name") or "").strip():
        reasons.append(_("The site name is missing"))
    kind = (values.get("kind") or "").strip().lower()
    if kind not in SiteKind.values:
        reasons.append(
            _("Unknown kind “%(kind)s” (one of %(kinds)s)")
            % {"kind": kind, "kinds": ", ".join(SiteKind.values)}
        )
    province = province_find(values.get("province") or "")
    province_2025 = None
    if province is None:
        reasons.append(_("Unknown province “%(province)s”") % {"province": values.get("province", "")})
    else:
        province_2025 = AdminUnit.objects.filter(
            era=Era.Y2025, level=Level.PROVINCE, code=codes_2025_of(province)[0]
        ).first()
    commune = None
    if values.get("commune") and province is not None:
        old_province = (
            province if province.era == Era.Y2021 else province_find(values["province"], era=Era.Y2021)
        )
        commune = commune_find(values["commune"], province=province_2025) or (
            commune_find(values["commune"], province=old_province) if old_province else None
        )
        if commune is None:
            reasons.append(
                _("Unknown commune “%(commune)s” in that province") % {"commune": values["commune"]}
            )
        elif commune.era == Era.Y2021:
            commune = AdminUnit.objects.filter(
                era=Era.Y2025, level=Level.COMMUNE, code=codes_2025_of(commune)[1]
            ).first()
    if reasons:
        return SiteRowResult(code, "rejected", "; ".join(reasons))
    assert province_2025 is not None
    existing = Site.objects.filter(code=code).first()
    if existing is not None:
        wanted = {
            "name": values["name"].strip(),
            "kind": kind,
            "province_id": province_2025.pk,
            "commune_id": commune.pk if commune else None,
        }
        differs = [f for f, v in wanted.items() if getattr(existing, f) != v]
        if differs:
            return SiteRowResult(
                code,
                "conflict",
                _("The site %(code)s is held with different %(fields)s")
                % {"code": code, "fields": ", ".join(differs)},
            )
        return SiteRowResult(code, "unchanged")
    site_create(
        code=code,
        name=values["name"],
        kind=kind,
        province=province_2025,
        commune=commune,
        actor=actor,
        reason="import-sites",
    )
    return SiteRowResult(code, "created")

"""Reads of places: resolving what people write (names or codes of either era) to units."""

from __future__ import annotations

import functools

from django.db.models import QuerySet

from sotiem.lib.names import name_key
from sotiem.places.models import AdminUnit, Era, Level, Site, SiteSession

_PREFIXES = ("thanh pho ", "tinh ", "phuong ", "xa ", "thi tran ", "thi xa ", "quan ", "huyen ", "tp ", "tp. ",
             "dac khu ")


def _short_key(text: str) -> str:
    key = name_key(text)
    for prefix in _PREFIXES:
        if key.startswith(prefix):
            key = key[len(prefix):]
            break
    return key.replace(" ", "").replace("-", "")


class _PlaceIndex:
    """Every unit of both eras in memory, keyed the ways people write them (~14k rows, read once per process).

    Administrative units are reference data seeded by a migration and never edited, so a process-wide index is
    safe and turns each lookup during an import into dictionary reads.
    """

    def __init__(self) -> None:
        self.by_id: dict[int, AdminUnit] = {}
        self.provinces: dict[tuple[str, str], AdminUnit] = {}  # (era, code)
        self.province_keys: dict[tuple[str, str], AdminUnit] = {}  # (era, short key)
        self.communes: dict[tuple[str, str], list[AdminUnit]] = {}  # (era, code)
        self.commune_keys: dict[tuple[str, str, str], list[AdminUnit]] = {}  # (era, province code, key)
        for unit in AdminUnit.objects.exclude(level=Level.DISTRICT):
            self.by_id[unit.pk] = unit
            if unit.level == Level.PROVINCE:
                self.provinces[(unit.era, unit.code)] = unit
                for key in {unit.key.replace(" ", ""), _short_key(unit.full_name)}:
                    self.province_keys.setdefault((unit.era, key), unit)
            else:
                self.communes.setdefault((unit.era, unit.code), []).append(unit)
                for key in {unit.key.replace(" ", ""), _short_key(unit.full_name), unit.key}:
                    bucket = self.commune_keys.setdefault((unit.era, unit.province_code, key), [])
                    if unit not in bucket:
                        bucket.append(unit)


@functools.lru_cache(maxsize=1)
def _index() -> _PlaceIndex:
    return _PlaceIndex()


def unit_get(pk: int) -> AdminUnit:
    """A unit by id from the in-memory index."""
    return _index().by_id[pk]


PROVINCE_ALIASES = {"hcm": "hochiminh", "tphcm": "hochiminh", "saigon": "hochiminh", "hn": "hanoi",
                    "thuathienhue": "hue"}


def province_find(text: str, *, era: str | None = None) -> AdminUnit | None:
    """A province from a code ('79', '079') or a name with or without diacritics; the 2025 era wins ties."""
    text = (text or "").strip()
    if not text:
        return None
    index = _index()
    eras = [era] if era else [Era.Y2025, Era.Y2021]
    if text.isdigit():
        code = text[-2:].zfill(2)
        return next((index.provinces[(e, code)] for e in eras if (e, code) in index.provinces), None)
    key = _short_key(text)
    key = PROVINCE_ALIASES.get(key, key)
    return next((index.province_keys[(e, key)] for e in eras if (e, key) in index.province_keys), None)


def commune_find(text: str, *, province: AdminUnit | None = None, era: str | None = None) -> AdminUnit | None:
    """A commune from its code (5 digits) or its name within a province; None when absent or ambiguous."""
    text = (text or "").strip()
    if not text:
        return None
    index = _index()
    eras = [era] if era else ([province.era] if province is not None else [Era.Y2025, Era.Y2021])
    if text.isdigit():
        code = text.zfill(5)
        for e in eras:
            for unit in index.communes.get((e, code), []):
                if province is None or unit.province_code == province.code:
                    return unit
        return None
    if province is None:
        return None  # a commune name alone is ambiguous across the country
    keys = {_short_key(text), name_key(text)}
    matches: list[AdminUnit] = []
    for e in eras:
        for key in keys:
            for unit in index.commune_keys.get((e, province.code, key), []):
                if unit not in matches:
                    matches.append(unit)
    return matches[0] if len(matches) == 1 else None


@functools.lru_cache(maxsize=50000)
def _codes_2025(unit_id: int) -> tuple[int | None, str, str]:
    """(2025 commune id, its code, 2025 province code) for a unit; units never change after seeding, so cached."""
    unit = AdminUnit.objects.get(pk=unit_id)
    if unit.era == Era.Y2025:
        if unit.level == Level.COMMUNE:
            return unit.pk, unit.code, unit.province_code
        return None, "", unit.province_code
    commune_id, commune_code = None, ""
    if unit.level == Level.COMMUNE:
        mapping = unit.mapped_to.select_related("new").order_by("-is_default", "new__code").first()
        if mapping:
            commune_id, commune_code = mapping.new_id, mapping.new.code
    province = AdminUnit.objects.get(era=Era.Y2021, level=Level.PROVINCE, code=unit.province_code)
    mapping = province.mapped_to.select_related("new").first()
    return commune_id, commune_code, (mapping.new.code if mapping else "")




def codes_2025_of(unit: AdminUnit | None) -> tuple[str, str]:
    """(2025 province code, 2025 commune code or "") that own a unit of either era: the jurisdiction keys."""
    if unit is None:
        return "", ""
    _, commune_code, province_code = _codes_2025(unit.pk)
    return province_code, commune_code




def site_list(*, province_code: str | None = None) -> QuerySet[Site]:
    """Sites, optionally of one 2025-era province (sites are not personal data, so any official may list them)."""
    qs = Site.objects.select_related("province")
    if province_code:
        qs = qs.filter(province__code=province_code)
    return qs


def session_search(*, date=None, text: str = "", province_code: str | None = None) -> QuerySet[SiteSession]:  # type: ignore[no-untyped-def]
    """Sessions by day and place, with a free-text match on the place or site name (for complaint forms)."""
    qs = SiteSession.objects.select_related("site", "commune")
    if date is not None:
        qs = qs.filter(date=date)
    if province_code:
        qs = qs.filter(site__province__code=province_code)
    if text:
        qs = qs.filter(place_text__icontains=text) | qs.filter(site__name__icontains=text)
    return qs

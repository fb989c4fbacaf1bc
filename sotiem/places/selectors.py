"""Reads of places: resolving what people write (names or codes of either era) to units."""

from __future__ import annotations

import functools
import time

from django.db.models import QuerySet

from sotiem.lib.names import name_key
from sotiem.places.models import AdminUnit, Era, Level, Site, SiteSession, UnitMapping

_PREFIXES = (
    "thanh pho ",
    "tinh ",
    "phuong ",
    "xa ",
    "thi tran ",
    "thi xa ",
    "quan ",
    "huyen ",
    "tp ",
    "tp. ",
    "dac khu ",
)


def _short_key(text: str) -> str:
    key = name_key(text)
    for prefix in _PREFIXES:
        if key.startswith(prefix):
            key = key[len(prefix) :]
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
        self.codes_2025 = self._codes_2025()

    def _codes_2025(self) -> dict[int, tuple[str, str]]:
        """(2025 province code, 2025 commune code or "") of every unit: the jurisdiction keys, computed once."""
        targets: dict[int, list[tuple[bool, str, int]]] = {}
        for old_id, new_id, is_default in UnitMapping.objects.values_list("old_id", "new_id", "is_default"):
            new = self.by_id.get(new_id)
            if new is not None:
                targets.setdefault(old_id, []).append((not is_default, new.code, new_id))
        province_2025: dict[str, str] = {}  # 2021 province code -> 2025 province code
        for (era, code), unit in self.provinces.items():
            if era == Era.Y2021 and unit.pk in targets:
                province_2025[code] = self.by_id[min(targets[unit.pk])[2]].code
        codes: dict[int, tuple[str, str]] = {}
        for unit in self.by_id.values():
            if unit.era == Era.Y2025:
                codes[unit.pk] = (unit.province_code, unit.code if unit.level == Level.COMMUNE else "")
            else:
                commune = ""
                if unit.level == Level.COMMUNE and unit.pk in targets:
                    commune = min(targets[unit.pk])[1]
                codes[unit.pk] = (province_2025.get(unit.province_code, ""), commune)
        return codes


@functools.lru_cache(maxsize=1)
def _index() -> _PlaceIndex:
    return _PlaceIndex()


SITE_CACHE_SECONDS = 60.0
_site_cache: dict[str, tuple[float, Site]] = {}


def sites_by_code(codes: set[str]) -> dict[str, Site]:
    """The sites with these codes (with their province), read at most once a minute per process.

    Ingestion names the same few thousand sites in every batch; a site found is kept for a minute (a site's
    province or kind changes rarely, and a minute late is acceptable), a code not found is asked again each time,
    so a site imported a moment ago is found at once.
    """
    now = time.monotonic()
    found: dict[str, Site] = {}
    missing = set()
    for code in codes:
        hit = _site_cache.get(code)
        if hit is not None and now - hit[0] < SITE_CACHE_SECONDS:
            found[code] = hit[1]
        else:
            missing.add(code)
    if missing:
        for site in Site.objects.select_related("province").filter(code__in=missing):
            found[site.code] = site
            _site_cache[site.code] = (now, site)
        if len(_site_cache) > 100_000:
            _site_cache.clear()
    return found


def unit_index_warm() -> None:
    """Load the in-memory index now (before forking worker processes, so each does not read it again)."""
    _index()


def unit_get(pk: int) -> AdminUnit:
    """A unit by id from the in-memory index."""
    return _index().by_id[pk]


PROVINCE_ALIASES = {
    "hcm": "hochiminh",
    "tphcm": "hochiminh",
    "saigon": "hochiminh",
    "hn": "hanoi",
    "thuathienhue": "hue",
}


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


def codes_2025_of(unit: AdminUnit | None) -> tuple[str, str]:
    """(2025 province code, 2025 commune code or "") that own a unit of either era: the jurisdiction keys."""
    if unit is None:
        return "", ""
    return _index().codes_2025.get(unit.pk, ("", ""))


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

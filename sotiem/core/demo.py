"""Loads a synthetic province into the registry through the same services the registry uses.

The population comes from `sotiem.synth` (ground truth files); persons, identifiers, phones, sites,
sessions, the doses the sites sent, and missed appointments are written by people/places/immunizations
services, each audited, so the demo database looks like one the registry built itself.

The doses that stayed on paper are not loaded from the truth: the generator's `backlog.csv` (those doses as
a province data-entry team typed them, errors and all) is then imported as the province backlog team, through
`sotiem import`'s pipeline, so the demo shows an import run with refused and flagged rows, new persons, and
pairs for the review queue. Each backlog dose thus enters once (loading it from the truth too would store it
twice, see issue 14).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sotiem.accounts.models import Level, Role
from sotiem.accounts.selectors import team_source
from sotiem.accounts.services import grant_create, official_create
from sotiem.audit.actors import Agent
from sotiem.immunizations.imports import import_run_execute, import_run_start
from sotiem.immunizations.ingest import Sender
from sotiem.immunizations.models import ImportRun, Vaccine
from sotiem.immunizations.services import DoseIn, appointment_schedule, dose_record_many
from sotiem.people.models import Person
from sotiem.people.services import ContactIn, IdentifierIn, PersonIn, person_create_many
from sotiem.places.models import AdminUnit, Era, Site
from sotiem.places.models import Level as UnitLevel
from sotiem.places.services import SessionIn, sessions_find_or_create_many, site_create

ACTOR = Agent.system("demo-loader")
CHUNK = 500


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    who: Promise  # read in the language of the run that prints it or stores it as the official's name


DEMO_LOGINS = [
    DemoLogin("quocgia", "quocgia-sotiem-2021", _("National official")),
    DemoLogin("hcdc", "hcdc-sotiem-2021", _("HCDC — Hồ Chí Minh City CDC")),
    DemoLogin("hanoi", "hanoi-sotiem-2021", _("Hà Nội CDC (another province)")),
    DemoLogin("dieuduong", "dieuduong-sotiem-2021", _("Site nurse")),
]


def _read(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


def _chunks(rows: Iterator[dict[str, str]], size: int) -> Iterator[list[dict[str, str]]]:
    chunk: list[dict[str, str]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def load_population(directory: Path, *, progress: Callable[[int], None] = lambda n: None) -> dict[str, int]:
    """Load sites, sessions, persons, doses and missed appointments from a `sotiem synth` output directory."""
    units = {(u.era, u.level, u.code): u for u in AdminUnit.objects.exclude(level=UnitLevel.DISTRICT)}
    counts = {"sites": 0, "persons": 0, "doses": 0, "appointments": 0}

    sites: dict[str, Site] = {}
    with transaction.atomic():
        for row in _read(directory / "sites.csv"):
            sites[row["site_code"]] = site_create(
                code=row["site_code"],
                name=row["name"],
                kind=row["kind"],
                province=units[(Era.Y2025, UnitLevel.PROVINCE, row["province"])],
                commune=units.get((Era.Y2025, UnitLevel.COMMUNE, row["commune"])),
                actor=ACTOR,
                reason="demo population",
            )
            counts["sites"] += 1

    persons: dict[str, Person] = {}
    for chunk in _chunks(_read(directory / "truth_persons.csv"), CHUNK):
        items = []
        for row in chunk:
            ids = tuple(
                IdentifierIn(scheme, row[col])
                for scheme, col in (("CCCD", "cccd"), ("CMND", "cmnd"), ("BHYT", "bhyt"))
                if row.get(col)
            )
            contacts = []
            if row.get("phone"):
                contacts.append(ContactIn(row["phone"], "self"))
            if row.get("household_phone") and row["household_phone"] != row.get("phone"):
                contacts.append(ContactIn(row["household_phone"], row.get("relationship") or "relative"))
            items.append(
                PersonIn(
                    full_name=row["full_name"],
                    birth_date=dt.date.fromisoformat(row["birth_date"]),
                    sex=row["sex"],
                    commune=units.get((Era.Y2021, UnitLevel.COMMUNE, row["commune_2021"])),
                    address=row.get("address", ""),
                    identifiers=ids,
                    contacts=tuple(contacts),
                )
            )
        created = person_create_many(items=items, actor=ACTOR, reason="demo population")
        persons.update({row["person_key"]: person for row, person in zip(chunk, created, strict=True)})
        counts["persons"] += len(chunk)
        progress(len(chunk))

    sessions_meta = {row["session_key"]: row for row in _read(directory / "sessions.csv")}
    vaccines = {v.code: v for v in Vaccine.objects.all()}
    # one sender's batch per site, as sites send them (the file itself is in date order)
    doses_by_site: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in _read(directory / "truth_doses.csv"):
        if row.get("paper_backlog") == "1":
            continue  # still on paper: `load_backlog` imports it as the backlog team typed it
        doses_by_site[row["site_code"]].append(row)
    for site_code, rows in doses_by_site.items():
        site = sites[site_code]
        for chunk in _chunks(iter(rows), CHUNK):
            with transaction.atomic():
                wanted = {}
                for row in chunk:
                    meta = sessions_meta[row["session_key"]]
                    wanted[row["session_key"]] = SessionIn(
                        site=site,
                        date=dt.date.fromisoformat(meta["date"]),
                        commune=units.get((Era.Y2025, UnitLevel.COMMUNE, meta["commune"])),
                        place_text=meta.get("place_text", ""),
                    )
                sessions = sessions_find_or_create_many(items=list(wanted.values()), actor=ACTOR)
                dose_items = [
                    DoseIn(
                        person=persons[row["person_key"]],
                        vaccine=vaccines[row["vaccine"]],
                        site=site,
                        administered_on=dt.date.fromisoformat(row["administered_on"]),
                        lot_number=row.get("lot_number", ""),
                        dose_number=int(row["dose_number"]),
                        session=sessions[wanted[row["session_key"]].key()],
                        source_record_id=row["dose_key"],
                    )
                    for row in chunk
                ]
                dose_record_many(items=dose_items, source=site_code, actor=ACTOR, reason="demo population")
            counts["doses"] += len(chunk)
            progress(len(chunk))

    with transaction.atomic():
        for row in _read(directory / "appointments.csv"):
            if row.get("kept") == "1":
                continue  # kept appointments were fulfilled by a dose (sent or on paper); only missed ones stay open
            appointment_schedule(
                person=persons[row["person_key"]],
                dose_number=int(row["dose_number"]),
                due_on=dt.date.fromisoformat(row["due_on"]),
                vaccine=vaccines.get(row["vaccine"]),
                actor=ACTOR,
                reason="demo population",
            )
            counts["appointments"] += 1
    return counts


def load_backlog(directory: Path, *, progress: Callable[[int], None] = lambda n: None) -> ImportRun | None:
    """Import the synthetic paper backlog as its province's backlog team, through `sotiem import`'s pipeline.

    The run is started by the demo official of that province (who then sees it on the imports page), as a
    web upload from their grant would be; None when the backlog is empty.
    """
    from django.contrib.auth import get_user_model

    path = directory / "backlog.csv"
    sites = list(_read(directory / "sites.csv"))
    if not sites or next(_read(path), None) is None:
        return None
    province = sites[0]["province"]  # one 2021 province is one 2025 province: one team
    starter = (
        get_user_model()
        .objects.filter(
            grants__level=Level.PROVINCE, grants__province_code=province, grants__revoked_at__isnull=True
        )
        .order_by("pk")
        .first()
    )
    sender = Sender(source=team_source(province), province_code=province, label=ACTOR.label)
    run = import_run_start(path=path, source=sender.source, user=starter, resume=False)
    # the row checks run in a forked process while this one stores, as `sotiem import` runs them
    return import_run_execute(run=run, path=path, sender=sender, actor=ACTOR, progress=progress, workers=1)


def create_demo_officials(*, nurse_site: Site | None) -> list[DemoLogin]:
    """The four demo officials (national, HCDC, another province, a site nurse), created once."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    grants: dict[str, dict[str, Any]] = {
        "quocgia": {"role": Role.MANAGER, "level": Level.NATIONAL},
        "hcdc": {"role": Role.MANAGER, "level": Level.PROVINCE, "province_code": "79"},
        "hanoi": {"role": Role.MANAGER, "level": Level.PROVINCE, "province_code": "01"},
        "dieuduong": {"role": Role.VACCINATOR, "level": Level.SITE, "site": nurse_site},
    }
    for login in DEMO_LOGINS:
        user = User.objects.filter(username=login.username).first()
        if user is None:
            user = official_create(
                username=login.username,
                password=login.password,
                full_name=str(login.who),
                actor=ACTOR,
                reason="demo login",
            )
        else:
            user.set_password(login.password)
            user.save(update_fields=["password"])
        spec = grants[login.username]
        if not user.grants.filter(revoked_at__isnull=True).exists() and (
            spec.get("site") or spec["level"] != "site"
        ):
            grant_create(user=user, actor=ACTOR, reason="demo login", **spec)
    return DEMO_LOGINS

"""Factories and named personas shared by the tests (factories, not fixture files)."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model

from sotiem.accounts.models import Level, Role
from sotiem.accounts.services import grant_create, official_create
from sotiem.audit.actors import Agent
from sotiem.immunizations.models import Dose, Vaccine
from sotiem.immunizations.services import dose_record
from sotiem.lib.ids import make_cccd
from sotiem.people.models import Person
from sotiem.people.services import ContactIn, IdentifierIn, person_create
from sotiem.places.models import AdminUnit, Era, Site
from sotiem.places.models import Level as UnitLevel
from sotiem.places.services import site_create

_seq = itertools.count(1)
HCM, HANOI = "79", "01"
TEST_ACTOR = Agent.system("test")  # the label the personas and fixtures are audited under


def commune(province_code: str = HCM, era: str = Era.Y2021, index: int = 0) -> AdminUnit:
    return AdminUnit.objects.filter(era=era, level=UnitLevel.COMMUNE, province_code=province_code).order_by(
        "code"
    )[index]


def province(code: str = HCM, era: str = Era.Y2025) -> AdminUnit:
    return AdminUnit.objects.get(era=era, level=UnitLevel.PROVINCE, code=code)


def make_site(province_code: str = HCM, kind: str = "fixed", code: str | None = None) -> Site:
    n = next(_seq)
    return site_create(
        code=code or f"T{province_code}-{n:04d}",
        name=f"Trạm y tế thử {n}",
        kind=kind,
        province=province(province_code),
        commune=commune(province_code, Era.Y2025),
        actor=TEST_ACTOR,
    )


def make_person(
    *,
    full_name: str = "Nguyễn Văn An",
    birth_date: dt.date | None = dt.date(1990, 5, 17),
    sex: str = "M",
    province_code: str = HCM,
    phone: str | None = None,
    relationship: str = "self",
    cccd: bool = False,
    **kwargs: Any,
) -> Person:
    identifiers = []
    if cccd and birth_date:
        value = make_cccd(province_code=province_code, sex=sex, birth_year=birth_date.year, serial=next(_seq))
        identifiers.append(IdentifierIn(scheme="CCCD", value=value))
    contacts = [ContactIn(phone=phone, relationship=relationship)] if phone else []
    return person_create(
        full_name=full_name,
        birth_date=birth_date,
        sex=sex,
        commune=kwargs.pop("commune", None) or commune(province_code),
        identifiers=identifiers,
        contacts=contacts,
        actor=TEST_ACTOR,
        **kwargs,
    )


def make_dose(
    person: Person,
    *,
    site: Site | None = None,
    vaccine: str = "PFIZER",
    administered_on: dt.date = dt.date(2021, 8, 1),
    **kwargs: Any,
) -> Dose:
    return dose_record(
        person=person,
        vaccine=Vaccine.objects.get(code=vaccine),
        site=site or make_site(),
        administered_on=administered_on,
        source=kwargs.pop("source", "test"),
        actor=TEST_ACTOR,
        **kwargs,
    )


def sent_record(record_id: str = "R-1", *, serial: int = 1, **over: Any) -> dict[str, Any]:
    """A dose record as a site of Hồ Chí Minh City sends it to the API: valid, any field overridden."""
    record = {
        "record_id": record_id,
        "full_name": "Nguyễn Văn An",
        "birth_date": "17/05/1990",
        "sex": "Nam",
        "national_id": make_cccd(province_code="79", sex="M", birth_year=1990, serial=serial),
        "phone": "0912345678",
        "province": "Hồ Chí Minh",
        "commune": "",
        "address": "12 Lê Lợi",
        "vaccine": "AstraZeneca",
        "dose_number": "1",
        "administered_on": "02/08/2021",
        "site_code": "S79-0001",
        "lot_number": "A1234",
    }
    record.update(over)
    return record


@dataclass
class Personas:
    """The named people every test suite talks about."""

    national: Any
    hcdc: Any  # Hồ Chí Minh City CDC official
    other_province: Any  # an official of Hà Nội
    nurse: Any  # a vaccinator at one HCM site
    nurse_site: Site
    citizen: Any  # a logged-in account with no grants


def make_personas() -> Personas:
    def official(username: str) -> Any:
        return official_create(
            username=username, password="test-password-123", full_name=username, actor=TEST_ACTOR
        )

    national, hcdc, other, nurse = (official(u) for u in ("national", "hcdc", "hanoi", "nurse"))
    grant_create(user=national, role=Role.MANAGER, level=Level.NATIONAL, actor=TEST_ACTOR, reason="persona")
    grant_create(
        user=hcdc,
        role=Role.MANAGER,
        level=Level.PROVINCE,
        province_code=HCM,
        actor=TEST_ACTOR,
        reason="persona",
    )
    grant_create(
        user=other,
        role=Role.MANAGER,
        level=Level.PROVINCE,
        province_code=HANOI,
        actor=TEST_ACTOR,
        reason="persona",
    )
    site = make_site(HCM)
    grant_create(
        user=nurse, role=Role.VACCINATOR, level=Level.SITE, site=site, actor=TEST_ACTOR, reason="persona"
    )
    citizen = get_user_model().objects.create_user(username="citizen", password="test-password-123")
    return Personas(
        national=national, hcdc=hcdc, other_province=other, nurse=nurse, nurse_site=site, citizen=citizen
    )

"""Person endpoints (a person with their doses, so they live with the doses): scoped to the caller's jurisdiction;
outside it a person does not exist (404)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.security import SessionAuth

from sotiem.api_errors import problems
from sotiem.immunizations.selectors import dose_list
from sotiem.people.selectors import person_get

router = Router(auth=SessionAuth(), tags=["persons"])


class DoseOut(Schema):
    id: uuid.UUID
    vaccine: str
    administered_on: dt.date
    site_code: str
    dose_number: int | None
    status: str


class PersonOut(Schema):
    id: uuid.UUID
    full_name: str
    birth_date: dt.date | None
    birth_precision: str
    sex: str
    province_code: str
    doses: list[DoseOut]


@router.get("/{person_id}", response={200: PersonOut, **problems(401, 404, 422)})
def person_detail(request: HttpRequest, person_id: uuid.UUID) -> PersonOut:
    person = person_get(viewer=request.user, public_id=person_id)
    if person is None:
        raise HttpError(404, _("Not found"))
    doses = [
        DoseOut(
            id=d.public_id,
            vaccine=d.vaccine.code,
            administered_on=d.administered_on,
            site_code=d.site.code,
            dose_number=d.dose_number_derived,
            status=d.status,
        )
        for d in dose_list(viewer=request.user, person=person)
    ]
    return PersonOut(
        id=person.public_id,
        full_name=person.full_name,
        birth_date=person.birth_date,
        birth_precision=person.birth_precision,
        sex=person.sex,
        province_code=person.province_code,
        doses=doses,
    )

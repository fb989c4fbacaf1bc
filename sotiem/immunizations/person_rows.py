"""How a person's doses and appointments follow a merge, unmerge or split (told to people.hooks from ready()).

A merge moves all of them to the survivor and an unmerge puts the same rows back; a split gives the chosen doses
to the new person, with the appointments they fulfilled. Either way both persons' doses are renumbered, inside the
merge's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from sotiem.immunizations.models import Appointment, Dose
from sotiem.immunizations.services import persons_dose_numbers_recompute
from sotiem.people.hooks import register_person_rows
from sotiem.people.models import Person


def _ids(qs: QuerySet[Any]) -> list[int]:
    return sorted(qs.values_list("pk", flat=True))


def _renumber(pair: tuple[int, int]) -> None:
    persons_dose_numbers_recompute(person_ids=pair)


def _split(person: Person, dose_ids: Sequence[int]) -> dict[str, list[int]]:
    """The chosen doses of `person` and the appointments they fulfilled; a choice of none, or of another's, refused."""
    wanted = sorted(set(dose_ids))
    if not wanted:
        raise ValidationError(_("Choose at least one dose to split off"))
    strangers = sorted(set(wanted) - set(_ids(Dose.objects.filter(person=person, pk__in=wanted))))
    if strangers:
        raise ValidationError(
            _("Doses not on %(person)s: %(doses)s")
            % {"person": person, "doses": ", ".join(map(str, strangers))}
        )
    # an appointment fulfilled by a dose that leaves goes with it, so no appointment points at another's dose
    fulfilled = Appointment.objects.filter(person=person, fulfilled_by__in=wanted)
    return {"doses": wanted, "appointments": _ids(fulfilled)}


def _dose_counts(person_ids: Sequence[int]) -> dict[int, int]:
    return dict(
        Dose.objects.filter(person_id__in=person_ids)
        .values("person_id")
        .annotate(n=Count("id"))
        .values_list("person_id", "n")
    )


def register() -> None:
    """Tell `people` about doses and appointments (called once, from ImmunizationsConfig.ready())."""
    register_person_rows(
        "immunizations",
        tables={"doses": Dose, "appointments": Appointment},
        moved=_renumber,
        split=_split,
        weight=_dose_counts,
    )

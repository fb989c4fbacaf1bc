"""Registry-wide counts for the landing page: aggregates only, never personal data."""

from __future__ import annotations

from sotiem.immunizations.models import Dose, DoseStatus, Vaccine
from sotiem.people.models import Person, PersonStatus
from sotiem.places.models import AdminUnit, Site, SiteSession


def registry_counts() -> dict[str, int]:
    return {
        "persons": Person.objects.filter(status=PersonStatus.ACTIVE).count(),
        "doses": Dose.objects.filter(status=DoseStatus.VALID).count(),
        "sites": Site.objects.count(),
        "sessions": SiteSession.objects.count(),
        "vaccines": Vaccine.objects.count(),
        "provinces_2025": AdminUnit.objects.filter(era="2025", level="province").count(),
        "communes_2025": AdminUnit.objects.filter(era="2025", level="commune").count(),
    }

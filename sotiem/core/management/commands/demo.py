"""`sotiem demo`: a synthetic province loaded through the registry's services, its paper backlog imported as
the province team would, and the demo logins."""

from __future__ import annotations

import shutil
import time
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.core.management.commands.runserver import naiveip_re
from django.db.models import Count
from django.utils.translation import gettext as _
from tqdm import tqdm

from sotiem.core.demo import create_demo_officials, load_backlog, load_population
from sotiem.lib.records import RecordStatus
from sotiem.people.models import ContactPoint, Person
from sotiem.places.models import Site


class Command(BaseCommand):
    help = "Load a synthetic province (~20k persons) and create the demo officials; prints their logins."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--persons", type=int, default=20_000)
        parser.add_argument("--seed", type=int, default=2021)
        parser.add_argument("--province", default="79", help="2021-era province code (default: Hồ Chí Minh)")
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument(
            "--addrport",
            default="127.0.0.1:8000",
            help="where `runserver` will serve, as given to it (make demo passes its HOST)",
        )

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        from sotiem.synth.generator import generate

        url = served_url(opts["addrport"])
        started = time.monotonic()
        out = Path(settings.VAR_DIR) / "demo-synth"
        loaded = Person.objects.exists()
        if loaded:
            self.stdout.write(_("Data already loaded; skipping the load"))
        else:
            shutil.rmtree(out, ignore_errors=True)
            self.stdout.write(
                _("Generating a synthetic population of %(persons)s (seed %(seed)s, province %(province)s)")
                % {"persons": f"{opts['persons']:,}", "seed": opts["seed"], "province": opts["province"]}
            )
            summary = generate(
                persons=opts["persons"], seed=opts["seed"], out=out, provinces=[opts["province"]]
            )
            total = opts["persons"] + int(getattr(summary, "doses", 0) or 0)
            bar = tqdm(total=total or None, unit="rec", desc=_("Loading"), disable=opts["no_progress"])
            counts = load_population(out, progress=bar.update)
        nurse_site = Site.objects.filter(province__code="79", kind="fixed").order_by("code").first()
        # before the backlog: its import run is started by the official of its province, who then sees it
        logins = create_demo_officials(nurse_site=nurse_site)
        if not loaded:
            run = load_backlog(out, progress=bar.update)
            bar.close()
            self.stdout.write(
                _(
                    "Loaded: %(sites)s sites, %(persons)s persons, %(doses)s doses, "
                    "%(appointments)s missed appointments"
                )
                % counts
            )
            if run is not None:
                self.stdout.write(
                    _(
                        "Paper backlog imported as %(source)s: %(rows)s rows — accepted %(accepted)s, "
                        "duplicate %(duplicate)s, conflict %(conflict)s, rejected %(rejected)s"
                    )
                    % {
                        "source": run.source,
                        "rows": run.rows_done,
                        **{status.value: run.counts.get(status.value, 0) for status in RecordStatus},
                    }
                )
        self.stdout.write("")
        self.stdout.write(_("Demo logins (%(url)s):") % {"url": f"{url}admin/"})
        for login in logins:
            self.stdout.write(f"  {login.username:<10} {login.password:<24} {login.who}")
        if nurse_site:
            self.stdout.write(
                "  " + _("(nurse at %(code)s %(name)s)") % {"code": nurse_site.code, "name": nurse_site.name}
            )
        citizen = demo_citizen()
        if citizen:
            phone, person = citizen
            born = f"{person.birth_date:%d/%m/%Y}"
            self.stdout.write(
                _(
                    "Citizens: %(url)s with %(phone)s (codes are written to %(outbox)s), then open "
                    "%(name)s's certificate with the birth date %(born)s"
                )
                % {
                    "url": f"{url}my/phone/",
                    "phone": phone,
                    "outbox": settings.VAR_DIR / "sms-outbox.log",
                    "name": person.full_name,
                    "born": born,
                }
            )
        self.stdout.write(_("Done in %(seconds)s s") % {"seconds": f"{time.monotonic() - started:.0f}"})
        self.stdout.write(_("Open %(url)s") % {"url": url})


def demo_citizen() -> tuple[str, Person] | None:
    """A phone that two or more vaccinated persons gave, and one of them whose certificate opens with the birth
    date the registry holds to the day: what a newcomer needs to open a certificate as a citizen."""
    phones = (
        ContactPoint.objects.filter(active=True, person__status="active", person__doses__status="valid")
        .values("phone")
        .annotate(n=Count("person", distinct=True))
        .filter(n__gte=2)
        .order_by("-n", "phone")
        .values_list("phone", flat=True)
    )
    for phone in phones[:20]:
        members = Person.objects.filter(
            contact_points__phone=phone, contact_points__active=True, status="active"
        ).distinct()
        # a name the phone's page lists once, so the newcomer knows which row to open
        names = Counter(members.values_list("full_name", flat=True))
        vaccinated = (
            members.filter(birth_precision="day", birth_date__isnull=False, doses__status="valid")
            .distinct()
            .order_by("pk")
        )
        person = next((p for p in vaccinated if names[p.full_name] == 1), None)
        if person is not None:
            return phone, person
    return None


def served_url(addrport: str) -> str:
    """The URL `runserver <addrport>` serves, written as runserver writes it (bare port: 127.0.0.1)."""
    match = naiveip_re.fullmatch(addrport)
    if not match:
        raise CommandError(
            _("%(addrport)s is not a port or an address:port pair (as runserver takes them)")
            % {"addrport": repr(addrport)}
        )
    addr, port = match["addr"] or "127.0.0.1", match["port"]
    return f"http://{'0.0.0.0' if addr == '0' else addr}:{port}/"

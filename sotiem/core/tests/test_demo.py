import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db.models import Count

from sotiem.audit.models import AuditEvent
from sotiem.core.demo import DEMO_LOGINS
from sotiem.core.management.commands.demo import served_url
from sotiem.immunizations.models import Appointment, Dose
from sotiem.people.models import ContactPoint, Person
from sotiem.people.selectors import person_list

pytestmark = pytest.mark.django_db


def test_the_demo_loads_a_province_through_the_services_and_its_logins_work(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    with (tmp_path / "out.txt").open("w") as out:
        call_command("demo", persons=400, seed=7, no_progress=True, stdout=out)

    persons = Person.objects.count()
    assert persons == 400
    assert Dose.objects.count() > 400
    # every write went through an audited service
    assert AuditEvent.objects.filter(action="person.create").count() == persons
    assert AuditEvent.objects.filter(action="dose.record").count() == Dose.objects.count()
    # households share phones and stay separate persons
    shared = ContactPoint.objects.values("phone").order_by().annotate(n=Count("id")).filter(n__gt=1)
    assert shared.exists()
    # missed appointments are not doses
    missed = Appointment.objects.filter(fulfilled_by__isnull=True)
    assert missed.exists()
    for appointment in missed[:50]:
        assert not Dose.objects.filter(
            person=appointment.person, dose_number_derived=appointment.dose_number
        ).exists()

    users = {
        login.username: authenticate(username=login.username, password=login.password)
        for login in DEMO_LOGINS
    }
    assert all(users.values())
    assert person_list(viewer=users["hcdc"]).count() == persons
    assert person_list(viewer=users["hanoi"]).count() == 0
    assert 0 < person_list(viewer=users["dieuduong"]).count() < persons
    printed = (tmp_path / "out.txt").read_text()
    assert all(login.password in printed for login in DEMO_LOGINS)


def test_running_the_demo_twice_loads_nothing_twice(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    with (tmp_path / "out.txt").open("w") as out:
        call_command("demo", persons=200, seed=3, no_progress=True, stdout=out)
        call_command("demo", persons=200, seed=3, no_progress=True, stdout=out)
    assert Person.objects.count() == 200


def test_the_demo_prints_the_url_that_runserver_will_serve(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    with (tmp_path / "out.txt").open("w") as out:
        call_command("demo", persons=200, seed=3, no_progress=True, addrport="0.0.0.0:8123", stdout=out)
    printed = (tmp_path / "out.txt").read_text()
    assert "http://0.0.0.0:8123/admin/" in printed
    assert "http://0.0.0.0:8123/my/phone/" in printed
    assert printed.rstrip().endswith("http://0.0.0.0:8123/")
    assert ":8000" not in printed


def test_the_demo_reads_the_address_as_runserver_does():
    assert served_url("127.0.0.1:8000") == "http://127.0.0.1:8000/"
    assert served_url("8001") == "http://127.0.0.1:8001/"
    assert served_url("0:8000") == "http://0.0.0.0:8000/"
    assert served_url("[::1]:8000") == "http://[::1]:8000/"
    with pytest.raises(CommandError):
        served_url("localhost")


@pytest.mark.skipif(not shutil.which("make"), reason="make is not installed")
def test_make_demo_gives_the_demo_and_runserver_the_same_host():
    root = Path(__file__).resolve().parents[3]
    plan = subprocess.run(
        ["make", "-n", "-C", str(root), "demo", "HOST=0.0.0.0:8123"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    demo = next(line for line in plan.splitlines() if re.search(r"sotiem demo\b", line))
    runserver = next(line for line in plan.splitlines() if "sotiem runserver" in line)
    assert "--addrport 0.0.0.0:8123" in demo
    assert "runserver 0.0.0.0:8123 " in runserver

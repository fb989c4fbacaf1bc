import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Count

from sotiem.audit.models import AuditEvent
from sotiem.core.demo import DEMO_LOGINS
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
        assert not Dose.objects.filter(person=appointment.person, dose_number_derived=appointment.dose_number).exists()

    users = {login.username: authenticate(username=login.username, password=login.password) for login in DEMO_LOGINS}
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

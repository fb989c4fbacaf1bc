import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.test import Client
from django.utils import translation

from sotiem.accounts.selectors import team_source
from sotiem.audit.models import AuditEvent
from sotiem.core.demo import DEMO_LOGINS
from sotiem.core.management.commands.demo import served_url
from sotiem.immunizations.models import Appointment, Dose, ImportRun, ImportStatus
from sotiem.people import sms
from sotiem.people.models import ContactPoint, Person
from sotiem.people.selectors import person_list, review_candidate_list

pytestmark = pytest.mark.django_db


def test_the_demo_loads_a_province_through_the_services_and_its_logins_work(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    with (tmp_path / "out.txt").open("w") as out:
        call_command("demo", persons=400, seed=7, no_progress=True, stdout=out)

    persons = Person.objects.count()
    # the 400 of the population, and the persons the paper backlog named in ways no one was found by
    assert persons >= 400
    assert Dose.objects.count() > 400
    # every write went through an audited service
    assert AuditEvent.objects.filter(action="person.create").count() == persons
    sent = Dose.objects.exclude(source=team_source("79"))
    assert AuditEvent.objects.filter(action="dose.record").count() == sent.count()
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


def test_the_demo_imports_its_paper_backlog_as_the_province_team_once(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    with (tmp_path / "out.txt").open("w") as out:
        call_command("demo", persons=300, no_progress=True, stdout=out)

    run = ImportRun.objects.get()
    hcdc = authenticate(username="hcdc", password="hcdc-sotiem-2021")
    assert run.source == "P79-BACKLOG" and run.started_by == hcdc and run.status == ImportStatus.DONE
    backlog = (tmp_path / "demo-synth" / "backlog.csv").read_text(encoding="utf-8").splitlines()
    assert run.rows_done == run.total_rows == len(backlog) - 1 > 0
    assert sum(run.counts.values()) == run.rows_done and run.counts.get("accepted", 0) > 0
    imported = Dose.objects.filter(source="P79-BACKLOG")
    assert imported.count() == run.counts["accepted"]
    assert imported.exclude(quality_flags=[]).exists()  # typed from paper: flagged for the review of quality
    # each paper dose is held once: the truth load left out the doses that stayed on paper
    assert Dose.objects.count() == sum(1 for _ in (tmp_path / "demo-synth" / "truth_doses.csv").open()) - 1
    # the backlog left pairs for the HCDC official to decide, and none for another province
    pairs = review_candidate_list(viewer=hcdc)
    assert pairs.exists() and all(pair.person_a.province_code == "79" for pair in pairs)
    assert not review_candidate_list(
        viewer=authenticate(username="hanoi", password="hanoi-sotiem-2021")
    ).exists()
    printed = (tmp_path / "out.txt").read_text()
    assert f"P79-BACKLOG: {run.rows_done} dòng — nhận {run.counts['accepted']}," in printed


def test_the_printed_citizen_opens_a_certificate_with_the_printed_birth_date(
    tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.VAR_DIR = tmp_path
    settings.SOTIEM_SMS_BACKEND = "locmem"
    sms.outbox.clear()
    with (tmp_path / "out.txt").open("w") as out:
        call_command("demo", persons=300, no_progress=True, stdout=out)
    line = next(line for line in (tmp_path / "out.txt").read_text().splitlines() if "/my/phone/" in line)
    found = re.search(
        r"với số (\+84\d+) .*rồi mở chứng nhận của (.+) bằng ngày sinh (\d\d/\d\d/\d{4})$", line
    )
    assert found, line
    phone, name, born = found.groups()

    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/my/phone/", {"phone": "0" + phone.removeprefix("+84")})  # as people write it
    code = re.search(r"sotiem: (\d{6}) ", [m for m in sms.outbox if m.phone == phone][-1].text).group(1)
    assert client.post("/my/phone/verify/", {"code": code}).status_code == 302
    html = client.get("/my/phone/").content.decode()
    handle = re.search(rf"{re.escape(name)}</td>.*?/my/certificates/([^/]+)/", html, re.S).group(1)

    page = f"/my/certificates/{handle}/"
    assert client.post(page, {"birth_date": "01/01/1900"}).status_code == 400
    opened = client.post(page, {"birth_date": born}, follow=True)
    assert opened.status_code == 200
    text = opened.content.decode()
    assert name in text and "URN:UVCI:01:VN:" in text


def test_running_the_demo_twice_loads_nothing_twice(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    first, second = io.StringIO(), io.StringIO()
    call_command("demo", persons=200, seed=3, no_progress=True, stdout=first)
    with translation.override("en"):  # the demo prints in the language it runs in (Vietnamese by default)
        call_command("demo", persons=200, seed=3, no_progress=True, stdout=second)
    assert Person.objects.count() == 200

    assert "Tạo dân số mô phỏng gồm 200 người" in first.getvalue()
    assert "Tài khoản demo (" in first.getvalue() and "Cán bộ quốc gia" in first.getvalue()
    assert "Data already loaded; skipping the load" in second.getvalue()
    assert "Demo logins (" in second.getvalue() and "National official" in second.getvalue()
    assert "Tài khoản" not in second.getvalue() and "Demo logins" not in first.getvalue()


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

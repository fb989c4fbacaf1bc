"""Every service that changes registry data writes an AuditEvent in the same transaction.

The list of services is read from the code (every public function in an app's services.py), so a new
service without an entry here fails this test until someone shows that it is audited.
"""

import datetime as dt
import importlib
import inspect
import pkgutil

import pytest
from django.utils import timezone

import sotiem
from sotiem.accounts import services as accounts
from sotiem.audit.models import AuditEvent
from sotiem.certificates import services as certificates
from sotiem.immunizations import services as immunizations
from sotiem.immunizations.models import Vaccine
from sotiem.people import merging
from sotiem.people import services as people
from sotiem.people.models import ReviewCandidate
from sotiem.places import services as places
from sotiem.testing import make_dose, make_person, make_site, province

pytestmark = pytest.mark.django_db

# helpers that only read, compute, or delegate to another audited service
NOT_WRITES = {
    "audit_record",
    "audit_record_many",
    "audit_record_entries",
    "audit_event",
    "snapshot",
    "snapshot_values",
    "actor_label_of",
    "person_dose_numbers_recompute",
    "persons_dose_numbers_recompute",
    "sequence_flags",
    "check_identifier",
    "apikey_authenticate",
    "person_in_problems",
    "require_reason",
    "citizen_actor",  # names the citizen acting (an audit Agent); writes nothing
}


def service_functions() -> set[str]:
    names = set()
    for module_info in pkgutil.iter_modules(sotiem.__path__):
        for module_name in ("services", "merging"):
            try:
                module = importlib.import_module(f"sotiem.{module_info.name}.{module_name}")
            except ModuleNotFoundError:
                continue
            for name, fn in inspect.getmembers(module, inspect.isfunction):
                if fn.__module__ == module.__name__ and not name.startswith("_") and name not in NOT_WRITES:
                    names.add(name)
    return names


def calls(personas):
    """Each service called once, with the audit action it must leave behind."""
    pfizer = Vaccine.objects.get(code="PFIZER")
    site = make_site()
    person = make_person(phone="0912345678")

    def dose():
        return make_dose(person, site=site)

    def vaccinated(name):
        someone = make_person(full_name=name)
        make_dose(someone, site=site)
        return someone

    def changed_holder():
        someone = vaccinated("Audit Chín")
        certificates.certificate_current(person=someone, actor="t")
        make_dose(someone, site=site, administered_on=dt.date(2021, 9, 1))
        return certificates.persons_changed(person_ids=[someone.pk])

    return {
        # first: no signing key exists yet, so asking for one makes it
        "signing_key_for_issue": (
            lambda: certificates.signing_key_for_issue(now=timezone.now()),
            "signing_key.create",
        ),
        "signing_key_create": (
            lambda: certificates.signing_key_create(actor="t", reason="r"),
            "signing_key.create",
        ),
        "certificate_current": (
            lambda: certificates.certificate_current(person=vaccinated("Audit Tám"), actor="t"),
            "certificate.issue",
        ),
        "certificates_refresh": (
            lambda: certificates.certificates_refresh(
                person_ids=[vaccinated("Audit Mười").pk], actor="t", reason="r"
            ),
            "certificate.issue",
        ),
        "certificates_refresh_all": (
            lambda: (
                vaccinated("Audit Mười Một"),
                certificates.certificates_refresh_all(actor="t", reason="r"),
            ),
            "certificate.issue",
        ),
        "persons_changed": (changed_holder, "certificate.issue"),
        "site_create": (
            lambda: places.site_create(code="AUD-1", name="x", kind="fixed", province=province(), actor="t"),
            "site.create",
        ),
        "session_find_or_create": (
            lambda: places.session_find_or_create(site=site, date=dt.date(2021, 9, 1), actor="t"),
            "session.create",
        ),
        "sessions_find_or_create_many": (
            lambda: places.sessions_find_or_create_many(
                items=[places.SessionIn(site=site, date=dt.date(2021, 9, 2))], actor="t"
            ),
            "session.create",
        ),
        "site_import_row": (
            lambda: places.site_import_row(
                values={"site_code": "AUD-2", "name": "x", "kind": "mobile", "province": "79"}, actor="t"
            ),
            "site.create",
        ),
        "apikey_create": (lambda: accounts.apikey_create(site=site, actor="t"), "apikey.create"),
        "apikey_revoke": (
            lambda: accounts.apikey_revoke(
                key=accounts.apikey_create(site=site, actor="t")[0], actor="t", reason="r"
            ),
            "apikey.revoke",
        ),
        "official_create": (
            lambda: accounts.official_create(username="aud", password="x" * 12, full_name="A", actor="t"),
            "official.create",
        ),
        "login_failure_record": (
            lambda: accounts.login_failure_record(
                username=personas.hcdc.username, address="198.51.100.7", locked=True, failures=10
            ),
            "login.lockout",
        ),
        "grant_create": (
            lambda: accounts.grant_create(
                user=personas.citizen, role="viewer", level="national", actor="t", reason="r"
            ),
            "grant.create",
        ),
        "grant_revoke": (
            lambda: accounts.grant_revoke(grant=personas.hcdc.grants.get(), actor="t", reason="r"),
            "grant.revoke",
        ),
        "person_create": (lambda: make_person(full_name="Audit Một"), "person.create"),
        "person_create_many": (
            lambda: people.person_create_many(
                items=[people.PersonIn(full_name="Audit Hai", birth_date=None)], actor="t"
            ),
            "person.create",
        ),
        "identifier_add": (
            lambda: people.identifier_add(
                person=person, scheme=None, value="B1234567", actor="t", reason="r"
            ),
            "identifier.add",
        ),
        "contact_point_add": (
            lambda: people.contact_point_add(person=person, phone="0987000111", actor="t"),
            "contact.add",
        ),
        "contact_point_detach": (
            lambda: people.contact_point_detach(contact=person.contact_points.first(), actor="t", reason="r"),
            "contact.detach",
        ),
        "phone_challenge_start": (
            lambda: people.phone_challenge_start(phone="0912345678"),
            "phone.challenge",
        ),
        "phone_challenge_verify": (
            lambda: people.phone_challenge_verify(
                challenge=people.phone_challenge_start(phone="0987000222"), code="000000"
            ),
            "phone.verify",
        ),
        "birth_date_try_record": (
            lambda: [
                people.birth_date_try_record(person=person, phone="+84912345678", address="198.51.100.7")
                for _ in range(5)
            ],
            "birth_date.lock",
        ),
        "person_update": (
            lambda: people.person_update(person=person, address="Số 1", actor="t", reason="r"),
            "person.update",
        ),
        "person_merge": (
            lambda: merging.person_merge(
                survivor=person, merged=make_person(full_name="Audit Ba"), actor="t", reason="r"
            ),
            "person.merge",
        ),
        "person_unmerge": (
            lambda: merging.person_unmerge(
                merge=merging.person_merge(
                    survivor=person, merged=make_person(full_name="Audit Bốn"), actor="t", reason="r"
                ),
                actor="t",
                reason="r",
            ),
            "person.unmerge",
        ),
        "person_split": (
            lambda: merging.person_split(
                person=person,
                dose_ids=[dose().pk],
                new_person=people.PersonIn(full_name="Audit Năm", birth_date=None),
                actor="t",
                reason="r",
            ),
            "person.split",
        ),
        "review_decide": (
            lambda: merging.review_decide(
                candidate=ReviewCandidate.objects.create(
                    person_a=person,
                    person_b=make_person(full_name="Audit Sáu"),
                    origin="linkage",
                    weight=1.0,
                    probability=0.5,
                    model_version="t",
                ),
                decision="not_same",
                actor="t",
                reason="r",
            ),
            "review.decide",
        ),
        "review_candidates_queue": (
            lambda: people.review_candidates_queue(
                candidates=[
                    ReviewCandidate(
                        person_a=person,
                        person_b=make_person(full_name="Audit Bảy"),
                        origin="ingest",
                        weight=5.0,
                        probability=0.97,
                        model_version="t",
                    )
                ],
                actor="t",
            ),
            "review.queue",
        ),
        "dose_record": (dose, "dose.record"),
        "dose_record_many": (
            lambda: immunizations.dose_record_many(
                items=[
                    immunizations.DoseIn(
                        person=person, vaccine=pfizer, site=site, administered_on=dt.date(2021, 10, 1)
                    )
                ],
                source="s",
                actor="t",
            ),
            "dose.record",
        ),
        "dose_record_batch": (
            lambda: immunizations.dose_record_batch(
                items=[
                    immunizations.DoseIn(
                        person=person, vaccine=pfizer, site=site, administered_on=dt.date(2021, 11, 1)
                    )
                ],
                source="s",
                actor="t",
            ),
            "dose.record",
        ),
        "dose_void": (lambda: immunizations.dose_void(dose=dose(), actor="t", reason="r"), "dose.void"),
        "dose_restore": (
            lambda: immunizations.dose_restore(
                dose=immunizations.dose_void(dose=dose(), actor="t", reason="r"), actor="t", reason="r"
            ),
            "dose.restore",
        ),
        "dose_dispute": (
            lambda: immunizations.dose_dispute(dose=dose(), actor="t", reason="r"),
            "dose.dispute",
        ),
        "appointment_schedule": (
            lambda: immunizations.appointment_schedule(
                person=person, dose_number=3, due_on=dt.date(2022, 1, 1), actor="t"
            ),
            "appointment.schedule",
        ),
        "appointment_cancel": (
            lambda: immunizations.appointment_cancel(
                appointment=immunizations.appointment_schedule(
                    person=person, dose_number=4, due_on=dt.date(2022, 6, 1), actor="t"
                ),
                actor="t",
                reason="r",
            ),
            "appointment.cancel",
        ),
    }


def test_every_service_that_writes_leaves_an_audit_event(personas):
    table = calls(personas)
    assert service_functions() <= set(table), (
        f"services without an audit check: {service_functions() - set(table)}"
    )
    for name, (call, action) in table.items():
        before = AuditEvent.objects.filter(action=action).count()
        call()
        assert AuditEvent.objects.filter(action=action).count() > before, f"{name} wrote no {action} event"

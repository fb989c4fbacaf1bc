import pytest

from sotiem.audit.models import AppendOnlyError, AuditEvent
from sotiem.audit.services import audit_record
from sotiem.testing import make_dose, make_person, make_site

pytestmark = pytest.mark.django_db


def test_an_audit_event_cannot_be_changed_or_deleted():
    site = make_site()
    event = audit_record(actor="test", action="site.touch", obj=site, reason="because")
    event.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).reason == "because"


def test_an_event_names_the_actor_object_and_change(personas):
    person = make_person()
    dose = make_dose(person)
    event = AuditEvent.objects.get(action="dose.record")
    assert event.object_type == "immunizations.dose" and event.object_id == str(dose.pk)
    assert event.person_id == person.pk and event.after["administered_on"] == "2021-08-01"
    assert event.actor_label == "test"


def test_a_failed_write_leaves_no_audit_event():
    before = AuditEvent.objects.count()
    with pytest.raises(Exception):  # noqa: B017 (any refusal)
        make_person(full_name="   ")
    assert AuditEvent.objects.count() == before

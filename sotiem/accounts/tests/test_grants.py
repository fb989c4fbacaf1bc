import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from sotiem.accounts.models import Grant
from sotiem.accounts.scoping import grants_of
from sotiem.accounts.services import grant_create, grant_revoke, official_create
from sotiem.audit.models import AuditEvent
from sotiem.people.selectors import person_list
from sotiem.testing import commune, make_person

pytestmark = pytest.mark.django_db


def test_a_grant_names_one_jurisdiction_matching_its_level(personas):
    with pytest.raises(IntegrityError), transaction.atomic():
        Grant.objects.create(user=personas.citizen, role="manager", level="province", province_code="")


def test_a_province_grant_needs_a_2025_province(personas):
    with pytest.raises(ValidationError, match="2025"):
        grant_create(
            user=personas.citizen,
            role="manager",
            level="province",
            province_code="02",
            actor="test",
            reason="Hà Giang no longer exists",
        )


def test_a_vaccinator_is_granted_only_one_site(personas):
    with pytest.raises(ValidationError, match="chỉ được cấp quyền tại một điểm tiêm"):
        grant_create(
            user=personas.citizen,
            role="vaccinator",
            level="province",
            province_code="79",
            actor="test",
            reason="x",
        )


def test_a_viewer_may_view_but_not_change(personas):
    viewer = official_create(
        username="viewer", password="test-password-123", full_name="Viewer", actor="test"
    )
    grant_create(
        user=viewer, role="viewer", level="province", province_code="79", actor="test", reason="audit"
    )
    person = make_person()
    assert list(person_list(viewer=viewer)) == [person]
    assert list(person_list(viewer=viewer, action="change")) == []


def test_a_revoked_grant_no_longer_opens_anything(personas):
    person = make_person()
    grant = personas.hcdc.grants.get()
    grant_revoke(grant=grant, actor=personas.national, reason="chuyển công tác / moved post")
    assert grants_of(personas.hcdc) == []
    assert person not in set(person_list(viewer=personas.hcdc))
    assert AuditEvent.objects.filter(action="grant.revoke").count() == 1
    assert Grant.objects.filter(pk=grant.pk).exists()


def test_a_commune_grant_sees_its_commune_only(personas):
    person = make_person()
    official = official_create(username="commune", password="test-password-123", full_name="Xã", actor="test")
    grant_create(
        user=official,
        role="manager",
        level="commune",
        commune_code=person.commune_code,
        actor="test",
        reason="x",
    )
    other = make_person(full_name="Khác Xã", commune=commune("79", index=200))
    assert other.commune_code != person.commune_code
    assert set(person_list(viewer=official)) == {person}

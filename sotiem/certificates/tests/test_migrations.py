"""The migration to append-only certificates keeps what an existing registry holds: revoked stays revoked (with its
time, reason and hashes), current stays current, and each person's certificates become one chain in issue order."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from sotiem.testing import make_person

BEFORE = [("certificates", "0001_certificates_and_signing_keys")]
AFTER = [("certificates", "0002_revocations_appended_and_certificate_chains")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_revoked_certificates_become_revocations_and_each_persons_certificates_one_chain():
    person, other = make_person(full_name="Cũ Một"), make_person(full_name="Cũ Hai")
    try:
        apps = _migrate(BEFORE)
        SigningKey = apps.get_model("certificates", "SigningKey")
        Certificate = apps.get_model("certificates", "Certificate")
        now = timezone.now().replace(microsecond=0)
        key = SigningKey.objects.create(
            kid="a2lkLWtpZA==",
            certificate_der=b"der",
            key_path="/nowhere",
            not_before=now,
            not_after=now + dt.timedelta(days=730),
        )

        def old(person_id, n, status, revoked_at=None):
            return Certificate.objects.create(
                person_id=person_id,
                uvci=f"URN:UVCI:01:VN:BYT/OLD{person_id}X{n}#A",
                hc1="HC1:x",
                fingerprint="f",
                state="complete",
                signing_key=key,
                issued_at=now,
                expires_at=now + dt.timedelta(days=365),
                status=status,
                revoked_at=revoked_at,
                revoke_reason="đã thay / replaced" if revoked_at else "",
                hash_uci=bytes([n]) * 16,
                hash_country_uci=b"c" * 16,
                hash_signature=bytes([n + 100]) * 16,
            ).pk

        first = old(person.pk, 1, "revoked", now)
        second = old(person.pk, 2, "revoked", now + dt.timedelta(minutes=1))
        third = old(person.pk, 3, "current")
        alone = old(other.pk, 4, "current")
        apps = _migrate(AFTER)
        Certificate = apps.get_model("certificates", "Certificate")
        Revocation = apps.get_model("certificates", "Revocation")
        chain = dict(Certificate.objects.values_list("id", "replaces_id"))
        assert chain == {first: None, second: first, third: second, alone: None}
        revoked = {r.certificate_id: r for r in Revocation.objects.all()}
        assert set(revoked) == {first, second}
        assert revoked[second].revoked_at == now + dt.timedelta(minutes=1)
        assert revoked[second].reason == "đã thay / replaced"
        assert bytes(revoked[second].hash_uci) == bytes([2]) * 16
    finally:
        _migrate(AFTER)

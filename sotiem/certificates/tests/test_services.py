"""Issuing, reissuing on every change, revoking, and the published trust and revocation lists."""

import base64
import datetime as dt
import hashlib
import os
import stat

import pytest
from cryptography import x509
from django.utils import timezone

from sotiem.audit.models import AuditEvent
from sotiem.certificates import selectors
from sotiem.certificates.hcert import revocation_hashes
from sotiem.certificates.models import Certificate, Revocation, SigningKey
from sotiem.certificates.services import (
    CERT_COLUMNS,
    certificate_current,
    certificates_refresh,
    certificates_refresh_all,
    signing_key_create,
)
from sotiem.certificates.verification import verify_text
from sotiem.immunizations.services import dose_dispute, dose_restore, dose_void
from sotiem.people.merging import person_merge, person_unmerge
from sotiem.people.services import person_update
from sotiem.testing import make_dose, make_person

pytestmark = pytest.mark.django_db


def vaccinated(doses=(("PFIZER", dt.date(2021, 8, 1)), ("PFIZER", dt.date(2021, 8, 29))), **person):
    someone = make_person(**person)
    made = [make_dose(someone, vaccine=code, administered_on=on) for code, on in doses]
    return someone, made


def current(person):
    return selectors.certificate_current_get(person=person)


def v_entry(certificate):
    result = verify_text(certificate.hc1)
    assert result["valid"], result
    return result["payload"]["hcert"]["v"][0]


def test_a_fully_vaccinated_person_gets_a_signed_certificate_that_verifies_against_the_trust_list():
    person, _ = vaccinated(full_name="Nguyễn Thị Hồng Nhung", birth_date=dt.date(1985, 3, 12))
    certificate = certificate_current(person=person, actor="test")
    assert certificate is not None and certificate.state == "complete"
    assert certificate.hc1.startswith("HC1:")
    payload = verify_text(certificate.hc1)["payload"]
    hcert = payload["hcert"]
    assert hcert["nam"] == {"fn": "Nguyễn", "fnt": "NGUYEN", "gn": "Thị Hồng Nhung", "gnt": "THI<HONG<NHUNG"}
    assert hcert["dob"] == "1985-03-12"
    v = hcert["v"][0]
    assert (v["dn"], v["sd"], v["dt"], v["co"], v["ci"]) == (2, 2, "2021-08-29", "VN", certificate.uvci)
    assert v["mp"] == "EU/1/20/1528" and certificate.uvci.startswith("URN:UVCI:01:VN:")


def test_a_person_whose_only_dose_is_disputed_gets_no_certificate():
    person, (dose,) = vaccinated(doses=(("AZ", dt.date(2021, 7, 1)),))
    dose_dispute(dose=dose, actor="test", reason="tôi không tiêm mũi này")
    assert certificate_current(person=person, actor="test") is None


def test_asking_again_without_a_change_returns_the_same_certificate():
    person, _ = vaccinated()
    first = certificate_current(person=person, actor="test")
    again = certificate_current(person=person, actor="test")
    assert again.pk == first.pk and again.uvci == first.uvci


def test_a_dispute_reissues_at_once_and_revokes_the_old_identifier(django_capture_on_commit_callbacks):
    person, (_first, second) = vaccinated()
    old = certificate_current(person=person, actor="test")
    with django_capture_on_commit_callbacks(execute=True):
        dose_dispute(dose=second, actor="citizen", reason="không nhận mũi 2 / did not receive dose 2")
    old.refresh_from_db()
    new = current(person)
    assert old.is_revoked() and Revocation.objects.get(certificate=old).reason == "record changed"
    assert new is not None and new.uvci != old.uvci and new.state == "partial" and new.replaces_id == old.pk
    assert (v_entry(new)["dn"], v_entry(new)["sd"]) == (1, 2)
    refused = verify_text(old.hc1)
    assert (refused["valid"], refused["step"]) == (False, "revocation")
    # the old certificate is on the published revocation list under each of the three hash types
    published = {(b["hashType"], e["hash"]) for b in selectors.revocation_list() for e in b["entries"]}
    assert ("UCI", base64.b64encode(bytes(old.hash_uci)).decode()) in published
    assert ("SIGNATURE", base64.b64encode(bytes(old.hash_signature)).decode()) in published
    assert ("COUNTRYCODEUCI", base64.b64encode(bytes(old.hash_country_uci)).decode()) in published


def test_the_bulk_read_of_facts_by_id_range_gives_what_the_read_by_ids_gives():
    people = [vaccinated(full_name=f"Người Đọc {n}")[0] for n in range(3)]
    make_dose(people[1], vaccine="PFIZER", administered_on=dt.date(2022, 3, 1))
    dose_void(
        dose=make_dose(people[2], vaccine="AZ", administered_on=dt.date(2021, 5, 1)),
        actor="test",
        reason="sai",
    )
    ids = [p.pk for p in people]
    by_range = selectors.person_facts_range(min(ids), max(ids))
    assert by_range == selectors.person_facts(ids)
    assert [len(f.doses) for f in by_range] == [2, 3, 3] and by_range[2].doses[0].status == "voided"
    assert by_range[0].doses[0].public_id == str(
        people[0].doses.order_by("administered_on").first().public_id
    )


def test_a_persons_certificates_form_one_chain_that_the_database_keeps_from_forking():
    from django.db import IntegrityError, transaction

    person, _ = vaccinated(full_name="Tran Van Binh")
    first = certificate_current(person=person, actor="test")
    person_update(person=person, actor="test", reason="sai chính tả / misspelt", full_name="Trần Văn Bình")
    second = certificate_current(person=person, actor="test")
    assert second.replaces_id == first.pk and first.is_revoked() and not second.is_revoked()
    copy = {f: getattr(second, f) for f in CERT_COLUMNS if f not in ("uvci", "replaces_id")}
    for replaces, uvci in ((first.pk, "URN:UVCI:01:VN:BYT/FORK1#A"), (None, "URN:UVCI:01:VN:BYT/FORK2#A")):
        with (
            pytest.raises(IntegrityError),
            transaction.atomic(),
        ):  # a second successor, a second first certificate
            Certificate.objects.create(**copy, uvci=uvci, replaces_id=replaces)
    with pytest.raises(IntegrityError), transaction.atomic():  # revoked twice
        Revocation.objects.create(certificate=first, revoked_at=timezone.now(), hash_uci=b"1")
    assert current(person).pk == second.pk


def test_a_range_whose_certificate_was_replaced_meanwhile_is_read_and_done_again(monkeypatch):
    person, _ = vaccinated(full_name="Tran Van Binh")
    first = certificate_current(person=person, actor="test")
    person_update(person=person, actor="test", reason="sai chính tả / misspelt", full_name="Trần Văn Bình")
    read = selectors.held_certificates_range
    calls = []

    def stale_then_fresh(low, high):
        held = read(low, high)
        if not calls:  # the first read happens just before a single refresh replaces the certificate
            certificate_current(person=person, actor="citizen")
        calls.append(held)
        return held

    monkeypatch.setattr(selectors, "held_certificates_range", stale_then_fresh)
    done = certificates_refresh_all(actor="test", reason="test", workers=0, id_range=(person.pk, person.pk))
    # the first write was refused (it replaced what was no longer the head) and rolled back whole, the single
    # refresh with it (one connection here); the second read found the head again and replaced it once
    assert len(calls) == 2 and calls[0][person.pk].certificate_id == first.pk
    assert (done.issued, done.revoked, done.kept) == (1, 1, 0)
    second = current(person)
    assert second.replaces_id == first.pk and Certificate.objects.filter(person=person).count() == 2


def test_the_stored_revocation_hashes_are_those_of_the_signed_certificate():
    person, _ = vaccinated()
    certificate = certificate_current(person=person, actor="test")
    import zlib

    import cbor2

    from sotiem.certificates.hcert import b45decode

    cose = cbor2.loads(zlib.decompress(b45decode(certificate.hc1[4:])))
    signature = cose.value[3]
    hashes = revocation_hashes(uci=certificate.uvci, country="VN", signature=signature)
    assert bytes(certificate.hash_signature) == hashes["SIGNATURE"]
    assert bytes(certificate.hash_uci) == hashlib.sha256(certificate.uvci.encode()).digest()[:16]


def test_voiding_the_only_dose_revokes_the_certificate_with_nothing_in_its_place(
    django_capture_on_commit_callbacks,
):
    person, (dose,) = vaccinated(doses=(("JANSSEN", dt.date(2021, 9, 1)),))
    old = certificate_current(person=person, actor="test")
    assert old.state == "complete"
    with django_capture_on_commit_callbacks(execute=True):
        dose_void(dose=dose, actor="test", reason="nhập nhầm người / recorded on the wrong person")
    old.refresh_from_db()
    assert old.is_revoked() and current(person) is None
    with django_capture_on_commit_callbacks(execute=True):
        dose_restore(dose=dose, actor="test", reason="đã xác minh / verified")
    assert current(person) is None  # not reissued by itself: the person holds none; issued when asked
    again = certificate_current(person=person, actor="test")
    assert (
        again.state == "complete" and again.replaces_id == old.pk
    )  # the chain goes on past the revoked head


def test_a_name_correction_reissues_with_the_new_name(django_capture_on_commit_callbacks):
    person, _ = vaccinated(full_name="Tran Van Binh")
    old = certificate_current(person=person, actor="test")
    with django_capture_on_commit_callbacks(execute=True):
        person_update(
            person=person, actor="test", reason="sai chính tả / misspelt", full_name="Trần Văn Bình"
        )
    new = current(person)
    assert (
        new.pk != old.pk and v_entry(new) and verify_text(new.hc1)["payload"]["hcert"]["nam"]["fn"] == "Trần"
    )


def test_a_merge_reissues_the_survivor_and_revokes_the_duplicate_and_unmerge_reverses_it(
    django_capture_on_commit_callbacks,
):
    survivor, _ = vaccinated(doses=(("AZ", dt.date(2021, 7, 1)),), full_name="Lê Thị Mai")
    duplicate, _ = vaccinated(doses=(("AZ", dt.date(2021, 9, 20)),), full_name="Lê Thị Mai")
    a, b = (certificate_current(person=p, actor="test") for p in (survivor, duplicate))
    assert v_entry(a)["dn"] == 1 and v_entry(b)["dn"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        merge = person_merge(survivor=survivor, merged=duplicate, actor="test", reason="cùng một người")
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.is_revoked() and b.is_revoked() and current(duplicate) is None
    merged = current(survivor)
    assert (v_entry(merged)["dn"], v_entry(merged)["sd"], merged.state) == (2, 2, "complete")
    with django_capture_on_commit_callbacks(execute=True):
        person_unmerge(merge=merge, actor="test", reason="không phải một người")
    merged.refresh_from_db()
    assert merged.is_revoked()
    assert v_entry(current(survivor))["dn"] == 1
    # the duplicate held no current certificate after the merge, so it gets one when asked
    assert v_entry(certificate_current(person=duplicate, actor="test"))["dt"] == "2021-09-20"


def test_a_new_dose_received_for_a_holder_reissues_the_certificate(django_capture_on_commit_callbacks):
    from sotiem.immunizations.ingest import Sender, ingest_records
    from sotiem.places.models import Site

    person, (first,) = vaccinated(doses=(("PFIZER", dt.date(2021, 8, 1)),), cccd=True)
    old = certificate_current(person=person, actor="test")
    site = Site.objects.get(pk=first.site_id)
    record = {
        "record_id": "r-2",
        "full_name": person.full_name,
        "birth_date": person.birth_date.strftime("%d/%m/%Y"),
        "sex": "Nam",
        "national_id": person.identifiers.get().value,
        "vaccine": "Pfizer",
        "administered_on": "2021-08-25",
        "site_code": site.code,
        "province": "79",
    }
    with django_capture_on_commit_callbacks(execute=True):
        (result,) = ingest_records(
            sender=Sender(source=site.code, site=site, province_code="79", label="t"),
            records=[record],
            channel="api",
            actor="test",
        )
    assert result.status == "accepted" and result.person_id == str(person.public_id)
    old.refresh_from_db()
    assert old.is_revoked() and current(person).state == "complete"


def test_certificates_expire_before_their_signer_and_private_keys_stay_out_of_the_database(settings):
    person, _ = vaccinated()
    certificate = certificate_current(person=person, actor="test")
    key = SigningKey.objects.get(pk=certificate.signing_key_id)
    assert certificate.expires_at <= key.not_after
    assert certificate.expires_at - certificate.issued_at == dt.timedelta(
        days=settings.SOTIEM_CERTIFICATE_VALIDITY_DAYS
    )
    path = key.key_path
    assert path.startswith(str(settings.SOTIEM_SIGNING_KEY_DIR)) and os.path.exists(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert b"PRIVATE" not in bytes(key.certificate_der)
    signer = x509.load_der_x509_certificate(bytes(key.certificate_der))
    assert signer.not_valid_after_utc == key.not_after


def test_rotation_signs_with_the_new_key_and_keeps_the_old_one_published():
    person, _ = vaccinated()
    other, _ = vaccinated(full_name="Phạm Minh Tuấn")
    old = certificate_current(person=person, actor="test")
    new_key = signing_key_create(actor="test", reason="rotation")
    newer = certificate_current(person=other, actor="test")
    assert newer.signing_key_id == new_key.pk != old.signing_key_id
    kids = {entry["kid"] for entry in selectors.trust_list()}
    assert {new_key.kid, SigningKey.objects.get(pk=old.signing_key_id).kid} <= kids
    assert verify_text(old.hc1)["valid"] and verify_text(newer.hc1)["valid"]


def test_a_signer_that_would_expire_before_a_new_certificate_is_rotated(settings):
    settings.SOTIEM_SIGNER_VALIDITY_DAYS = 400
    person, _ = vaccinated()
    first = certificate_current(person=person, actor="test")
    later = timezone.now() + dt.timedelta(
        days=60
    )  # the key now outlives a new certificate by less than a year
    other, _ = vaccinated(full_name="Đỗ Văn Hải")
    certificates_refresh(person_ids=[other.pk], actor="test", reason="test", now=later)
    second = current(other)
    assert second.signing_key_id != first.signing_key_id
    assert second.expires_at <= SigningKey.objects.get(pk=second.signing_key_id).not_after


def test_every_issue_is_audited_with_the_person():
    person, _ = vaccinated()
    certificate = certificate_current(person=person, actor="test")
    event = AuditEvent.objects.filter(action="certificate.issue", person_id=person.pk).get()
    assert event.after["issued"] == {str(person.pk): certificate.uvci}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_refreshing_everyone_in_worker_processes_issues_once_and_then_keeps():
    people = [vaccinated(full_name=f"Người Thử {n}")[0] for n in range(12)]
    nobody = make_person(full_name="Chưa Tiêm")
    done = certificates_refresh_all(actor="test", reason="test", workers=2, chunk=5)
    assert (done.issued, done.revoked, done.kept) == (12, 0, 0)
    assert sum(current(p) is not None for p in people) == 12 and current(nobody) is None
    again = certificates_refresh_all(actor="test", reason="test", workers=2, chunk=5)
    assert (again.issued, again.revoked, again.kept) == (0, 0, 12)
    assert all(verify_text(current(p).hc1)["valid"] for p in people[:3])

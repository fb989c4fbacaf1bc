"""The certificate interfaces: `sotiem certificate`, the public API, and the citizen's certificate pages."""

import base64
import datetime as dt
import io
import json
import re

import pytest
import zxingcpp
from django.core.management import call_command
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from sotiem.audit.models import AuditEvent
from sotiem.certificates.keys import kid_of
from sotiem.certificates.models import SigningKey
from sotiem.certificates.services import certificate_current
from sotiem.people import sms
from sotiem.people.tests.test_citizen_phone import FAMILY_E164, FAMILY_PHONE, code_sent_to
from sotiem.testing import make_dose, make_person

pytestmark = pytest.mark.django_db


def two_doses(**person):
    someone = make_person(**person)
    make_dose(someone, vaccine="AZ", administered_on=dt.date(2021, 7, 1))
    make_dose(someone, vaccine="PFIZER", administered_on=dt.date(2021, 9, 1))
    return someone


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("certificate", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue()


def test_the_cli_prints_the_hc1_and_verifies_it_with_exit_codes():
    person = two_doses(cccd=True)
    code, out = run("issue", "--person", str(person.public_id))
    hc1 = out.strip().splitlines()[-1]
    assert code == 0 and hc1.startswith("HC1:")
    # by a national ID the person holds, the same certificate
    assert run("issue", "--person", person.identifiers.get().value)[1].strip() == hc1

    code, out = run("verify", hc1)
    result = json.loads(out)
    assert code == 0 and result["valid"] is True and result["step"] is None
    assert result["payload"]["hcert"]["v"][0]["mp"] == "EU/1/20/1528"  # AZ then Pfizer: dose 2 of 2 is Pfizer

    later = (timezone.now() + dt.timedelta(days=400)).isoformat()
    code, out = run("verify", hc1, "--at", later)
    assert code == 1 and json.loads(out)["step"] == "expiry"

    code, out = run("verify", "HC1:" + hc1[4:-3] + "AAA")
    assert code == 1 and json.loads(out)["step"] in {"base45", "zlib", "cose", "signature"}

    key = SigningKey.objects.get()
    dsc = base64.b64encode(bytes(key.certificate_der)).decode()
    assert run("verify", hc1, "--dsc", dsc)[0] == 0


def test_a_certificate_checked_against_another_signer_fails_at_the_kid_step():
    person = two_doses()
    hc1 = certificate_current(person=person, actor="test").hc1
    from cryptography import x509  # noqa: F401 (a second registry's signer)

    from sotiem.certificates.keys import make_signer

    other = make_signer(
        __import__("pathlib").Path(__import__("tempfile").mkdtemp()), now=timezone.now(), days=30
    )
    code, out = run("verify", hc1, "--dsc", base64.b64encode(other.certificate_der).decode())
    assert code == 1 and json.loads(out)["step"] == "kid"


def test_a_person_with_no_counted_dose_gets_a_clear_refusal():
    person = make_person()
    with pytest.raises(Exception, match="Chưa có mũi tiêm nào được tính"):  # the CLI speaks Vietnamese
        call_command("certificate", "issue", "--person", str(person.public_id))


def test_the_trust_list_publishes_each_signer_as_the_eu_gateway_does(client):
    certificate_current(person=two_doses(), actor="test")
    response = client.get("/api/v1/trust-list")
    assert response.status_code == 200
    (entry,) = response.json()
    der = base64.b64decode(entry["rawData"])
    assert entry["country"] == "VN" and entry["certificateType"] == "DSC"
    assert entry["kid"] == base64.b64encode(kid_of(der)).decode()
    import hashlib

    assert entry["thumbprint"] == hashlib.sha256(der).hexdigest()


def test_the_verify_endpoint_runs_the_chain_and_reports_the_failing_step(client):
    hc1 = certificate_current(person=two_doses(), actor="test").hc1
    ok = client.post("/api/v1/certificates/verify", {"hc1": hc1}, content_type="application/json").json()
    assert ok["valid"] is True and ok["payload"]["hcert"]["ver"] == "1.3.0"
    bad = client.post(
        "/api/v1/certificates/verify", {"hc1": "HC2:" + hc1[4:]}, content_type="application/json"
    ).json()
    assert (bad["valid"], bad["step"]) == (False, "prefix")
    clock = client.post(
        "/api/v1/certificates/verify",
        {"hc1": hc1, "at": "2020-01-01T00:00:00Z"},
        content_type="application/json",
    ).json()
    assert (clock["valid"], clock["step"]) == (False, "expiry")


def test_the_revocation_list_holds_the_hashes_of_replaced_certificates(
    client, django_capture_on_commit_callbacks
):
    from sotiem.immunizations.models import Dose
    from sotiem.immunizations.services import dose_dispute

    person = two_doses()
    old = certificate_current(person=person, actor="test")
    assert client.get("/api/v1/revocation-list").json() == []
    with django_capture_on_commit_callbacks(execute=True):
        dose_dispute(dose=Dose.objects.filter(person=person).last(), actor="test", reason="không tiêm")
    batches = client.get("/api/v1/revocation-list").json()
    old.refresh_from_db()
    assert {b["hashType"] for b in batches} == {"UCI", "COUNTRYCODEUCI", "SIGNATURE"}
    signature = next(b for b in batches if b["hashType"] == "SIGNATURE")
    assert signature["entries"] == [{"hash": base64.b64encode(bytes(old.hash_signature)).decode()}]
    assert signature["kid"] == SigningKey.objects.get().kid
    assert client.get("/api/v1/revocation-list", {"since": "not a time"}).status_code == 400


@pytest.fixture
def proved(client, django_capture_on_commit_callbacks, settings):
    """A client whose session proved the family phone."""
    settings.SOTIEM_SMS_BACKEND = "locmem"
    sms.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/my/phone/", {"phone": FAMILY_PHONE})
    assert client.post("/my/phone/verify/", {"code": code_sent_to(FAMILY_E164)}).status_code == 302
    return client


def handle_of(client, name):
    html = client.get("/my/phone/").content.decode()
    return re.search(rf"{re.escape(name)}</td>.*?/my/certificates/([^/]+)/", html, re.S).group(1)


def test_a_citizen_opens_a_family_members_certificate_with_the_birth_date(proved):
    mother = two_doses(full_name="Lê Thị Mai", sex="F", birth_date=dt.date(1968, 3, 2), phone=FAMILY_PHONE)
    handle = handle_of(proved, mother.full_name)

    locked = proved.get(f"/my/certificates/{handle}/")
    assert locked.status_code == 200 and 'id="unlock-form"' in locked.content.decode()
    assert "HC1:" not in locked.content.decode()
    assert proved.get(f"/my/certificates/{handle}/a4.pdf").status_code == 302  # not before the birth date

    wrong = proved.post(f"/my/certificates/{handle}/", {"birth_date": "03/02/1968"})
    assert wrong.status_code == 400 and "còn 4 lần thử" in wrong.content.decode()
    assert proved.post(f"/my/certificates/{handle}/", {"birth_date": "02/03/1968"}).status_code == 302

    page = proved.get(f"/my/certificates/{handle}/")
    html = page.content.decode()
    certificate = mother.certificates.get()
    assert "Đã tiêm đủ liều cơ bản" in html and "Primary series complete" not in html
    assert "mũi cơ bản 2/2" in html and "<title>Mã QR chứng nhận tiêm chủng</title>" in html
    assert certificate.uvci in html and "<svg" in html
    english = proved.get(f"/my/certificates/{handle}/", headers={"accept-language": "en"}).content.decode()
    assert "<h1>Vaccination certificate</h1>" in english and "Primary series complete" in english
    assert "primary dose 2 of 2" in english and "Đã tiêm đủ liều cơ bản" not in english
    assert "<title>Vaccination certificate QR code</title>" in english

    png = proved.get(f"/my/certificates/{handle}/qr.png")
    assert png["Content-Type"] == "image/png"
    (decoded,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert decoded.text == certificate.hc1
    assert proved.get(f"/my/certificates/{handle}/qr.svg")["Content-Type"] == "image/svg+xml"
    for size, language in (("a4", "vi"), ("card", "en")):
        pdf = proved.get(f"/my/certificates/{handle}/{size}.pdf", headers={"accept-language": language})
        assert pdf["Content-Type"] == "application/pdf"
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
        assert "Lê Thị Mai" in text and certificate.uvci[:20] in text.replace("\n", "")
        # the printed certificate is bilingual whichever language the citizen reads the page in
        assert "Đã tiêm đủ liều cơ bản" in text and "Primary series complete" in text
    reads = AuditEvent.objects.filter(
        action="person.read", person_id=mother.pk, reason__startswith="certificate"
    )
    assert reads.count() == 6 and {e.actor_label for e in reads} == {f"citizen:{FAMILY_E164}"}


def test_the_printed_certificate_numbers_a_booster_in_both_languages_the_page_in_the_readers(proved):
    father = two_doses(full_name="Trần Văn Hùng", birth_date=dt.date(1960, 1, 5), phone=FAMILY_PHONE)
    make_dose(father, vaccine="PFIZER", administered_on=dt.date(2022, 3, 1))
    handle = handle_of(proved, father.full_name)
    assert proved.post(f"/my/certificates/{handle}/", {"birth_date": "05/01/1960"}).status_code == 302
    english = proved.get(f"/my/certificates/{handle}/", headers={"accept-language": "en"}).content.decode()
    assert "Booster received" in english and "booster 1" in english and "Nhắc lại" not in english
    pdf = proved.get(f"/my/certificates/{handle}/a4.pdf", headers={"accept-language": "en"})
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Nhắc lại 1 / Booster 1" in " ".join(text.split())  # the cell may wrap
    assert "Đã tiêm nhắc lại" in text and "Booster received" in text


def test_five_wrong_birth_dates_lock_the_certificate(proved):
    son = two_doses(full_name="Phạm Minh Khoa", birth_date=dt.date(1995, 7, 9), phone=FAMILY_PHONE)
    handle = handle_of(proved, son.full_name)
    for _ in range(4):
        assert proved.post(f"/my/certificates/{handle}/", {"birth_date": "01/01/2000"}).status_code == 400
    assert proved.post(f"/my/certificates/{handle}/", {"birth_date": "01/01/2000"}).status_code == 429
    locked = proved.post(f"/my/certificates/{handle}/", {"birth_date": "09/07/1995"})
    assert (
        locked.status_code == 429
        and "Đã nhập sai ngày sinh của người này quá nhiều lần" in locked.content.decode()
    )


def test_a_handle_of_another_session_or_phone_is_not_found(client, proved):
    mother = two_doses(full_name="Lê Thị Mai", birth_date=dt.date(1968, 3, 2), phone=FAMILY_PHONE)
    handle = handle_of(proved, mother.full_name)
    from django.test import Client

    stranger = Client()
    assert stranger.get(f"/my/certificates/{handle}/").status_code == 404
    assert stranger.get(f"/my/certificates/{handle}/qr.png").status_code == 404
    assert proved.get("/my/certificates/not-a-handle/").status_code == 404

import hl7
import pytest

from sotiem.accounts.services import apikey_create
from sotiem.immunizations.models import Dose
from sotiem.interop.hl7 import split_messages
from sotiem.lib.testdata import vendored
from sotiem.testing import make_site

pytestmark = pytest.mark.django_db

COVID_VXU = (
    "\r".join(
        [
            "MSH|^~\\&|SITEAPP|S79-0001|SOTIEM|VN-NIR|20210802103000||VXU^V04^VXU_V04|MSG0001|P|2.5.1",
            "PID|1||079090000123^^^VN^NI||NGUYEN^AN^VAN||19900517|M|||12 Le Loi^^Ho Chi Minh^79||^PRN^CP^^^^0912345678",
            "ORC|RE||IMM-0001",
            "RXA|0|1|20210802||208^Pfizer^CVX|0.3|mL||00^new^NIP001||||||FK1234||PFR^Pfizer^MVX|||CP|A",
            "ORC|RE||IMM-0002",
            "RXA|0|1|20210823||210^AstraZeneca^CVX|0.5|mL||00^new^NIP001||||||AZ999||ASZ^AstraZeneca^MVX|||CP|A",
        ]
    )
    + "\r"
)


@pytest.fixture
def key():
    site = make_site(code="S79-0001")
    return apikey_create(site=site, actor="test")[1]


def post(client, key, text):
    response = client.post(
        "/api/v1/hl7",
        data=text.encode("utf-8"),
        content_type="x-application/hl7-v2+er7",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 200
    return [hl7.parse(m) for m in split_messages(response.content.decode())]


def msa(ack):
    return str(ack.segment("MSA")[1]), str(ack.segment("MSA")[2])


def test_a_covid_vxu_is_accepted_with_aa_and_its_doses_are_held(client, key):
    [ack] = post(client, key, COVID_VXU)
    assert msa(ack) == ("AA", "MSG0001")
    doses = list(Dose.objects.order_by("administered_on"))
    assert [d.vaccine.code for d in doses] == ["PFIZER", "AZ"]
    assert [d.source_record_id for d in doses] == ["IMM-0001", "IMM-0002"]
    assert doses[0].person == doses[1].person and doses[0].person.full_name == "Nguyen Van An"


def test_resending_the_same_vxu_holds_nothing_twice(client, key):
    post(client, key, COVID_VXU)
    [ack] = post(client, key, COVID_VXU)
    assert msa(ack)[0] == "AA"
    assert Dose.objects.count() == 2


def test_a_vxu_with_a_vaccine_outside_the_catalogue_is_answered_ae_with_the_reason(client, key):
    text = COVID_VXU.replace("208^Pfizer^CVX", "511^CoronaVac^CVX")
    [ack] = post(client, key, text)
    assert msa(ack)[0] == "AE"
    errors = [str(seg) for seg in ack.segments("ERR")]
    assert any("CVX:511" in e for e in errors)
    assert Dose.objects.count() == 1  # the good RXA next to it is kept


def test_every_testdata_message_is_accepted_or_refused_with_an_explaining_ack(client, key):
    folder = vendored("hl7")
    files = sorted(folder.rglob("*.hl7")) + sorted(folder.rglob("*.txt"))
    files = [f for f in files if "code-tables" not in f.parts]
    assert files, f"no HL7 testdata under {folder}"
    answered = 0
    for path in files:
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
        expected = max(1, len(split_messages(text)))
        acks = post(client, key, text)
        assert len(acks) == expected, path
        for ack in acks:
            code, _ = msa(ack)
            assert code in ("AA", "AE", "AR"), path
            if code != "AA":
                assert ack.segments("ERR"), f"{path}: {code} without an ERR explaining it"
            answered += 1
    assert answered >= 70


def test_hl7_needs_a_key(client):
    assert (
        client.post("/api/v1/hl7", data=COVID_VXU, content_type="x-application/hl7-v2+er7").status_code == 401
    )

"""Issue 12 item 8 (HL7 part): an oversized or unreadable payload still gets an ACK^V04 AR with the reason."""

import io

import hl7
import pytest

from sotiem.accounts.services import apikey_create
from sotiem.immunizations.models import Dose, InboxBatch
from sotiem.interop.api import HEADER_LIMIT
from sotiem.interop.hl7 import split_messages
from sotiem.interop.tests.test_hl7_endpoint import COVID_VXU
from sotiem.testing import make_site

pytestmark = pytest.mark.django_db
HL7 = "x-application/hl7-v2+er7"


@pytest.fixture
def key():
    return apikey_create(site=make_site(code="S79-0001"), actor="test")[1]


def ack_of(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith(HL7)
    [ack] = [hl7.parse(m) for m in split_messages(response.content.decode())]
    assert str(ack.segment("MSH")[9]) == "ACK^V04^ACK"
    return str(ack.segment("MSA")[1]), str(ack.segment("MSA")[2]), [str(s) for s in ack.segments("ERR")]


def post(client, key, body: bytes, language: str | None = None):
    headers = {"accept-language": language} if language else {}
    return client.post(
        "/api/v1/hl7", data=body, content_type=HL7, HTTP_AUTHORIZATION=f"Bearer {key}", headers=headers
    )


@pytest.mark.parametrize(
    ("language", "reason"),
    [
        (None, "Thông điệp quá lớn (tối đa 8 MB); hãy gửi thành nhiều lần"),  # Vietnamese unless asked
        ("en", "The payload is too large (at most 8 MB); send it in parts"),
    ],
)
def test_it_answers_a_payload_over_the_upload_limit_with_ar_naming_the_message(
    client, key, settings, language, reason
):
    body = COVID_VXU.encode() + b"RXA|" + b"9" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    code, control_id, errors = ack_of(post(client, key, body, language))
    assert (code, control_id) == ("AR", "MSG0001")
    # the code a sending system acts on is the same in every language; the text is for its people
    assert errors == [f"ERR||MSH^1|207^Application internal error^HL70357|E||||{reason}"]
    assert Dose.objects.count() == 0


class Endless(io.RawIOBase):
    """A request body that is made only as it is read, and counts what was read."""

    def __init__(self, head: bytes, size: int):
        self.head, self.size, self.given = head, size, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.size - self.given)
        chunk = self.head[self.given : self.given + n] if self.given < len(self.head) else b""
        chunk += b"9" * (n - len(chunk))
        buffer[:n] = chunk
        self.given += n
        return n


def test_it_reads_no_more_than_a_bounded_head_of_a_one_gigabyte_payload(client, key):
    stream = Endless(COVID_VXU.encode(), 2**30)
    environ = client._base_environ(
        PATH_INFO="/api/v1/hl7",
        REQUEST_METHOD="POST",
        CONTENT_TYPE=HL7,
        CONTENT_LENGTH=str(2**30),
        HTTP_AUTHORIZATION=f"Bearer {key}",
        **{"wsgi.input": io.BufferedReader(stream)},
    )
    code, control_id, _ = ack_of(client.handler(environ))
    assert (code, control_id) == ("AR", "MSG0001")
    assert stream.given <= HEADER_LIMIT + io.DEFAULT_BUFFER_SIZE


def test_an_oversized_payload_whose_header_is_cut_by_the_read_limit_gets_an_empty_msa_2(
    client, key, settings
):
    body = b"MSH|^~\\&|" + b"X" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    code, control_id, _ = ack_of(post(client, key, body))
    assert (code, control_id) == ("AR", "")


@pytest.mark.parametrize(
    "body",
    [
        COVID_VXU.replace("NGUYEN", "NGUY\u1ec4N").encode("utf-16"),
        COVID_VXU.replace("NGUYEN", "NGUYÊN").encode("latin-1", errors="replace"),
        b"\xff\xfe\x00\x00garbage\x80\x81",
    ],
)
def test_it_refuses_a_payload_that_is_not_utf8_with_ar_and_keeps_it_as_sent(client, key, body):
    code, _, errors = ack_of(post(client, key, body))
    assert code == "AR"
    assert any("Thông điệp không phải văn bản UTF-8" in e for e in errors)
    assert Dose.objects.count() == 0
    assert InboxBatch.objects.get(channel="hl7-raw").payload["hl7_base64"]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"hello",
        b"\x00\x01\x02\x03",
        b"PID|1||x\rRXA|0|1",
        b"\x0b\x1c\r\n",
        b"MSH",
        b"MSH|",
        b"MSH|^~\\&|\x00|\x00",
    ],
)
def test_it_refuses_a_payload_with_no_readable_message_with_ar(client, key, body):
    response = post(client, key, body)
    assert response.status_code == 200 and response["Content-Type"].startswith(HL7)
    acks = [hl7.parse(m) for m in split_messages(response.content.decode())]
    assert acks and all(str(a.segment("MSA")[1]) == "AR" for a in acks)
    assert all(a.segments("ERR") for a in acks)
    assert Dose.objects.count() == 0


def test_a_message_with_a_nul_is_kept_as_sent(client, key):
    post(client, key, COVID_VXU.replace("Le Loi", "Le\x00Loi").encode())
    assert InboxBatch.objects.get(channel="hl7-raw").payload["hl7_base64"]

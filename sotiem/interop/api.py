"""HL7 v2 VXU^V04 over HTTP: each message answered with an ACK^V04 (AA, AE with ERR segments, AR).

The ACK's codes (MSA-1, ERR-3, ERR-4) are the same in every language; its texts (ERR-8) follow the request's
Accept-Language when it gives one (LocaleMiddleware), else Vietnamese, the registry's default: a sending system
is a machine, which sends no language cookie and acts on the codes.
"""

from __future__ import annotations

import base64
import dataclasses
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router

from sotiem.api_errors import problems
from sotiem.audit.actors import Agent
from sotiem.immunizations.api import SenderKey, sender_of
from sotiem.immunizations.ingest import ingest_records
from sotiem.immunizations.models import InboxBatch, InboxStatus
from sotiem.interop.hl7 import Hl7Issue, build_ack, parse_vxu, split_messages
from sotiem.lib.records import REFUSED, RecordStatus
from sotiem.places.models import Site

router = Router(tags=["hl7"])
HL7_MEDIA_TYPE = "x-application/hl7-v2+er7"
CONTENT_TYPE = f"{HL7_MEDIA_TYPE}; charset=utf-8"
HEADER_LIMIT = 64 * 1024  # of a payload refused whole, only this much is read, to find its MSH


def _record_issues(results: list[Any], rxa_sequences: list[int]) -> list[Hl7Issue]:
    """ERR segments for records the registry refused (or flagged), pointing at the RXA each came from."""
    issues = []
    for n, result in zip(rxa_sequences, results, strict=True):
        if result.status in REFUSED:
            for error in result.errors or [{"message": result.status}]:
                issues.append(
                    Hl7Issue(
                        segment="RXA",
                        sequence=n,
                        field=None,
                        code="207" if result.status == RecordStatus.CONFLICT else "102",
                        severity="E",
                        message=f"{result.record_id}: {_named(error)}",
                    )
                )
        for flag in result.flags:
            issues.append(
                Hl7Issue(
                    segment="RXA",
                    sequence=n,
                    field=None,
                    code="0",
                    severity="W",
                    message=f"{result.record_id}: {_named(flag)}",
                )
            )
    return issues


def _named(issue: dict[str, str]) -> str:
    """An ingest error or flag as the ACK shows it: the record field it is about, then why."""
    return f"{issue['field']}: {issue['message']}" if issue.get("field") else issue["message"]


def _keep_raw(source: str, payload: dict[str, str]) -> None:
    InboxBatch.objects.create(
        source=source,
        channel="hl7-raw",
        payload=payload,
        record_count=0,
        status=InboxStatus.PROCESSED,
        processed_at=timezone.now(),
    )


def _leading_header(head: HttpRequest | bytes) -> str:
    """The MSH segment among the first bytes of a payload refused whole, so its ACK can name the message (MSA-2);
    an oversized body is read no further than HEADER_LIMIT, and an MSH cut by that limit is not used."""
    if isinstance(head, HttpRequest):
        try:
            head = head.read(HEADER_LIMIT)
        except (OSError, ValueError):  # the stream Django closed after an understated Content-Length
            return ""
    text = head.decode("utf-8", errors="replace")
    complete = re.split(r"\r\n|\r|\n", text)[:-1]  # the last piece may be cut anywhere
    return next(
        (line.lstrip("\ufeff\x0b ") for line in complete if line.lstrip("\ufeff\x0b ").startswith("MSH")), ""
    )


def _refused_whole(msh: str, reason: str) -> HttpResponse:
    """An ACK^V04 AR with the reason, for a payload that is not read as messages at all."""
    # only the header of what parse_vxu() reads from the MSH alone is used: the sender's ids and MSH-10
    result = dataclasses.replace(parse_vxu(msh), records=[], errors=[], rxa_sequences=[], ack_code="AR")
    ack = build_ack(
        result=result,
        now=timezone.now(),
        ack_code="AR",
        issues=[Hl7Issue(segment="MSH", sequence=1, field=None, code="207", severity="E", message=reason)],
    )
    return HttpResponse(ack + "\r", content_type=CONTENT_TYPE)


@router.post(
    "/hl7",
    auth=SenderKey(),
    summary="HL7 v2 VXU^V04 (one message or a batch); answers ACK^V04",
    description="Every payload is answered 200 with one ACK^V04 per message (AA, AE with ERR segments, "
    "or AR with the reason), also one too large to read or not UTF-8 text. ERR-8 texts follow Accept-Language "
    "(vi by default); the codes are the same in every language.",
    response=problems(401),
    openapi_extra={
        "requestBody": {"required": True, "content": {HL7_MEDIA_TYPE: {"schema": {"type": "string"}}}},
        "responses": {
            200: {
                "description": "ACK^V04 messages, segments joined with CR",
                "content": {HL7_MEDIA_TYPE: {"schema": {"type": "string"}}},
            }
        },
    },
)
def hl7_messages(request: HttpRequest) -> HttpResponse:
    key = request.auth  # type: ignore[attr-defined]
    sender = sender_of(key)
    try:
        body = request.body
    except RequestDataTooBig:
        size = f"{(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) / 2**20:g} MB"
        return _refused_whole(
            _leading_header(request),
            _("The payload is too large (at most %(size)s); send it in parts") % {"size": size},
        )
    # the raw body is kept before anything is parsed, so what arrived can always be looked at again (as base64
    # when it is not text a database column can hold: not UTF-8, or with NUL characters)
    try:
        raw = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        _keep_raw(sender.source, {"hl7_base64": base64.b64encode(body).decode()})
        return _refused_whole(
            _leading_header(body[:HEADER_LIMIT]),
            _("The payload is not UTF-8 text (byte %(byte)s)") % {"byte": exc.start},
        )
    _keep_raw(
        sender.source, {"hl7_base64": base64.b64encode(body).decode()} if "\x00" in raw else {"hl7": raw}
    )
    acks = []
    for message in split_messages(raw) or [raw]:
        result = parse_vxu(message)
        if result.ack_code == "AR" or not result.records:
            # refused outright, or processed with nothing to record (every RXA refused or not given): as parsed
            acks.append(build_ack(result=result, now=timezone.now()))
            continue
        records = result.records
        if sender.site is not None:
            # a site's own system names itself by its HL7 facility id, not by its registry site code
            known = set(
                Site.objects.filter(code__in={r["site_code"] for r in records}).values_list("code", flat=True)
            )
            records = [
                r if r["site_code"] in known else {**r, "site_code": sender.site.code} for r in records
            ]
        results = ingest_records(
            sender=sender, records=records, channel="hl7", actor=Agent.sender(f"apikey:{key.prefix}")
        )
        issues = _record_issues(results, result.rxa_sequences)
        refused = any(r.status in REFUSED for r in results)
        code = "AE" if refused or any(i.severity == "E" for i in result.errors) else "AA"
        acks.append(
            build_ack(result=result, now=timezone.now(), ack_code=code, issues=[*result.errors, *issues])
        )
    return HttpResponse("".join(a if a.endswith("\r") else a + "\r" for a in acks), content_type=CONTENT_TYPE)

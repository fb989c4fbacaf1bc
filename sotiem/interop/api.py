"""HL7 v2 VXU^V04 over HTTP: each message answered with an ACK^V04 (AA, AE with ERR segments, AR)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router

from sotiem.immunizations.api import SenderKey, sender_of
from sotiem.immunizations.ingest import ingest_records
from sotiem.immunizations.models import InboxBatch, InboxStatus
from sotiem.interop.hl7 import Hl7Issue, build_ack, parse_vxu, split_messages
from sotiem.places.models import Site

router = Router(tags=["hl7"])
CONTENT_TYPE = "x-application/hl7-v2+er7; charset=utf-8"


def _record_issues(results: list[Any], rxa_sequences: list[int]) -> list[Hl7Issue]:
    """ERR segments for records the registry refused (or flagged), pointing at the RXA each came from."""
    issues = []
    for n, result in zip(rxa_sequences, results, strict=True):
        if result.status in ("rejected", "conflict"):
            for error in result.errors or [{"message": result.status}]:
                issues.append(Hl7Issue(segment="RXA", sequence=n, field=None,
                                       code="207" if result.status == "conflict" else "102", severity="E",
                                       message=f"{result.record_id}: {error['message']}"))
        for flag in result.flags:
            issues.append(Hl7Issue(segment="RXA", sequence=n, field=None, code="0", severity="W",
                                   message=f"{result.record_id}: {flag['message']}"))
    return issues


@router.post("/hl7", auth=SenderKey(), summary="HL7 v2 VXU^V04 (one message or a batch); answers ACK^V04",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "x-application/hl7-v2+er7": {"schema": {"type": "string"}}}}})
def hl7_messages(request: HttpRequest) -> HttpResponse:
    key = request.auth  # type: ignore[attr-defined]
    sender = sender_of(key)
    raw = request.body.decode("utf-8", errors="replace")
    # the raw text is kept before anything is parsed, so what arrived can always be looked at again
    InboxBatch.objects.create(source=sender.source, channel="hl7-raw", payload={"hl7": raw}, record_count=0,
                              status=InboxStatus.PROCESSED, processed_at=timezone.now())
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
            known = set(Site.objects.filter(code__in={r["site_code"] for r in records}).values_list("code", flat=True))
            records = [r if r["site_code"] in known else {**r, "site_code": sender.site.code} for r in records]
        results = ingest_records(sender=sender, records=records, channel="hl7", actor=f"apikey:{key.prefix}")
        issues = _record_issues(results, result.rxa_sequences)
        refused = any(r.status in ("rejected", "conflict") for r in results)
        code = "AE" if refused or any(i.severity == "E" for i in result.errors) else "AA"
        acks.append(build_ack(result=result, now=timezone.now(), ack_code=code, issues=[*result.errors, *issues]))
    return HttpResponse("".join(a if a.endswith("\r") else a + "\r" for a in acks), content_type=CONTENT_TYPE)

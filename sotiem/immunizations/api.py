"""The senders' API: dose records in (idempotent, acknowledged per record after commit), receipts out."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.security import HttpBearer

from sotiem.accounts.models import ApiKey
from sotiem.accounts.services import apikey_authenticate
from sotiem.api_errors import Instant, problems
from sotiem.audit.actors import Agent
from sotiem.immunizations.ingest import (
    MAX_JSON_DEPTH,
    BodyError,
    Sender,
    ingest_records,
    records_json,
)
from sotiem.immunizations.models import Dose
from sotiem.lib.params import parse_instant
from sotiem.lib.records import MAX_BATCH, RecordStatus, batch_json_schema

router = Router(tags=["dose records"])
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class SenderKey(HttpBearer):
    """Authorization: Bearer <key> issued by `sotiem apikey create`."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        return apikey_authenticate(token)


def sender_of(key: ApiKey) -> Sender:
    return Sender(
        source=key.source, site=key.site, province_code=key.province_code, label=f"apikey:{key.prefix}"
    )


def _refuse(status: int, code: str, detail: str) -> JsonResponse:
    """A refusal of the whole request: its reason in the language the client asked for, its code in every one."""
    return JsonResponse({"detail": detail, "code": code, "results": []}, status=status)


class Issue(Schema):
    field: str
    code: str
    message: str


class Result(Schema):
    record_id: str
    status: RecordStatus
    dose_id: str | None
    person_id: str | None
    content_hash: str
    errors: list[Issue]
    flags: list[Issue]


class Results(Schema):
    results: list[Result]


@router.post(
    "/dose-records",
    auth=SenderKey(),
    response={200: Results, **problems(400, 401, 413)},
    summary="Send up to 1,000 dose records; one result per record, in order, after commit",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": batch_json_schema()}},
        }
    },
    description=f"The body must be JSON as RFC 8259 defines it (no NaN or Infinity) nested at most "
    f"{MAX_JSON_DEPTH} levels deep, else it is refused whole with 400 and the reason. Inside "
    "it, a value that cannot be its field (too long, a control character or lone surrogate, a "
    "number out of range or of too many digits, a list or object) makes only its own record "
    "`rejected`, each error naming the field.",
)
def dose_records(request: HttpRequest) -> Any:
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    try:
        body = request.body
    except RequestDataTooBig:
        return _refuse(
            413, "too_large", _("The batch is too large (at most %(max)s records)") % {"max": MAX_BATCH}
        )
    try:
        records = records_json(body or b"null")
    except BodyError as exc:
        return _refuse(400, "invalid_json", str(exc))
    if not isinstance(records, list):
        return _refuse(400, "not_a_list", _("The body must be a JSON list of records"))
    if len(records) > MAX_BATCH:
        return _refuse(
            413,
            "too_many_records",
            _("At most %(max)s records per batch (got %(count)s)")
            % {"max": MAX_BATCH, "count": len(records)},
        )
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:  # not a write per request
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    results = ingest_records(
        sender=sender_of(key), records=records, channel="api", actor=Agent.sender(f"apikey:{key.prefix}")
    )
    return {"results": [r.as_dict() for r in results]}


class Receipt(Schema):
    record_id: str
    dose_id: str
    content_hash: str
    status: str
    received_at: dt.datetime


class Receipts(Schema):
    results: list[Receipt]
    next_cursor: str | None


def _cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"d{pk}".encode()).decode().rstrip("=")


def _after(cursor: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        after = int(text[1:]) if text.startswith("d") else None
    except (ValueError, UnicodeDecodeError):
        return None
    return after if after is not None and 0 <= after < 2**63 else None  # beyond a bigint the database refuses


@router.get(
    "/receipts",
    auth=SenderKey(),
    response={200: Receipts, **problems(400, 401, 422)},
    summary="Every record the registry holds from the calling sender, page by page",
)
def receipts(
    request: HttpRequest, since: Instant = None, cursor: str | None = None, limit: int = 1000
) -> Any:
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    qs = Dose.objects.filter(source=key.source).exclude(source_record_id="").order_by("id")
    if since:
        qs = qs.filter(
            created_at__gte=parse_instant(since, name="since")
        )  # ParamError: a 400 with the reason
    if cursor:
        after = _after(cursor)
        if after is None:
            return _refuse(400, "bad_cursor", _("The cursor is not one this API gave"))
        qs = qs.filter(id__gt=after)
    limit = max(1, min(limit, 1000))
    rows = list(
        qs.values("id", "source_record_id", "public_id", "content_hash", "status", "created_at")[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "results": [
            {
                "record_id": r["source_record_id"],
                "dose_id": str(r["public_id"]),
                "content_hash": r["content_hash"],
                "status": r["status"],
                "received_at": r["created_at"],
            }
            for r in rows
        ],
        "next_cursor": _cursor(rows[-1]["id"]) if more and rows else None,
    }

"""Public certificate endpoints: the trust list, the revocation list and verification (no login: verifiers are
guards, employers and border officers; nothing here reads a person's record)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from sotiem.api_errors import Instant, problems
from sotiem.certificates import selectors
from sotiem.certificates.verification import verify_text
from sotiem.lib.params import parse_instant

router = Router(tags=["certificates"])


class TrustEntry(Schema):
    kid: str
    country: str
    certificateType: str  # noqa: N815 (the EU DCC gateway's field names)
    rawData: str  # noqa: N815
    thumbprint: str
    timestamp: str


class RevocationEntry(Schema):
    hash: str


class RevocationBatch(Schema):
    country: str
    kid: str
    hashType: str  # noqa: N815
    expires: str
    lastUpdated: str  # noqa: N815
    entries: list[RevocationEntry]


class VerifyIn(Schema):
    hc1: str
    at: Instant = None


class VerifyWarning(Schema):
    """A deviation the DCC specification leaves to business rules; the certificate stays valid."""

    path: str = Field(description="JSON Pointer into the hcert, e.g. /v/0/dt", examples=["/v/0/ma"])
    code: str = Field(
        description="format (a date or date-time not as the schema writes it) or value-set (a code "
        "outside the EU value sets 2.12.0)",
        examples=["value-set"],
    )
    reason: str = Field(examples=["'ORG-1000030215' is not in the vaccine-mah-manf value set"])


class VerifyOut(Schema):
    valid: bool
    step: str | None
    reason: str
    payload: dict[str, Any] | None
    warnings: list[VerifyWarning] = Field(
        description="Format and value-set deviations, shown beside valid=true (and on a revoked certificate); "
        "what the DCC specification makes mandatory fails at `step` instead"
    )


@router.get("/trust-list", response={200: list[TrustEntry]}, auth=None)
def trust_list(request: HttpRequest) -> Any:
    """The document signer certificates (DSC) of Viet Nam, as the EU DCC gateway publishes them."""
    return selectors.trust_list()


@router.get("/revocation-list", response={200: list[RevocationBatch], **problems(400)}, auth=None)
def revocation_list(request: HttpRequest, since: Instant = None) -> Any:
    """Revoked, not yet expired certificates: hashes (UCI, COUNTRYCODEUCI, SIGNATURE) per signer key."""
    return selectors.revocation_list(since=parse_instant(since, name="since") if since else None)


@router.post("/certificates/verify", response={200: VerifyOut, **problems(400, 413, 422)}, auth=None)
def verify(request: HttpRequest, body: VerifyIn) -> Any:
    """Run the whole verification chain on an HC1 text (prefix … signature, key usage, expiry, revocation)."""
    return verify_text(body.hc1.strip(), at=parse_instant(body.at, name="at") if body.at else None)

"""Verifying an HC1 text against the registry's trust list and revocation list (or a given signer certificate)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from sotiem.certificates import selectors
from sotiem.certificates.hcert import verify_hc1
from sotiem.certificates.keys import kid_of


def verify_text(text: str, *, at: dt.datetime | None = None, dsc: bytes | None = None) -> dict[str, Any]:
    """The whole chain for one HC1 text; JSON-ready {"valid", "step", "reason", "payload", "warnings"}.

    warnings are [{"path", "code", "reason"}]: format and value-set deviations that leave the certificate valid;
    the code is the same in every language, the reason is in the active one.
    """
    trust = {kid_of(dsc): [dsc]} if dsc is not None else selectors.trust_map()
    result = verify_hc1(text, clock=at or timezone.now(), trust=trust, is_revoked=selectors.is_revoked)
    return {
        "valid": result.valid,
        "step": result.step,
        "reason": result.reason,
        "payload": result.payload,
        "warnings": [
            {"path": warning.path, "code": warning.code, "reason": str(warning.reason)}
            for warning in result.warnings
        ],
    }

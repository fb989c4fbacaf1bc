"""Reissue on change: `person_changed` (sent after commit by every service that changes doses or identity)."""

from __future__ import annotations

import logging
from typing import Any

from sotiem.people.signals import person_changed

log = logging.getLogger(__name__)


def reissue(sender: Any, person_ids: list[int], **_: Any) -> None:
    """Reissue the certificates of changed persons who hold one; a failure is logged, never undoes the change."""
    from sotiem.certificates.services import persons_changed

    try:
        persons_changed(person_ids=person_ids)
    except Exception:  # the change is committed; `sotiem certificate reissue` catches up what failed here
        log.exception("certificate reissue failed for persons %s", person_ids[:20])


def connect() -> None:
    person_changed.connect(reissue, dispatch_uid="certificates.reissue")

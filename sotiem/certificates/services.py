"""Writes for certificates: signing keys, issuing, reissuing on change and revoking. Nothing is deleted.

A person's certificate follows from their undisputed doses alone. It is issued on demand (a citizen asks, an
official prints) and reissued after commit whenever the person's doses or identity change, which revokes the one it
replaces. Revoked certificates stay, with their revocation hashes, for the published revocation list.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sotiem.audit.actors import Actor, Agent
from sotiem.audit.services import audit_event, audit_record, audit_record_many
from sotiem.certificates import selectors
from sotiem.certificates.issuing import Outcome, SignerInfo, plan
from sotiem.certificates.keys import kid_of, make_signer
from sotiem.certificates.models import Certificate, Revocation, SigningKey, SigningKeyStatus
from sotiem.certificates.status import rules_from_catalogue
from sotiem.db.bulk import write_rows
from sotiem.people.models import Person

log = logging.getLogger(__name__)
SYSTEM = Agent.system("system:certificates")
CERT_COLUMNS = [
    "person_id",
    "uvci",
    "hc1",
    "fingerprint",
    "state",
    "signing_key_id",
    "issued_at",
    "expires_at",
    "replaces_id",
    "hash_uci",
    "hash_country_uci",
    "hash_signature",
]
REVOCATION_COLUMNS = ["certificate_id", "revoked_at", "reason", "hash_uci"]
CHUNK = 5000


def _validity() -> dt.timedelta:
    return dt.timedelta(days=settings.SOTIEM_CERTIFICATE_VALIDITY_DAYS)


def signing_key_create(*, actor: Actor, reason: str, now: dt.datetime | None = None) -> SigningKey:
    """Make a new document signer (private key to a file) and sign with it from now on; older keys retire."""
    now = now or timezone.now()
    made = make_signer(
        settings.SOTIEM_SIGNING_KEY_DIR,
        now=now.replace(microsecond=0),
        days=settings.SOTIEM_SIGNER_VALIDITY_DAYS,
    )
    with transaction.atomic():
        retired = list(
            SigningKey.objects.filter(status=SigningKeyStatus.ACTIVE).values_list("kid", flat=True)
        )
        SigningKey.objects.filter(status=SigningKeyStatus.ACTIVE).update(status=SigningKeyStatus.RETIRED)
        key = SigningKey.objects.create(
            kid=made.kid,
            certificate_der=made.certificate_der,
            key_path=str(made.key_path),
            not_before=made.not_before,
            not_after=made.not_after,
        )
        audit_record(
            actor=actor,
            action="signing_key.create",
            obj=key,
            after={"kid": key.kid, "retired": retired, "not_after": key.not_after},
            reason=reason or "rotation",
        )
    return key


def signing_key_for_issue(*, now: dt.datetime) -> SigningKey:
    """The key to sign with now: the newest active key that outlives a certificate issued now (rotating if none)."""
    key = SigningKey.objects.filter(status=SigningKeyStatus.ACTIVE).order_by("-not_before", "-id").first()
    if key is not None and key.not_after >= now + _validity():
        return key
    if not settings.SOTIEM_SIGNING_KEY_AUTO_ROTATE and key is not None and key.not_after > now:
        return key  # certificates are then shortened to the signer's notAfter
    if not settings.SOTIEM_SIGNING_KEY_AUTO_ROTATE:
        raise ValidationError(
            _("No valid signing key: run `%(command)s`") % {"command": "sotiem certificate keygen"},
            code="no_signing_key",
        )
    return signing_key_create(actor=SYSTEM, reason="no key outlives a certificate issued now", now=now)


def _signer_info(key: SigningKey) -> SignerInfo:
    return SignerInfo(
        key_id=key.pk, kid=kid_of(bytes(key.certificate_der)), key_path=key.key_path, not_after=key.not_after
    )


@dataclass(frozen=True)
class Refreshed:
    """Counts of one refresh: issued (new or replacing), revoked (replaced or with no successor), kept."""

    issued: int
    revoked: int
    kept: int


def _store(outcome: Outcome, *, key_id: int, now: dt.datetime, actor: Actor, reason: str) -> Refreshed:
    """Append the revocations and the new certificates, and audit, in the caller's transaction (nothing is updated:
    a certificate that two refreshes both try to replace or revoke makes the later one fail on its unique key)."""
    if outcome.revoked:
        write_rows(
            Revocation,
            REVOCATION_COLUMNS,
            [(h.certificate_id, now, reason[:200], h.hash_uci) for h in outcome.revoked],
        )
    rows = [
        (
            i.person_id,
            i.uvci,
            i.hc1,
            i.fingerprint,
            i.state,
            key_id,
            i.issued_at,
            i.expires_at,
            i.replaces,
            i.hashes["UCI"],
            i.hashes["COUNTRYCODEUCI"],
            i.hashes["SIGNATURE"],
        )
        for i in outcome.issued
    ]
    if rows:
        write_rows(Certificate, CERT_COLUMNS, rows)  # ids from the table's own sequence: none are needed here
    changed = {i.person_id: i.uvci for i in outcome.issued}
    if changed or outcome.revoked:
        revoked = [h.certificate_id for h in outcome.revoked]
        only = outcome.revoked_only
        marker = Certificate(pk=0, uvci="batch")
        person_id = next(iter(changed)) if len(changed) == 1 and not only else None
        audit_record_many(
            [
                audit_event(
                    actor=actor,
                    action="certificate.issue",
                    obj=marker,
                    person_id=person_id,
                    after={"issued": changed, "revoked": revoked},
                    reason=reason,
                )
            ]
        )
    return Refreshed(issued=len(rows), revoked=len(outcome.revoked), kept=outcome.kept)


def certificates_refresh(
    *,
    person_ids: Iterable[int],
    actor: Actor,
    reason: str,
    holders_only: bool = False,
    now: dt.datetime | None = None,
) -> Refreshed:
    """Bring these persons' certificates in line with their records: issue, replace and revoke as needed."""
    now = (now or timezone.now()).replace(microsecond=0)
    ids = sorted(set(person_ids))
    if holders_only:
        ids = sorted(selectors.holders(ids))
    if not ids:
        return Refreshed(0, 0, 0)
    key = signing_key_for_issue(now=now)
    with transaction.atomic():
        # one refresh at a time per person: lock the rows, then read what is held
        list(Person.objects.select_for_update().filter(id__in=ids).values_list("id", flat=True))
        outcome = plan(
            selectors.person_facts(ids),
            selectors.held_certificates(ids),
            now=now,
            signer=_signer_info(key),
            validity=_validity(),
            issuer=settings.SOTIEM_UVCI_ISSUER,
            on=timezone.localdate(now),
        )
        return _store(outcome, key_id=key.pk, now=now, actor=actor, reason=reason)


def certificate_current(*, person: Person, actor: Actor, reason: str = "requested") -> Certificate | None:
    """The person's certificate as of now, issuing or replacing it first if the record changed (None: no dose)."""
    certificates_refresh(person_ids=[person.pk], actor=actor, reason=reason)
    return selectors.certificate_current_get(person=person)


def certificates_refresh_all(
    *,
    actor: Actor,
    reason: str,
    workers: int = 2,
    chunk: int = CHUNK,
    force: bool = False,
    now: dt.datetime | None = None,
    progress: Any = None,
    id_range: tuple[int, int] | None = None,
) -> Refreshed:
    """Refresh every person's certificate, by id ranges, each range read, signed and written in one transaction.

    On PostgreSQL `workers` processes each take whole ranges (their own connection: read, sign, COPY, revoke), so
    the reading and writing run in parallel as well as the signing; elsewhere (SQLite: one writer) it runs here.
    `force` reissues (and revokes) every current certificate even if unchanged, e.g. after a key compromise.
    `id_range` (first, last) limits it to the persons whose ids lie in it.
    """
    now = (now or timezone.now()).replace(microsecond=0)
    info = _signer_info(signing_key_for_issue(now=now))
    persons = Person.objects.all()
    if id_range is not None:
        persons = persons.filter(id__gte=id_range[0], id__lte=id_range[1])
    first = persons.order_by("id").values_list("id", flat=True).first()
    last = persons.order_by("-id").values_list("id", flat=True).first()
    if first is None or last is None:
        return Refreshed(0, 0, 0)
    tasks = [
        (start, min(start + chunk - 1, last), now, info, force, actor, reason)
        for start in range(first, last + 1, chunk)
    ]
    totals = Refreshed(0, 0, 0)
    parallel = workers > 0 and connection.vendor == "postgresql" and not connection.in_atomic_block
    if not parallel:  # inside a transaction the connection cannot be closed, and SQLite has one writer
        for task in tasks:
            totals = _add(totals, _counted(_refresh_range(task), progress))
        return totals
    rules_from_catalogue()  # loaded once before the fork, shared by the children
    selectors.vaccine_codes()  # likewise
    connections.close_all()  # children open their own connections: never share a database socket
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        for done in pool.map(_refresh_range, tasks):
            totals = _add(totals, _counted(done, progress))
    return totals


def _add(a: Refreshed, b: Refreshed) -> Refreshed:
    return Refreshed(a.issued + b.issued, a.revoked + b.revoked, a.kept + b.kept)


def _counted(done: tuple[Refreshed, int], progress: Any) -> Refreshed:
    if progress is not None:
        progress(done[1])
    return done[0]


RANGE_ATTEMPTS = 3


def _refresh_range(task: tuple[int, int, dt.datetime, SignerInfo, bool, Any, str]) -> tuple[Refreshed, int]:
    """Read, plan, sign and store the persons first ≤ id ≤ last in one transaction (in a worker or here); with
    the number of persons read.

    The range is not locked: a person's certificate replaced meanwhile by a single refresh (a correction committed
    during a bulk reissue) makes the unique keys refuse this range's write, and the range is read and done again.
    """
    first, last, now, info, force, actor, reason = task
    for attempt in range(1, RANGE_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                facts = selectors.person_facts_range(first, last)
                outcome = plan(
                    facts,
                    selectors.held_certificates_range(first, last),
                    now=now,
                    signer=info,
                    validity=_validity(),
                    issuer=settings.SOTIEM_UVCI_ISSUER,
                    on=timezone.localdate(now),
                    force=force,
                )
                return _store(outcome, key_id=info.key_id, now=now, actor=actor, reason=reason), len(facts)
        except IntegrityError:
            if attempt == RANGE_ATTEMPTS:
                raise
            log.warning(
                "certificates of persons %s-%s changed during the refresh; reading them again", first, last
            )
    raise AssertionError("unreachable")


def persons_changed(*, person_ids: Iterable[int]) -> Refreshed:
    """After a committed change to these persons: reissue (and revoke) the certificates of those holding one."""
    return certificates_refresh(
        person_ids=person_ids, actor=SYSTEM, reason="record changed", holders_only=True
    )

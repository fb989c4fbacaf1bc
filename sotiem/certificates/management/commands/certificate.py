"""`sotiem certificate issue|verify|reissue|keygen|keys|status`: signed certificates from the command line."""

from __future__ import annotations

import base64
import binascii
import json
import sys
import uuid
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from sotiem.accounts.management.cli import ACTOR, ActionCommand
from sotiem.certificates.models import SigningKey
from sotiem.certificates.services import certificate_current, certificates_refresh_all, signing_key_create
from sotiem.certificates.verification import verify_text
from sotiem.lib.params import ParamError, parse_instant
from sotiem.people.models import Person


def _person(text: str) -> Person:
    """A person by public id (UUID), or by the national ID number they hold."""
    try:
        return Person.objects.get(public_id=uuid.UUID(text))
    except (ValueError, Person.DoesNotExist):
        pass
    person = Person.objects.filter(identifiers__value=text.strip(), identifiers__active=True).first()
    if person is None:
        raise CommandError(_("No person with id %(id)s (a person id or a national ID)") % {"id": repr(text)})
    return person


class Command(ActionCommand):
    help = "Issue, verify and reissue signed EU DCC (HC1) vaccination certificates; manage signing keys."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        issue = sub.add_parser(
            "issue", help="print the person's current HC1 text (issuing it first if needed)"
        )
        issue.add_argument(
            "--person", required=True, help="person id (UUID) or a national ID number they hold"
        )
        verify = sub.add_parser("verify", help="verify an HC1 text; prints JSON, exits 0 if valid, 1 if not")
        verify.add_argument("hc1", help="the HC1: text, or - to read it from standard input")
        verify.add_argument("--at", default="", help="the clock to verify at (ISO 8601); default now")
        verify.add_argument(
            "--dsc",
            default="",
            help="trust this signer certificate (base64 DER) instead of the registry's trust list",
        )
        reissue = sub.add_parser("reissue", help="bring every person's certificate in line with their record")
        reissue.add_argument("--workers", type=int, default=2)
        reissue.add_argument("--reason", default="reissue of all certificates")
        reissue.add_argument(
            "--force",
            action="store_true",
            help="replace (and revoke) even unchanged certificates, e.g. after a key compromise",
        )
        keygen = sub.add_parser("keygen", help="make a new signing key and sign with it from now on")
        keygen.add_argument("--reason", default="key rotation")
        sub.add_parser("keys", help="list signing keys (kid, state, validity)")

    def _issue(self, opts: dict[str, Any]) -> None:
        person = _person(opts["person"])
        certificate = certificate_current(
            person=person, actor=ACTOR, reason="printed by `sotiem certificate issue`"
        )
        if certificate is None:
            raise CommandError(_("No dose counts yet: no certificate to issue"))
        self.stdout.write(certificate.hc1)

    def _verify(self, opts: dict[str, Any]) -> None:
        text = sys.stdin.read() if opts["hc1"] == "-" else opts["hc1"]
        at = None
        if opts["at"]:
            try:
                at = parse_instant(opts["at"], name="--at")
            except ParamError as exc:
                raise CommandError(str(exc)) from exc
        dsc = None
        if opts["dsc"]:
            try:
                dsc = base64.b64decode(opts["dsc"], validate=True)
            except (binascii.Error, ValueError) as exc:
                raise CommandError(_("--dsc: not base64 DER")) from exc
        result = verify_text(text.strip(), at=at, dsc=dsc)
        self.stdout.write(json.dumps(result, ensure_ascii=False))
        if not result["valid"]:
            sys.exit(1)

    def _reissue(self, opts: dict[str, Any]) -> None:
        with tqdm(total=Person.objects.count(), unit="person", file=sys.stderr, disable=None) as bar:
            done = certificates_refresh_all(
                actor=ACTOR,
                reason=opts["reason"],
                workers=opts["workers"],
                force=opts["force"],
                progress=bar.update,
            )
        self.stdout.write(
            _("issued %(issued)s, revoked %(revoked)s, unchanged %(kept)s")
            % {"issued": done.issued, "revoked": done.revoked, "kept": done.kept}
        )

    def _keygen(self, opts: dict[str, Any]) -> None:
        key = signing_key_create(actor=ACTOR, reason=opts["reason"])
        self.stdout.write(f"{key.kid}\t{key.not_after.isoformat()}\t{key.key_path}")

    def _keys(self, opts: dict[str, Any]) -> None:
        for key in SigningKey.objects.order_by("not_before", "id"):
            self.stdout.write(
                f"{key.kid}\t{key.status}\t{key.not_before.isoformat()}\t{key.not_after.isoformat()}"
            )

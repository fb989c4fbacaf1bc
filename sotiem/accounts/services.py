"""Writes for officials and their grants."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sotiem.accounts.models import ApiKey, Grant, Level, Role
from sotiem.accounts.selectors import login_lockout_until, team_code_belongs
from sotiem.audit.actors import Actor, Agent
from sotiem.audit.services import audit_record, snapshot
from sotiem.places.models import AdminUnit, Era, Site

# the audit actor of a sign-in that failed: nobody is known to be there, so a member of the public
ANONYMOUS = Agent.citizen("anonymous")


def official_create(
    *, username: str, password: str, full_name: str, actor: Actor, reason: str = "", staff: bool = True
) -> Any:
    """Create an official's login (staff, so the admin is reachable; powers come only from grants)."""
    User = get_user_model()
    with transaction.atomic():
        # the whole name in first_name: a Vietnamese name is not "first last" (the given name comes last), and
        # Django greets a user by first_name ("Chào mừng bạn, Nguyễn Thị Lan", not "…, Nguyễn Thị")
        user = User(username=username, first_name=full_name.strip()[:150], last_name="", is_staff=staff)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()
        audit_record(
            actor=actor,
            action="official.create",
            obj=user,
            after={"username": username, "full_name": full_name},
            reason=reason,
        )
    return user


def grant_create(
    *,
    user: Any,
    role: str,
    level: str,
    province_code: str = "",
    commune_code: str = "",
    site: Site | None = None,
    actor: Actor,
    reason: str,
) -> Grant:
    """Give an official a role over one jurisdiction; the jurisdiction must exist in the 2025 era."""
    if role not in Role.values:
        raise ValidationError(_("Unknown role: %(role)s") % {"role": repr(role)})
    if level not in Level.values:
        raise ValidationError(_("Unknown level: %(level)s") % {"level": repr(level)})
    if (
        level == Level.PROVINCE
        and not AdminUnit.objects.filter(era=Era.Y2025, level="province", code=province_code).exists()
    ):
        raise ValidationError(_("No 2025 province %(code)s") % {"code": repr(province_code)})
    if level == Level.COMMUNE:
        commune = AdminUnit.objects.filter(era=Era.Y2025, level="commune", code=commune_code).first()
        if commune is None:
            raise ValidationError(_("No 2025 commune %(code)s") % {"code": repr(commune_code)})
        province_code = commune.province_code
    if level == Level.SITE:
        if site is None:
            raise ValidationError(_("A site grant needs a site"))
        province_code = site.province.code
    if role == Role.VACCINATOR and level != Level.SITE:
        raise ValidationError(_("A vaccinator's grant is for one site"))
    with transaction.atomic():
        grant = Grant.objects.create(
            user=user,
            role=role,
            level=level,
            province_code=province_code if level != Level.NATIONAL else "",
            commune_code=commune_code if level == Level.COMMUNE else "",
            site=site if level == Level.SITE else None,
        )
        audit_record(actor=actor, action="grant.create", obj=grant, after=snapshot(grant), reason=reason)
    if hasattr(user, "_sotiem_grants"):
        del user._sotiem_grants
    return grant


def grant_revoke(*, grant: Grant, actor: Actor, reason: str) -> Grant:
    """Revoke a grant; the row stays, so who could do what, and when, remains answerable."""
    with transaction.atomic():
        before = snapshot(grant)
        grant.revoked_at = timezone.now()
        grant.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor, action="grant.revoke", obj=grant, before=before, after=snapshot(grant), reason=reason
        )
    return grant


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def apikey_create(
    *,
    site: Site | None = None,
    team_code: str = "",
    province_code: str = "",
    label: str = "",
    actor: Actor,
    reason: str = "",
) -> tuple[ApiKey, str]:
    """Issue a sender key for one site, or for a province's data-entry team; returns the key and its secret text.

    The secret is shown once: only its hash is stored.
    """
    if site is None and not (team_code and province_code):
        raise ValidationError(_("A key is for a site, or a team code and a province"))
    if (
        site is None
        and not AdminUnit.objects.filter(era=Era.Y2025, level="province", code=province_code).exists()
    ):
        raise ValidationError(_("No 2025 province %(code)s") % {"code": repr(province_code)})
    if team_code and Site.objects.filter(code=team_code).exists():
        raise ValidationError(_("The team code %(code)s is a site's code") % {"code": repr(team_code)})
    if team_code and not team_code_belongs(team_code.strip(), province_code):
        raise ValidationError(
            _("The team code %(code)s belongs to another province or to the national team")
            % {"code": repr(team_code)}
        )
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(24)
    with transaction.atomic():
        key = ApiKey.objects.create(
            prefix=prefix,
            secret_hash=_hash_secret(secret),
            source=site.code if site else team_code.strip(),
            site=site,
            province_code=site.province.code if site else province_code,
            label=label,
        )
        audit_record(
            actor=actor,
            action="apikey.create",
            obj=key,
            after={"prefix": prefix, "source": key.source, "province_code": key.province_code},
            reason=reason,
        )
    return key, f"sk_{prefix}_{secret}"


def apikey_revoke(*, key: ApiKey, actor: Actor, reason: str) -> ApiKey:
    """Revoke a sender key at once; what it sent stays held and listed in receipts."""
    with transaction.atomic():
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor, action="apikey.revoke", obj=key, after={"revoked_at": key.revoked_at}, reason=reason
        )
    return key


def apikey_authenticate(text: str) -> ApiKey | None:
    """The active key a bearer token names, or None; compares hashes in constant time."""
    parts = (text or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] != "sk":
        return None
    key = ApiKey.objects.select_related("site").filter(prefix=parts[1], revoked_at__isnull=True).first()
    if key is None or not hmac.compare_digest(key.secret_hash, _hash_secret(parts[2])):
        return None
    return key


def login_failure_record(*, username: str, address: str, locked: bool, failures: int) -> None:
    """Audit a wrong sign-in, and the lock it began or prolonged, on the account (or axes' count of the name)."""
    obj = (
        get_user_model()._default_manager.filter(username=username).first()
        or AccessAttempt.objects.filter(username=username).order_by("-attempt_time").first()
    )
    if obj is None:  # axes keeps no count (disabled): nothing to point the event at
        return
    after = {"username": username, "address": address, "failures": failures}
    with transaction.atomic():
        audit_record(actor=ANONYMOUS, action="login.failed", obj=obj, after=after)
        if locked:
            audit_record(
                actor=ANONYMOUS,
                action="login.lockout",
                obj=obj,
                after={**after, "until": login_lockout_until(username=username, address=address)},
            )

"""Writes for officials and their grants."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from sotiem.accounts.models import Grant, Level, Role
from sotiem.audit.services import audit_record, snapshot
from sotiem.places.models import AdminUnit, Era, Site


def official_create(*, username: str, password: str, full_name: str, actor: Any, reason: str = "",
                    staff: bool = True) -> Any:
    """Create an official's login (staff, so the admin is reachable; powers come only from grants)."""
    User = get_user_model()
    with transaction.atomic():
        first, _, last = full_name.rpartition(" ")
        user = User(username=username, first_name=first[:150], last_name=last[:150], is_staff=staff)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()
        audit_record(actor=actor, action="official.create", obj=user,
                     after={"username": username, "full_name": full_name}, reason=reason)
    return user


def grant_create(*, user: Any, role: str, level: str, province_code: str = "", commune_code: str = "",
                 site: Site | None = None, actor: Any, reason: str) -> Grant:
    """Give an official a role over one jurisdiction; the jurisdiction must exist in the 2025 era."""
    if role not in Role.values:
        raise ValidationError(f"Vai trò không hợp lệ / Unknown role: {role!r}")
    if level not in Level.values:
        raise ValidationError(f"Cấp không hợp lệ / Unknown level: {level!r}")
    if level == Level.PROVINCE and not AdminUnit.objects.filter(
        era=Era.Y2025, level="province", code=province_code
    ).exists():
        raise ValidationError(f"Không có tỉnh mã {province_code!r} (2025) / No 2025 province {province_code!r}")
    if level == Level.COMMUNE:
        commune = AdminUnit.objects.filter(era=Era.Y2025, level="commune", code=commune_code).first()
        if commune is None:
            raise ValidationError(f"Không có xã mã {commune_code!r} (2025) / No 2025 commune {commune_code!r}")
        province_code = commune.province_code
    if level == Level.SITE:
        if site is None:
            raise ValidationError("Cần chọn điểm tiêm / A site grant needs a site")
        province_code = site.province.code
    if role == Role.VACCINATOR and level != Level.SITE:
        raise ValidationError("Nhân viên điểm tiêm chỉ được cấp quyền tại một điểm tiêm / "
                              "A vaccinator's grant is for one site")
    with transaction.atomic():
        grant = Grant.objects.create(
            user=user, role=role, level=level,
            province_code=province_code if level != Level.NATIONAL else "",
            commune_code=commune_code if level == Level.COMMUNE else "",
            site=site if level == Level.SITE else None,
        )
        audit_record(actor=actor, action="grant.create", obj=grant, after=snapshot(grant), reason=reason)
    if hasattr(user, "_sotiem_grants"):
        del user._sotiem_grants
    return grant


def grant_revoke(*, grant: Grant, actor: Any, reason: str) -> Grant:
    """Revoke a grant; the row stays, so who could do what, and when, remains answerable."""
    with transaction.atomic():
        before = snapshot(grant)
        grant.revoked_at = timezone.now()
        grant.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="grant.revoke", obj=grant, before=before, after=snapshot(grant),
                     reason=reason)
    return grant

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from sotiem.accounts.models import Grant
from sotiem.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("official", *args, stdout=out)
    return out.getvalue()


def test_a_provincial_cdc_account_is_created_from_the_command_line():
    printed = run("add", "cdc_dongnai", "--level", "province", "--province", "75", "--reason", "CDC Đồng Nai")
    username, password, _ = printed.strip().split("\t")
    assert authenticate(username=username, password=password) is not None
    grant = Grant.objects.get(user__username="cdc_dongnai")
    assert (grant.level, grant.province_code, grant.role) == ("province", "75", "manager")
    assert AuditEvent.objects.filter(action="grant.create", reason="CDC Đồng Nai").exists()


def test_a_grant_to_a_province_that_no_longer_exists_is_refused_with_the_reason():
    with pytest.raises(CommandError, match="2025"):
        run("add", "cdc_hagiang", "--level", "province", "--province", "02", "--reason", "x")


def test_a_grant_is_revoked_and_kept():
    run("add", "temp", "--level", "national", "--reason", "tạm / temporary")
    grant = Grant.objects.get(user__username="temp")
    run("revoke", str(grant.pk), "--reason", "hết nhiệm vụ / done")
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert f"{grant.pk}\t" not in run("list")
    run("add", "other", "--level", "national", "--reason", "x")
    assert f"{Grant.objects.get(user__username='other').pk}\t" in run("list")


def test_an_official_is_greeted_by_the_whole_vietnamese_name(client):
    from sotiem.accounts.services import official_create
    from sotiem.audit.actors import Agent

    user = official_create(
        username="lan", password="lan-password-2021", full_name="Nguyễn Thị Lan", actor=Agent.system("test")
    )
    assert user.get_short_name() == user.get_full_name() == "Nguyễn Thị Lan"
    client.force_login(user)
    assert "<strong>Nguyễn Thị Lan</strong>" in client.get("/admin/").content.decode()

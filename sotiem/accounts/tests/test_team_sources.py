"""A team key's sender code names whose records it is answered about: it never reaches another province's."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from sotiem.accounts.selectors import NATIONAL_SOURCE, team_source
from sotiem.accounts.services import apikey_create
from sotiem.testing import HANOI as HN
from sotiem.testing import HCM

pytestmark = pytest.mark.django_db


def test_a_province_team_key_may_share_its_own_backlog_code():
    key, _ = apikey_create(team_code=team_source(HCM), province_code=HCM, actor="test")
    assert key.source == team_source(HCM) and key.province_code == HCM


def test_it_refuses_a_team_key_named_after_another_provinces_backlog():
    with pytest.raises(ValidationError, match="thuộc tỉnh khác hoặc cả nước"):
        apikey_create(team_code=team_source(HCM), province_code=HN, actor="test")
    with translation.override("en"), pytest.raises(ValidationError, match="another province"):
        apikey_create(team_code=team_source(HCM), province_code=HN, actor="test")


def test_it_refuses_a_team_key_named_after_the_national_backlog():
    with translation.override("en"), pytest.raises(ValidationError, match="national team"):
        apikey_create(team_code=NATIONAL_SOURCE.lower(), province_code=HN, actor="test")


def test_it_refuses_a_team_code_another_province_already_sends_as():
    apikey_create(team_code="DATA-ENTRY-1", province_code=HCM, actor="test")
    apikey_create(team_code="DATA-ENTRY-1", province_code=HCM, actor="test")  # a second key of the same team
    with pytest.raises(ValidationError, match="thuộc tỉnh khác hoặc cả nước"):
        apikey_create(team_code="DATA-ENTRY-1", province_code=HN, actor="test")

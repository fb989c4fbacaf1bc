"""Every audited act that needs a reason refuses a blank one with the same message, and keeps the reason stripped."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from sotiem.audit.services import REASON_REQUIRED, require_reason


@pytest.mark.parametrize("blank", ["", "   ", "\t\n", None])
def test_it_refuses_a_blank_reason(blank):
    with pytest.raises(ValidationError) as refused:
        require_reason(blank)
    assert refused.value.messages == [REASON_REQUIRED]
    assert refused.value.code == "reason_required"


def test_it_returns_the_reason_without_surrounding_space():
    assert require_reason("  trùng hồ sơ / duplicate record \n") == "trùng hồ sơ / duplicate record"


@pytest.mark.parametrize(("language", "message"), [("vi", "Cần nêu lý do"), ("en", "A reason is required")])
def test_the_refusal_reads_in_the_active_language(language, message):
    with translation.override(language):
        with pytest.raises(ValidationError) as refused:
            require_reason(" ")
        assert refused.value.messages == [message]
    assert refused.value.code == "reason_required"

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _messages_in_english():
    """lib's messages are written in English (the msgids) and these tests read them so; the registry's default
    language is Vietnamese, which each message family's `..._in_both_languages` test shows too."""
    with translation.override("en"):
        yield

"""Every message has its Vietnamese and its English form, and the reader's choice of language is honoured.

The catalogues are checked against the code as written (sotiem.core.messages reads every translation call and
template tag), so a message added without its translations fails here, not in front of a citizen.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import polib
import pytest
from django.test import Client

from sotiem.core import messages

VIETNAMESE = "ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
# A hand-written "vi / en" pair: Vietnamese text, a slash, then English (the way messages were written before).
PAIR = re.compile(rf"[{VIETNAMESE}{VIETNAMESE.upper()}][^/]*\s/\s+[A-Z][a-z]+")


def test_every_message_has_its_vietnamese_and_english_forms():
    gaps = messages.missing()
    lines = [
        f"{use.path}:{use.line}: no {language} form of {use.message.msgid!r}"
        for language, uses in gaps.items()
        for use in uses
    ]
    assert not lines, "run `sotiem messages --add` and translate:\n" + "\n".join(lines[:60])


def test_every_translated_message_is_a_literal():
    _uses, unreadable = messages.all_uses()
    assert not unreadable, "\n".join(f"{u.path}:{u.line}: {u.call}" for u in unreadable)


def test_each_catalogue_pair_holds_the_same_messages_with_the_same_placeholders():
    problems = []
    for vi_path in sorted(messages.PACKAGE.glob("**/locale/vi/LC_MESSAGES/django.po")):
        en_path = vi_path.parents[2] / "en" / "LC_MESSAGES" / "django.po"
        if not en_path.exists():
            problems.append(f"{en_path}: missing")
            continue
        vi = {(e.msgctxt or "", e.msgid): e for e in polib.pofile(str(vi_path)) if not e.obsolete}
        en = {(e.msgctxt or "", e.msgid): e for e in polib.pofile(str(en_path)) if not e.obsolete}
        for key in vi.keys() ^ en.keys():
            problems.append(f"{vi_path.parents[2]}: {key[1]!r} is in only one language")
        for catalogue in (vi, en):
            for (_context, msgid), entry in catalogue.items():
                wanted = set(messages.PLACEHOLDER.findall(msgid))
                for text in [entry.msgstr, *entry.msgstr_plural.values()]:
                    if text and set(messages.PLACEHOLDER.findall(text)) != wanted:
                        problems.append(f"{msgid!r}: {text!r} does not fill {sorted(wanted)}")
    assert not problems, "\n".join(problems[:60])


def test_django_reads_every_catalogue():
    from django.apps import apps
    from django.conf import settings

    read = {Path(p).resolve() for p in settings.LOCALE_PATHS}
    read |= {(Path(config.path) / "locale").resolve() for config in apps.get_app_configs()}
    folders = {
        path.parents[2].resolve() for path in messages.PACKAGE.glob("**/locale/*/LC_MESSAGES/django.po")
    }
    assert folders and folders <= read, f"catalogues Django never reads: {sorted(map(str, folders - read))}"


def _pairs_in_python(path: Path, shown_as: str = "") -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and PAIR.search(node.value):
            found.append(f"{shown_as or path.relative_to(messages.ROOT)}:{node.lineno}: {node.value[:80]!r}")
    return found


# Documents that are bilingual by design (a vaccination certificate is read at a border: Vietnamese and English
# side by side, as the EU DCC's paper certificate prints the national language with English).
BILINGUAL_BY_DESIGN = {"sotiem/certificates/pdf.py"}


def test_no_hand_written_vietnamese_english_pairs_remain():
    found = []
    for path in messages.source_files():
        relative = str(path.relative_to(messages.ROOT))
        if relative in BILINGUAL_BY_DESIGN:
            continue
        if path.suffix == ".py":
            found += _pairs_in_python(path)
        elif 'class="en"' in path.read_text(encoding="utf-8"):
            found.append(f'{relative}: an English half in <span class="en">')
    assert not found, "\n".join(found[:80])


def test_the_pair_detector_finds_a_pair(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('MESSAGE = "Số điện thoại trống / The phone is empty"\nNAME = "Nguyễn Văn An"\n')
    assert [line.split(": ", 1)[0] for line in _pairs_in_python(sample, "sample.py")] == ["sample.py:1"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "heading"),
    [("vi", "Sổ tiêm chủng quốc gia"), ("en", "National immunization registry")],
)
def test_the_landing_page_speaks_the_language_asked_for(language, heading):
    response = Client(headers={"accept-language": language}).get("/")
    assert response.status_code == 200
    assert response["Content-Language"] == language
    assert f'<html lang="{language}">' in response.content.decode()
    assert f"<h1>{heading}</h1>" in response.content.decode()


@pytest.mark.django_db
def test_the_switch_remembers_the_choice_over_accept_language():
    client = Client(headers={"accept-language": "vi"})
    answer = client.post("/i18n/setlang/", {"language": "en", "next": "/my/phone/"})
    assert answer.status_code == 302 and answer["Location"] == "/my/phone/"
    page = client.get("/")
    assert page["Content-Language"] == "en"
    assert "<h1>National immunization registry</h1>" in page.content.decode()
    client.post("/i18n/setlang/", {"language": "vi", "next": "/"})
    assert "<h1>Sổ tiêm chủng quốc gia</h1>" in client.get("/").content.decode()


@pytest.mark.django_db
def test_without_a_choice_the_registry_speaks_vietnamese():
    page = Client().get("/")
    assert page["Content-Language"] == "vi"


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "title"), [("vi", "Không tìm thấy trang"), ("en", "Page not found")])
def test_the_404_page_is_in_the_chosen_language(language, title):
    page = Client(headers={"accept-language": language}).get("/no-such-page/")
    assert page.status_code == 404
    assert f'<h1 id="error-404">{title}</h1>' in page.content.decode()


@pytest.mark.parametrize(("language", "word"), [("vi", "Nội dung quá lớn"), ("en", "The body is too large")])
def test_the_api_answers_in_the_language_the_client_asks_for(db, settings, language, word):  # noqa: ARG001
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    answer = Client(headers={"accept-language": language}).post(
        "/api/v1/certificates/verify",
        data=b'{"hc1": "' + b"A" * 4096 + b'"}',
        content_type="application/json",
    )
    assert answer.status_code == 413
    body = answer.json()
    assert body["code"] == "too_large"  # the same code in every language
    assert body["detail"].startswith(word)


def test_no_other_catalogue_overrides_ours():
    """Django merges every catalogue into one; a msgid that Django or an earlier app also translates (e.g.
    "sessions" in django.contrib.sessions) would show their words instead of ours."""
    from django.utils import translation

    clashes = []
    for language in messages.LANGUAGES:
        with translation.override(language):
            for (context, msgid), entry in messages.catalogue(language).items():
                if entry.msgid_plural or not entry.msgstr:
                    continue
                shown = translation.pgettext(context, msgid) if context else translation.gettext(msgid)
                if shown != entry.msgstr:
                    clashes.append(f"{language}: {msgid!r} shows {shown!r}, not {entry.msgstr!r}")
    assert not clashes, "\n".join(clashes[:60])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "word"), [("vi", "Thiếu thông tin xác thực"), ("en", "No valid credential")]
)
def test_a_missing_credential_is_explained_in_the_clients_language_with_one_code(language, word):
    answer = Client(headers={"accept-language": language}).get("/api/v1/receipts")
    assert answer.status_code == 401
    assert answer.json()["code"] == "unauthorized" and answer.json()["detail"].startswith(word)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_refused_batch_carries_the_same_code_in_every_language(db, language):  # noqa: ARG001
    from sotiem.accounts.services import apikey_create
    from sotiem.audit.actors import Agent
    from sotiem.testing import make_site

    _key, secret = apikey_create(site=make_site(), actor=Agent.system("test"))
    answer = Client(headers={"accept-language": language}).post(
        "/api/v1/dose-records",
        data=b'{"not": "a list"}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert answer.status_code == 400 and answer.json()["code"] == "not_a_list"


@pytest.mark.parametrize(("language", "written"), [("vi", "12.345"), ("en", "12,345")])
def test_numbers_are_grouped_as_each_language_writes_them(language, written):
    from django.contrib.humanize.templatetags.humanize import intcomma
    from django.utils import translation

    with translation.override(language):
        assert intcomma(12345) == written


def test_vietnamese_dates_read_as_on_a_paper_card():
    import datetime as dt

    from django.utils import formats, translation

    with translation.override("vi"):
        assert formats.date_format(dt.date(1987, 1, 1)) == "01/01/1987"


@pytest.mark.django_db
def test_the_administration_reads_wholly_in_vietnamese(client, personas):
    """Django's own Vietnamese lacks some of the admin's words (the registry's catalogue supplies them)."""
    client.force_login(personas.national)
    page = client.get("/admin/", headers={"accept-language": "vi"}).content.decode()
    for english in ("Skip to main content", "Toggle theme", "Model name"):
        assert english not in page
    assert "Chuyển tới nội dung chính" in page


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/nothing", "/api/v2/persons", "/api/"])
def test_an_unknown_api_address_is_a_json_refusal_with_its_code(path):
    answer = Client(headers={"accept-language": "en"}).get(path)
    assert answer.status_code == 404 and answer["Content-Type"].startswith("application/json")
    assert answer.json() == {"detail": "No such endpoint: see /api/v1/docs", "code": "not_found"}

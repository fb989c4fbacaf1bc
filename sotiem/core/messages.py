"""Where every translatable message is written, and which catalogue holds it.

The messages are found the way Django renders them: Python calls of `_`, `gettext`, `gettext_lazy`,
`gettext_noop`, `pgettext(_lazy)` and `ngettext(_lazy)` (read with `ast`, so an f-string or a variable in their
place is reported, never guessed), and the `{% translate %}` / `{% blocktranslate %}` tags of the templates
(parsed by Django's own template engine, so a blocktranslate's placeholders come out as Django looks them up).

Each file belongs to one catalogue: `sotiem/<app>/…` and `templates/<app>/…` to `sotiem/<app>/locale`, `sotiem/lib`
to `sotiem/lib/locale`, everything else (the assembly, the shared page frame, the error pages) to `sotiem/locale`.
`sotiem messages` lists what is missing and can add it; the completeness test (tests/test_translations.py)
fails on any message without its Vietnamese and English forms.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polib
from django.conf import settings
from django.template import engines
from django.template.base import Node, Variable
from django.templatetags.i18n import BlockTranslateNode, TranslateNode

ROOT = Path(settings.BASE_DIR)
PACKAGE = ROOT / "sotiem"
TEMPLATES = ROOT / "templates"
LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)
# `(name, index of the msgid, index of the plural or None, index of the context or None)`
_CALLS = {
    "_": (0, None, None),
    "gettext": (0, None, None),
    "gettext_lazy": (0, None, None),
    "gettext_noop": (0, None, None),
    "pgettext": (1, None, 0),
    "pgettext_lazy": (1, None, 0),
    "ngettext": (0, 1, None),
    "ngettext_lazy": (0, 1, None),
}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@dataclass(frozen=True)
class Message:
    msgid: str
    context: str = ""
    plural: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.context, self.msgid)


@dataclass(frozen=True)
class Use:
    message: Message
    path: Path  # relative to the project root
    line: int


@dataclass(frozen=True)
class Unreadable:
    """A translation call whose message is not a literal: it cannot be in a catalogue."""

    path: Path
    line: int
    call: str


def source_files() -> Iterator[Path]:
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if "tests" in relative.parts or "migrations" in relative.parts:
            continue
        yield path
    yield from sorted(TEMPLATES.rglob("*.html"))


def catalogue_of(path: Path) -> Path:
    """The locale folder whose catalogues hold the messages of one source file."""
    relative = path.resolve().relative_to(ROOT)
    parts = relative.parts
    if parts[0] == "sotiem" and len(parts) > 2 and parts[1] == "lib":
        return PACKAGE / "lib" / "locale"  # in LOCALE_PATHS: lib is no Django app
    if parts[0] == "sotiem" and len(parts) > 2 and (PACKAGE / parts[1] / "apps.py").exists():
        return PACKAGE / parts[1] / "locale"
    if parts[0] == "templates" and len(parts) > 2 and (PACKAGE / parts[1] / "apps.py").exists():
        return PACKAGE / parts[1] / "locale"
    return PACKAGE / "locale"


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def python_messages(path: Path) -> tuple[list[Use], list[Unreadable]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    uses: list[Use] = []
    unreadable: list[Unreadable] = []
    relative = path.relative_to(ROOT)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name not in _CALLS:
            continue
        index, plural_index, context_index = _CALLS[name]
        args = node.args
        if len(args) <= index:
            continue
        msgid = _literal(args[index])
        plural = _literal(args[plural_index]) if plural_index is not None and len(args) > plural_index else ""
        context = _literal(args[context_index]) if context_index is not None else ""
        if msgid is None or plural is None or context is None:
            unreadable.append(Unreadable(relative, node.lineno, ast.unparse(node)[:120]))
            continue
        uses.append(Use(Message(msgid, context, plural), relative, node.lineno))
    return uses, unreadable


def _nodes(nodelist: list[Node]) -> Iterator[Node]:
    for node in nodelist:
        yield node
        for attr in getattr(node, "child_nodelists", ("nodelist",)):
            child = getattr(node, attr, None)
            if child:
                yield from _nodes(child)
        if hasattr(node, "conditions_nodelists"):  # {% if %}
            for _condition, child in node.conditions_nodelists:
                yield from _nodes(child)


def template_messages(path: Path) -> list[Use]:
    engine = engines["django"].engine  # type: ignore[attr-defined]
    template = engine.from_string(path.read_text(encoding="utf-8"))
    relative = path.relative_to(ROOT)
    uses = []
    for node in _nodes(template.nodelist):
        token = getattr(node, "token", None)
        line = int(getattr(token, "lineno", 0) or 0)
        context = ""
        if isinstance(node, TranslateNode):
            var = node.filter_expression.var
            if isinstance(var, Variable) and isinstance(var.literal, str):
                if node.message_context is not None:
                    context = str(node.message_context.var)
                uses.append(Use(Message(str(var.literal), context), relative, line))
        elif isinstance(node, BlockTranslateNode):
            singular, _vars = node.render_token_list(node.singular)
            plural = node.render_token_list(node.plural)[0] if node.plural else ""
            if node.message_context is not None:
                context = str(node.message_context.var)
            uses.append(Use(Message(singular, context, plural), relative, line))
    return uses


def all_uses(under: tuple[str, ...] = ()) -> tuple[list[Use], list[Unreadable]]:
    """Every use of a message in the sources (or in those whose path, from the project root, starts with one of
    `under`), and every translation call that is not a literal."""
    uses: list[Use] = []
    unreadable: list[Unreadable] = []
    for path in source_files():
        if under and not str(path.relative_to(ROOT)).startswith(under):
            continue
        if path.suffix == ".py":
            found, bad = python_messages(path)
            uses += found
            unreadable += bad
        else:
            uses += template_messages(path)
    return uses, unreadable


def po_path(locale_dir: Path, language: str) -> Path:
    return locale_dir / language / "LC_MESSAGES" / "django.po"


def catalogue(language: str) -> dict[tuple[str, str], polib.POEntry]:
    """Every entry of the project's catalogues for one language (first catalogue wins, as in Django)."""
    entries: dict[tuple[str, str], polib.POEntry] = {}
    for path in sorted(PACKAGE.glob(f"**/locale/{language}/LC_MESSAGES/django.po")):
        for entry in polib.pofile(str(path)):
            if not entry.obsolete:
                entries.setdefault((entry.msgctxt or "", entry.msgid), entry)
    return entries


def translated(entry: polib.POEntry | None) -> bool:
    if entry is None or entry.fuzzy:
        return False
    if entry.msgid_plural:
        return bool(entry.msgstr_plural) and all(entry.msgstr_plural.values())
    return bool(entry.msgstr)


def missing(under: tuple[str, ...] = ()) -> dict[str, list[Use]]:
    """Per language, the uses whose message has no translation in that language."""
    uses, _unreadable = all_uses(under)
    result: dict[str, list[Use]] = {}
    for language in LANGUAGES:
        held = catalogue(language)
        result[language] = [use for use in uses if not translated(held.get(use.message.key))]
    return result


def new_po(language: str) -> polib.POFile:
    po = polib.POFile(wrapwidth=0)
    po.metadata = {
        "Project-Id-Version": "sotiem",
        "Language": language,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": "nplurals=1; plural=0;" if language == "vi" else "nplurals=2; plural=(n != 1);",
    }
    return po


def add_missing(under: tuple[str, ...] = ()) -> dict[Path, int]:
    """Add every message used but absent to its file's catalogues: English filled with the msgid itself (the code
    is written in English), Vietnamese left empty for a translator (so the completeness test fails until then)."""
    uses, _unreadable = all_uses(under)
    added: dict[Path, int] = {}
    for language in LANGUAGES:
        held = catalogue(language)
        by_file: dict[Path, list[Use]] = {}
        for use in uses:
            if use.message.key not in held:
                by_file.setdefault(po_path(catalogue_of(ROOT / use.path), language), []).append(use)
        for path, file_uses in by_file.items():
            po = polib.pofile(str(path), wrapwidth=0) if path.exists() else new_po(language)
            seen = {(e.msgctxt or "", e.msgid) for e in po}
            for use in file_uses:
                message = use.message
                if message.key in seen:
                    continue
                seen.add(message.key)
                english = language == "en"
                entry = polib.POEntry(
                    msgid=message.msgid,
                    msgctxt=message.context or None,
                    occurrences=[(str(use.path), str(use.line))],
                )
                if message.plural:
                    entry.msgid_plural = message.plural
                    entry.msgstr_plural = {0: message.msgid, 1: message.plural} if english else {0: ""}
                else:
                    entry.msgstr = message.msgid if english else ""
                po.append(entry)
                added[path] = added.get(path, 0) + 1
            path.parent.mkdir(parents=True, exist_ok=True)
            po.save(str(path))
    return added

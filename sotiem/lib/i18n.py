"""Messages written in English in pure code and shown in the reader's language.

`lib` knows nothing of Django, yet its refusals ("the phone number contains letters") reach people through pages
and the API. A message here is a `Text`: its English template and its values, translated only when it is turned
into a string, through whichever translator the application installed (Django's `gettext`, so the language is
the request's). Without one (a script, a pure test) it reads in English.

Mark a message as `_("The phone number contains letters: %(text)s", text=text)`: the template is the msgid the
catalogues translate (the completeness test finds every `_(...)` call), the values are filled in afterwards, so
one translation serves every value.
"""

from __future__ import annotations

from collections.abc import Callable


def _untranslated(message: str) -> str:
    return message


_translate: Callable[[str], str] = _untranslated


def install(translate: Callable[[str], str]) -> None:
    """Translate every `Text` through `translate` from now on (the settings install Django's gettext)."""
    global _translate
    _translate = translate


class Text:
    """A message to translate when it is read: str() gives it in the active language with its values filled in."""

    __slots__ = ("template", "values")

    def __init__(self, template: str, values: dict[str, object]) -> None:
        self.template = template
        self.values = values

    def __str__(self) -> str:
        translated = _translate(self.template)
        if not self.values:
            return translated
        return translated % {name: str(value) for name, value in self.values.items()}

    def english(self) -> str:
        """The message in English whatever the active language (logs, stored reasons read by machines)."""
        return self.template % {k: str(v) for k, v in self.values.items()} if self.values else self.template

    def __repr__(self) -> str:
        return f"Text({self.english()!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Text):
            return (self.template, self.values) == (other.template, other.values)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.template)

    def __add__(self, other: object) -> str:
        return str(self) + str(other)

    def __radd__(self, other: object) -> str:
        return str(other) + str(self)


def _(template: str, **values: object) -> Text:
    """A message for the catalogues (English msgid with %(name)s placeholders) and the values to fill in."""
    return Text(template, values)

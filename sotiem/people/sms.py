"""Text messages to phones, through the backend named by the `SOTIEM_SMS_BACKEND` setting.

- "console" (the default, for development and the demo): logs the message and appends it to
  `<SOTIEM_VAR_DIR>/sms-outbox.log`, so whoever runs the demo can read the code; nothing leaves the machine.
- "locmem" (tests): keeps each message in `outbox`.
- a real gateway plugs in here: set the setting to the dotted path of a callable `send(phone: str, text: str)`
  that hands the message to the operator's SMS API (and raises when the gateway refuses it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    phone: str  # E.164
    text: str


outbox: list[Message] = []  # what the "locmem" backend sent; tests clear it


def _console(phone: str, text: str) -> None:
    # WARNING, so the default log level shows it: with this backend no message is really sent.
    logger.warning("SMS not sent (console backend) to %s: %s", phone, text)
    path = settings.VAR_DIR / "sms-outbox.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(f"{timezone.now().isoformat(timespec='seconds')} {phone} {text}\n")


def _locmem(phone: str, text: str) -> None:
    outbox.append(Message(phone=phone, text=text))


BACKENDS: dict[str, Callable[[str, str], None]] = {"console": _console, "locmem": _locmem}


def sms_send(*, phone: str, text: str) -> None:
    """Send one text message to an E.164 phone through the configured backend."""
    name = settings.SOTIEM_SMS_BACKEND
    backend = BACKENDS.get(name)
    if backend is None:
        try:
            backend = import_string(name)
        except ImportError as exc:
            raise ImproperlyConfigured(
                f"SOTIEM_SMS_BACKEND={name!r}: not console, locmem or an importable send(phone, text)"
            ) from exc
    backend(phone, text)

"""`sotiem check --deploy`: what Django's own deployment checks cannot know about this project's settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def development_secret_key(app_configs: Any, **kwargs: Any) -> list[Error]:
    """The built-in development SECRET_KEY signs sessions and keys the one-time-code hashes: never in production."""
    if settings.SECRET_KEY != settings.DEVELOPMENT_SECRET_KEY:
        return []
    return [
        Error(
            "SECRET_KEY is the built-in development key (no SECRET_KEY was set).",
            hint="Set SECRET_KEY to 50 or more random characters; production (SOTIEM_ENV=production, DEBUG=0 "
            "or gunicorn sotiem.wsgi) refuses to start without it.",
            id="sotiem.E001",
        )
    ]

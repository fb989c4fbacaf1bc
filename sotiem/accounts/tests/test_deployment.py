"""Production settings (issue 12, item 7): a secret of its own or no start; HTTPS on; `check --deploy` clean.

Each case starts a fresh interpreter, since settings are read once per process from the environment.
"""

import os
import secrets
import subprocess
import sys

import pytest
from django.test import override_settings

from sotiem.people.services import _code_hash

SWITCHES = (
    "SECRET_KEY",
    "DEBUG",
    "SOTIEM_ENV",
    "ALLOWED_HOSTS",
    "SOTIEM_SSL_REDIRECT",
    "SOTIEM_TRUST_X_FORWARDED_PROTO",
    "DJANGO_SETTINGS_MODULE",
)
PRODUCTION = {"SECRET_KEY": secrets.token_urlsafe(50), "DEBUG": "0", "ALLOWED_HOSTS": "registry.example.vn"}


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in SWITCHES}
    return subprocess.run(
        [sys.executable, *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def settings_of(*names: str, **env: str) -> list[str]:
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'sotiem.settings'); django.setup(); "
        "from django.conf import settings; "
        f"print(*[repr(getattr(settings, n, None)) for n in {list(names)!r}], sep='\\n')"
    )
    done = run("-c", code, **env)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_check_deploy_with_production_settings_prints_no_warning():
    done = run("-m", "sotiem", "check", "--deploy", **PRODUCTION)
    assert done.returncode == 0, done.stderr
    assert "System check identified no issues" in done.stdout and "WARNING" not in done.stderr + done.stdout


def test_it_refuses_to_start_with_debug_off_and_no_secret_key():
    done = run("-m", "sotiem", "check", DEBUG="0")
    assert done.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in done.stderr


def test_the_wsgi_entry_point_refuses_to_start_without_a_secret_key():
    done = run("-c", "import sotiem.wsgi")  # what gunicorn sotiem.wsgi does first; nothing set at all
    assert done.returncode != 0 and "ImproperlyConfigured: SECRET_KEY is not set" in done.stderr
    with_key = run(
        "-c",
        "import sotiem.wsgi; from django.conf import settings; print(settings.SECURE_SSL_REDIRECT)",
        SECRET_KEY=PRODUCTION["SECRET_KEY"],
    )
    assert with_key.returncode == 0 and with_key.stdout.strip() == "True", with_key.stderr


def test_it_refuses_the_development_key_itself_in_production():
    done = run(
        "-m",
        "sotiem",
        "check",
        SOTIEM_ENV="production",
        SECRET_KEY="dev-only-not-secret-change-me-in-production-0123456789",
    )
    assert done.returncode != 0 and "ImproperlyConfigured" in done.stderr


def test_check_deploy_flags_the_development_key_where_it_is_allowed():
    done = run("-m", "sotiem", "check", "--deploy")  # development: nothing set, as in `make demo`
    assert done.returncode != 0 and "sotiem.E001" in done.stderr


def test_production_turns_on_hsts_secure_cookies_and_the_redirect():
    names = (
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_PROXY_SSL_HEADER",
    )
    assert settings_of(*names, **PRODUCTION) == ["True", "31536000", "True", "True", "None"]
    behind_proxy = settings_of(
        *names, **PRODUCTION, SOTIEM_SSL_REDIRECT="0", SOTIEM_TRUST_X_FORWARDED_PROTO="1"
    )
    assert behind_proxy == ["False", "31536000", "True", "True", "('HTTP_X_FORWARDED_PROTO', 'https')"]
    # development (make demo, the test runner): plain http on loopback
    assert settings_of(*names) == ["False", "0", "False", "False", "None"]


@pytest.mark.django_db
def test_the_one_time_code_hash_is_keyed_with_the_deployments_own_secret():
    with override_settings(SECRET_KEY=PRODUCTION["SECRET_KEY"]):
        production = _code_hash("id", "123456")
    with override_settings(SECRET_KEY="dev-only-not-secret-change-me-in-production-0123456789"):
        development = _code_hash("id", "123456")
    assert production != development and len(production) == 64

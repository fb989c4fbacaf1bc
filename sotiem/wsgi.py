"""WSGI entry point: what a production server loads (gunicorn sotiem.wsgi), so production settings by default.

Production refuses to start without a SECRET_KEY of its own, and turns on HTTPS-only cookies, HSTS and the
redirect to https (README, "Deployment"); SOTIEM_ENV=development serves plain http, e.g. a benchmark on loopback.
"""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sotiem.settings")
if not settings.configured:  # loaded by a WSGI server, not by `runserver` (which has its settings already)
    os.environ.setdefault("SOTIEM_ENV", "production")
application = get_wsgi_application()

"""WSGI entry point (gunicorn keepfaith.wsgi, runserver through WSGI_APPLICATION)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keepfaith.settings")
_django = get_wsgi_application()

from keepfaith.portal.errors import GuardedWSGIApplication  # noqa: E402 - after setup

# Requests Django cannot even parse get the 400 page here instead of a bare 500.
application = GuardedWSGIApplication(_django)

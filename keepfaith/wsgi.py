"""WSGI entry point (gunicorn keepfaith.wsgi, runserver through WSGI_APPLICATION)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keepfaith.settings")
_django = get_wsgi_application()

from keepfaith.portal.errors import GuardedWSGIApplication  # noqa: E402 - after setup

# Requests Django cannot even parse get the 400 page here instead of a bare 500.
application = GuardedWSGIApplication(_django)

# What start-up made (modules, classes, settings, the app registry) lives as long as the
# worker: the cyclic collector need not walk it at every full collection (about 3% of a
# request's CPU; docs/operating.md, "Speed of pages"). Objects are still freed as ever.
gc.freeze()

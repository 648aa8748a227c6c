"""gunicorn settings for keepfaith: ``gunicorn -c python:keepfaith.gunicorn_conf``.

- Serves ``keepfaith.wsgi:application``.
- The access log (combined format, to stdout) and the error log (stderr) are scrubbed of card
  numbers, security codes and the secrets of links (``keepfaith.vault.scrub``): a card number
  in a URL, a referrer or a malformed request line never reaches either (QS-5), nor an
  unsubscribe or sign-up token or a customer's number in a path (BE-5).
- In production mode the master runs ``check --deploy`` before it binds: any error (or a bad
  setting) is printed, one line each, and gunicorn exits with status 2 instead of serving.

Bind address, workers and the rest are gunicorn's usual options on the command line (or
``GUNICORN_CMD_ARGS``), e.g. ``--bind 127.0.0.1:8000 --workers 4``.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from gunicorn.glogging import Logger  # type: ignore[import-untyped]

from keepfaith.vault.scrub import LogTextScrubFilter

wsgi_app = "keepfaith.wsgi:application"
accesslog = "-"
errorlog = "-"
logger_class = "keepfaith.gunicorn_conf.ScrubbedLogger"
# No control socket in the user's home directory (gunicorn 27 opens one by default).
control_socket_disable = True


class ScrubbedLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger with the card-data filter on its error and access loggers and on
    every handler they have (set up again on each configuration reload)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            _scrubbed(log)
            for handler in log.handlers:
                _scrubbed(handler)


def _scrubbed(target: logging.Filterer) -> None:
    if not any(isinstance(f, LogTextScrubFilter) for f in target.filters):
        target.addFilter(LogTextScrubFilter())


def deploy_problems() -> list[str]:
    """What stops a production start: a bad setting, or the errors of ``check --deploy``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keepfaith.settings")
    from keepfaith.__main__ import settings_problem

    problem = settings_problem()
    if problem is not None:
        return [f"configuration error: {problem}"]
    import django
    from django.conf import settings
    from django.core.checks import ERROR, run_checks

    django.setup()
    if not settings.PRODUCTION:
        return []
    found = run_checks(include_deployment_checks=True)
    return [f"{m.id}: {m.msg}" for m in found if m.level >= ERROR and not m.is_silenced()]


def on_starting(server: Any) -> None:
    problems = deploy_problems()
    if problems:
        for problem in problems:
            sys.stderr.write(f"keepfaith: {problem}\n")
        sys.stderr.write("keepfaith: not serving (see keepfaith check --deploy)\n")
        sys.exit(2)

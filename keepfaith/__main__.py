"""The ``keepfaith`` command: Django's management entry point with our settings.

A missing or bad setting is one line on standard error naming the variable, and exit status 2
(not a traceback through Django's start-up). A database without its tables or out of reach is
one line and status 1; Ctrl-C is one line and status 130.

Start-up is kept short: ``keepfaith``, ``keepfaith --help`` and ``keepfaith help`` print the
command table (``keepfaith.commands``) without starting Django; keepfaith's own commands skip
Django's system checks (which import every view and library), since ``keepfaith check``
(``--deploy`` in production) runs them on purpose; set ``KEEPFAITH_CLI_CHECKS=1`` to run them
before every command anyway. ``bench/cli_start.py`` measures it.
"""

import gc
import os
import sys


def settings_problem() -> str | None:
    """The message of the ``ImproperlyConfigured`` the settings raise, or None."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        settings.INSTALLED_APPS  # noqa: B018 - loads (and so checks) the settings module
    except ImproperlyConfigured as exc:
        return str(exc)
    return None


def _wants_overview(argv: list[str]) -> bool:
    return len(argv) < 2 or argv[1:] in (["--help"], ["-h"], ["help"])


def _arguments(argv: list[str]) -> list[str]:
    """``argv`` with ``--skip-checks`` after one of keepfaith's own command names (before its
    subcommand, where the command's own parser reads it)."""
    from keepfaith.commands import OWN

    if (
        len(argv) < 2
        or argv[1] not in OWN
        or "--skip-checks" in argv
        or os.environ.get("KEEPFAITH_CLI_CHECKS") == "1"
        or any(a in ("-h", "--help") for a in argv[2:3])
    ):
        return argv
    return [argv[0], argv[1], "--skip-checks", *argv[2:]]


def _start_quietly() -> None:
    """Start Django with the cyclic garbage collector off, then move what start-up made (some
    hundred thousand objects that live as long as the process: modules, classes, the policy)
    out of its sight, so no collection walks them again (docs/weblog.md, "Speed")."""
    import django

    gc.disable()
    try:
        django.setup()
    finally:
        gc.freeze()
        gc.enable()


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keepfaith.settings")
    # Arrow's buffers from the C library's allocator, which hands a finished chunk's large
    # buffers back; Arrow's default (mimalloc) keeps them, and `logs ingest` then holds a
    # third more (docs/weblog.md, "Memory"). Read by Arrow when it starts, so set here.
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    problem = settings_problem()
    if problem is not None:
        sys.stderr.write(f"keepfaith: configuration error: {problem}\n")
        sys.exit(2)
    if _wants_overview(sys.argv):
        from django.conf import settings

        from keepfaith.commands import help_text

        sys.stdout.write(help_text(settings.INSTALLED_APPS))
        return
    from django.core.management import execute_from_command_line

    try:
        if sys.argv[1:2] != ["runserver"]:  # its reloader starts Django itself, survives errors
            _start_quietly()
        execute_from_command_line(_arguments(sys.argv))
        # The process ends now: the last collection at exit would walk every object once
        # more (a quarter of a second after a `logs ingest`). Objects are still freed as
        # their last reference goes; only garbage in reference cycles is left to the end of
        # the process, and keepfaith closes its stores, files and connections explicitly.
        gc.freeze()
    except BrokenPipeError:  # the reader stopped early (`keepfaith rights list | head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error
        sys.exit(141)  # as a shell reports SIGPIPE
    except KeyboardInterrupt:  # Ctrl-C: each command commits its steps, so a re-run goes on
        sys.stderr.write("\nkeepfaith: interrupted\n")
        sys.exit(130)  # as a shell reports SIGINT
    except Exception as exc:
        message = database_problem(exc)
        if message is None:
            raise
        sys.stderr.write(f"keepfaith: {message}\n")
        sys.exit(1)


def database_problem(exc: BaseException) -> str | None:
    """One line for an operator's database mistake (tables not made yet, a database that
    cannot be reached or does not exist), or None for anything else (a traceback: a bug)."""
    from django.db import OperationalError, ProgrammingError

    if not isinstance(exc, (OperationalError, ProgrammingError)):
        return None
    text = " ".join(str(exc).split())[:300]
    if "no such table" in text or ("relation" in text and "does not exist" in text):
        return f"the database has no tables for this yet ({text}): run `keepfaith migrate`"
    if isinstance(exc, OperationalError):
        from django.db import connection

        where = connection.settings_dict.get("NAME") or "?"
        return f"cannot use the database {where}: {text}"
    return None


if __name__ == "__main__":
    main()

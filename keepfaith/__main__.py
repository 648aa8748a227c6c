"""The ``keepfaith`` command: Django's management entry point with our settings.

A missing or bad setting is one line on standard error naming the variable, and exit status 2
(not a traceback through Django's start-up).

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

    if sys.argv[1:2] != ["runserver"]:  # its reloader starts Django itself, and survives errors
        _start_quietly()
    try:
        execute_from_command_line(_arguments(sys.argv))
        # The process ends now: the last collection at exit would walk every object once
        # more (a quarter of a second after a `logs ingest`). Objects are still freed as
        # their last reference goes; only garbage in reference cycles is left to the end of
        # the process, and keepfaith closes its stores, files and connections explicitly.
        gc.freeze()
    except BrokenPipeError:  # the reader stopped early (`keepfaith rights list | head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error
        sys.exit(141)  # as a shell reports SIGPIPE


if __name__ == "__main__":
    main()

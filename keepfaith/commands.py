"""keepfaith's own commands, grouped by domain, each with its one-line description.

``keepfaith --help`` prints this table without starting Django (no app, model or library is
imported), then Django's and the libraries' commands, found on disk the way Django finds
them. ``tests/test_cli.py`` checks that every command under ``keepfaith/*/management/
commands`` is listed here and in the README's command table, and nothing else.
"""

from __future__ import annotations

import importlib.util
import os
import pkgutil
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CommandEntry:
    name: str
    group: str
    summary: str


COMMANDS: tuple[CommandEntry, ...] = (
    CommandEntry(
        "policy", "Policy", "check, render, publish, notify, diff and export the privacy policy"
    ),
    CommandEntry(
        "trace", "Policy", "each clause with the policy text, code and tests that keep it"
    ),
    CommandEntry(
        "audit", "Audit and consent", "verify the hash chains; the head; tail: latest entries"
    ),
    CommandEntry(
        "consent",
        "Audit and consent",
        "verify or rebuild the consent ledger; show a subject's choices",
    ),
    CommandEntry(
        "rights",
        "Audit and consent",
        "data-subject requests: list, show, ready, erase, restrict, extend",
    ),
    CommandEntry(
        "staff",
        "Staff",
        "staff accounts: add, list, reset-password, reset-otp; code: a second factor",
    ),
    CommandEntry(
        "store", "Customers and orders", "transfers: send data queued for outside parties (BE-10)"
    ),
    CommandEntry(
        "vault", "Customers and orders", "rotate the card vault's key; rewrap stored cards; status"
    ),
    CommandEntry(
        "certs", "Customers and orders", "check-csr, match keys, test a TLS server, refresh; pebble"
    ),
    CommandEntry(
        "support", "Customers and orders", "purge requests and tickets whose retention ran out"
    ),
    CommandEntry("campaign", "Mail", "marketing campaigns: create a draft, send it, its status"),
    CommandEntry("announce", "Mail", "a service announcement to every customer with a service"),
    CommandEntry("mail", "Mail", "the outbox worker; opt-out mail: listen, import, process"),
    CommandEntry(
        "logs",
        "Web logs and partners",
        "web-log analytics: ingest, forget, aggregate, report, purge, compact",
    ),
    CommandEntry(
        "share",
        "Web logs and partners",
        "partner releases of aggregates: export, list, budget, verify",
    ),
    CommandEntry(
        "jobs", "Operations", "run the retention and upkeep jobs on their schedule; list them"
    ),
    CommandEntry("demo", "Operations", "load the demo data (never in production)"),
)
OWN = frozenset(entry.name for entry in COMMANDS)


def _commands_in(package: str) -> list[str]:
    """Command names under ``<package>/management/commands``, read off the disk as Django's
    ``find_commands`` does (only the top-level package is located: nothing is imported)."""
    top, *rest = package.split(".")
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return []
    if spec is None or not spec.submodule_search_locations:
        return []
    found = []
    for location in spec.submodule_search_locations:
        path = os.path.join(location, *rest, "management", "commands")
        modules = pkgutil.iter_modules([path])
        found += [m.name for m in modules if not m.ispkg and not m.name.startswith("_")]
    return sorted(found)


def other_commands(installed_apps: Iterable[str]) -> dict[str, list[str]]:
    """Django's and the libraries' commands by app label (keepfaith's own left out)."""
    groups: dict[str, list[str]] = {"django": _commands_in("django.core")}
    for app in installed_apps:
        package = app.split(".apps.", 1)[0]
        if package == "keepfaith" or package.startswith("keepfaith."):
            continue
        names = _commands_in(package)
        if names:
            groups[package.rsplit(".", 1)[-1]] = names
    return groups


def help_text(installed_apps: Iterable[str]) -> str:
    lines = [
        "keepfaith: the privacy platform's command line.",
        "",
        "Usage: keepfaith <command> [options]     keepfaith help <command>: its options",
    ]
    group = ""
    width = max(len(entry.name) for entry in COMMANDS) + 2
    for entry in COMMANDS:
        if entry.group != group:
            group = entry.group
            lines += ["", f"{group}:"]
        lines.append(f"  {entry.name.ljust(width)}{entry.summary}")
    lines += ["", "Django's and the libraries' commands:"]
    for label, names in other_commands(installed_apps).items():
        lines.append(f"  [{label}] {', '.join(names)}")
    return "\n".join(lines) + "\n"

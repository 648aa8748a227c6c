"""Domain names: normalising, validating and matching them against certificate names.

No regular expression sees visitor input here: names are split on dots and each label is
checked character by character, so the work is linear in the length of the name.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

MAX_NAME = 253
MAX_LABEL = 63
_LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


def name_normalise(name: str) -> str:
    """Lower case, no trailing dot, IDNA (xn--) form for international names."""
    name = name.strip().rstrip(".").lower()
    if name and not name.isascii():
        try:
            name = ".".join(
                label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
                for label in name.split(".")
            )
        except UnicodeError:
            return name
    return name


def name_problem(name: str, *, wildcard: bool = True) -> str | None:
    """Why ``name`` (normalised) is not a valid DNS name for a certificate, or None."""
    if not name:
        return "empty name"
    if len(name) > MAX_NAME:
        return f"longer than {MAX_NAME} characters"
    if is_ip_literal(name):
        return "an IP address, not a name"
    labels = name.split(".")
    if len(labels) < 2:
        return "not a fully qualified name (it has no dot)"
    for index, label in enumerate(labels):
        if label == "*" and index == 0 and wildcard:
            continue
        if not label:
            return "an empty label (two dots in a row)"
        if len(label) > MAX_LABEL:
            return f"a label longer than {MAX_LABEL} characters"
        if not set(label) <= _LABEL_CHARS:
            return f"the label {label[:MAX_LABEL]!r} has characters a host name cannot have"
        if label[0] == "-" or label[-1] == "-":
            return f"the label {label!r} starts or ends with a hyphen"
    if labels[-1].isdigit():
        return "the last label is a number"
    return None


def is_ip_literal(text: str) -> bool:
    candidate = text.strip().strip("[]")
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return True


def names_parse(text: str) -> list[str]:
    """Names from a comma- or space-separated list, normalised, duplicates dropped."""
    parts = text.replace(",", " ").split()
    return list(dict.fromkeys(name_normalise(p) for p in parts if p.strip()))


def name_matches(pattern: str, host: str) -> bool:
    """Does certificate name ``pattern`` cover ``host`` (RFC 6125: ``*`` is one whole
    left-most label, never the only label before a public suffix-like single label)?"""
    pattern, host = name_normalise(pattern), name_normalise(host)
    if pattern == host:
        return True
    if not pattern.startswith("*."):
        return False
    suffix = pattern[2:]
    if suffix.count(".") < 1:
        return False
    head, _, rest = host.partition(".")
    return bool(head) and rest == suffix


def names_covered(patterns: Iterable[str], host: str) -> bool:
    return any(name_matches(p, host) for p in patterns)

"""Domain names: normalising, validating and matching them against certificate names.

No regular expression sees visitor input here: names are split on dots and each label is
checked character by character, so the work is linear in the length of the name.
"""

from __future__ import annotations

import contextlib
import ipaddress
import unicodedata
from collections.abc import Iterable

import idna
from django.utils.translation import gettext as _

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


def name_display(name: str) -> str:
    """A normalised name as people write it: ``xn--`` labels back in their letters
    (``bøger.dk``, not ``xn--bger-gra.dk``); a label that does not decode stays as it is."""
    labels = []
    for label in name.split("."):
        if label.startswith("xn--"):
            with contextlib.suppress(UnicodeError):
                label = label[4:].encode("ascii").decode("punycode")
        labels.append(label)
    return ".".join(labels)


def name_shown(name: str) -> str:
    """A name as a person should see it where it matters what it is: an international name
    in its letters and in the form the certificate carries (``bøger.dk (xn--bger-gra.dk)``),
    so that a look-alike (a Cyrillic a in an "apple.com") cannot pass for the real one."""
    display = name_display(name)
    return display if display == name else f"{display} ({name})"


def name_problem(name: str, *, wildcard: bool = True, single_label: bool = False) -> str | None:
    """Why ``name`` (normalised) is not a valid DNS name for a certificate, or None.

    The reason is a phrase in the active language, to follow the name it is about.
    ``single_label`` admits a name without a dot (an intranet server's name).
    """
    if not name:
        return _("the name is empty")
    if len(name) > MAX_NAME:
        return _("it is longer than %(max)d characters") % {"max": MAX_NAME}
    if is_ip_literal(name):
        return _("it is an IP address, not a domain name")
    labels = name.split(".")
    if len(labels) < 2 and not single_label:
        return _("it is not a full domain name such as example.com")
    for index, label in enumerate(labels):
        if label == "*" and index == 0 and wildcard:
            continue
        if not label:
            return _("it has two dots in a row, or starts with a dot")
        if len(label) > MAX_LABEL:
            return _("a part between two dots is longer than %(max)d characters") % {
                "max": MAX_LABEL
            }
        if not set(label) <= _LABEL_CHARS:
            return _("“%(part)s” may only have letters, digits and hyphens") % {
                "part": label[:MAX_LABEL]
            }
        if label[0] == "-" or label[-1] == "-":
            return _("“%(part)s” starts or ends with a hyphen") % {"part": label}
        if label.startswith("xn--") and not _idna_label_valid(label):
            return _(
                "“%(part)s” has characters a domain name cannot have (such as emoji, symbols "
                "or hidden direction marks)"
            ) % {"part": _visible(name_display(label)) or label}
    if len(labels) > 1 and labels[-1].isdigit():
        return _("it ends in a number, not in a domain ending such as .com")
    return None


def _visible(text: str) -> str:
    """``text`` without control and format characters (a direction mark would turn the
    message around it)."""
    return "".join(char for char in text if unicodedata.category(char)[0] != "C")


def _idna_label_valid(label: str) -> bool:
    """Does an ``xn--`` label decode to letters IDNA 2008 allows (``idna``)?"""
    try:
        idna.decode(label)
    except (idna.IDNAError, UnicodeError):
        return False
    return True


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

"""What of a URL's path could admit or name a person, replaced before anyone reads it.

A path such as ``/unsubscribe/v1.eyJr…/`` or ``/account/verify/OA/dj4f53-93ef…/`` carries a
secret (whoever holds it acts for the customer) and a customer's identity; an order page
``/account/orders/O-8M19-GP0C/`` names one customer's order. Web-log reports (BE-5: the logs
are never linked to a person) and the servers' own logs must not carry them. ``path_shown``
replaces, segment by segment:

- a token: a segment of 20 or more characters with a letter and a digit (signed links,
  password-reset and e-mail-confirmation tokens), unless it is a file name with a short
  extension (``app.3f2a9c1b5d6e7f8a9b0c.js``), becomes ``:token``;
- a keepfaith reference (customer ``KF-P0FZC-7J2RT``, order ``O-8M19-GP0C``, request
  ``DSR-RV8UX3WD``, certificate ``CRT-27BF2FED``) becomes ``:number``;
- an account number in a link (the ``OA`` of ``/account/verify/OA/<token>/``: the segment
  before a token, after ``verify`` or ``reset``) and an all-digit segment after a name that
  keepfaith's own signed-in pages number things under (``ticket``, ``consent``, ``renew``,
  ``certificates``, ``orders``) become ``:id``.

Everything else (years, page numbers, file names) is kept. ``scrub_urls`` applies the same to
every path in a line of text (a server's access log line). Both run in linear time: the text
is split, never backtracked over.
"""

from __future__ import annotations

import functools
import re

TOKEN_MIN = 20
NUMBERED_UNDER = frozenset({"ticket", "consent", "renew", "certificates", "orders"})
ACCOUNT_BEFORE_TOKEN = frozenset({"verify", "reset"})
_REFERENCE = re.compile(r"(?:KF|O|DSR|CRT)-[0-9A-Z]{4,10}(?:-[0-9A-Z]{4,10})?")
_FILE_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,5}")
_DIGIT = re.compile(r"\d")
_PATH_IN_TEXT = re.compile(r"/[^\s\"'<>?#]{1,2048}")


def _is_token(segment: str, last: bool) -> bool:
    if len(segment) < TOKEN_MIN or _DIGIT.search(segment) is None:
        return False
    if not any(c.isalpha() for c in segment):
        return False
    if last:
        dot = segment.rfind(".")
        if dot > 0 and _FILE_EXTENSION.fullmatch(segment, dot) is not None:
            return False
    return True


@functools.lru_cache(maxsize=65_536)
def path_shown(path: str) -> str:
    """``path`` (no query) with tokens, references and account numbers replaced (see above)."""
    if _DIGIT.search(path) is None:
        return path  # every rule needs a digit somewhere in the path
    parts = path.split("/")
    last = len(parts) - 1
    for i, segment in enumerate(parts):
        if not segment or segment.startswith(":"):
            continue
        if _is_token(segment, i == last):
            parts[i] = ":token"
            before = i - 1
            if before >= 1 and parts[before - 1] in ACCOUNT_BEFORE_TOKEN and parts[before]:
                parts[before] = ":id"
        elif _REFERENCE.fullmatch(segment) is not None:
            parts[i] = ":number"
        elif segment.isascii() and segment.isdigit() and i > 0 and parts[i - 1] in NUMBERED_UNDER:
            parts[i] = ":id"
    return "/".join(parts)


def scrub_urls(text: str) -> str:
    """``text`` with every path in it shown as ``path_shown`` shows it (its query kept)."""
    if "/" not in text or _DIGIT.search(text) is None:
        return text
    return _PATH_IN_TEXT.sub(lambda m: path_shown(m.group(0)), text)

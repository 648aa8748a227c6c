"""What of a URL's path could admit or name a person, replaced before anyone reads it.

A path such as ``/unsubscribe/v1.eyJr…/`` or ``/account/verify/OA/dj4f53-93ef…/`` carries a
secret (whoever holds it acts for the customer) and a customer's identity; an order page
``/account/orders/O-8M19-GP0C/`` names one customer's order. Web-log reports (BE-5: the logs
are never linked to a person) and the servers' own logs must not carry them. ``path_shown``
replaces, segment by segment:

- a token: a segment of 20 or more characters holding a run of 10 or more letters and
  digits mixed (signed links, password-reset and e-mail-confirmation tokens; not a slug such
  as ``top-10-ssl-providers-compared``), unless it is a file name with a short extension
  (``app.3f2a9c1b5d6e7f8a9b0c.js``), becomes ``:token``;
- a keepfaith reference (customer ``KF-P0FZC-7J2RT``, order ``O-8M19-GP0C``, request
  ``DSR-RV8UX3WD``, certificate ``CRT-27BF2FED``) becomes ``:number``;
- an account number in a link (the ``OA`` of ``/account/verify/OA/<token>/``: the segment
  before a token, after ``verify`` or ``reset``, and before ``set-password``) and an
  all-digit segment or a ticket's reference (16 hex digits) after a name that keepfaith's
  pages number one customer's things under (``ticket``, ``consent``, ``renew``,
  ``certificates``, ``orders``; in the console ``support``, ``requests``, ``rights``,
  ``user``) become ``:id``.

Everything else (years, page numbers, file names) is kept. ``scrub_urls`` applies the same to
every URL in a line of text (a server's access log line), and in its query masks references
and tokens given as values (``?ref=DSR-RV8UX3WD``). Both run in linear time: the text is
split, never backtracked over.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

from keepfaith.memo import short_text_cache

TOKEN_MIN = 20
RUN_MIN = 10
NUMBERED_UNDER = frozenset(
    {"ticket", "consent", "renew", "certificates", "orders", "support", "requests", "rights"}
    | {"user"}
)
ACCOUNT_BEFORE_TOKEN = frozenset({"verify", "reset"})
ACCOUNT_BEFORE = frozenset({"set-password"})
_TICKET_REFERENCE = re.compile(r"[0-9a-f]{16}")  # support.models.new_reference
_REFERENCE = re.compile(r"(?:KF|O|DSR|CRT)-[0-9A-Z]{4,10}(?:-[0-9A-Z]{4,10})?")
_REFERENCE_IN_TEXT = re.compile(r"\b(?:KF|O|DSR|CRT)-[0-9A-Z]{4,10}(?:-[0-9A-Z]{4,10})?\b")
_FILE_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,5}")
_DIGIT = re.compile(r"\d")
# A digit, a reference's prefix (a number may hold letters only: O-GNJX-GYHV), where a
# reference of hex letters alone could stand, or the set-password step.
_NEEDS_A_LOOK = re.compile(
    r"\d|(?:KF|O|DSR|CRT)-|set-password|/(?:ticket|consent|support|requests|rights)/"
)
_ALNUM_RUN = re.compile(r"[A-Za-z0-9]+")
_URL_IN_TEXT = re.compile(r"/[^\s\"'<>#]+")
_QUERY_VALUE = re.compile(r"=([^&;]*)")


def _is_token(segment: str, last: bool) -> bool:
    if len(segment) < TOKEN_MIN or _DIGIT.search(segment) is None:
        return False
    if not any(
        len(run) >= RUN_MIN and not run.isdigit() and not run.isalpha()
        for run in _ALNUM_RUN.findall(segment)
    ):
        return False
    if last:
        dot = segment.rfind(".")
        if dot > 0 and _FILE_EXTENSION.fullmatch(segment, dot) is not None:
            return False
    return True


def _numbered(segment: str) -> bool:
    return (segment.isascii() and segment.isdigit()) or (
        _TICKET_REFERENCE.fullmatch(segment) is not None
    )


@short_text_cache(maxsize=16_384)  # a web log repeats its paths; a long one is not kept
def path_shown(path: str) -> str:
    """``path`` (no query) with tokens, references and account numbers replaced (see above)."""
    if _NEEDS_A_LOOK.search(path) is None:
        return path  # every rule needs a digit, a reference's place or set-password
    return _shown(path)


def _shown(path: str) -> str:
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
        elif i > 0 and parts[i - 1] in NUMBERED_UNDER and _numbered(segment):
            parts[i] = ":id"
        elif segment in ACCOUNT_BEFORE and i >= 1 and parts[i - 1]:
            parts[i - 1] = ":id"
    return "/".join(parts)


def scrub_urls(text: str) -> str:
    """``text`` with every URL in it shown as ``path_shown`` shows its path, and the
    references and tokens among its query's values replaced."""
    if "/" not in text:
        return text
    return _URL_IN_TEXT.sub(_url_shown, text)


def references_shown(text: str) -> str:
    """``text`` with every keepfaith reference in it, URL or not, replaced by ``:number``."""
    return _REFERENCE_IN_TEXT.sub(":number", text)


def _url_shown(match: re.Match[str]) -> str:
    path, mark, query = match.group(0).partition("?")
    return path_shown(path) + mark + (_QUERY_VALUE.sub(_value_shown, query) if query else "")


def _value_shown(match: re.Match[str]) -> str:
    """A query value: a reference or token replaced whole; an e-mail address replaced; a
    path (``next=/account/orders/O-.../``, encoded or not) shown as ``path_shown`` shows it,
    with any reference in it replaced."""
    value = match.group(1)
    if _REFERENCE.fullmatch(value) is not None:
        return "=:number"
    if _is_token(value, False):
        return "=:token"
    plain = unquote_plus(value) if "%" in value or "+" in value else value
    if "@" in plain:
        return "=:email"
    if "/" in plain:
        shown = references_shown(path_shown(plain.partition("?")[0]))
        return match.group(0) if shown == plain else f"={shown}"
    return match.group(0)

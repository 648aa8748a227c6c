"""Turning a message to the unsubscribe or privacy address into an opt-out (QS-4, BE-9, BE-8).

Rules kept here:

- Mail to the unsubscribe address from a sender's address opts that sender out of all
  marketing, whatever it says.
- Mail to the privacy address opts out of the kinds it names (English or Danish), or of all
  marketing when it clearly asks for that. The request is read from the subject and the
  first lines of the body, leaving out quoted reply text and signatures.
- Nothing is dropped: bounces, auto-replies, mail without a sender, mail not addressed to
  us, mixed or unclear requests all go to the staff queue with a reason.
- Service announcements (kinds with ``marketing=False``) can never be opted out of; a request
  naming only them goes to the queue as ``not_optoutable`` (BE-8).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from keepfaith.comms.inbound import InboundMessage, normalise_address
from keepfaith.policy.trace import enforces

__all__ = [
    "MailKindWords",
    "OptOutOutcome",
    "OptOutRequest",
    "QueueReason",
    "classify_optout",
    "request_lines",
]

_MAX_REQUEST_LINES = 15


class OptOutOutcome(StrEnum):
    OPT_OUT_ALL_MARKETING = "opt_out_all_marketing"
    OPT_OUT_KINDS = "opt_out_kinds"
    TO_QUEUE = "to_queue"


class QueueReason(StrEnum):
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    NO_SENDER = "no_sender"
    AMBIGUOUS = "ambiguous"
    NOT_ADDRESSED_TO_US = "not_addressed_to_us"
    UNCLEAR = "unclear"
    NOT_OPTOUTABLE = "not_optoutable"


@dataclass(frozen=True)
class MailKindWords:
    """A mail kind of the policy with the words customers use for it, per language code."""

    key: str
    words: Mapping[str, Sequence[str]]
    marketing: bool


@dataclass(frozen=True)
class OptOutRequest:
    """What a message asks for. ``kinds`` are opted out; ``refused_kinds`` were named but are
    service mail that cannot be opted out of (the confirmation reply says so)."""

    outcome: OptOutOutcome
    sender: str | None
    reason: QueueReason | None = None
    kinds: tuple[str, ...] = ()
    refused_kinds: tuple[str, ...] = ()
    language: str | None = None
    evidence: str = ""
    addressed_to: str | None = None  # "unsubscribe" or "privacy"


# --- the words of a request, in English ("en") and Danish ("da") ------------------------------

_OPT_OUT_WORDS = {
    "en": r"unsubscribe|opt[- ]?out|stop|remove|cancel|no more|no longer|don'?t (?:want|send)"
    r"|do not (?:want|send)|not (?:want|receive)|take me off",
    "da": r"afmeld|frameld|stop|fjern|slet|opsig|ikke (?:længere )?(?:modtage|have|få)"
    r"|ønsker ikke|vil ikke|nej tak|ingen flere|ingen",
}
# Words that on their own mean "stop sending me mail" (a bare "stop" or "remove" does not).
_UNSUBSCRIBE_WORDS = {
    "en": r"unsubscribe|opt[- ]?out",
    "da": r"afmeld|frameld",
}
_ALL_WORDS = {
    "en": r"all (?:marketing|mail|e-?mails|messages|newsletters|communications?|of (?:it|them))"
    r"|everything|any (?:marketing|more (?:e-?)?mails?)",
    "da": r"al(?:t|le)? (?:markedsføring|reklamer?|mails?|e-?mails|beskeder|nyhedsbreve)"
    r"|alt(?:ing)?|samtlige",
}
_KEEP_WORDS = {
    "en": r"keep|still (?:want|like)|continue|except|but not|apart from|other than",
    "da": r"behold|stadig|fortsat|gerne (?:modtage|have)|undtagen|bortset fra|men ikke",
}
_SUBSCRIBE_WORDS = {
    "en": r"subscribe|sign (?:me )?up|resubscribe",
    "da": r"tilmeld|gentilmeld",
}
_RIGHTS_WORDS = {
    "en": r"delete (?:my|all my) (?:data|account|information)|erase|access to my data|gdpr",
    "da": r"slet (?:mine|alle mine) (?:data|oplysninger|konto)|indsigt|persondata|gdpr",
}
_SUFFIXES = r"(?:s|es|e|er|et|en|ne|erne|ene|ing|ed)?"


def _word_pattern(alternatives: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w)(?:{alternatives}){_SUFFIXES}(?!\w)", re.IGNORECASE)


def _patterns(table: Mapping[str, str]) -> dict[str, re.Pattern[str]]:
    return {lang: _word_pattern(words) for lang, words in table.items()}


_OPT_OUT = _patterns(_OPT_OUT_WORDS)
_UNSUBSCRIBE = _patterns(_UNSUBSCRIBE_WORDS)
_ALL = _patterns(_ALL_WORDS)
_KEEP = _patterns(_KEEP_WORDS)
_SUBSCRIBE = _patterns(_SUBSCRIBE_WORDS)
_RIGHTS = _patterns(_RIGHTS_WORDS)


def _found(patterns: Mapping[str, re.Pattern[str]], text: str) -> str | None:
    """The language whose words occur in the text, or None."""
    for lang, pattern in patterns.items():
        if pattern.search(text):
            return lang
    return None


# --- the request text ------------------------------------------------------------------------

_REPLY_HEADER = re.compile(
    r"^(on .{0,200} wrote:|den .{0,200} skrev.{0,40}:|-+ ?(original message|oprindelig "
    r"(meddelelse|besked)|forwarded message|videresendt (meddelelse|besked)) ?-+"
    r"|_{10,}|(from|fra|sent|sendt): .*)$",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(r"^(-- ?|--|—)$")


def request_lines(message: InboundMessage) -> list[str]:
    """The subject and the first lines of the body the sender wrote themselves.

    Quoted text (``> ...``), everything after a signature delimiter (``-- ``) and everything
    from a reply or forward header on is left out.
    """
    lines = [message.subject.strip()] if message.subject.strip() else []
    for line in message.body_text.splitlines():
        stripped = line.strip()
        if _SIGNATURE.match(stripped) or _REPLY_HEADER.match(stripped):
            break
        if not stripped or stripped.startswith(">"):
            continue
        lines.append(stripped)
        if len(lines) > _MAX_REQUEST_LINES:
            break
    return lines


_CLAUSE_SPLIT = re.compile(r"[.!?;\n]+|\s(?:but|men)\s", re.IGNORECASE)
_SUBJECT_PREFIX = re.compile(r"^((re|sv|aw|fw|fwd|vs|vedr)\s*:\s*)+", re.IGNORECASE)


# --- kinds -----------------------------------------------------------------------------------


def _kind_matches(text: str, kinds: Sequence[MailKindWords]) -> dict[str, str]:
    """Kinds named in the text, longest words first so "partner offers" beats "offers"."""
    candidates: list[tuple[int, int, str, str]] = []
    for kind in kinds:
        for lang, words in kind.words.items():
            for word in words:
                if not word.strip():
                    continue
                for match in _word_pattern(re.escape(word.strip())).finditer(text):
                    candidates.append((match.start(), match.end(), kind.key, lang))
    candidates.sort(key=lambda c: c[0] - c[1])
    taken: list[tuple[int, int]] = []
    named: dict[str, str] = {}
    for start, end, key, lang in candidates:
        if any(start < t_end and t_start < end for t_start, t_end in taken):
            continue
        taken.append((start, end))
        named.setdefault(key, lang)
    return named


@dataclass
class _Reading:
    opted: dict[str, str] = field(default_factory=dict)
    kept: set[str] = field(default_factory=set)
    loose: dict[str, str] = field(default_factory=dict)
    all_lang: str | None = None
    bare_unsubscribe: str | None = None
    bare_opt_out: bool = False
    mixed: bool = False
    rights: bool = False
    evidence: list[str] = field(default_factory=list)


def _read_clause(clause: str, kinds: Sequence[MailKindWords], reading: _Reading) -> None:
    named = _kind_matches(clause, kinds)
    opt_out = _found(_OPT_OUT, clause)
    # asking to (re)subscribe to a kind counts as keeping it
    keep = _found(_KEEP, clause) or (None if opt_out else _found(_SUBSCRIBE, clause))
    reading.rights |= bool(_found(_RIGHTS, clause))
    if opt_out and keep and (named or _found(_ALL, clause)):
        reading.mixed = True
    if opt_out and _found(_ALL, clause):
        reading.all_lang = reading.all_lang or opt_out
        reading.evidence.append(clause)
    if named and opt_out and not keep:
        reading.opted.update(named)
        reading.evidence.append(clause)
    elif named and keep and not opt_out:
        reading.kept.update(named)
    elif named:
        reading.loose.update(named)
    elif opt_out:
        reading.bare_opt_out = True
        reading.bare_unsubscribe = reading.bare_unsubscribe or _found(_UNSUBSCRIBE, clause)
        reading.evidence.append(clause)


def _read_request(lines: Iterable[str], kinds: Sequence[MailKindWords]) -> _Reading:
    reading = _Reading()
    for number, line in enumerate(lines):
        text = _SUBJECT_PREFIX.sub("", line) if number == 0 else line
        for clause in _CLAUSE_SPLIT.split(text):
            if clause.strip():
                _read_clause(clause.strip(), kinds, reading)
    if not reading.opted and reading.bare_opt_out and not reading.mixed:
        reading.opted.update({k: v for k, v in reading.loose.items() if k not in reading.kept})
    return reading


def _privacy_request(
    sender: str, reading: _Reading, kinds: Sequence[MailKindWords]
) -> OptOutRequest:
    base = OptOutRequest(
        OptOutOutcome.TO_QUEUE,
        sender,
        addressed_to="privacy",
        evidence=" | ".join(dict.fromkeys(reading.evidence))[:500],
    )
    if reading.mixed or set(reading.opted) & reading.kept or (reading.all_lang and reading.kept):
        return replace(base, reason=QueueReason.AMBIGUOUS)
    if reading.all_lang:
        return replace(base, outcome=OptOutOutcome.OPT_OUT_ALL_MARKETING, language=reading.all_lang)
    marketing = {kind.key for kind in kinds if kind.marketing}
    chosen = tuple(key for key in reading.opted if key in marketing)
    refused = tuple(key for key in reading.opted if key not in marketing)
    if chosen:
        return replace(
            base,
            outcome=OptOutOutcome.OPT_OUT_KINDS,
            kinds=chosen,
            refused_kinds=refused,
            language=reading.opted[chosen[0]],
        )
    if refused:
        return replace(
            base,
            reason=QueueReason.NOT_OPTOUTABLE,
            refused_kinds=refused,
            language=reading.opted[refused[0]],
        )
    if reading.bare_unsubscribe and not reading.loose and not reading.rights:
        return replace(
            base,
            outcome=OptOutOutcome.OPT_OUT_ALL_MARKETING,
            language=reading.bare_unsubscribe,
        )
    return replace(base, reason=QueueReason.UNCLEAR)


@enforces("QS-4", "BE-9", "BE-1")
def classify_optout(
    message: InboundMessage,
    *,
    unsubscribe_address: str,
    privacy_address: str,
    mail_kinds: Sequence[MailKindWords],
) -> OptOutRequest:
    """Decide what a received message asks for: an opt-out, or a place in the staff queue.

    Order of the rules: not addressed to us, bounce, auto-reply, no sender, then the
    unsubscribe address (all marketing), then the privacy address (what the text names).
    """
    sender = message.sender
    ours = {normalise_address(unsubscribe_address), normalise_address(privacy_address)}
    if sender is not None and sender in ours:
        return OptOutRequest(OptOutOutcome.TO_QUEUE, sender, QueueReason.AUTO_REPLY)
    unsubscribe = normalise_address(unsubscribe_address) in message.recipients
    privacy = normalise_address(privacy_address) in message.recipients
    if not (unsubscribe or privacy):
        return OptOutRequest(OptOutOutcome.TO_QUEUE, sender, QueueReason.NOT_ADDRESSED_TO_US)
    addressed_to = "unsubscribe" if unsubscribe else "privacy"
    for flagged, reason in (
        (message.is_bounce, QueueReason.BOUNCE),
        (message.is_auto_reply, QueueReason.AUTO_REPLY),
        (sender is None, QueueReason.NO_SENDER),
    ):
        if flagged:
            return OptOutRequest(OptOutOutcome.TO_QUEUE, sender, reason, addressed_to=addressed_to)
    assert sender is not None
    reading = _read_request(request_lines(message), mail_kinds)
    if unsubscribe:
        language = reading.all_lang or reading.bare_unsubscribe
        return OptOutRequest(
            OptOutOutcome.OPT_OUT_ALL_MARKETING,
            sender,
            language=language,
            addressed_to="unsubscribe",
            evidence="sent to the unsubscribe address",
        )
    return _privacy_request(sender, reading, mail_kinds)

"""Every e-mail keepfaith sends: one function per kind, with subject / text / HTML templates.

Templates live in ``templates/emails/<name>.subject.txt|.txt|.html``; a Danish version, when
there is one, in ``templates/emails/da/``. Rules kept here (BE-8, RFC 2369, RFC 8058):

- marketing mail carries ``List-Unsubscribe`` (an https link with a signed per-recipient,
  per-kind token, and a mailto to the unsubscribe address) and
  ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``;
- service announcements and transactional mail carry neither; they say why they cannot be
  declined;
- replies we send are marked ``Auto-Submitted: auto-replied`` (RFC 3834) so no robot answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context, engines
from django.template.loader import select_template
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe

from keepfaith.comms.unsubscribe import list_unsubscribe_headers, unsubscribe_token
from keepfaith.policy.trace import enforces

__all__ = [
    "RenderedMail",
    "campaign_email",
    "render_mail",
    "unsubscribe_url",
]

LANGUAGES = ("en", "da")


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


def _render(name: str, suffix: str, language: str, context: dict[str, object]) -> str:
    """One part of mail ``name``. The subject and the text part are rendered without HTML
    escaping (``&#x27;`` would be read as it is); the HTML part stays escaped."""
    names = [f"emails/{language}/{name}.{suffix}", f"emails/{name}.{suffix}"]
    if suffix.endswith("txt"):
        template = engines["django"].engine.select_template(names)  # type: ignore[attr-defined]
        return str(template.render(Context(context, autoescape=False)))
    return str(select_template(names).render(context))


def render_mail(*, name: str, language: str, context: dict[str, object]) -> RenderedMail:
    """The subject, text and HTML of e-mail ``name`` in ``language`` (English fallback); the
    template's translated strings, dates and numbers follow ``language`` too."""
    lang = language if language in LANGUAGES else "en"
    full = {**context, "language": lang}
    with translation.override(lang):
        parts = [_render(name, suffix, lang, full) for suffix in ("subject.txt", "txt", "html")]
    return RenderedMail(" ".join(parts[0].split()), parts[1].strip() + "\n", parts[2])


def page_url(name: str, language: str, query: str = "", **kwargs: str) -> str:
    """An absolute link to the site's page ``name`` (a URL name) in ``language``, for a mail:
    always on ``KEEPFAITH_PUBLIC_URL``, never on the address a request happened to use."""
    with translation.override(language or None):
        path = reverse(name, kwargs=kwargs or None)
    return f"{settings.PUBLIC_URL}{path}{query}"


def unsubscribe_url(*, subject_ref: str, kind: str) -> str:
    """The https one-click link for ``subject_ref`` and ``kind`` (signed, never expires)."""
    token = unsubscribe_token(
        subject_ref=subject_ref,
        kind=kind,
        secret=settings.UNSUBSCRIBE_SECRET.encode("utf-8"),
        issued_at=datetime.now(tz=UTC),
    )
    return f"{settings.PUBLIC_URL}/unsubscribe/{token}/"


def sender() -> str:
    """Every mail's From: ``KEEPFAITH_EMAIL_FROM``'s address under the name it gives, or
    else under the company's trading name from the policy in force (BE-1), so a customer
    sees who writes to them, not the software's name."""
    from keepfaith.inforce import in_force

    name, address = parseaddr(str(settings.DEFAULT_FROM_EMAIL))
    if not name:
        controller = in_force().policy.controller
        name = (controller.trading_names or (controller.legal_name,))[0]
    return formataddr((name, address))


def _message(
    *, to: str, mail: RenderedMail, message_id: str, headers: dict[str, str]
) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=mail.subject,
        body=mail.text,
        from_email=sender(),
        to=[to],
        headers={"Message-ID": message_id, **headers},
    )
    if mail.html:
        message.attach_alternative(mail.html, "text/html")
    return message


@enforces("BE-8")
def campaign_email(
    *,
    to: str,
    subject_ref: str,
    kind: str,
    kind_name: str,
    opted_in: bool,
    unsubscribable: bool,
    subject: str,
    text: str,
    html: str,
    language: str,
    message_id: str,
    unsubscribe_address: str,
) -> EmailMultiAlternatives:
    """A campaign message: marketing (with one-click unsubscribe) or a service announcement
    (without: it reaches every customer with an active service)."""
    context: dict[str, object] = {
        "subject": subject,
        "text": text,
        "html": mark_safe(html),  # noqa: S308 - composed by marketing staff in the console
        "kind_name": kind_name,  # the use's name in the policy, in the recipient's language
        "opted_in": opted_in,  # consent asked for (the footer says so), not an opt-out
    }
    headers: dict[str, str] = {}
    if unsubscribable:
        link = unsubscribe_url(subject_ref=subject_ref, kind=kind)
        context["unsubscribe_url"] = link
        headers = list_unsubscribe_headers(https_url=link, mailto=unsubscribe_address)
        headers["Reply-To"] = unsubscribe_address  # a reply "stop" reaches the opt-out inbox
        mail = render_mail(name="marketing", language=language, context=context)
    else:
        headers = {"Auto-Submitted": "auto-generated"}
        mail = render_mail(name="service_announcement", language=language, context=context)
    return _message(to=to, mail=mail, message_id=message_id, headers=headers)


def stored_email(
    *, to: str, mail: RenderedMail, message_id: str, in_reply_to: str = ""
) -> EmailMultiAlternatives:
    """A message to one person from rendered parts (no unsubscribe headers): an automatic
    reply (RFC 3834 ``auto-replied``) when it answers a message, else ``auto-generated``."""
    headers = {"Auto-Submitted": "auto-replied" if in_reply_to else "auto-generated"}
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
        headers["References"] = in_reply_to
    return _message(to=to, mail=mail, message_id=message_id, headers=headers)

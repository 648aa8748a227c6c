"""Account e-mails: one function per e-mail, each with subject, text and HTML templates
(``emails/<name>-subject.txt``, ``-body-text.txt``, ``-body-html.html``), sent through
Django's mail machinery (``EMAIL_BACKEND``). They are transactional mail of the policy:
never marketing, so they carry no unsubscribe.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def _send(name: str, *, to: str, context: dict[str, Any]) -> None:
    subject = render_to_string(f"emails/{name}-subject.txt", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=render_to_string(f"emails/{name}-body-text.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(
        render_to_string(f"emails/{name}-body-html.html", context), "text/html"
    )
    message.send()


def send_verification(*, to: str, link: str) -> None:
    """The link that proves the new account's address and opens the account."""
    _send("verify", to=to, context={"link": link})


def send_already_registered(*, to: str, login_url: str, reset_url: str) -> None:
    """Someone signed up with an address that has an account: tell its owner, nobody else."""
    _send("already-registered", to=to, context={"login_url": login_url, "reset_url": reset_url})

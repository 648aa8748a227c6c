"""Lost password: Django's reset form, its mail sent on the one path for outgoing mail."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.auth.forms import PasswordResetForm
from django.utils.translation import get_language

from keepfaith.accounts.models import login_identity
from keepfaith.audit.services import Actor
from keepfaith.comms.emails import page_url
from keepfaith.comms.outgoing import Recipient, mail_send
from keepfaith.inforce import in_force
from keepfaith.policy.trace import enforces


@enforces("SITE-1", features=("collection.password-reset",))
class CustomerPasswordResetForm(PasswordResetForm):
    """Sends the reset link through ``mail_send`` (rendered in the customer's language, asked
    of the gate, queued in the outbox) instead of Django's direct send. Customers only: a
    staff address is treated like an unknown one (the same page, no mail); a staff password
    is reset staff-side (``keepfaith staff reset-password`` or the admin), never by whoever
    can read a mailbox."""

    def get_users(self, email: str) -> Iterator[Any]:
        for user in super().get_users(login_identity(email)):
            if not user.is_staff:
                yield user

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        user = context["user"]
        now = in_force()
        language = now.language(user.language or get_language())
        link = page_url(  # the link opens the page in the mail's language
            "portal:password_reset_confirm", language, uidb64=context["uid"], token=context["token"]
        )
        mail_send(
            name="password_reset",
            to=Recipient(to_email, user.subject_ref, language),
            context={"link": link},
            key=f"password-reset:{user.pk}:{context['token']}",
            gate=now.gate(actor=Actor.system("password reset")),
            purpose="lost password",
        )

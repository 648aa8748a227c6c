"""Requests by e-mail to the privacy address: the right is read from the message and filed like
the public form (RIGHTS-12)."""

from __future__ import annotations

import pytest

from keepfaith.accounts.models import User
from keepfaith.audit.services import Actor
from keepfaith.inforce import in_force
from keepfaith.rights.mail import request_from_mail, right_asked_in


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Please delete my account", "erasure"),
        ("Jeg vil gerne have indsigt i mine oplysninger", "access"),
        ("My address is wrong, please correct it", "rectification"),
        ("I object to your marketing", "objection"),
        ("Slet venligst mine data", "erasure"),
        ("Can I have my data in a machine-readable format?", "portability"),
        ("Hello, what are your opening hours?", None),
    ],
)
def test_the_right_is_read_from_the_message(text: str, kind: str | None) -> None:
    assert right_asked_in(text) == kind


@pytest.mark.clause("RIGHTS-12")
@pytest.mark.feature("rights.request.code")
def test_a_mail_from_an_account_waits_for_the_code(alice: User) -> None:
    now = in_force()
    request = request_from_mail(
        sender="alice@example.com",
        subject="Data",
        body="Please erase my data.",
        policy=now.policy,
        gate=now.gate(actor=Actor.system("test")),
    )
    assert request is not None
    assert request.kind == "erasure" and request.state == "awaiting-code"
    assert request.channel == "email"

"""Sign-up with e-mail verification, and password reset, through Django's auth machinery."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.test import Client

from keepfaith.accounts.models import User
from keepfaith.comms.delivery import deliver_pending
from keepfaith.consent.models import ConsentEvent
from keepfaith.consent.selectors import current_choices
from tests.conftest import PASSWORD

NEWS = "marketing.communications.email"
NEWSLETTER = "marketing.communications.email.newsletter"
SECRET = "a long enough secret phrase"


def sign_up(client: Client, version_label: str, email: str = "nina@example.com", **extra) -> str:
    data = {
        "email": email,
        "full_name": "Nina New",
        "password1": SECRET,
        "password2": SECRET,
        "shown_policy_version": version_label,
        **extra,
    }
    response = client.post("/account/signup/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    deliver_pending()  # the outbox, as the mail worker sends it (here after the test's commit)
    return response["Location"]


def link_in(message) -> str:
    found = re.search(r"https?://\S+/account/verify/\S+/", str(message.body))
    assert found is not None, message.body
    return found.group(0)


@pytest.mark.feature("collection.signup")
@pytest.mark.clause("SITE-1")
def test_sign_up_opens_an_inactive_account_until_the_link_is_followed(client, published):
    page = client.get("/account/signup/")
    assert page.status_code == 200
    assert "What we collect here" in page.content.decode()
    assert sign_up(client, published.label) == "/account/signup/sent/"
    user = User.objects.get(email="nina@example.com")
    assert user.is_active is False
    assert user.check_password(SECRET) is True
    assert user.password.startswith("argon2")
    refused = client.post("/account/login/", {"username": "nina@example.com", "password": SECRET})
    assert refused.status_code == 200  # the form again: an unverified account cannot log in
    assert "_auth_user_id" not in client.session
    [message] = mail.outbox
    assert message.to == ["nina@example.com"]
    assert getattr(message, "alternatives", [])[0][1] == "text/html"
    response = client.get(urlsplit(link_in(message)).path)
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    user.refresh_from_db()
    assert user.is_active is True
    assert client.get("/account/").context["user"] == user
    # the link works once: an active account's token no longer matches; opened again by
    # the account it opened, it says so instead of "sign up again"
    again = client.get(urlsplit(link_in(message)).path, follow=True)
    assert again.redirect_chain == [("/account/", 302)]
    assert "Your e-mail address is confirmed already." in again.content.decode()
    assert Client().get(urlsplit(link_in(message)).path).status_code == 400  # anyone else


@pytest.mark.feature("consent.version-recorded")
@pytest.mark.clause("BE-2")
@pytest.mark.clause("BE-9")
def test_the_sign_up_consent_record_names_the_policy_version_shown(client, published):
    sign_up(client, published.label, **{f"choice.{NEWS}": "on"})
    subject = User.objects.get(email="nina@example.com").customer_number or ""
    events = list(ConsentEvent.objects.filter(subject=subject))
    assert events
    assert {e.policy_version_id for e in events} == {published.pk}
    assert {e.source for e in events} == {"form:signup"}
    choices = current_choices(subject=subject)
    assert choices[NEWS].status == "given"
    assert choices[NEWSLETTER].status == "opted-out"  # left unticked


@pytest.mark.clause("SITE-1")
def test_sign_up_never_reveals_a_registered_address(client, published, alice):
    first = client.post("/account/signup/", {"email": "unknown@example.com"})
    again = sign_up(client, published.label, email="ALICE@example.com")
    fresh = sign_up(client, published.label, email="fresh@example.com")
    assert again == fresh == "/account/signup/sent/"
    assert first.status_code == 200  # invalid form, shown again
    assert User.objects.filter(email="alice@example.com").count() == 1
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD) is True  # nothing changed
    assert ConsentEvent.objects.filter(subject=alice.customer_number).count() == 0
    to_alice = [m for m in mail.outbox if m.to == ["alice@example.com"]]
    assert len(to_alice) == 1
    assert "Nothing was changed" in to_alice[0].body
    assert "/account/password/reset/" in to_alice[0].body


class CountingHasher(MD5PasswordHasher):
    """Counts the passwords hashed: the costly step a stranger could time."""

    hashed = 0

    def encode(self, password: str, salt: str) -> str:
        CountingHasher.hashed += 1
        return super().encode(password, salt)


@pytest.mark.clause("SITE-1")
def test_sign_up_does_the_same_hashing_for_a_registered_address(client, published, alice, settings):
    """Before, an address with an account was answered before any password was hashed, five
    times faster than a new one: the time told a stranger who has an account."""
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    CountingHasher.hashed = 0
    sign_up(client, published.label, email="fresh@example.com")
    fresh = CountingHasher.hashed
    CountingHasher.hashed = 0
    sign_up(client, published.label, email="alice@example.com")
    assert fresh >= 1 and CountingHasher.hashed == fresh


@pytest.mark.clause("SITE-1")
def test_sign_up_checks_the_password_with_djangos_validators(client, published):
    response = client.post(
        "/account/signup/",
        {
            "email": "weak@example.com",
            "full_name": "Weak",
            "password1": "12345678901",
            "password2": "12345678901",
            "shown_policy_version": published.label,
        },
    )
    assert response.status_code == 200
    assert "This password is entirely numeric." in response.content.decode()
    assert User.objects.filter(email="weak@example.com").exists() is False


def test_a_forged_verification_link_fails(client, published):
    sign_up(client, published.label)
    assert client.get("/account/verify/MQ/abc-def/").status_code == 400
    assert client.get("/account/verify/%FF/abc-def/").status_code == 400
    assert User.objects.get(email="nina@example.com").is_active is False


@pytest.mark.feature("collection.password-reset")
@pytest.mark.clause("SITE-1")
def test_password_reset_sends_a_link_and_reveals_nothing(client, alice, published):
    known = client.post("/account/password/reset/", {"email": "alice@example.com"})
    unknown = client.post("/account/password/reset/", {"email": "nobody@example.com"})
    deliver_pending()
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/account/password/reset/sent/"
    [message] = mail.outbox
    assert message.to == ["alice@example.com"]
    found = re.search(r"/account/password/reset/[^/\s]+/[^/\s]+/", str(message.body))
    assert found is not None, message.body
    form_page = client.get(found.group(0), follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "another long passphrase", "new_password2": "another long passphrase"},
    )
    assert done["Location"] == "/account/password/reset/complete/"
    alice.refresh_from_db()
    assert alice.check_password("another long passphrase") is True
    deliver_pending()
    [notice] = [m for m in mail.outbox if m.subject == "Your password was changed"]
    assert notice.to == ["alice@example.com"]
    assert "with a link from a reset e-mail" in str(notice.body)
    assert "/account/password/reset/" in str(notice.body)  # the way back if it was not her


@pytest.mark.clause("SITE-1")
def test_a_password_changed_while_signed_in_is_told_at_the_address_in_danish(alice, published):
    """A changed password is how an account is taken over: its owner hears of it."""
    alice.language = "da"
    alice.save(update_fields=["language"])
    client = Client()
    client.force_login(alice)
    new = "a-New-passw0rd-2026"
    response = client.post(
        "/da/account/password/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    deliver_pending()
    [notice] = [m for m in mail.outbox if m.to == ["alice@example.com"]]
    assert notice.subject == "Din adgangskode er ændret"
    assert "/da/account/password/reset/" in str(notice.body)
    assert "med et link" not in str(notice.body)


def password_refused(
    client: Client, label: str, *, email: str, name: str, password: str, page: str = ""
) -> str:
    """The sign-up page after a refused ``password`` (the form again, nothing created)."""
    form = {"email": email, "full_name": name, "password1": password, "password2": password}
    response = client.post(f"{page}/account/signup/", {**form, "shown_policy_version": label})
    assert response.status_code == 200  # the form again, nothing created
    return response.content.decode()


@pytest.mark.clause("SITE-5")
def test_a_password_like_the_address_is_refused_in_the_page_language(client, published):
    address = "bente.nielsen@example.com"
    english = password_refused(
        client, published.label, email=address, name="Bente", password=address
    )
    assert "too close to what you gave as your e-mail address" in english
    danish = password_refused(
        client, published.label, email=address, name="Bente", password=address, page="/da"
    )
    assert "minder for meget om det, du har angivet som e-mailadresse" in danish
    assert "din/dit" not in danish and "e-mail address" not in danish


@pytest.mark.clause("SITE-1")
def test_a_password_like_the_name_is_refused_too(client, published):
    name = "Christoffersenberg Andersen"
    page = password_refused(
        client, published.label, email="c@example.com", name=name, password=name
    )
    assert "too close to what you gave as your name" in page

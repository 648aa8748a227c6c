"""The collection-point form base: declared categories only, choices, notice, consent record."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms

from keepfaith.accounts.forms import ContactDetailsForm, SignupForm
from keepfaith.audit.services import Actor
from keepfaith.collection.declare import UndeclaredCollection, collects, not_personal
from keepfaith.collection.forms import CHOICE_PREFIX, CollectionPointForm, gate_submission
from keepfaith.consent.models import ConsentEvent
from keepfaith.consent.selectors import current_choices
from keepfaith.gate import PolicyViolation
from keepfaith.inforce import in_force
from keepfaith.support.forms import InformationRequestForm, SupportTicketForm
from keepfaith.versions.services import policy_publish_file
from tests.collection.conftest import BE_PATH, QS_PATH
from tests.forms import as_posted

NEWS = "marketing.communications.email"
NEWSLETTER = "marketing.communications.email.newsletter"
PARTNER = "marketing.communications.email.partner_promotions"
NEWS_NOTICE = "essential.service.authentication"  # the contact form's first use


class SneakyRequestForm(CollectionPointForm):
    """An information request that also asks for the computer configuration."""

    point_id = "information-request"
    email = collects("user.contact.email", forms.EmailField())
    os = collects("user.device.computer_configuration", forms.CharField())


class UnmarkedForm(CollectionPointForm):
    point_id = "information-request"
    email = collects("user.contact.email", forms.EmailField())
    remark = forms.CharField()


class UnknownPointForm(CollectionPointForm):
    point_id = "no-such-form"
    email = collects("user.contact.email", forms.EmailField())


class CardOnTicketForm(SupportTicketForm):
    implicit_categories = ("user.unique_id", "user.financial.credit_card")


def signup_data(form: SignupForm, **choices: bool) -> dict[str, Any]:
    data = {
        "email": "new@example.com",
        "full_name": "Nina New",
        "password1": "a long enough secret phrase",
        "password2": "a long enough secret phrase",
        "shown_policy_version": form.version_label,
    }
    data.update({CHOICE_PREFIX + key: "on" for key, ticked in choices.items() if ticked})
    return data


@pytest.mark.clause("QS-2")
def test_a_field_of_an_undeclared_category_is_refused(published):
    with pytest.raises(UndeclaredCollection) as caught:
        SneakyRequestForm()
    message = str(caught.value)
    assert "SneakyRequestForm.os collects user.device.computer_configuration" in message
    assert "'information-request' does not declare" in message


@pytest.mark.clause("QS-2")
def test_a_field_without_a_declaration_is_refused(published):
    with pytest.raises(
        UndeclaredCollection, match=r"UnmarkedForm.remark declares no data category"
    ):
        UnmarkedForm()


@pytest.mark.clause("QS-2")
def test_an_undeclared_point_is_refused(published):
    with pytest.raises(UndeclaredCollection, match=r"'no-such-form' is not declared"):
        UnknownPointForm()


@pytest.mark.clause("QS-2")
def test_data_stored_without_a_field_must_be_declared_too(published):
    with pytest.raises(UndeclaredCollection, match=r"user.financial.credit_card"):
        CardOnTicketForm()


@pytest.mark.clause("QS-2")
@pytest.mark.parametrize("path", [BE_PATH, QS_PATH], ids=["qualityssl", "qualispace"])
def test_every_form_of_the_product_fits_both_example_policies(db, alice, path):
    version, _ = policy_publish_file(path=path)
    for form in (
        SignupForm(),
        InformationRequestForm(),
        SupportTicketForm(),
        ContactDetailsForm(customer=alice),
    ):
        assert form.version == version
        assert form.data_fields()


@pytest.mark.clause("QS-2")
def test_optional_fields_follow_the_policy(published_qs, alice):
    form = ContactDetailsForm(customer=alice)
    assert "organization" not in form.fields  # QualiSpace does not collect organisations
    assert form.fields["phone"].required is False
    assert form.fields["email"].required is True


@pytest.mark.clause("BE-9")
@pytest.mark.clause("QS-4")
def test_each_offered_use_gets_a_choice_not_preticked_in_denmark(published):
    form = SignupForm()
    names = [f.name for f in form.choice_fields()]
    assert names == [CHOICE_PREFIX + NEWS, CHOICE_PREFIX + NEWSLETTER]
    assert [form[n].initial for n in names] == [False, False]
    assert form[CHOICE_PREFIX + NEWSLETTER].label == "Newsletter"


@pytest.mark.clause("BE-8")
def test_a_choice_is_explained_in_words_for_the_customer_making_it(published):
    """The policy's prompt, not the statement's sentence about "established customers"."""
    from django.utils import translation

    form = SignupForm()
    assert form[CHOICE_PREFIX + NEWSLETTER].help_text == (
        "Our newsletter, by e-mail. You can stop it at any time."
    )
    with translation.override("da"):
        danish = SignupForm()
    assert danish[CHOICE_PREFIX + NEWS].help_text.startswith("Nyheder om vores produkter")
    for field in (*form.choice_fields(), *danish.choice_fields()):
        assert "established customers" not in field.help_text
        assert "faste kunder" not in field.help_text


@pytest.mark.clause("QS-4")
def test_opt_out_boxes_are_preticked_where_the_law_allows(published_qs):
    form = SignupForm()
    assert [(f.name, f.initial) for f in form.choice_fields()] == [(CHOICE_PREFIX + NEWS, True)]


@pytest.mark.clause("BE-9")
def test_a_signed_in_subject_sees_their_current_choice(published, alice):
    form = ContactDetailsForm(customer=alice)
    assert form[CHOICE_PREFIX + PARTNER].initial is False
    from keepfaith.consent.services import consent_record
    from keepfaith.inforce import in_force

    consent_record(
        policy=in_force().policy,
        subject=alice.customer_number,
        key=PARTNER,
        event="given",
        source="portal",
    )
    form = ContactDetailsForm(customer=alice)
    assert form[CHOICE_PREFIX + PARTNER].initial is True


def test_the_notice_says_what_why_and_where(published):
    html = str(SignupForm().notice_html())
    assert "e-mail address, password, name" in html
    assert "Customer account" in html
    assert 'href="/privacy/"' in html
    assert published.label in html


@pytest.mark.clause("BE-2")
@pytest.mark.clause("BE-9")
def test_save_consent_records_the_version_shown_and_each_choice(published):
    form = SignupForm(data=signup_data(SignupForm(), **{NEWS: True}))
    assert form.is_valid(), form.errors
    events = form.save_consent(subject="KF-TEST0-00001")
    assert {(e.key, e.event) for e in events} == {
        ("essential.service.authentication", "notice-acknowledged"),
        (NEWS, "opted-in"),
        (NEWSLETTER, "opted-out"),
    }
    assert {e.policy_version_id for e in events} == {published.pk}
    assert {e.source for e in events} == {"form:signup"}
    assert len({e.evidence["form_hash"] for e in events}) == 1
    assert events[0].evidence["form_hash"].startswith("sha256:")
    choices = current_choices(subject="KF-TEST0-00001")
    assert choices[NEWSLETTER].status == "opted-out"
    assert choices[NEWS].status == "given"


@pytest.mark.clause("BE-2")
def test_what_was_shown_names_every_field_the_choices_and_the_version(published):
    shown = SignupForm().shown()
    for part in ("point signup", "email: E-mail", f"{NEWSLETTER}: Newsletter initial=False"):
        assert part in shown
    assert f"Policy {published.label}" in shown
    assert "csrf" not in shown.lower()  # stable across requests


@pytest.mark.clause("BE-2")
def test_a_submission_against_an_older_version_is_refused(published, published_qs):
    data = signup_data(SignupForm())
    data["shown_policy_version"] = published.label
    form = SignupForm(data=data)
    assert form.is_valid() is False
    assert "privacy policy changed while this form was open" in str(form.non_field_errors())
    assert ConsentEvent.objects.count() == 0


@pytest.mark.feature("choices.on-forms")
@pytest.mark.feature("collection.contact-details")
@pytest.mark.clause("BE-9")
@pytest.mark.clause("QS-4")
@pytest.mark.clause("BE-9")
def test_unchanged_choices_record_only_the_notice(published, alice):
    subject = alice.customer_number
    data = as_posted(ContactDetailsForm(customer=alice), phone="+45 1111 2222")
    first = ContactDetailsForm(data=data, customer=alice)
    assert first.is_valid(), first.errors
    assert [e.event for e in first.save_consent(subject=subject)] == ["notice-acknowledged"]
    assert current_choices(subject=subject) == {}  # nothing she did not choose
    # never asked, the newsletter's box starts empty in Denmark; ticking it is her yes
    changed = as_posted(ContactDetailsForm(customer=alice), **{CHOICE_PREFIX + NEWSLETTER: True})
    second = ContactDetailsForm(data=changed, customer=alice)
    assert second.is_valid()
    events = [(e.key, e.event) for e in second.save_consent(subject=subject)]
    assert events == [(NEWS_NOTICE, "notice-acknowledged"), (NEWSLETTER, "opted-in")]
    removed = as_posted(ContactDetailsForm(customer=alice), **{CHOICE_PREFIX + NEWSLETTER: False})
    third = ContactDetailsForm(data=removed, customer=alice)
    assert third.is_valid()
    events = [(e.key, e.event) for e in third.save_consent(subject=subject)]
    assert events == [(NEWS_NOTICE, "notice-acknowledged"), (NEWSLETTER, "opted-out")]


def test_an_answer_is_compared_with_what_the_page_showed_not_with_a_later_change(published, alice):
    """The box showed "on"; an opt-out arrived by e-mail meanwhile; an untouched save keeps it."""
    from keepfaith.consent.services import consent_record

    subject = alice.customer_number
    consent_record(subject=subject, key=NEWSLETTER, event="opted-in", source="signup",
                   policy=in_force().policy)  # fmt: skip
    data = as_posted(ContactDetailsForm(customer=alice))
    assert data[CHOICE_PREFIX + NEWSLETTER] == "on"  # the box shows her yes
    consent_record(subject=subject, key=NEWSLETTER, event="opted-out", source="email")
    form = ContactDetailsForm(data=data, customer=alice)
    assert form.is_valid()
    assert [e.event for e in form.save_consent(subject=subject)] == ["notice-acknowledged"]
    assert current_choices(subject=subject)[NEWSLETTER].status == "opted-out"


@pytest.mark.clause("BE-3")
def test_the_gate_is_asked_for_the_point_use_and_the_categories_stored(published, alice):
    form = SupportTicketForm(
        data={
            "email": "alice@example.com",
            "summary": "TLS error",
            "description": "handshake fails",
            "operating_system": "Debian 12",
            "shown_policy_version": published.label,
        },
        subject=alice.customer_number,
    )
    assert form.is_valid(), form.errors
    stored = gate_submission(form, actor=Actor.system("test"), subject=alice.customer_number)
    assert stored == ["user.contact.email", "user.device.computer_configuration", "user.unique_id"]


@pytest.mark.clause("BE-3")
def test_the_gate_refuses_configuration_for_a_use_that_does_not_declare_it(published, alice):
    from keepfaith.inforce import in_force

    gate = in_force().gate(actor=Actor.system("test"))
    with pytest.raises(PolicyViolation, match=r"user.device.computer_configuration"):
        gate.require(
            use="essential.service.operations.information_request",
            categories=["user.device.computer_configuration"],
            subject=alice.customer_number,
        )


def test_not_personal_needs_a_reason():
    with pytest.raises(ValueError, match="say why"):
        not_personal(forms.CharField(), reason=" ")

"""Any sequence of saves of the collecting forms and the preferences page records an event
only for a choice the person changed, and afterwards the preferences page, every form and
the gate say the same thing about every choice (QS-4, BE-9, BE-2)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keepfaith.accounts.models import User
from keepfaith.audit.services import Actor
from keepfaith.collection.forms import CHOICE_PREFIX
from keepfaith.consent.models import ConsentEvent
from keepfaith.inforce import in_force
from tests.conftest import PASSWORD
from tests.forms import as_posted

NEWS = "marketing.communications.email"
NEWSLETTER = "marketing.communications.email.newsletter"
PARTNER = "marketing.communications.email.partner_promotions"
USES = (NEWS, NEWSLETTER, PARTNER)
PAGES = {
    "contact": "/account/contact/",
    "ticket": "/support/ticket/",
    "question": "/support/request/",
    "preferences": "/account/preferences/",
}
_people = itertools.count()


def _form_post(client: Client, url: str, flips: set[str]) -> tuple[dict[str, str], set[str]]:
    form = client.get(url).context["form"]
    offered = {name[len(CHOICE_PREFIX) :] for name in form.fields if name.startswith(CHOICE_PREFIX)}
    changes: dict[str, Any] = {
        CHOICE_PREFIX + use: not bool(form[CHOICE_PREFIX + use].value()) for use in flips & offered
    }
    data = as_posted(form, **changes)
    data.setdefault("summary", "A question")  # the ticket's and request's own fields
    data.setdefault("description", "It fails.")
    data.setdefault("question", "Does it work?")
    data.setdefault("operating_system", "Debian 12")
    data.setdefault("browser", "Firefox")
    data.setdefault("software_versions", "nginx 1.22")
    return data, flips & offered


def _preferences_post(client: Client, flips: set[str]) -> tuple[dict[str, str], set[str]]:
    rows = client.get(PAGES["preferences"]).context["rows"]
    data: dict[str, str] = {}
    offered = set()
    for row in rows:
        if not row.switch:
            continue
        offered.add(row.use)
        data[row.shown_field] = "on" if row.on else "off"
        if row.on != (row.use in flips):
            data[row.field] = "on"
    return data, flips & offered


def _agree(client: Client, customer: User) -> None:
    """The preferences page, the contact form and the gate say the same about each choice."""
    rows = {row.use: row.on for row in client.get(PAGES["preferences"]).context["rows"]}
    form = client.get(PAGES["contact"]).context["form"]
    gate = in_force().gate(actor=Actor.system("property"))
    for use in USES:
        allowed = gate.check(
            use=use, categories=("user.contact.email",), subject=customer.subject_ref
        )
        assert rows[use] is allowed.allowed, use
        assert bool(form[CHOICE_PREFIX + use].value()) is rows[use], use


@pytest.mark.clause("QS-4")
@pytest.mark.clause("BE-9")
@pytest.mark.feature("choices.on-forms")
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(sorted(PAGES)), st.sets(st.sampled_from(USES))),
        min_size=1,
        max_size=5,
    )
)
def test_untouched_choices_record_nothing_and_every_page_agrees(
    published: Any, steps: list[tuple[str, set[str]]]
) -> None:
    customer = User.objects.create_user(f"p{next(_people)}@example.com", PASSWORD, full_name="P")
    client = Client()
    client.force_login(customer)
    for page, flips in steps:
        seen = set(
            ConsentEvent.objects.filter(subject=customer.subject_ref).values_list("pk", flat=True)
        )
        if page == "preferences":
            data, changed = _preferences_post(client, flips)
        else:
            data, changed = _form_post(client, PAGES[page], flips)
        answer = client.post(PAGES[page], data)
        assert answer.status_code in (200, 302), answer.content.decode()[:500]
        new = ConsentEvent.objects.filter(subject=customer.subject_ref).exclude(pk__in=seen)
        choice_events = {e.key for e in new if e.event != "notice-acknowledged"}
        assert choice_events == changed, (page, flips)
        _agree(client, customer)

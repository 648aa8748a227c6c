"""The privacy officer's console: queue, a request's page, extend once, carry out, refuse;
every page an audited read (RIGHTS-12)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from keepfaith.accounts.models import User
from keepfaith.audit.models import AuditEntry
from keepfaith.comms.delivery import deliver_pending
from keepfaith.comms.models import OutboxMessage
from keepfaith.rights.models import RightsRequest
from tests.conftest import verified_client
from tests.rights.conftest import ask, signed_in


@pytest.mark.clause("RIGHTS-12")
@pytest.mark.clause("RIGHTS-16")
def test_pat_sees_the_queue_extends_once_and_completes_a_rectification(
    alice: User, pat: User
) -> None:
    ask(signed_in(alice), "rectification", details="My phone is +45 11 22 33 44")
    req = RightsRequest.objects.get()
    client = verified_client(pat)
    page = client.get("/console/rights/")
    assert page.status_code == 200
    assert req.reference in page.content.decode()
    assert "Correction" in page.content.decode()
    assert "my data" not in page.content.decode()  # the requester's words, not staff's
    assert AuditEntry.objects.filter(action="console.rights.queue", outcome="read").exists()
    detail = client.get(f"/console/rights/{req.reference}/")
    assert detail.status_code == 200
    assert "+45 11 22 33 44" in detail.content.decode()
    client.post(
        f"/console/rights/{req.reference}/extend/", {"months": "2", "reason": "Many stores"}
    )
    req.refresh_from_db()
    assert req.extended_at is not None
    assert (req.due_at - req.received_at).days >= 89
    again = client.post(
        f"/console/rights/{req.reference}/extend/", {"months": "1", "reason": "x"}, follow=True
    )
    assert "only once" in again.content.decode()
    timeline = client.get(f"/console/rights/{req.reference}/").content.decode()
    timeline = timeline[timeline.index('id="timeline"') :]
    timeline = timeline[: timeline.index("</ol>")]
    assert "extended · pat@staff.example · by 2 months · reason: Many stores" in timeline
    assert "in the account · signed in, password entered again" in timeline
    assert "False" not in timeline and "True" not in timeline
    pat.language = "da"
    pat.save()
    danish = client.get(f"/console/rights/{req.reference}/").content.decode()
    assert "på kontoen · logget ind, adgangskoden indtastet igen" in danish
    pat.language = "en"
    pat.save()
    deliver_pending()
    told = OutboxMessage.objects.filter(
        to_address="alice@example.com", subject__contains="more time"
    )
    assert told.exists()
    client.post(
        f"/console/rights/{req.reference}/complete/", {"change": "Phone set to +45 11 22 33 44"}
    )
    req.refresh_from_db()
    assert req.state == "done"
    assert req.steps.filter(action="rectified").exists()


@pytest.mark.clause("RIGHTS-12")
def test_an_extension_after_the_first_month_is_refused(alice: User, pat: User) -> None:
    ask(signed_in(alice), "rectification", details="wrong name")
    req = RightsRequest.objects.get()
    RightsRequest.objects.filter(pk=req.pk).update(
        received_at=timezone.now() - dt.timedelta(days=40),
        due_at=timezone.now() - dt.timedelta(days=9),
    )
    client = verified_client(pat)
    page = client.get("/console/rights/")
    assert "Overdue" in page.content.decode()
    response = client.post(
        f"/console/rights/{req.reference}/extend/", {"months": "1", "reason": "late"}, follow=True
    )
    assert "first deadline has passed" in response.content.decode()


def test_support_staff_cannot_open_the_queue(bob: User) -> None:
    response = verified_client(bob).get("/console/rights/")
    assert response.status_code == 403


@pytest.mark.clause("RIGHTS-12")
def test_a_refusal_carries_its_reason_to_the_requester(alice: User, pat: User) -> None:
    ask(signed_in(alice), "rectification", details="x")
    req = RightsRequest.objects.get()
    client = verified_client(pat)
    client.post(f"/console/rights/{req.reference}/refuse/", {"reason": ""})
    req.refresh_from_db()
    assert req.state == "open"
    client.post(f"/console/rights/{req.reference}/refuse/", {"reason": "The data is correct."})
    req.refresh_from_db()
    assert req.state == "refused"
    deliver_pending()
    mail = OutboxMessage.objects.get(subject__contains="refused")
    assert "The data is correct." in mail.text_body
    # where to complain, by the name and address the policy in force gives (Art. 12(4))
    from keepfaith.inforce import in_force

    authority = in_force().policy.rights.supervisory_authority  # type: ignore[union-attr]
    assert f"you may complain to {authority.name}: {authority.url}" in mail.text_body
    assert f'<a href="{authority.url}">' in mail.html_body


@pytest.mark.clause("RIGHTS-17")
def test_the_erasure_plan_speaks_to_staff_about_the_customer_in_their_language(
    alice: User, pat: User
) -> None:
    from keepfaith.inforce import in_force
    from keepfaith.rights.services import request_open_signed_in

    policy = in_force().policy
    req, *_ = request_open_signed_in(
        customer=alice, kind="erasure", details="", language="en", policy=policy
    )
    client = verified_client(pat)
    page = client.get(f"/console/rights/{req.reference}/").content.decode()
    plan = page[page.index('id="erasure-plan"') :]
    plan = plan[: plan.index("</table>")]
    assert "The customer&#x27;s account (name, addresses, phone, password)" in plan
    titles = re.findall(r"<tr><td>([^<]*)</td>", plan)
    assert len(titles) > 5 and not any("your" in t.lower() for t in titles)
    pat.language = "da"
    pat.save()
    danish = client.get(f"/console/rights/{req.reference}/").content.decode()
    danish = danish[danish.index('id="erasure-plan"') :]
    danish = danish[: danish.index("</table>")]
    assert "GDPR art. 5, stk. 2" in danish  # the policy's Danish law text, not the English
    assert "proof that we" not in danish
    assert not re.search(r"\d{4}-\d{2}-\d{2}", danish)  # dates in words, not ISO
    assert "Gemmes til" in danish


@pytest.mark.clause("RIGHTS-16")
def test_a_correction_changes_the_detail_and_says_only_what_changed(alice: User, pat: User) -> None:
    from keepfaith.accounts.models import ContactDetailsChange

    ask(signed_in(alice), "rectification", details="My organisation is Andersen ApS")
    req = RightsRequest.objects.get()
    client = verified_client(pat)
    nothing = client.post(f"/console/rights/{req.reference}/complete/", {"change": ""}, follow=True)
    assert "Give the corrected value of a detail" in nothing.content.decode()
    req.refresh_from_db()
    assert req.is_open  # nothing said, nothing closed
    client.post(
        f"/console/rights/{req.reference}/complete/", {"correct-organization": "Andersen ApS"}
    )
    alice.refresh_from_db()
    req.refresh_from_db()
    assert alice.organization == "Andersen ApS"
    history = ContactDetailsChange.objects.get(customer=alice, field="organization")
    assert (history.old, history.new) == ("", "Andersen ApS")
    assert req.state == "done" and req.outcome == "Organisation is now “Andersen ApS”."
    entry = AuditEntry.objects.get(action="console.rights.rectify")
    assert (entry.outcome, entry.subject) == ("allowed", alice.customer_number)
    assert "user.contact.organization" in entry.categories


@pytest.mark.clause("RIGHTS-16")
def test_a_correction_can_remove_a_detail(alice: User, pat: User) -> None:
    """A wrong detail the customer wants gone is removed (not just left as it was), the
    history keeps the old value and the answer says it was removed; a detail both given and
    ticked for removal is an error that changes nothing."""
    from keepfaith.accounts.models import ContactDetailsChange

    User.objects.filter(pk=alice.pk).update(phone="+45 12 34 56 78")
    ask(signed_in(alice), "rectification", details="Please delete my old phone number")
    req = RightsRequest.objects.get()
    client = verified_client(pat)
    page = client.get(f"/console/rights/{req.reference}/").content.decode()
    assert 'name="correct-remove" value="phone"' in page
    both = client.post(
        f"/console/rights/{req.reference}/complete/",
        {"correct-phone": "+45 87 65 43 21", "correct-remove": ["phone"]},
        follow=True,
    ).content.decode()
    assert "give a corrected value or remove it, not both" in both
    alice.refresh_from_db()
    assert alice.phone == "+45 12 34 56 78"
    client.post(f"/console/rights/{req.reference}/complete/", {"correct-remove": ["phone"]})
    alice.refresh_from_db()
    req.refresh_from_db()
    assert alice.phone == ""
    history = ContactDetailsChange.objects.get(customer=alice, field="phone")
    assert (history.old, history.new) == ("+45 12 34 56 78", "")
    assert req.state == "done" and req.outcome == "Phone number has been removed."


@pytest.mark.clause("RIGHTS-16")
@pytest.mark.clause("QS-3")
def test_a_correction_the_policy_does_not_grant_the_role_is_refused(alice: User, pat: User) -> None:
    publish_without_the_officer_s_contact_grants()
    ask(signed_in(alice), "rectification", details="My organisation is Andersen ApS")
    req = RightsRequest.objects.get()
    refused = verified_client(pat).post(
        f"/console/rights/{req.reference}/complete/",
        {"correct-organization": "Andersen ApS"},
        follow=True,
    )
    assert "does not let your role correct Organisation" in refused.content.decode()
    alice.refresh_from_db()
    req.refresh_from_db()
    assert alice.organization == "" and req.is_open
    assert AuditEntry.objects.get(action="console.rights.rectify").outcome == "refused"


def publish_without_the_officer_s_contact_grants() -> None:
    """QualitySSL's policy with the privacy officer granted no address or organisation."""
    from pathlib import Path

    from keepfaith.versions.services import policy_publish

    text = Path("examples/qualityssl/policy.yaml").read_text(encoding="utf-8")
    narrowed = text.replace(
        "                   user.contact.phone_number, user.contact.address, "
        "user.contact.organization]",
        "                   user.contact.phone_number]",
        1,
    ).replace('version: "2024.1"', 'version: "2024.2"', 1)
    assert narrowed != text
    policy_publish(source=narrowed, source_name="narrowed")


@pytest.mark.clause("RIGHTS-16")
@pytest.mark.clause("QS-3")
def test_a_correction_s_values_show_only_to_a_role_the_policy_grants_them(
    alice: User, pat: User
) -> None:
    """The answer and the timeline name the values set; once the policy no longer grants
    the privacy officer those details, the request page leaves them out."""
    ask(signed_in(alice), "rectification", details="My organisation is spelt wrong")
    req = RightsRequest.objects.get()
    client = verified_client(pat)
    client.post(
        f"/console/rights/{req.reference}/complete/", {"correct-organization": "Andersen ApS"}
    )
    assert "Andersen ApS" in client.get(f"/console/rights/{req.reference}/").content.decode()
    assert AuditEntry.objects.filter(action="console.rights.rectified").exists()
    publish_without_the_officer_s_contact_grants()
    page = client.get(f"/console/rights/{req.reference}/").content.decode()
    assert "Andersen ApS" not in page
    assert "The corrected details are not open to your role." in page
    # the command line asks the same (found printing the values unasked)
    out = io.StringIO()
    call_command("rights", "show", req.reference, "--as", pat.email, stdout=out)
    assert "Andersen ApS" not in out.getvalue()
    assert "(the corrected details are not open to your role)" in out.getvalue()
    # times as the console shows them: local, with the zone named
    import re

    assert re.search(r"received \d{4}-\d\d-\d\d \d\d:\d\d (CET|CEST), due", out.getvalue())
    refused = AuditEntry.objects.filter(action="console.rights.rectified", outcome="refused")
    assert refused.get().detail["command"] == "rights show"


@pytest.mark.clause("RIGHTS-16")
def test_a_correction_is_checked_like_the_customer_s_own_form(alice: User, pat: User) -> None:
    """Too long, or not a phone number: a clear error in the staff member's language, nothing
    changed, nothing closed, and no audit entry claiming a write (the requester reads Danish)."""
    ask(signed_in(alice), "rectification", details="Min telefon er forkert")
    req = RightsRequest.objects.get()
    RightsRequest.objects.filter(pk=req.pk).update(language="da")
    client = verified_client(pat)
    for field, value, said in (
        ("correct-full_name", "x" * 200, "at most 150 characters"),
        ("correct-phone", "call me maybe <b>x</b>", "Enter a phone number"),
    ):
        page = client.post(
            f"/console/rights/{req.reference}/complete/", {field: value}, follow=True
        ).content.decode()
        assert said in page, field
    nothing = client.post(f"/console/rights/{req.reference}/complete/", {}, follow=True)
    assert "Give the corrected value" in nothing.content.decode()  # English, as pat reads
    alice.refresh_from_db()
    req.refresh_from_db()
    assert req.is_open and alice.phone == "" and alice.full_name != "x" * 200
    assert not AuditEntry.objects.filter(action="console.rights.rectify").exists()


@pytest.mark.clause("RIGHTS-16")
def test_a_step_that_fails_keeps_what_was_typed(alice: User, pat: User) -> None:
    """A wrong phone number in a correction, an unknown address for a match: the error, and
    every other value still in its field (found cleared by a walk-through)."""
    ask(signed_in(alice), "rectification", details="Name and phone are wrong")
    req = RightsRequest.objects.get()
    client = verified_client(pat)
    response = client.post(
        f"/console/rights/{req.reference}/complete/",
        {"correct-full_name": "Eric Tester", "correct-phone": "call me maybe",
         "change": "Spelling of the surname"},
    )  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 400
    assert "Enter a phone number" in page
    assert 'value="Eric Tester"' in page and "Spelling of the surname</textarea>" in page
    alice.refresh_from_db()
    assert alice.full_name != "Eric Tester"
    refused = client.post(f"/console/rights/{req.reference}/refuse/", {"reason": ""})
    assert refused.status_code == 400
    # each page shown with the error is a read of the request, audited as such
    reads = AuditEntry.objects.filter(action="console.rights.request", subject=alice.subject_ref)
    assert reads.filter(detail__path=f"/console/rights/{req.reference}/refuse/").exists()


@pytest.mark.clause("RIGHTS-17")
def test_a_carried_out_erasure_s_plan_reads_in_the_staff_member_s_language(
    alice: User, pat: User
) -> None:
    """The receipt keeps the plan in the customer's words (Danish); the English console says
    it in English (found mixed by a walk-through)."""
    from keepfaith.inforce import in_force
    from keepfaith.rights.services import request_open_signed_in

    alice.language = "da"
    alice.save()
    req, *_ = request_open_signed_in(
        customer=alice, kind="erasure", details="", language="da", policy=in_force().policy
    )
    client = verified_client(pat)
    client.post(f"/console/rights/{req.reference}/complete/", {"confirm": "yes"})
    req.refresh_from_db()
    assert not req.is_open and req.receipt.get("plan")
    page = client.get(f"/console/rights/{req.reference}/").content.decode()
    plan = page[page.index('id="erasure-plan"') :]
    plan = plan[: plan.index("</table>")]
    assert "retlig forpligtelse" not in plan and "used for nothing else" in plan


@pytest.mark.clause("RIGHTS-16")
def test_the_customer_sees_what_they_wrote_on_their_requests_page(carol: User) -> None:
    """After "what you wrote was added to it" the page showed only dates and the state."""
    client = signed_in(carol)
    ask(client, "rectification", details="My phone number is wrong")
    ask(client, "rectification", details="It is +45 11 22 33 44")
    req = RightsRequest.objects.get()
    page = client.get(f"/account/privacy/{req.reference}/").content.decode()
    assert 'id="request-details"' in page
    assert "My phone number is wrong" in page and "+45 11 22 33 44" in page


@pytest.mark.clause("RIGHTS-17")
def test_an_erasure_runs_only_once_the_privacy_officer_ticks_that_it_cannot_be_undone(
    alice: User, pat: User
) -> None:
    """One click on "Carry out the erasure" erased the account (found by a browser walk):
    the server now asks for the box naming the customer, and does nothing without it."""
    from keepfaith.inforce import in_force
    from keepfaith.rights.services import request_open_signed_in

    req, *_ = request_open_signed_in(
        customer=alice, kind="erasure", details="", language="en", policy=in_force().policy
    )
    client = verified_client(pat)
    page = client.get(f"/console/rights/{req.reference}/").content.decode()
    form = page[page.index('id="complete-form"') :]
    form = form[: form.index("</form>")]
    assert 'name="confirm"' in form and "data-confirm=" in form
    assert f"customer {alice.subject_ref} for good" in form
    refused = client.post(f"/console/rights/{req.reference}/complete/", {})
    assert refused.status_code == 400
    assert "Nothing was erased" in refused.content.decode()
    req.refresh_from_db()
    alice.refresh_from_db()
    assert req.is_open and alice.is_active
    assert not req.steps.filter(action="erased").exists()
    done = client.post(f"/console/rights/{req.reference}/complete/", {"confirm": "yes"})
    assert done.status_code == 302
    req.refresh_from_db()
    assert not req.is_open


@pytest.mark.clause("RIGHTS-18")
def test_a_restriction_is_carried_out_only_with_the_box_ticked(carol: User, pat: User) -> None:
    from keepfaith.inforce import in_force
    from keepfaith.rights.services import request_open_signed_in

    req, *_ = request_open_signed_in(
        customer=carol, kind="restriction", details="", language="en", policy=in_force().policy
    )
    assert req.is_open
    client = verified_client(pat)
    refused = client.post(f"/console/rights/{req.reference}/complete/", {}, follow=True)
    assert "Nothing was carried out: tick the box" in refused.content.decode()
    req.refresh_from_db()
    assert req.is_open
    client.post(f"/console/rights/{req.reference}/complete/", {"confirm": "yes"})
    req.refresh_from_db()
    assert not req.is_open


@pytest.mark.clause("RIGHTS-12")
def test_a_step_s_address_opened_leads_to_the_request_and_an_unknown_step_is_the_404(
    alice: User, pat: User
) -> None:
    """A GET of a form's address was a bare 405 (Chromium's "HTTP ERROR 405")."""
    ask(signed_in(alice), "rectification", details="wrong name")
    req = RightsRequest.objects.get()
    client = verified_client(pat)
    for step in ("identify", "complete", "extend", "refuse", "lift"):
        opened = client.get(f"/console/rights/{req.reference}/{step}/")
        assert opened.status_code == 302, step
        assert opened["Location"] == f"/console/rights/{req.reference}/"
    for method in (client.get, client.post):
        bogus = method(f"/console/rights/{req.reference}/bogus/")
        assert bogus.status_code == 404
        assert "There is nothing at this address" in bogus.content.decode()
    req.refresh_from_db()
    assert req.is_open


@pytest.mark.clause("RIGHTS-17")
@pytest.mark.clause("RIGHTS-18")
def test_an_erased_customer_is_said_to_be_erased_not_restricted(
    alice: User, carol: User, bob: User, pat: User
) -> None:
    """The customer list counted an erased customer among those "who restricted the use of
    their data", and their page said the privacy officer could lift it."""
    from tests.conftest import PASSWORD

    erasing = signed_in(alice)
    erasing.post("/account/privacy/", {"kind": "erasure", "password": PASSWORD})
    erasing.post("/account/privacy/erase/", {"password": PASSWORD})
    alice.refresh_from_db()
    assert alice.is_active is False
    ask(signed_in(carol), "restriction", details="")
    client = verified_client(bob)
    listing = client.get("/console/customers/").content.decode()
    erased = listing[listing.index('id="erased-left-out"') :]
    assert erased[: erased.index("</p>")].endswith(
        "1 customer whose account was erased is left out: the erasure restricts the use of "
        "their data for good."
    )
    restricted = listing[listing.index('id="restricted-left-out"') :]
    assert restricted[: restricted.index("</p>")].startswith(
        'id="restricted-left-out">1 customer who restricted'
    )
    page = client.get(f"/console/customers/{alice.customer_number}/")
    assert page.status_code == 403
    said = page.content.decode()
    assert "This customer&#x27;s account was erased." in said
    assert "Until the privacy officer lifts" not in said
    # whoever may still open it (the privacy officer) reads "erased", never the placeholder
    # address or a restriction someone could lift
    officer = verified_client(pat)
    erased_page = officer.get(f"/console/customers/{alice.customer_number}/").content.decode()
    assert "Erased account" in erased_page and 'id="erased"' in erased_page
    assert "erased.invalid" not in erased_page and 'id="restricted"' not in erased_page
    assert "erased.invalid" not in officer.get("/console/customers/").content.decode()
    other = client.get(f"/console/customers/{carol.customer_number}/").content.decode()
    assert "This customer has restricted the use of their data." in other
    # an account that is only inactive (switched off, or never confirmed) is not erased:
    # its restriction can still be lifted
    User.objects.filter(pk=carol.pk).update(is_active=False)
    again = client.get(f"/console/customers/{carol.customer_number}/").content.decode()
    assert "This customer has restricted the use of their data." in again
    assert "account was erased" not in again
    listing = client.get("/console/customers/").content.decode()
    assert 'id="restricted-left-out">1 customer who restricted' in listing


@pytest.mark.clause("RIGHTS-12")
def test_the_request_s_forms_post_to_its_page_so_a_refused_step_reloads_there(
    alice: User, pat: User
) -> None:
    """A refused step was shown at the step's address (…/refuse/), which a reload could not
    open; the forms now post to the request's page with their step."""
    ask(signed_in(alice), "rectification", details="wrong name")
    req = RightsRequest.objects.get()
    client = verified_client(pat)
    url = f"/console/rights/{req.reference}/"
    page = client.get(url).content.decode()
    refuse = page[page.index('id="refuse-form"') - 60 :]
    assert f'action="{url}"' in refuse[: refuse.index(">")]
    assert '<input type="hidden" name="step" value="refuse">' in refuse
    refused = client.post(url, {"step": "extend", "months": "1", "reason": ""})
    assert refused.status_code == 400
    assert 'id="extend-form"' in refused.content.decode()
    assert client.post(url, {"step": "bogus"}).status_code == 404
    client.post(url, {"step": "refuse", "reason": "Not ours to correct"})
    req.refresh_from_db()
    assert req.state == "refused"


@pytest.mark.clause("RIGHTS-12")
def test_an_extension_reason_too_long_to_send_whole_is_refused_in_the_reader_s_language(
    alice: User, pat: User
) -> None:
    """The reason was cut to 2,000 characters without a word, so the requester got less than
    the privacy officer wrote; now it is refused, the typed text kept, nothing extended."""
    ask(signed_in(alice), "rectification", details="wrong name")
    req = RightsRequest.objects.get()
    client = verified_client(pat)
    url = f"/console/rights/{req.reference}/"
    long = "We need to check with the certificate authority. " * 41  # 2,050 characters
    refused = client.post(url, {"step": "extend", "months": "1", "reason": long})
    assert refused.status_code == 400
    said = refused.content.decode()
    assert "Keep the reason within 2,000 characters" in said
    assert long.strip()[:200] in said  # what was typed is still there
    req.refresh_from_db()
    assert req.extended_at is None
    pat.language = "da"
    pat.save(update_fields=["language"])
    danish = verified_client(pat).post(url, {"step": "extend", "months": "1", "reason": long})
    assert "Hold begrundelsen inden for 2.000 tegn" in danish.content.decode()


@pytest.mark.clause("RIGHTS-12")
def test_the_closing_mail_names_the_authority_in_the_reader_s_language() -> None:
    from keepfaith.comms.emails import render_mail

    context = {
        "reference": "R-1",
        "kind": "erasure",
        "refused": True,
        "outcome": "x",
        "authority": "Datatilsynet",
        "authority_url": "https://www.datatilsynet.dk",
    }
    mail = render_mail(name="rights_closed", language="da", context=context)
    assert "Hvis du er uenig, kan du klage til Datatilsynet: https://www.datatilsynet.dk" in (
        mail.text
    )
    # a policy that names no authority keeps the general sentence
    bare = render_mail(name="rights_closed", language="en", context={**context, "authority": ""})
    assert "complain to the supervisory authority" in bare.text

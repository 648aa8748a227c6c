"""Campaigns in the console (BE-8): edit a draft, preview it in both languages and as a
chosen recipient, test it to oneself, schedule it, delete it, confirm the audience size, and
follow its state to "sent"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from keepfaith.audit.models import AuditEntry
from keepfaith.audit.services import Actor
from keepfaith.comms.delivery import deliver_pending
from keepfaith.comms.models import Campaign
from keepfaith.jobs.services import JOBS, job_run
from tests.comms.conftest import make_customer
from tests.conftest import make_staff, verified_client

pytestmark = [pytest.mark.clause("BE-8")]


@pytest.fixture
def draft(published, mia):
    client = verified_client(mia)
    client.post(
        "/console/campaigns/",
        {"kind": "newsletter", "subject": "Autumn news", "text": "Hello there", "html": ""},
    )
    return client, Campaign.objects.get()


def test_a_draft_is_edited_and_previewed_in_both_languages(draft):
    client, campaign = draft
    gus = make_customer("gus@example.com")
    gus.language = "da"
    gus.save()
    client.post(
        f"/console/campaigns/{campaign.pk}/",
        {
            "kind": "newsletter",
            "subject": "Winter news",
            "text": "Snow soon",
            "html": "<p>Snow</p>",
        },
    )
    campaign.refresh_from_db()
    assert (campaign.subject, campaign.text_body) == ("Winter news", "Snow soon")
    page = client.get(f"/console/campaigns/{campaign.pk}/preview/").content.decode()
    assert 'id="preview-en"' in page and 'id="preview-da"' in page
    assert "Unsubscribe with one click" in page  # the English footer of marketing mail
    # one customer's place in the audience is their consent state: not marketing's to read
    refused = client.get(
        f"/console/campaigns/{campaign.pk}/preview/", {"recipient": gus.customer_number}
    ).content.decode()
    assert "is in the audience" not in refused and 'name="recipient"' not in refused
    assert "does not open to your role" in refused
    ada = verified_client(make_staff("ada@staff.example", "administrator"))
    as_gus = ada.get(
        f"/console/campaigns/{campaign.pk}/preview/", {"recipient": gus.subject_ref}
    ).content.decode()
    assert "is in the audience" in as_gus
    read = AuditEntry.objects.filter(action="console.consent.show", subject=gus.customer_number)
    assert read.get().actor == "ada@staff.example"
    assert as_gus.index('id="preview-da"') < as_gus.index('id="preview-en"')  # his first
    assert "sandbox" in as_gus  # the HTML part is shown in a sandboxed frame


def test_a_test_goes_to_the_staff_member_only(draft, mia):
    client, campaign = draft
    make_customer("gus@example.com")
    client.post(f"/console/campaigns/{campaign.pk}/act/", {"action": "test", "language": "da"})
    deliver_pending()
    assert [m.to for m in mail.outbox] == [[mia.email]]
    assert mail.outbox[0].subject.startswith("[TEST]")
    assert Campaign.objects.get().status == "draft"
    assert AuditEntry.objects.filter(action="comms.campaign.test").exists()


def test_confirm_names_the_audience_and_the_state_follows_the_outbox_to_sent(draft):
    client, campaign = draft
    make_customer("gus@example.com")
    make_customer("hal@example.com")
    confirm = client.get(f"/console/campaigns/{campaign.pk}/send/").content.decode()
    assert "goes to 2 customers now" in confirm
    stale = client.post(
        f"/console/campaigns/{campaign.pk}/send/", {"audience_size": "1"}, follow=True
    )
    assert "The audience changed meanwhile" in stale.content.decode()
    assert Campaign.objects.get().status == "draft"
    client.post(f"/console/campaigns/{campaign.pk}/send/", {"audience_size": "2"})
    assert (
        'id="campaign-status">sending<'
        in client.get(f"/console/campaigns/{campaign.pk}/").content.decode()
    )
    deliver_pending()
    page = client.get(f"/console/campaigns/{campaign.pk}/").content.decode()
    assert 'id="campaign-status">sent<' in page
    assert 'id="campaign-sent">2<' in page


def test_a_scheduled_draft_is_queued_by_the_campaigns_job_at_its_time(draft):
    client, campaign = draft
    make_customer("gus@example.com")
    at = timezone.localtime(timezone.now() + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    page = client.get(f"/console/campaigns/{campaign.pk}/").content.decode()
    zone = timezone.get_current_timezone_name()
    assert f"Send at ({zone})" in page  # the time typed is the company's, and says so
    # scheduling sends to everyone then: it asks the same "yes" as sending now, with the count
    assert "Send it then to everyone in its audience (1 customer now)" in page
    url = f"/console/campaigns/{campaign.pk}/act/"
    unticked = client.post(url, {"action": "schedule", "at": at})
    assert unticked.status_code == 400 and Campaign.objects.get().scheduled_for is None
    shown_again = unticked.content.decode()
    assert "Nothing was scheduled: tick the box" in shown_again
    assert f'value="{at}"' in shown_again  # what was typed stays
    client.post(url, {"action": "schedule", "at": at, "confirm": "on"})
    assert Campaign.objects.get().scheduled_for is not None
    shown = client.get(f"/console/campaigns/{campaign.pk}/").content.decode()
    assert f"({zone})" in shown and " UTC" not in shown
    job = next(j for j in JOBS if j.name == "campaigns")
    job_run(job=job, now=timezone.now())
    assert Campaign.objects.get().status == "draft"  # not yet
    job_run(job=job, now=timezone.now() + dt.timedelta(hours=3))
    queued = Campaign.objects.get()
    assert (queued.status, queued.audience_size) == ("queued", 1)


def test_editing_a_scheduled_draft_unschedules_it(draft):
    """What was confirmed for sending (the kind, so the audience, and the words) is not what
    the draft says after an edit: it waits to be scheduled again."""
    client, campaign = draft
    at = timezone.localtime(timezone.now() + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    url = f"/console/campaigns/{campaign.pk}/act/"
    client.post(url, {"action": "schedule", "at": at, "confirm": "on"})
    assert Campaign.objects.get().scheduled_for is not None
    edit = {"kind": "promotions", "subject": "Deals", "text": "Buy", "html": ""}
    page = client.post(f"/console/campaigns/{campaign.pk}/", edit, follow=True).content.decode()
    assert "It is no longer scheduled" in page
    edited = Campaign.objects.get()
    assert (edited.kind, edited.scheduled_for, edited.scheduled_by) == ("promotions", None, "")


def test_a_draft_is_deleted_and_a_queued_campaign_cannot_be(draft):
    client, campaign = draft
    client.post(f"/console/campaigns/{campaign.pk}/act/", {"action": "delete"})
    assert not Campaign.objects.exists()
    assert AuditEntry.objects.filter(action="comms.campaign.delete").exists()


def test_the_footer_names_the_mail_by_the_policy_s_name_in_the_reader_s_language(draft):
    """Not the kind's key: what the customer chose, as the policy names it; and "said yes"
    for mail sent only after a yes: in Denmark the newsletter too, whose box starts empty
    ("not declined" is for a jurisdiction that allows a ticked box)."""
    from keepfaith.comms.campaigns import campaign_render
    from keepfaith.inforce import in_force

    client, campaign = draft
    gus, hal = make_customer("gus@example.com"), make_customer("hal@example.com")
    gus.language = "da"
    gus.save()
    client.post(f"/console/campaigns/{campaign.pk}/send/", {"audience_size": "2"})
    deliver_pending()
    # the footer follows the separator line; an unsubscribe token may itself hold "--"
    footers = {m.to[0]: m.body.rsplit("\n--\n", 1)[1] for m in mail.outbox}
    assert "you said yes to “Newsletter”" in footers[hal.email]
    assert "du har sagt ja til »Nyhedsbrev«" in footers[gus.email]
    assert "newsletter" not in " ".join(footers.values())
    gate = in_force().gate(actor=Actor.system("test"))
    promotion = Campaign(kind="partner_promotions", subject="Offer", text_body="Hi")
    english = campaign_render(campaign=promotion, gate=gate, language="en").text
    danish = campaign_render(campaign=promotion, gate=gate, language="da").text
    assert "you said yes to “Partner promotions”" in english
    assert "du har sagt ja til »Tilbud fra partnere«" in danish


def test_the_status_command_says_what_the_console_says(draft):
    from io import StringIO

    from django.core.management import call_command

    client, campaign = draft
    make_customer("gus@example.com")
    out = StringIO()
    call_command("campaign", "status", str(campaign.pk), stdout=out)
    assert f"campaign {campaign.pk} newsletter draft:" in out.getvalue()
    client.post(f"/console/campaigns/{campaign.pk}/send/", {"audience_size": "1"})
    deliver_pending()
    out = StringIO()
    call_command("campaign", "status", str(campaign.pk), stdout=out)
    page = client.get(f"/console/campaigns/{campaign.pk}/").content.decode()
    assert 'id="campaign-status">sent<' in page
    assert f"campaign {campaign.pk} newsletter sent: queued 0, sending 0, sent 1" in out.getvalue()


def test_a_campaign_with_nobody_in_its_audience_cannot_be_sent(draft):
    client, campaign = draft  # no customer at all
    confirm = client.get(f"/console/campaigns/{campaign.pk}/send/").content.decode()
    assert 'id="no-audience"' in confirm and 'id="confirm-send"' not in confirm
    client.post(f"/console/campaigns/{campaign.pk}/send/", {"audience_size": "0"})
    assert Campaign.objects.get().status == "draft"


def test_the_html_part_stays_inside_its_sandboxed_frame(draft):
    """The whole HTML mail is the frame's srcdoc attribute, escaped: none of its markup
    reaches the console page itself (and the frame is not blank)."""
    from html import unescape
    from html.parser import HTMLParser

    client, campaign = draft
    hostile = '<p class="x">Hello <b>QA</b><script>alert(1)</script><img src=x onerror="y()"></p>'
    client.post(
        f"/console/campaigns/{campaign.pk}/",
        {"kind": "newsletter", "subject": "Winter news", "text": "Snow", "html": hostile},
    )
    page = client.get(f"/console/campaigns/{campaign.pk}/preview/").content.decode()

    class Frames(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.docs: list[str] = []
            self.tags: list[str] = []

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)
            if tag == "iframe":
                self.docs.append(dict(attrs).get("srcdoc") or "")

    parsed = Frames()
    parsed.feed(page)
    assert len(parsed.docs) == 2  # one frame per language
    assert all("<script>alert(1)</script>" in doc and '<html lang="' in doc for doc in parsed.docs)
    assert "img" not in parsed.tags and "b" not in parsed.tags  # nothing leaked into the page
    assert "<script>alert(1)" not in page and unescape(page).count("alert(1)") == 2


def test_a_campaign_text_that_is_not_utf8_is_a_clear_error(published, mia, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    text = tmp_path / "mail.txt"
    text.write_bytes(b"Hej \xe6bler")  # Latin-1, not UTF-8
    with pytest.raises(CommandError, match="not UTF-8 text"):
        call_command("campaign", "create", "--kind", "newsletter", "--subject", "S",
                     "--text", str(text), "--as", mia.email)  # fmt: skip
    assert not Campaign.objects.exists()


def test_a_campaign_refusal_is_said_in_the_staff_member_s_language(draft, mia):
    client, campaign = draft
    mia.language = "da"
    mia.save()
    past = (timezone.now() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    refused = client.post(
        f"/console/campaigns/{campaign.pk}/act/",
        {"action": "schedule", "at": past, "confirm": "on"},
    )
    assert refused.status_code == 400  # the page again, with the time typed and why not
    page = refused.content.decode()
    assert "Tidspunktet for afsendelse skal ligge i fremtiden." in page
    assert f'value="{past}"' in page


def test_a_campaign_is_written_in_each_language_and_sent_in_the_reader_s(draft):
    """The Danish version goes to Danish readers; a version not written yet is said on the
    campaign's page (its readers would get the first language's text)."""
    client, campaign = draft
    gus = make_customer("gus@example.com")
    gus.language = "da"
    gus.save()
    page = client.get(f"/console/campaigns/{campaign.pk}/").content.decode()
    assert "Not yet written in Danish" in page
    half = client.post(
        f"/console/campaigns/{campaign.pk}/",
        {"kind": "newsletter", "subject": "Autumn news", "text": "Hello", "html": "",
         "subject_da": "Efterårsnyt", "text_da": ""},
    )  # fmt: skip
    assert "or neither" in half.content.decode()
    client.post(
        f"/console/campaigns/{campaign.pk}/",
        {"kind": "newsletter", "subject": "Autumn news", "text": "Hello", "html": "",
         "subject_da": "Efterårsnyt", "text_da": "Hej med dig"},
    )  # fmt: skip
    campaign.refresh_from_db()
    assert campaign.translations == {
        "da": {"subject": "Efterårsnyt", "text": "Hej med dig", "html": ""}
    }
    assert (
        "Not yet written" not in client.get(f"/console/campaigns/{campaign.pk}/").content.decode()
    )
    preview = client.get(f"/console/campaigns/{campaign.pk}/preview/").content.decode()
    assert "Efterårsnyt" in preview and "Autumn news" in preview
    client.post(f"/console/campaigns/{campaign.pk}/send/", {"audience_size": "1"})
    deliver_pending()
    to_gus = [m for m in mail.outbox if m.to == ["gus@example.com"]]
    assert to_gus and to_gus[0].subject == "Efterårsnyt" and "Hej med dig" in to_gus[0].body


def test_a_language_without_an_html_part_is_said_to_get_the_text_only(draft):
    """The preview showed "The HTML part" over an empty frame for Danish, written without
    one."""
    client, campaign = draft
    client.post(
        f"/console/campaigns/{campaign.pk}/",
        {"kind": "newsletter", "subject": "Autumn news", "text": "Hello",
         "html": "<p>Hello in <b>HTML</b></p>", "subject_da": "Efterårsnyt",
         "text_da": "Hej med dig"},
    )  # fmt: skip
    campaign.refresh_from_db()
    assert campaign.html_body and not campaign.translations["da"].get("html")
    page = client.get(f"/console/campaigns/{campaign.pk}/preview/").content.decode()
    english = page[page.index('id="preview-en"') : page.index('id="preview-da"')]
    danish = page[page.index('id="preview-da"') :]
    danish = danish[: danish.index("</section>")]
    assert "mail-html" in english
    assert "mail-html" not in danish and "The HTML part" not in danish
    assert "readers in Danish get the text part only" in danish

"""The text and HTML files `campaign create` and `announce` read: hostile sizes and bytes are
a clear error naming the file, and nothing is stored."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from keepfaith.comms.models import Campaign


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"x" * 1_000_001, r"larger than 1,000,000 bytes"),
        (b"Hello\nsecond line\x00 third", r"mail\.txt:2: a NUL character"),
    ],
)
def test_a_mail_file_too_large_or_with_a_nul_is_refused(published, mia, pat, tmp_path, content,
                                                        message):  # fmt: skip
    text = tmp_path / "mail.txt"
    text.write_bytes(content)
    for command, who in (
        (["campaign", "create", "--kind", "newsletter", "--subject", "S"], mia),
        (["announce", "--subject", "S"], pat),
    ):
        with pytest.raises(CommandError, match=message):
            call_command(*command, "--text", str(text), "--as", who.email)
    assert not Campaign.objects.exists()


def test_an_endless_file_is_read_no_further_than_the_limit(published, mia):
    with pytest.raises(CommandError, match="larger than"):
        call_command("campaign", "create", "--kind", "newsletter", "--subject", "S",
                     "--text", "/dev/zero", "--as", mia.email)  # fmt: skip


def test_sending_a_campaign_twice_says_nothing_was_queued_again(published, mia, tmp_path):
    from io import StringIO

    from tests.comms.conftest import make_customer

    make_customer("gus@example.com")
    text = tmp_path / "mail.txt"
    text.write_text("Hello", encoding="utf-8")
    call_command("campaign", "create", "--kind", "newsletter", "--subject", "S",
                 "--text", str(text), "--as", mia.email, stdout=StringIO())  # fmt: skip
    campaign = Campaign.objects.get()
    first, again = StringIO(), StringIO()
    call_command("campaign", "send", str(campaign.pk), "--as", mia.email, stdout=first)
    call_command("campaign", "send", str(campaign.pk), "--as", mia.email, stdout=again)
    assert f"campaign {campaign.pk} queued: 1 message" in first.getvalue()
    assert f"campaign {campaign.pk} was queued already: nothing queued again" in again.getvalue()


def test_a_campaign_with_nobody_in_its_audience_is_not_marked_sent_from_the_shell(
    published, mia, tmp_path
):
    """As the console refuses it: a campaign queued to nobody is "sent" and cannot be sent
    later, when the audience has grown."""
    from io import StringIO

    text = tmp_path / "mail.txt"
    text.write_text("Hello", encoding="utf-8")
    call_command("campaign", "create", "--kind", "newsletter", "--subject", "S",
                 "--text", str(text), "--as", mia.email, stdout=StringIO())  # fmt: skip
    campaign = Campaign.objects.get()
    with pytest.raises(CommandError, match="nobody is in the audience now"):
        call_command("campaign", "send", str(campaign.pk), "--as", mia.email)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_a_staff_member_without_the_permission_is_told_which_roles_may(published, bob):
    with pytest.raises(CommandError) as refused:
        call_command("campaign", "send", "1", "--as", bob.email)
    assert "only these roles may do this: marketing, administrator" in str(refused.value)
    assert "comms." not in str(refused.value)

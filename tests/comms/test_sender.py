"""Who a mail is from: the company, by the trading name its policy gives (BE-1)."""

from __future__ import annotations

import pytest

from keepfaith.comms.emails import sender


def test_a_sender_without_a_name_writes_under_the_company_s_trading_name(published, settings):
    settings.DEFAULT_FROM_EMAIL = "noreply@qualityssl.example"
    assert sender() == "QualitySSL <noreply@qualityssl.example>"


def test_a_name_the_operator_gives_is_kept(published, settings):
    settings.DEFAULT_FROM_EMAIL = "QualitySSL Support <help@qualityssl.example>"
    assert sender() == "QualitySSL Support <help@qualityssl.example>"


@pytest.mark.clause("SITE-5")
@pytest.mark.parametrize("language", ["en", "da"])
def test_the_text_part_says_what_was_written_and_only_the_html_part_escapes_it(db, language):
    """An answer with an apostrophe, brackets and an ampersand reads as written in the
    subject and the text part (no ``&#x27;``); the HTML part escapes it."""
    from keepfaith.comms.emails import render_mail

    said = "Your account's data <all of it> & more"
    mail = render_mail(
        name="rights_closed",
        language=language,
        context={"outcome": said, "reference": "DSR-1", "refused": False, "request_url": ""},
    )
    assert said in mail.text and "&#x27;" not in mail.text and "&amp;" not in mail.text
    assert "Your account&#x27;s data &lt;all of it&gt; &amp; more" in mail.html

"""Who a mail is from: the company, by the trading name its policy gives (BE-1)."""

from __future__ import annotations

from keepfaith.comms.emails import sender


def test_a_sender_without_a_name_writes_under_the_company_s_trading_name(published, settings):
    settings.DEFAULT_FROM_EMAIL = "noreply@qualityssl.example"
    assert sender() == "QualitySSL <noreply@qualityssl.example>"


def test_a_name_the_operator_gives_is_kept(published, settings):
    settings.DEFAULT_FROM_EMAIL = "QualitySSL Support <help@qualityssl.example>"
    assert sender() == "QualitySSL Support <help@qualityssl.example>"

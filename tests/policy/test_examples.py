"""Both example policies load cleanly and state every promise of their company."""

from __future__ import annotations

import pytest

from keepfaith.policy import Policy, check_policy, jurisdiction_rules, load_policy
from keepfaith.policy.clauses import clause_catalogue
from tests.policy.helpers import BE_PATH, QS_PATH


@pytest.fixture(scope="module")
def be() -> Policy:
    return load_policy(BE_PATH)


@pytest.fixture(scope="module")
def qs() -> Policy:
    return load_policy(QS_PATH)


@pytest.mark.parametrize("path", [BE_PATH, QS_PATH], ids=["qualityssl", "qualispace"])
def test_example_has_no_problems(path):
    report = check_policy(path)
    assert report.problems == ()
    assert report.ok is True


@pytest.mark.parametrize("prefix", ["BE", "QS"])
def test_example_states_every_clause(prefix, be, qs):
    policy = be if prefix == "BE" else qs
    wanted = {c for c in clause_catalogue() if c.startswith(prefix + "-")}
    assert len(wanted) == (11 if prefix == "BE" else 8)
    assert wanted - policy.clause_ids() == set()


@pytest.mark.clause("BE-1")
def test_be_controller_contacts(be):
    assert be.controller.privacy_email == "privacy@qualityssl.com"
    assert be.controller.postal_address is not None
    assert be.controller.postal_address.city == "Vallensbæk"
    assert "BE-1" in be.controller.clauses


@pytest.mark.clause("BE-8")
def test_be_service_announcements_cannot_be_unsubscribed(be):
    kind = be.mail_kind("service_announcements")
    assert kind is not None and kind.unsubscribe is False
    assert be.use_by_key(kind.use).choice == "none"
    for key in ("newsletter", "promotions"):
        marketing = be.mail_kind(key)
        assert marketing.unsubscribe is True
        use = be.use_by_key(marketing.use)
        assert use.choice == "opt-out"
        assert use.audience == ("established_customers",)


@pytest.mark.clause("BE-9")
def test_be_newsletter_and_partner_promotions_can_be_declined_by_mail(be):
    for key in ("newsletter", "partner_promotions"):
        use = be.use_by_key(be.mail_kind(key).use)
        assert use.opt_out_by_email is True
    assert be.controller.opt_out_email == "privacy@qualityssl.com"


@pytest.mark.clause("BE-9")
def test_be_every_collecting_form_but_reset_and_validation_offers_marketing_opt_out(be):
    for point in be.collection_points:
        if point.id in {"password-reset", "organisation-validation"}:
            continue
        offered = be.uses_offered_at(point.id)
        assert any(use.key.startswith("marketing.") for use in offered), point.id


@pytest.mark.clause("BE-10")
def test_be_validation_form_names_the_certificate_authority(be):
    point = be.collection_point_by_id("organisation-validation")
    party = be.outside_party(point.outside_party)
    assert set(point.category_keys()) <= set(party.categories)
    assert set(party.notice) == {"en", "da"}


@pytest.mark.clause("BE-3")
def test_be_computer_configuration_only_for_support(be):
    users = [u.key for u in be.uses if "user.device.computer_configuration" in u.categories]
    assert users == ["essential.service.operations.support"]
    assert be.use_by_key(users[0]).retention == "90d"
    readers = [
        s.role for s in be.recipients.staff if "user.device.computer_configuration" in s.categories
    ]
    assert readers == ["support"]


@pytest.mark.clause("BE-6")
def test_be_partner_gets_aggregates_with_small_cells_suppressed(be):
    partner = be.partner("affiliates")
    assert partner.min_cell_size >= 2
    assert not any(c.startswith("user.financial") for c in partner.categories)


@pytest.mark.clause("BE-4")
def test_be_partner_cookie_is_third_party_and_needs_consent(be):
    cookie = be.cookie_by_name("partner_ref")
    assert cookie.party == "third" and cookie.essential is False
    assert be.use_by_key(cookie.purpose).choice == "opt-in"


@pytest.mark.clause("SITE-5")
def test_be_texts_in_english_and_danish(be):
    assert be.controller.languages == ("en", "da")
    for use in be.uses:
        assert set(use.description) == {"en", "da"}


def test_be_partner_promotions_are_opt_in_in_denmark(be):
    assert jurisdiction_rules(country="DK").partner_email_requires_opt_in is True
    use = be.use_by_key(be.mail_kind("partner_promotions").use)
    assert use.choice == "opt-in"


def test_eu_forbids_preticked_boxes_us_allows():
    assert jurisdiction_rules(country="DK").preticked_optout_allowed is False
    assert jurisdiction_rules(country="DK").eu is True
    assert jurisdiction_rules(country="US").preticked_optout_allowed is True
    assert jurisdiction_rules(country="ZZ").preticked_optout_allowed is False


@pytest.mark.clause("QS-1")
def test_qs_covers_public_site_and_portal(qs):
    assert [p.base_url for p in qs.properties] == [
        "https://www.qualispace.com",
        "https://my.qualispace.com",
    ]
    assert qs.external_links.covered_properties == ("www", "my")


@pytest.mark.clause("QS-5")
def test_qs_financial_data_goes_only_to_the_payment_processor(qs):
    holders = [
        p.key for p in qs.recipients.processors if "user.financial.credit_card" in p.categories
    ]
    assert holders == ["payment-processor"]
    assert qs.recipients.partners == () and qs.recipients.outside_parties == ()
    # the card is kept encrypted with the order (for the record): not "for the transaction only"
    assert qs.use_by_key("essential.service.payment_processing").retention == "while-customer"


@pytest.mark.clause("QS-4")
def test_qs_unsubscribe_address_and_portal(qs):
    assert qs.controller.opt_out_email == "unsubscribe@qualispace.com"
    assert qs.portal is not None and qs.portal.contact_details_editable is True
    assert qs.use_by_key("marketing.communications.email").opt_out_by_email is True


@pytest.mark.clause("QS-6")
def test_qs_raw_ips_short_retention_admin_only(qs):
    logs = qs.log_files
    assert logs.raw_ip_retention == "7d"
    assert logs.raw_ip_readers == ("administrator",)
    assert logs.linked_to_customers is False


@pytest.mark.clause("QS-7")
def test_qs_tracking_cookies_need_consent_cart_is_essential(qs):
    assert qs.cookie_by_name("cart").essential is True
    for name in ("kf_returning", "kf_campaign"):
        cookie = qs.cookie_by_name(name)
        assert cookie.essential is False and cookie.party == "first"
        assert qs.use_by_key(cookie.purpose).choice == "opt-in"

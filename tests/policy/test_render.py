"""The generated statement: sections from the data, both languages, safe HTML and Markdown."""

from __future__ import annotations

import html
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keepfaith.policy import Policy
from keepfaith.policy.document import Paragraph, Section, Statement, Table, to_html, to_markdown
from keepfaith.policy.render import statement
from keepfaith.policy.schema import Use
from tests.policy.examples import be_policy, qs_policy

SECTION_ORDER = (
    "controller",
    "properties",
    "collection",
    "security",
    "uses",
    "cookies",
    "log-files",
    "sharing",
    "outside-parties",
    "choices",
    "renewals",
    "rights",
    "external-links",
    "changes",
)
HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)> | *bold* [a](b)'


def _tables(section: Section) -> list[Table]:
    return [block for block in section.blocks if isinstance(block, Table)]


def _with_use_description(policy: Policy, text: str) -> Policy:
    first = policy.uses[0]
    hostile: Use = first.model_copy(update={"description": {"en": text, "da": text}})
    return policy.model_copy(update={"uses": (hostile, *policy.uses[1:])})


@pytest.mark.parametrize(
    ("policy", "lang"), [(be_policy(), "en"), (be_policy(), "da"), (qs_policy(), "en")]
)
def test_sections_come_from_the_data_in_order(policy: Policy, lang: str) -> None:
    doc = statement(policy, lang=lang)
    assert doc.keys == tuple(k for k in SECTION_ORDER if k != "rights" or policy.rights)
    assert doc.lang == lang
    assert doc.version == policy.version
    assert all(section.blocks for section in doc.sections)


@pytest.mark.clause("BE-1")
def test_controller_contacts_are_rendered() -> None:
    policy = be_policy()
    address = policy.controller.postal_address
    assert address is not None
    for lang in ("en", "da"):
        text = statement(policy, lang=lang).section("controller").text
        assert policy.controller.privacy_email in text
        assert address.street in text
        assert f"{address.postal_code} {address.city}" in text
        assert policy.controller.legal_name in text


@pytest.mark.clause("QS-1")
def test_statement_names_every_property() -> None:
    policy = qs_policy()
    text = statement(policy).section("properties").text
    for prop in policy.properties:
        assert prop.name in text
    html_out = to_html(statement(policy))
    for prop in policy.properties:
        assert f'href="{prop.base_url}"' in html_out


@pytest.mark.clause("QS-2")
def test_collection_table_lists_every_form_and_its_categories() -> None:
    policy = qs_policy()
    (table,) = _tables(statement(policy).section("collection"))
    assert len(table.rows) == len(policy.collection_points)
    rows = table.texts
    assert "e-mail address (required)" in rows[0][2]
    checkout = next(row for row in rows if row[0] == "Configure and pay")
    assert "card number (required when there is something to pay)" in checkout[2]
    assert "bank account" not in checkout[2]  # the checkout has no bank-account field
    assert "customer number (from your account)" in checkout[2]


@pytest.mark.clause("QS-3")
def test_security_measures_are_said_in_words_and_traced_to_their_controls() -> None:
    policy = qs_policy()
    section = statement(policy).section("security")
    text = section.text
    for measure in policy.security_measures:
        assert measure.description["en"] in text
        assert measure.control not in text  # an internal name, not for the reader (SITE-5)
        assert ("security", f"security.{measure.control}") in statement(policy).features()
    admins = next(line for line in text.splitlines() if "system administrators:" in line)
    assert "IP address" in admins
    assert "card brand and last four digits" in admins


@pytest.mark.parametrize(("policy", "lang"), [(be_policy(), "en"), (be_policy(), "da")])
def test_every_use_is_described_in_the_language(policy: Policy, lang: str) -> None:
    (table,) = _tables(statement(policy, lang=lang).section("uses"))
    assert len(table.rows) == len(policy.uses)
    for use, row in zip(policy.uses, table.texts, strict=True):
        assert row[0] == use.name[lang]
        assert row[1] == use.description[lang]


@pytest.mark.clause("QS-7")
@pytest.mark.clause("BE-4")
@pytest.mark.parametrize(
    ("policy", "lang"), [(be_policy(), "en"), (be_policy(), "da"), (qs_policy(), "en")]
)
def test_cookie_table_has_a_row_for_every_cookie(policy: Policy, lang: str) -> None:
    (table,) = _tables(statement(policy, lang=lang).section("cookies"))
    names = [row[0] for row in table.texts]
    assert names == [cookie.name for cookie in policy.cookies]
    for cookie, row in zip(policy.cookies, table.texts, strict=True):
        assert row[5] == cookie.description[lang]
        assert (
            row[4]
            == {"en": {True: "yes", False: "no"}, "da": {True: "ja", False: "nej"}}[lang][
                cookie.essential
            ]
        )


@pytest.mark.clause("BE-4")
def test_partner_cookie_names_the_partner() -> None:
    (table,) = _tables(statement(be_policy()).section("cookies"))
    row = next(row for row in table.texts if row[0] == "partner_ref")
    assert row[1] == "Reseller and affiliate partners (third party)"


@pytest.mark.clause("QS-7")
def test_cookie_data_stays_inside_when_no_partner_sets_cookies() -> None:
    assert "we give it to no one" in statement(qs_policy()).section("cookies").text
    assert "we give it to no one" not in statement(be_policy()).section("cookies").text


@pytest.mark.clause("BE-5")
@pytest.mark.clause("QS-6")
def test_log_files_section_states_pseudonyms_and_raw_ip_retention() -> None:
    en = statement(be_policy()).section("log-files").text
    da = statement(be_policy(), lang="da").section("log-files").text
    assert "kept for 7 days" in en
    assert "only by system administrators" in en
    assert "never linked to a customer account" in en
    assert "first 24 bits" in en
    assert "gemmes i 7 dage" in da
    assert "kobles aldrig til en kundekonto" in da


@pytest.mark.clause("BE-6")
def test_partners_get_aggregates_with_small_cells_left_out() -> None:
    en = statement(be_policy()).section("sharing").text
    assert "totals only" in en
    assert "A figure below 10 is left out, and so is at least one more figure" in en
    assert "differential privacy: a privacy loss of at most 1 per release and 2 per" in en
    assert "Every release is recorded" in en
    da = statement(be_policy(), lang="da").section("sharing").text
    assert "Et tal under 10 udelades" in da
    assert "højst 1 pr. udlevering og 2 pr. måned" in da
    assert "kunder pr. produkt og land" in da


@pytest.mark.clause("QS-5")
def test_processor_is_named_with_what_it_receives() -> None:
    text = statement(qs_policy()).section("sharing").text
    assert "Card payment processor (United States)" in text
    assert "Receives card number, for" in text and "name and card number" not in text  # no name
    assert "not even as totals" in text


@pytest.mark.clause("BE-10")
def test_outside_party_notice_is_shown() -> None:
    policy = be_policy()
    party = policy.recipients.outside_parties[0]
    for lang in ("en", "da"):
        text = statement(policy, lang=lang).section("outside-parties").text
        assert party.notice[lang] in text
    assert "No outside party" in statement(qs_policy()).section("outside-parties").text


@pytest.mark.clause("QS-4")
def test_choices_list_every_way_to_opt_out() -> None:
    text = statement(qs_policy()).section("choices").text
    line = next(line for line in text.splitlines() if line.startswith("Company news"))
    assert "unsubscribe@qualispace.com" in line
    assert "preferences page in MyQualiSpace" in line
    assert "unsubscribe link" in line
    assert "on each form that offers the choice" in line
    assert "change your contact details in MyQualiSpace" in text


@pytest.mark.clause("BE-8")
@pytest.mark.clause("BE-9")
def test_service_announcements_cannot_be_declined_and_opt_out_by_mail() -> None:
    policy = be_policy()
    text = statement(policy).section("choices").text
    assert "cannot be declined" in text
    assert policy.mail_kinds[3].description["en"] in text
    newsletter = next(line for line in text.splitlines() if line.startswith("Newsletter"))
    assert "privacy@qualityssl.com" in newsletter
    da = statement(policy, lang="da").section("choices").text
    assert "kan ikke fravælges" in da


@pytest.mark.clause("QS-8")
@pytest.mark.clause("BE-7")
@pytest.mark.parametrize("policy", [be_policy(), qs_policy()])
def test_external_links_section_limits_the_scope(policy: Policy) -> None:
    section = statement(policy).section("external-links")
    assert section.text.count("applies only to") == 1
    for key in policy.external_links.covered_properties:
        prop = policy.property_by_key(key)
        assert prop is not None
        assert prop.name in section.text
    assert "marked as external" in section.text
    assert set(policy.external_links.clauses) <= section.clauses


@pytest.mark.clause("BE-11")
def test_changes_section_links_the_update_page() -> None:
    doc = statement(be_policy())
    text = doc.section("changes").text
    assert "https://www.qualityssl.com/privacy/updates/" in text
    assert "ask you again" in text
    assert "BE-11" in doc.section("changes").clauses


def test_a_language_the_policy_lacks_is_refused() -> None:
    with pytest.raises(ValueError, match="the policy has no 'da' text; its languages are en"):
        statement(qs_policy(), lang="da")


def test_a_language_without_wording_is_refused() -> None:
    policy = qs_policy()
    controller = policy.controller.model_copy(update={"languages": ("en", "de")})
    with pytest.raises(ValueError, match="no statement wording for 'de'"):
        statement(policy.model_copy(update={"controller": controller}), lang="de")


def test_html_escapes_hostile_text_and_has_no_style_or_script() -> None:
    policy = _with_use_description(be_policy(), HOSTILE)
    out = to_html(statement(policy))
    assert "<script" not in out
    assert "<img" not in out
    assert html.escape(HOSTILE) in out
    assert "style=" not in out
    assert "onerror=alert" in out  # as escaped text inside a cell, never as an attribute
    assert re.search(r"<[^>]*onerror", out) is None


def test_html_escapes_hostile_link_targets() -> None:
    policy = be_policy()
    prop = policy.properties[0].model_copy(
        update={"name": "<b>site</b>", "base_url": 'https://x.example/"onmouseover="alert(1)'}
    )
    out = to_html(statement(policy.model_copy(update={"properties": (prop,)})))
    assert "&lt;b&gt;site&lt;/b&gt;" in out
    assert 'href="https://x.example/&quot;onmouseover=&quot;alert(1)"' in out


def test_html_structure_anchors_headers_and_external_links() -> None:
    policy = be_policy()
    party = policy.recipients.outside_parties[0].model_copy(
        update={"privacy_url": "https://ca.example/privacy"}
    )
    recipients = policy.recipients.model_copy(update={"outside_parties": (party,)})
    out = to_html(statement(policy.model_copy(update={"recipients": recipients})))
    ids = re.findall(r'<h2 id="([^"]+)">', out)
    assert tuple(ids) == SECTION_ORDER
    assert out.count('<th scope="col">') == 4 + 6 + 6 + 3  # forms, uses, cookies, kept
    assert '<a class="external" rel="noopener external" href="https://ca.example/privacy">' in out
    assert 'data-clauses="BE-1"' in out


def test_markdown_has_headings_tables_and_escapes() -> None:
    policy = _with_use_description(be_policy(), HOSTILE)
    doc = statement(policy)
    out = to_markdown(doc)
    assert out.startswith("# Privacy statement of QualitySSL (BitEngines)\n")
    assert out.count("\n## ") == len(doc.sections)
    for cookie in policy.cookies:
        assert f"| {cookie.name.replace('_', chr(92) + '_')} |" in out
    assert "<script>" not in out
    assert r"\<script\>" in out
    assert "[privacy@qualityssl.com](mailto:privacy@qualityssl.com)" in out


def test_danish_markdown_is_danish() -> None:
    out = to_markdown(statement(be_policy(), lang="da"))
    assert out.startswith("# Privatlivspolitik for QualitySSL (BitEngines)\n")
    assert "## Hvad vi bruger dine oplysninger til" in out
    assert "e-mailadresse (skal udfyldes)" in out
    assert "indtil du lukker browseren" in out
    assert "Privacy" not in out.replace("privacy@", "")


def test_statement_is_plain_data() -> None:
    doc = statement(be_policy())
    assert isinstance(doc, Statement)
    with pytest.raises(AttributeError):
        doc.title = "changed"  # type: ignore[misc]
    assert json.dumps([s.text for s in doc.sections])


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_is_escaped_in_html(text: str) -> None:
    doc = Statement("t", "en", "1", "2024-01-01", "i", (Section("s", "h", (Paragraph((text,)),)),))
    assert f"<p>{html.escape(text)}</p>" in to_html(doc)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_stays_on_its_markdown_line(text: str) -> None:
    doc = Statement("t", "en", "1", "2024-01-01", "i", (Section("s", "h", (Paragraph((text,)),)),))
    body = to_markdown(doc).split("## h\n\n", 1)[1]
    assert body.count("\n") == 1
    assert "<" not in body.replace("\\<", "")


@pytest.mark.clause("SITE-5")
def test_names_the_policy_gives_per_language_read_in_that_language():
    """A declared category and a partner named in English and Danish: the Danish statement
    uses the Danish names, the English one the English names, never the other."""
    policy = be_policy()
    danish = statement(policy, lang="da")
    danish_text = " ".join(s.text for s in danish.sections)
    english_text = " ".join(s.text for s in statement(policy, lang="en").sections)
    assert "Forhandlere og affiliate-partnere" in danish_text
    assert "Reseller and affiliate partners" not in danish_text
    assert "Reseller and affiliate partners" in english_text
    assert "kortets type og sidste fire cifre" in danish_text
    assert "card brand and last four digits" in english_text


@pytest.mark.clause("SITE-5")
def test_the_statement_gives_its_date_in_words() -> None:
    assert qs_policy().effective == "2013-05-30"
    assert statement(qs_policy()).intro.endswith(", in force from 30 May 2013.")
    assert be_policy().effective == "2024-01-01"
    assert statement(be_policy(), lang="da").intro.endswith(", gældende fra 1. januar 2024.")


@pytest.mark.clause("QS-4")
@pytest.mark.clause("BE-8")
def test_an_opt_out_choice_is_described_as_the_forms_ask_it() -> None:
    """In Denmark an opt-out box may not start ticked, so the forms ask and the choice is
    off until ticked: the statement says so, not "on unless you decline"; in the US the box
    starts ticked and the words are the plain opt-out's."""
    danish = to_markdown(statement(be_policy(), lang="da"))
    english = to_markdown(statement(be_policy(), lang="en"))
    assert "til, medmindre du siger fra" not in danish
    assert "du bliver spurgt, når du giver os dine oplysninger" in danish
    assert "on unless you decline" not in english
    assert "asked when you give us your details" in english
    assert "on unless you decline" in to_markdown(statement(qs_policy()))


@pytest.mark.clause("RIGHTS-21")
def test_every_use_based_on_legitimate_interests_can_be_objected_to_somehow() -> None:
    """The listed uses stop at once; every other one based on legitimate interests is named,
    with where to write: the right covers them all."""
    policy = be_policy()
    text = to_markdown(statement(policy, lang="en"))
    listed = text.split("An objection stops these uses for you at once", 1)[1].split("\n\n")[0]
    others = text.split("To object to another use based on our legitimate interests (", 1)[1]
    others = others.split("), write to privacy@", 1)[0]
    for use in policy.uses:
        if use.legal_basis == "legitimate_interests":
            assert use.name["en"] in listed or use.name["en"] in others, use.key
    danish = to_markdown(statement(policy, lang="da"))
    assert "Vil du gøre indsigelse mod en anden brug" in danish


@pytest.mark.clause("QS-2")
def test_a_form_field_s_note_says_when_it_is_asked_or_where_it_comes_from() -> None:
    """The card number is asked when there is something to pay (not "optional": checkout
    refuses an order to pay without it); the customer number comes from the account (it is
    never typed, so not "required")."""
    english = to_markdown(statement(be_policy(), lang="en"))
    danish = to_markdown(statement(be_policy(), lang="da"))
    assert "(required when there is something to pay)" in english
    assert "(from your account)" in english
    assert "(skal udfyldes, når der er noget at betale)" in danish
    assert "kundenummer (fra din konto)" in danish


@pytest.mark.clause("BE-5")
def test_a_retention_note_says_what_is_kept_that_long() -> None:
    """ "IP address ... 2 years" read as if addresses were kept two years: the note says it
    is the totals, the address replaced at once."""
    english = to_markdown(statement(be_policy(), lang="en"))
    danish = to_markdown(statement(be_policy(), lang="da"))
    assert "2 years (the totals; the IP address itself is replaced at once by a pseudonym" in (
        english
    )
    assert "(de samlede tal; selve IP-adressen erstattes straks" in danish


@pytest.mark.clause("QS-3")
def test_each_staff_role_s_reads_are_said_per_purpose_as_the_gate_allows_them() -> None:
    """Support sees a phone number only as it answers information requests (the number
    given on that form), not for technical support: the list says so, as the gate does."""
    text = statement(be_policy()).section("security").text
    support = next(line for line in text.splitlines() if line.startswith("support staff:"))
    technical, requests = support.split("; ")
    assert technical.startswith("support staff: for “Technical support”,")
    assert "phone number" not in technical
    assert requests.startswith("for “Information requests”,") and "phone number" in requests
    danish = statement(be_policy(), lang="da").section("security").text
    assert "til »Forespørgsler«: e-mailadresse, navn og telefonnummer" in danish


@pytest.mark.clause("QS-3")
@pytest.mark.parametrize(("policy", "lang"), [(be_policy(), "en"), (qs_policy(), "en")])
def test_the_record_of_staff_access_is_not_said_to_end_with_the_visit(
    policy: Policy, lang: str
) -> None:
    """The audit log is append-only and names the customer number: the security use that
    announces it is kept for good (it is never shortened, not even by an erasure), and the
    statement says what for, and how long a failed sign-in is kept (attempts-purge)."""
    security = policy.use_by_key("essential.service.security")
    assert security is not None and security.retention == "permanent"
    assert {"user.contact.email", "user.device.ip_address"} <= set(security.categories)
    text = statement(policy, lang=lang).section("uses").text
    assert "the record of staff access, which names you only by your customer number" in text
    assert "is never shortened" in text and "for good (the record of staff access" in text
    assert "a failed sign-in (login address, IP address, browser) is deleted within a day" in text


@pytest.mark.clause("QS-7")
def test_the_cookie_sentence_does_not_claim_only_identifiers() -> None:
    text = statement(qs_policy()).section("cookies").text
    assert "random identifier or a setting (such as your cart or your choices)" in text

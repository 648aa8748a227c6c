"""Broken policies: each mistake is reported once, at its line, column and field path."""

from __future__ import annotations

import pytest

from keepfaith.policy import PolicyError, load_policy, load_policy_text, policy_report
from tests.policy.helpers import BE_TEXT, QS_TEXT, check, line_of, mutate, only_error

# (name, old, new, marker in new text, expected path, message fragment)
BE_MUTATIONS = [
    (
        "kept-account",
        "    - store: requests\n",
        "    - store: account\n",
        "store: account",
        "rights.kept_after_erasure[1].store",
        "the account is always closed by an erasure",
    ),
    (
        "typo-key",
        "    choice: opt-in\n    audience: [established_customers]",
        "    chioce: opt-in\n    audience: [established_customers]",
        "chioce",
        "uses[8].chioce",
        "unknown key 'chioce' (did you mean 'choice'?)",
    ),
    (
        "wrong-type",
        "min_cell_size: 10",
        "min_cell_size: many",
        "many",
        "recipients.partners[0].min_cell_size",
        "valid integer",
    ),
    (
        "bad-choice",
        "    choice: opt-in\n    audience: [established_customers]",
        "    choice: maybe\n    audience: [established_customers]",
        "maybe",
        "uses[8].choice",
        "'none', 'opt-out' or 'opt-in'",
    ),
    (
        "unknown-clause",
        "clauses: [BE-7]",
        "clauses: [BE-99]",
        "BE-99",
        "external_links.clauses[0]",
        "unknown clause id 'BE-99'",
    ),
    (
        "missing-danish",
        "      da: Vores nyhedsbrev.\n",
        "",
        "description:\n      en: Our newsletter.",
        "mail_kinds[0].description",
        "missing text in language 'da'",
    ),
    (
        "extra-language",
        "      da: Vores nyhedsbrev.\n",
        "      da: Vores nyhedsbrev.\n      de: Unser Newsletter.\n",
        "de: Unser",
        "mail_kinds[0].description.de",
        "language 'de' is not in controller.languages",
    ),
    (
        "no-english",
        "      en: Our newsletter.\n",
        "",
        "      da: Vores nyhedsbrev.",
        "mail_kinds[0].description",
        "an English text (en) is required",
    ),
    (
        "unknown-category",
        "      - {category: user.device.computer_configuration}",
        "      - {category: user.device.computer_config}",
        "user.device.computer_config}",
        "collection_points[4].categories[3].category",
        "unknown data category 'user.device.computer_config'",
    ),
    (
        "undeclared-property",
        "  - id: signup\n    property: www",
        "  - id: signup\n    property: shop",
        "property: shop",
        "collection_points[0].property",
        "property 'shop' is not declared",
    ),
    (
        "undeclared-outside-party",
        "outside_party: certificate-authority",
        "outside_party: notary",
        "notary",
        "collection_points[6].outside_party",
        "outside party 'notary' is not declared",
    ),
    (
        "fideslang-use-not-declared",
        "    purpose: essential.service.security",
        "    purpose: essential.service.upgrades",
        "essential.service.upgrades",
        "cookies[1].purpose",
        "use 'essential.service.upgrades' is not declared in uses",
    ),
    (
        "bad-retention",
        "retention: 90d",
        "retention: 90 days",
        "retention: 90 days",
        "uses[2].retention",
        "'90 days' is not a retention",
    ),
    (
        "essential-marketing-cookie",
        "    purpose: essential.service.security\n    lifetime: session\n    essential: true",
        "    purpose: marketing.advertising.third_party\n    lifetime: session\n"
        "    essential: true",
        "essential: true\n    categories: [user.device.cookie_id]\n    description:\n"
        "      en: Protects forms",
        "cookies[1].essential",
        "an essential cookie cannot serve the marketing use",
    ),
    (
        "partner-small-cells",
        "min_cell_size: 10",
        "min_cell_size: 1",
        "min_cell_size: 1",
        "recipients.partners[0].min_cell_size",
        "min_cell_size of at least 2",
    ),
    (
        "partner-financial",
        "      categories: [user.device.ip_address]\n      uses: [third_party_sharing]",
        "      categories: [user.device.ip_address, user.financial.bank_account]\n"
        "      uses: [third_party_sharing]",
        "user.financial.bank_account]\n      uses: [third_party_sharing]",
        "recipients.partners[1].categories[1]",
        "financial data ('user.financial.bank_account') may never go to a partner",
    ),
    (
        "service-announcement-marketing",
        "    use: essential.service.notifications.email\n    unsubscribe: false",
        "    use: marketing.communications.email\n    unsubscribe: false",
        "unsubscribe: false",
        "mail_kinds[3].unsubscribe",
        "cannot be unsubscribed but its use 'marketing.communications.email'",
    ),
    (
        "choice-for-essential-use",
        "    choices: [marketing.communications.email.newsletter]\n    clauses: [BE-2, BE-3",
        "    choices: [essential.service.operations.information_request]\n    clauses: [BE-2, BE-3",
        "essential.service.operations.information_request]\n    clauses: [BE-2",
        "collection_points[3].choices[0]",
        "whose choice is none",
    ),
    (
        "duplicate-key",
        "  jurisdiction: DK\n",
        "  jurisdiction: DK\n  jurisdiction: SE\n",
        "jurisdiction: SE",
        "controller.jurisdiction",
        "duplicate key 'jurisdiction' (first given on line 17)",
    ),
    (
        "missing-key",
        "  currency: EUR\n",
        "",
        "controller:\n  legal_name",
        "controller.currency",
        "missing required key 'currency'",
    ),
    (
        "processor-name-without-danish",
        "        da: Kortbetalingsudbyder\n",
        "",
        "name:\n        en: Card payment processor",
        "recipients.processors[0].name",
        "missing text in language 'da'",
    ),
]


@pytest.mark.clause("SITE-5")
def test_a_processor_or_outside_party_may_have_one_name_for_every_language():
    text = mutate(
        BE_TEXT,
        "name:\n        en: Card payment processor\n        da: Kortbetalingsudbyder",
        "name: Nets",
    )
    text = mutate(
        text,
        "name:\n        en: Certificate authority\n        da: Certifikatudstederen",
        "name: GlobalSign",
    )
    policy = load_policy_text(text)
    assert policy.recipient_name("payment-processor", "da") == "Nets"
    assert policy.recipient_name("certificate-authority", "en") == "GlobalSign"
    assert policy.recipient_name("billing", "en") is None


@pytest.mark.parametrize("case", BE_MUTATIONS, ids=[c[0] for c in BE_MUTATIONS])
def test_be_mutation_is_located(case):
    _, old, new, marker, path, fragment = case
    text = mutate(BE_TEXT, old, new)
    problem = only_error(check(text))
    assert problem.path == path
    assert fragment in problem.message
    assert problem.line == line_of(text, marker)
    assert problem.file == "p.yaml"


@pytest.mark.clause("BE-8")
def test_unsubscribable_marketing_mail_is_refused():
    text = mutate(
        BE_TEXT,
        "    use: marketing.communications.email.newsletter\n",
        "    use: marketing.communications.email.newsletter\n    unsubscribe: false\n",
    )
    problem = only_error(check(text))
    assert problem.path == "mail_kinds[0].unsubscribe"


@pytest.mark.clause("BE-9")
def test_opt_out_use_nobody_can_decline():
    # newsletter: drop it from every form, the portal, mail opt-out and its mail kind
    text = BE_TEXT.replace(", marketing.communications.email.newsletter]", "]")
    text = text.replace("choices: [marketing.communications.email.newsletter]", "choices: []")
    text = text.replace("      - marketing.communications.email.newsletter\n", "")
    block = (
        "    categories: [user.contact.email, user.name]\n"
        "    portal_preference: true\n    opt_out_by_email: true\n    clauses: [BE-8, BE-9]\n"
        "  - key: marketing.communications.email.partner_promotions"
    )
    text = mutate(
        text,
        block,
        "    categories: [user.contact.email, user.name]\n    clauses: [BE-8, BE-9]\n"
        "  - key: marketing.communications.email.partner_promotions",
    )
    text = mutate(
        text,
        "    use: marketing.communications.email.newsletter\n",
        "    use: marketing.communications.email.newsletter\n    unsubscribe: false\n",
    )
    messages = [(p.path, p.message) for p in check(text).errors]
    assert ("uses[7].choice", "an opt-out use that nothing lets anyone decline") in messages


def test_opt_in_use_offered_nowhere():
    text = mutate(
        BE_TEXT, "    purpose: personalize.content\n", "    purpose: analytics.reporting\n"
    )
    paths = {p.path: p.message for p in check(text).errors}
    assert (
        paths["uses[12].choice"]
        == "an opt-in use that no form, portal switch, cookie or renewal offers"
    )
    assert "must be opt-in" in paths["cookies[3].purpose"]


def test_form_collecting_unneeded_category():
    text = mutate(
        BE_TEXT,
        "      - {category: user.device.computer_configuration}\n",
        "      - {category: user.device.computer_configuration}\n"
        "      - {category: user.financial.credit_card}\n",
    )
    problem = only_error(check(text))
    assert problem.path == "collection_points[4].categories[4].category"
    assert problem.line == line_of(text, "user.financial.credit_card}")
    assert "none of the form's uses needs it" in problem.message


def test_taxonomy_extension_must_extend_its_parent():
    text = mutate(
        BE_TEXT,
        "  - key: user.device.computer_configuration\n",
        "  - key: user.computer_configuration\n",
    )
    messages = [p.message for p in check(text).errors]
    assert "'user.computer_configuration' must extend its parent as user.device.<name>" in messages


OBJECTION_TO_SECURITY = (
    "objection_uses: [marketing.communications.email,",
    "objection_uses: [essential.service.security,",
)


@pytest.mark.clause("RIGHTS-21")
def test_an_objection_to_a_use_the_service_needs_is_refused():
    """An objection that could not stop the use is not offered: an error for a text being
    checked or published."""
    report = check(mutate(BE_TEXT, *OBJECTION_TO_SECURITY))
    problem = only_error(report)
    assert problem.path == "rights.objection_uses[0]"
    assert "needed for the service (choice: none)" in problem.message


@pytest.mark.clause("RIGHTS-21")
def test_a_stored_version_with_that_objection_still_loads_with_a_warning():
    """A version published before the rule was added is judged by the rules of its day."""
    text = mutate(BE_TEXT, *OBJECTION_TO_SECURITY)
    with pytest.raises(PolicyError):
        load_policy_text(text)
    report = policy_report(raw=text, file="version 2024.1", stored=True)
    assert report.ok is True
    [warning] = report.warnings
    assert warning.path == "rights.objection_uses[0]"
    rights = load_policy_text(text, stored=True).rights
    assert rights is not None
    assert rights.objection_uses[0] == "essential.service.security"


@pytest.mark.parametrize("choice", ["none", "opt-out"])
def test_a_use_based_on_consent_must_ask_for_it(choice):
    """Consent that is not asked for (none) or assumed (opt-out) is not consent: an error
    for a new text, a warning for a version published before the rule."""
    text = mutate(
        BE_TEXT,
        "    legal_basis: consent\n    choice: opt-in\n    audience: [established_customers]",
        f"    legal_basis: consent\n    choice: {choice}\n    audience: [established_customers]",
    )
    problem = next(p for p in check(text).errors if p.path.endswith("legal_basis"))
    assert f"a use based on consent must be opt-in (here: {choice})" in problem.message
    stored = policy_report(raw=text, file="version 2024.1", stored=True)
    assert any(p.path == problem.path for p in stored.warnings)
    assert not any(p.path == problem.path for p in stored.errors)


def test_dk_partner_promotions_opt_out_is_a_warning():
    text = mutate(
        BE_TEXT,
        "    legal_basis: consent\n    choice: opt-in\n    audience: [established_customers]",
        "    legal_basis: legitimate_interests\n    choice: opt-out\n"
        "    audience: [established_customers]",
    )
    report = check(text)
    assert report.ok is True
    [warning] = report.warnings
    assert warning.path == "mail_kinds[2].use"
    assert "in DK partner promotions by e-mail need prior consent" in warning.message


def test_all_problems_reported_at_once():
    text = mutate(BE_TEXT, "min_cell_size: 10", "min_cell_size: 1")
    text = mutate(text, "clauses: [BE-7]", "clauses: [BE-70]")
    text = mutate(text, "retention: 90d", "retention: forever")
    # shape errors stop before semantic checks, so two shape errors are both listed
    report = check(text)
    assert {p.path for p in report.errors} == {"external_links.clauses[0]", "uses[2].retention"}


def test_semantic_errors_all_listed():
    text = mutate(QS_TEXT, "property: my\n  contact", "property: web\n  contact")
    text = mutate(
        text,
        "    party: first\n    purpose: essential.service.shopping_cart",
        "    party: third\n    purpose: essential.service.shopping_cart",
    )
    report = check(text)
    assert [p.path for p in report.errors] == ["cookies[2].recipient", "portal.property"]


@pytest.mark.parametrize(
    ("raw", "fragment", "line"),
    [
        (b"", "this one is empty", 1),
        (b"- a\n- b\n", "this one is a list", 1),
        (b"version: 1\n\xff\n", "not valid UTF-8", 2),
        (b"\xef\xbb\xbfversion: 1\n\xff\n", "not valid UTF-8", 2),  # the BOM is no byte of line 1
        (b"version: [1,\n", "YAML syntax", 2),
        (b"a: &a [*a]\n", "nests deeper than", 1),
        (b"[" * 1200, "nests deeper", 1),
        (b"a: !!python/object x\n", "unsupported YAML tag", 1),
        (b"a: 1\n---\nb: 2\n", "YAML syntax", 2),
        (b"a: 1\r\nb: 2\x00", "U+0000 is not allowed", 2),
    ],
)
def test_unreadable_input_is_one_problem(raw, fragment, line):
    report = check(raw)
    assert report.ok is False
    assert any(fragment in p.message and p.line == line for p in report.errors)
    with pytest.raises(PolicyError, match="error"):
        load_policy_text(raw)


def test_alias_bomb_is_refused():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    report = check("\n".join(lines) + "\n")
    assert "expands to more than" in report.errors[0].message


def test_missing_file_is_a_problem(tmp_path):
    with pytest.raises(PolicyError, match="cannot read the file"):
        load_policy(tmp_path / "nope.yaml")


def test_a_name_given_per_language_needs_english():
    text = mutate(
        BE_TEXT,
        "      name:\n        en: Card brand and last four digits\n",
        "      name:\n",
    )
    messages = [p.message for p in check(text).errors]
    assert any("an English text (en) is required" in m for m in messages), messages


def test_a_bad_byte_or_character_is_located_where_an_editor_shows_it():
    """The column counts characters, not bytes; a NUL inside a long file names its line."""
    report = policy_report(raw=b"a: \xc3\xa6\xc3\xb8 \xff\n", file="p.yaml")  # a byte not UTF-8
    [problem] = report.errors
    assert (problem.line, problem.column) == (1, 7)
    lines = BE_TEXT.split("\n")
    lines[39] += "\x00"
    [problem] = check("\n".join(lines)).errors
    assert (problem.line, problem.column) == (40, len(lines[39]))
    assert "U+0000" in problem.message


def test_a_long_list_of_wrong_items_is_each_located_and_looks_at_near_siblings_only():
    """Every error looked through the whole list for a value to borrow: 20,000 wrong items
    (an 80 KB file) took a minute. Each error is still reported, at its own item."""
    from keepfaith.policy.loader import SIBLINGS_LOOKED_AT, _nearest

    assert _nearest(2, 5) == [1, 3, 0, 4]
    assert len(_nearest(5_000, 20_000)) == SIBLINGS_LOOKED_AT
    assert _nearest(0, 1) == []
    text = mutate(
        BE_TEXT, "trading_names: [QualitySSL]", "trading_names: [" + ", ".join(["{}"] * 500) + "]"
    )
    report = check(text)
    assert {p.path for p in report.errors} >= {f"controller.trading_names[{i}]" for i in range(500)}

"""The diff between two policy versions and who must be asked for consent again (BE-11)."""

from __future__ import annotations

import json

import pytest

from keepfaith.policy import Policy, load_policy_text
from keepfaith.policy.diff import KINDS, diff_to_dict, diff_to_text, policy_diff
from keepfaith.policy.schema import Processor, Use
from tests.policy.examples import BE_FILE, be_policy, qs_policy, yaml_flow_dump, yaml_load

pytestmark = pytest.mark.clause("BE-11")


def _with_uses(policy: Policy, *uses: Use) -> Policy:
    return policy.model_copy(update={"uses": uses, "version": "next"})


def _replace_use(policy: Policy, key: str, **update: object) -> Policy:
    uses = tuple(u.model_copy(update=update) if u.key == key else u for u in policy.uses)
    return _with_uses(policy, *uses)


def _new_opt_in_use() -> Use:
    return Use(
        key="marketing.advertising.first_party.contextual",
        name={"en": "Ads on our site", "da": "Annoncer på vores websted"},
        description={"en": "To show our own offers.", "da": "For at vise vores egne tilbud."},
        legal_basis="consent",
        choice="opt-in",
        audience=("customers",),
        retention="1y",
        categories=("user.contact.email",),
    )


def test_no_change_gives_an_empty_diff() -> None:
    diff = policy_diff(be_policy(), be_policy())
    assert bool(diff) is False
    assert diff.kinds == ()
    assert diff.requires_reconsent == ()
    assert diff_to_text(diff) == "No changes from 2024.1 to 2024.1.\n"
    assert diff_to_text(diff, lang="da") == "Ingen ændringer fra 2024.1 til 2024.1.\n"


def test_reformatted_file_gives_an_empty_diff() -> None:
    data = yaml_load(BE_FILE.read_text(encoding="utf-8"))
    reformatted = "# a new comment\n" + yaml_flow_dump(data)
    assert bool(policy_diff(be_policy(), load_policy_text(reformatted))) is False


def test_new_opt_in_use_requires_reconsent() -> None:
    old = be_policy()
    new = _with_uses(old, *old.uses, _new_opt_in_use())
    diff = policy_diff(old, new)
    key = "marketing.advertising.first_party.contextual"
    assert diff.requires_reconsent == (key,)
    assert [item.key for item in diff.kind("uses").added] == [key]
    assert [item.key for item in diff.kind("categories").changed] == ["user.contact.email"]
    text = diff_to_text(diff)
    assert f"+ use {key} (opt-in, 1y, needs consent)" in text.splitlines()
    assert f"Ask for consent again: {key}" in text


def test_new_opt_out_use_needs_no_reconsent() -> None:
    old = be_policy()
    new_use = _new_opt_in_use().model_copy(update={"choice": "opt-out"})
    diff = policy_diff(old, _with_uses(old, *old.uses, new_use))
    assert diff.requires_reconsent == ()
    assert "needs consent" not in diff_to_text(diff)


def test_choice_becoming_opt_in_requires_reconsent() -> None:
    old = be_policy()
    new = _replace_use(old, "marketing.communications.email.newsletter", choice="opt-in")
    diff = policy_diff(old, new)
    (changed,) = diff.kind("choices").changed
    assert changed.key == "marketing.communications.email.newsletter"
    assert (changed.fields[0].before, changed.fields[0].after) == ("opt-out", "opt-in")
    assert diff.requires_reconsent == ("marketing.communications.email.newsletter",)
    line = "~ choice marketing.communications.email.newsletter: choice opt-out -> opt-in"
    assert f"{line} (needs consent)" in diff_to_text(diff).splitlines()
    assert diff.kind("uses").changed == ()


def test_choice_loosening_needs_no_reconsent() -> None:
    old = be_policy()
    new = _replace_use(old, "personalize.content", choice="opt-out")
    diff = policy_diff(old, new)
    assert [c.key for c in diff.kind("choices").changed] == ["personalize.content"]
    assert diff.requires_reconsent == ()


def test_opt_in_use_taking_more_data_requires_reconsent() -> None:
    old = be_policy()
    key = "marketing.communications.email.partner_promotions"
    new = _replace_use(old, key, categories=("user.contact.email", "user.name"))
    diff = policy_diff(old, new)
    assert diff.requires_reconsent == (key,)
    (changed,) = diff.kind("uses").changed
    assert changed.fields[0].field == "categories"
    assert f"~ use {key}: categories +user.name (needs consent)" in diff_to_text(diff)


def test_removed_cookie_is_listed() -> None:
    old = be_policy()
    new = old.model_copy(update={"cookies": old.cookies[:-1]})
    diff = policy_diff(old, new)
    assert [item.key for item in diff.kind("cookies").removed] == ["partner_ref"]
    assert "- cookie partner_ref" in diff_to_text(diff).splitlines()
    assert [k.kind for k in diff.kinds] == ["cookies"]


def test_added_recipient_is_listed() -> None:
    old = qs_policy()
    mailer = Processor(
        key="mailer",
        name="Mail delivery service",
        description={"en": "Delivers our e-mail."},
        country="US",
        categories=("user.contact.email",),
        uses=("marketing.communications.email",),
    )
    recipients = old.recipients.model_copy(
        update={"processors": (*old.recipients.processors, mailer)}
    )
    diff = policy_diff(old, old.model_copy(update={"recipients": recipients}))
    assert [item.key for item in diff.kind("recipients").added] == ["processor:mailer"]
    assert "+ recipient processor:mailer" in diff_to_text(diff)


@pytest.mark.clause("SITE-5")
def test_a_name_given_per_language_reads_as_the_new_language() -> None:
    new = be_policy()
    processor = new.recipients.processors[0]
    named_once = processor.model_copy(update={"name": processor.name["en"]})  # type: ignore[index]
    recipients = new.recipients.model_copy(update={"processors": (named_once,)})
    old = new.model_copy(update={"recipients": recipients})
    diff = policy_diff(old, new)
    assert "~ recipient processor:payment-processor: name [da]" in diff_to_text(diff)
    danish = diff_to_text(diff, lang="da")
    assert "name Card payment processor -> Kortbetalingsudbyder" in danish


def test_retention_and_collected_categories_and_controller_changes() -> None:
    text = BE_FILE.read_text(encoding="utf-8")
    edited = (
        text.replace("raw_ip_retention: 7d", "raw_ip_retention: 3d")
        .replace("privacy_email: privacy@qualityssl.com", "privacy_email: dpo@qualityssl.com")
        .replace(
            "      - {category: user.contact.phone_number}\n"
            "      - {category: user.contact.organization}",
            "      - {category: user.contact.phone_number, required: true}\n"
            "      - {category: user.contact.organization}",
        )
    )
    diff = policy_diff(be_policy(), load_policy_text(edited))
    (retention,) = diff.kind("retention").changed
    assert retention.key == "log_files.raw_ip"
    assert (retention.fields[0].before, retention.fields[0].after) == ("7d", "3d")
    (controller,) = diff.kind("controller").changed
    assert controller.fields[0].after == "dpo@qualityssl.com"
    (collected,) = diff.kind("collected").changed
    assert collected.key == "contact-details/user.contact.phone_number"
    lines = diff_to_text(diff).splitlines()
    assert "~ retention log_files.raw_ip: retention 7d -> 3d" in lines
    assert (
        "~ controller controller: privacy_email privacy@qualityssl.com -> dpo@qualityssl.com"
        in lines
    )


def test_dict_form_is_json_for_the_update_page() -> None:
    old = be_policy()
    new = _with_uses(old, *old.uses, _new_opt_in_use())
    data = diff_to_dict(policy_diff(old, new))
    assert json.loads(json.dumps(data)) == data
    assert data["from"] == "2024.1"
    assert data["to"] == "next"
    assert set(data["kinds"]) <= set(KINDS)
    added = data["kinds"]["uses"]["added"][0]
    assert added["facts"] == {"choice": "opt-in", "retention": "1y"}


def test_danish_diff_text() -> None:
    old = be_policy()
    new = _with_uses(old, *old.uses, _new_opt_in_use())
    text = diff_to_text(policy_diff(old, new), lang="da")
    assert text.startswith("Politik 2024.1 -> next\n")
    assert "kræver samtykke" in text
    with pytest.raises(ValueError, match="no diff wording for 'fr'"):
        diff_to_text(policy_diff(old, new), lang="fr")


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(KeyError, match="unknown kind 'usage'"):
        policy_diff(be_policy(), be_policy()).kind("usage")


def test_between_the_two_examples_every_kind_shows_up() -> None:
    diff = policy_diff(qs_policy(), be_policy())
    kinds = {kind.kind for kind in diff.kinds}
    assert {"uses", "recipients", "cookies", "properties", "controller"} <= kinds
    assert "marketing.advertising.third_party" in diff.requires_reconsent

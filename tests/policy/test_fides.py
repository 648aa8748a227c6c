"""The fideslang export, checked by fideslang's own models."""

from __future__ import annotations

import copy

import pytest
from fideslang.models import System, Taxonomy

from keepfaith.policy import Policy
from keepfaith.policy.fides import fides_key, to_fides_manifest, validate_fides_manifest
from tests.policy.examples import be_policy, qs_policy


@pytest.mark.parametrize("policy", [be_policy(), qs_policy()])
def test_manifest_loads_into_fideslang_models(policy: Policy) -> None:
    manifest = to_fides_manifest(policy)
    taxonomy = Taxonomy.model_validate(manifest)
    for system in manifest["system"]:
        assert System.model_validate(system).fides_key == system["fides_key"]
    assert validate_fides_manifest(manifest).system == taxonomy.system


@pytest.mark.parametrize("policy", [be_policy(), qs_policy()])
def test_every_use_is_declared_on_the_controller_system(policy: Policy) -> None:
    controller = Taxonomy.model_validate(to_fides_manifest(policy)).system[0]
    assert controller.fides_key == fides_key(policy.controller.legal_name)
    assert controller.responsibility == ["Controller"]
    assert controller.dpo == policy.controller.privacy_email
    declared = {d.data_use: d for d in controller.privacy_declarations}
    assert set(declared) == {use.key for use in policy.uses}
    for use in policy.uses:
        assert declared[use.key].data_categories == list(use.categories)
        assert declared[use.key].retention_period == use.retention


def test_extensions_make_the_manifest_self_contained() -> None:
    policy = be_policy()
    manifest = to_fides_manifest(policy)
    assert [e["fides_key"] for e in manifest["data_use"]] == [
        e.key for e in policy.taxonomy.data_uses
    ]
    assert [e["fides_key"] for e in manifest["data_category"]] == [
        e.key for e in policy.taxonomy.data_categories
    ]
    stripped = copy.deepcopy(manifest)
    stripped["data_use"] = []
    with pytest.raises(ValueError, match=r"data use essential\.service\.certificate_validation"):
        validate_fides_manifest(stripped)


@pytest.mark.clause("QS-5")
def test_processor_is_its_own_system_fed_by_the_controller() -> None:
    taxonomy = Taxonomy.model_validate(to_fides_manifest(qs_policy()))
    controller, processor = taxonomy.system
    assert processor.responsibility == ["Processor"]
    assert controller.egress is not None
    assert [flow.fides_key for flow in controller.egress] == [processor.fides_key]
    payment = next(
        d
        for d in controller.privacy_declarations
        if d.data_use == "essential.service.payment_processing"
    )
    assert payment.egress == [processor.fides_key]
    assert payment.data_shared_with_third_parties is True
    assert "user.financial.credit_card" in payment.shared_categories


@pytest.mark.clause("BE-6")
def test_partner_shares_are_declared_as_aggregates() -> None:
    controller = Taxonomy.model_validate(to_fides_manifest(be_policy())).system[0]
    sharing = next(
        d for d in controller.privacy_declarations if d.data_use == "third_party_sharing"
    )
    assert sharing.third_parties == (
        "Reseller and affiliate partners (aggregates only, cells under 10 suppressed); "
        "Certificate market survey (aggregates only, cells under 10 suppressed)"
    )
    assert sharing.shared_categories == []


def test_unknown_subject_is_reported() -> None:
    manifest = to_fides_manifest(qs_policy())
    manifest["system"][0]["privacy_declarations"][0]["data_subjects"] = ["martian"]
    with pytest.raises(ValueError, match="data subject martian"):
        validate_fides_manifest(manifest)


def test_fides_key_from_names() -> None:
    assert fides_key("BitEngines ApS") == "bitengines_aps"
    assert fides_key("***") == "system"


def test_the_export_command_writes_one_yaml_document() -> None:
    """As a user runs it: ``keepfaith policy export FILE`` through the management command's
    stdout (which ended every small write of the YAML writer with a newline)."""
    import io

    from django.core.management import call_command
    from ruamel.yaml import YAML

    from tests.policy.examples import BE_FILE

    out = io.StringIO()
    call_command("policy", "export", str(BE_FILE), stdout=out)
    manifest = YAML(typ="safe", pure=True).load(out.getvalue())
    assert manifest == to_fides_manifest(be_policy())

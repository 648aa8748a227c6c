"""/privacy.json and the content hash: round trip, tamper check, formatting independence."""

from __future__ import annotations

import json

import pytest

from keepfaith.policy import load_policy_text
from keepfaith.policy.render import (
    KEEPFAITH_FORMAT,
    policy_content_hash,
    policy_from_json,
    to_json,
)
from tests.policy.examples import BE_FILE, QS_FILE, be_policy, qs_policy, yaml_flow_dump, yaml_load


@pytest.mark.parametrize("policy", [be_policy(), qs_policy()])
def test_json_round_trips_into_the_same_policy(policy) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(json.dumps(to_json(policy)))
    assert data["keepfaith_format"] == KEEPFAITH_FORMAT
    assert data["content_hash"] == policy_content_hash(policy)
    assert policy_from_json(data) == policy


def test_json_with_edited_content_fails_the_hash() -> None:
    data = to_json(be_policy())
    data["controller"]["privacy_email"] = "someone@else.example"
    with pytest.raises(ValueError, match="content_hash does not match the policy content"):
        policy_from_json(data)


def test_json_of_unknown_format_is_refused() -> None:
    data = to_json(be_policy()) | {"keepfaith_format": 99}
    with pytest.raises(ValueError, match="unknown keepfaith_format 99"):
        policy_from_json(data)


@pytest.mark.parametrize("path", [BE_FILE, QS_FILE])
def test_hash_ignores_comments_order_and_layout(path) -> None:  # type: ignore[no-untyped-def]
    original = load_policy_text(path.read_text(encoding="utf-8"))
    data = yaml_load(path.read_text(encoding="utf-8"))
    reordered = dict(reversed(list(data.items())))
    reformatted = yaml_flow_dump(reordered)
    assert "#" not in reformatted
    again = load_policy_text(reformatted)
    assert policy_content_hash(again) == policy_content_hash(original)


def test_hash_changes_with_the_content() -> None:
    text = BE_FILE.read_text(encoding="utf-8")
    changed = load_policy_text(text.replace("raw_ip_retention: 7d", "raw_ip_retention: 6d"))
    assert policy_content_hash(changed) != policy_content_hash(be_policy())
    assert policy_content_hash(be_policy()).startswith("sha256:")
    assert len(policy_content_hash(be_policy())) == len("sha256:") + 64

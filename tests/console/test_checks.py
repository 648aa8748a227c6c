"""The system check names every key the code uses that the policy does not declare (#14)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from keepfaith.console.checks import policy_declares_code_names
from keepfaith.versions.services import policy_publish

BE = Path("examples/qualityssl/policy.yaml")


def test_both_example_policies_declare_everything_the_code_names(settings):
    for path in ("examples/qualityssl/policy.yaml", "examples/qualispace/policy.yaml"):
        settings.POLICY_PATH = Path(path)
        assert policy_declares_code_names() == []


def renamed(tmp_path: Path) -> Path:
    text = BE.read_text(encoding="utf-8")
    support, other = "essential.service.operations.support", "essential.service.operations.improve"
    text = text.replace(support, other)
    text = text.replace("name: kf_notice", "name: kf_news_notice")
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.clause("QS-3")
def test_a_renamed_use_or_cookie_fails_the_check_naming_where_the_code_uses_it(settings, tmp_path):
    settings.POLICY_PATH = renamed(tmp_path)
    errors = policy_declares_code_names()
    messages = "\n".join(e.msg for e in errors)
    assert "use 'essential.service.operations.support' is named by console read" in messages
    assert "support purge" not in messages  # one error per key
    assert "cookie 'kf_notice' is named by keepfaith.cookies.names.NOTICE_COOKIE" in messages
    assert {e.id for e in errors} == {"keepfaith.E101", "keepfaith.E105"}
    with pytest.raises(SystemCheckError, match=r"keepfaith\.E101"):
        call_command("check", "--deploy")


def test_the_published_version_is_checked_with_the_database(db, tmp_path):
    policy_publish(source=renamed(tmp_path).read_text(encoding="utf-8"))
    assert policy_declares_code_names() == []  # the configured file is fine
    errors = policy_declares_code_names(databases=["default"])
    assert errors and all(e.msg.startswith("published version 2024.1:") for e in errors)

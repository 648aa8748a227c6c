"""`keepfaith trace` tells the truth about the clause matrix."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from keepfaith.policy.trace import build_trace, enforces, scan_enforcers, scan_tests


def test_scanners_find_markers_in_source(tmp_path: Path):
    code = tmp_path / "mod.py"
    code.write_text('@enforces("BE-8")\ndef send():\n    pass\n')
    test = tmp_path / "test_mod.py"
    test.write_text(
        'import pytest\npytestmark = [pytest.mark.clause("QS-4")]\n\n'
        '@pytest.mark.clause("BE-8")\ndef test_send():\n    pass\n'
    )
    rows, unknown = build_trace(
        catalogue={"BE-8": "news", "QS-4": "opt-out", "BE-1": "contacts"},
        statements=[],
        enforcers=scan_enforcers(tmp_path, [code]),
        tests=scan_tests(tmp_path, [test]),
    )
    by_id = {row.clause: row for row in rows}
    assert [str(s) for s in by_id["BE-8"].enforced_by] == ["mod.py:2 send"]  # the def line
    assert [s.name for s in by_id["BE-8"].tested_by] == ["test_send"]
    assert [s.name for s in by_id["QS-4"].tested_by] == ["test_send"]
    assert by_id["BE-1"].missing == ["policy", "code", "tests"]
    assert unknown == []


def test_enforces_leaves_the_function_working():
    @enforces("QS-3")
    def double(x: int) -> int:
        return 2 * x

    assert double(2) == 4
    assert double.__enforces__ == ("QS-3",)  # type: ignore[attr-defined]


def test_trace_command_prints_the_matrix_and_strict_fails_on_gaps(db):
    out = StringIO()
    call_command("trace", stdout=out)
    text = out.getvalue()
    assert "BE-8" in text
    assert "clauses have a policy element, code and a test" in text
    if "without code: none" not in text or "without tests: none" not in text:
        with pytest.raises(SystemExit) as exit_:
            call_command("trace", "--strict", stdout=StringIO())
        assert exit_.value.code == 1


def test_feature_claims_are_traced_to_code_and_tests(tmp_path: Path):
    from keepfaith.policy.trace import (
        Site,
        build_feature_trace,
        scan_feature_code,
        scan_feature_tests,
    )

    code = tmp_path / "mod.py"
    code.write_text(
        '@enforces("BE-11", features=("changes.notify.email",))\ndef notify():\n    pass\n\n'
        'class SignupForm(CollectionPointForm):\n    point_id = "signup"\n'
    )
    test = tmp_path / "test_mod.py"
    test.write_text(
        'import pytest\n\n@pytest.mark.feature("changes.notify.email")\ndef test_notify():\n'
        "    pass\n"
    )
    claimed = [
        ("changes.notify.email", Site("policy.yaml", "changes")),
        ("changes.notify.banner", Site("policy.yaml", "changes")),
        ("collection.signup", Site("policy.yaml", "collection")),
    ]
    rows = build_feature_trace(
        claimed=claimed,
        code=scan_feature_code(tmp_path, [code]),
        tests=scan_feature_tests(tmp_path, [test]),
    )
    by_feature = {row.feature: row for row in rows}
    assert by_feature["changes.notify.email"].missing == []
    assert by_feature["changes.notify.banner"].missing == ["code", "tests"]
    assert by_feature["collection.signup"].missing == ["tests"]
    assert [s.name for s in by_feature["collection.signup"].enforced_by] == ["SignupForm"]


@pytest.mark.clause("BE-11")
def test_the_statement_names_the_features_it_claims():
    from keepfaith.policy import load_policy
    from keepfaith.policy.render import statement

    policy = load_policy(Path("examples/qualityssl/policy.yaml"))
    claimed = {feature for _, feature in statement(policy).features()}
    assert {"changes.notify.email", "changes.notify.banner", "collection.checkout"} <= claimed
    assert "renewals.automatic" in claimed and "staff.reads-by-policy" in claimed

"""Policy versions: published once per content, diffed, kept in a chain (BE-11)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from keepfaith.audit.models import AuditEntry
from keepfaith.audit.selectors import chain_verify
from keepfaith.demo import earlier_policy_text
from keepfaith.policy import Policy, PolicyError, load_policy_text
from keepfaith.versions.models import PolicyVersion
from keepfaith.versions.services import PublishRefused, policy_publish, policy_publish_file
from tests.conftest import relabelled

BE = Path("examples/qualityssl/policy.yaml")

pytestmark = [pytest.mark.clause("BE-11")]


def test_publishing_the_same_content_twice_creates_one_version(db):
    first, created = policy_publish_file(path=BE)
    again, created_again = policy_publish_file(path=BE)
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert PolicyVersion.objects.count() == 1
    assert AuditEntry.objects.filter(action="policy.publish").count() == 1


def test_reformatting_a_file_publishes_nothing_new(db):
    policy_publish_file(path=BE)
    reflowed = "# a comment added\n" + BE.read_text(encoding="utf-8")
    _, created = policy_publish(source=reflowed)
    assert created is False


def test_a_new_version_stores_its_diff_and_chain(db):
    policy_publish(source=earlier_policy_text(BE.read_text(encoding="utf-8")) or "")
    version, created = policy_publish_file(path=BE)
    assert created is True
    assert version.changes  # the raw IP retention and cookie lifetimes changed
    assert version.prev_hash == PolicyVersion.objects.get(label="2023.1").entry_hash
    assert chain_verify(PolicyVersion).intact is True


def test_an_invalid_policy_is_refused_with_located_problems(db):
    with pytest.raises(PolicyError) as caught:
        policy_publish(source="version: 1\nnot_a_key: true\n", source_name="bad.yaml")
    assert any(p.file == "bad.yaml" and p.line >= 1 for p in caught.value.problems)
    assert PolicyVersion.objects.count() == 0


def test_other_content_under_a_published_label_is_refused(db, tmp_path):
    policy_publish_file(path=BE)
    shorter = BE.read_text(encoding="utf-8").replace("retention: 90d", "retention: 30d", 1)
    assert shorter != BE.read_text(encoding="utf-8")
    changed = tmp_path / "changed.yaml"
    changed.write_text(shorter, encoding="utf-8")
    with pytest.raises(CommandError, match=r"version 2024\.1 is published already with other"):
        call_command("policy", "publish", str(changed), stdout=StringIO())
    assert PolicyVersion.objects.count() == 1
    assert AuditEntry.objects.filter(action="policy.publish").count() == 1


def test_going_back_to_a_superseded_version_needs_a_new_label(db, tmp_path):
    """Publishing an earlier version's file again used to say "nothing to do" while the later
    version stayed in force; going back is a new version, with its own label."""
    earlier = earlier_policy_text(BE.read_text(encoding="utf-8")) or ""
    old = tmp_path / "earlier.yaml"
    old.write_text(earlier, encoding="utf-8")
    policy_publish_file(path=old)
    policy_publish_file(path=BE)
    with pytest.raises(CommandError, match=r"published as version 2023\.1 and version 2024\.1"):
        call_command("policy", "publish", str(old), stdout=StringIO())
    assert PolicyVersion.objects.latest("seq").label == "2024.1"
    back = tmp_path / "back.yaml"
    back.write_text(relabelled(earlier, "2024.2"), encoding="utf-8")
    out = StringIO()
    call_command("policy", "publish", str(back), stdout=out)
    assert "published version 2024.2" in out.getvalue()
    assert PolicyVersion.objects.latest("seq").label == "2024.2"
    out = StringIO()
    call_command("policy", "publish", str(back), stdout=out)  # in force: nothing to do
    assert "in force already, nothing to do: version 2024.2" in out.getvalue()


@pytest.mark.parametrize("kind", ["missing", "folder", "binary", "huge"])
def test_a_file_that_cannot_be_published_is_named_without_a_traceback(db, tmp_path, kind):
    path = tmp_path / "policy.yaml"
    if kind == "folder":
        path.mkdir()
    elif kind == "binary":
        path.write_bytes(b"\xff\xfe\x00binary" * 10)
    elif kind == "huge":
        path.write_bytes(b"# " + b"x" * 3_000_000 + b"\n")
    err = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("policy", "publish", str(path), stdout=StringIO(), stderr=err)
    assert exited.value.code == 1
    assert str(path) in err.getvalue()
    assert PolicyVersion.objects.count() == 0


def test_published_versions_cannot_be_edited(db):
    policy_publish_file(path=BE)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        connection.cursor().execute("UPDATE versions_policyversion SET source = 'x'")


def test_policy_command_check_render_publish_diff(db, tmp_path):
    out = StringIO()
    call_command("policy", "check", str(BE), stdout=out)
    assert "0 error(s)" in out.getvalue()
    out = StringIO()
    call_command("policy", "render", str(BE), "--format", "md", "--lang", "da", stdout=out)
    assert "# Privatlivspolitik" in out.getvalue()
    out = StringIO()
    call_command("policy", "publish", str(BE), stdout=out)
    assert "published version 2024.1" in out.getvalue()
    older = tmp_path / "older.yaml"
    older.write_text(earlier_policy_text(BE.read_text(encoding="utf-8")) or "", encoding="utf-8")
    out = StringIO()
    call_command("policy", "diff", str(older), "2024.1", stdout=out)
    assert "14 days" in out.getvalue() or "14d" in out.getvalue()
    bad = tmp_path / "bad.yaml"
    bad.write_text("controller: [\n", encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError, match="not a valid policy"):  # not a traceback
        call_command("policy", "diff", str(bad), "2024.1", stdout=out, stderr=err)
    assert "bad.yaml:2:1: error: YAML syntax" in err.getvalue()


def test_policy_check_exits_1_on_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: [unclosed\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_:
        call_command("policy", "check", str(bad), stdout=StringIO())
    assert exit_.value.code == 1


def test_audit_verify_walks_the_policy_chain_too(db):
    from keepfaith.audit.triggers import create_append_only, drop_append_only

    policy_publish_file(path=BE)
    drop_append_only(connection, "versions_policyversion")
    try:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE versions_policyversion SET source = source || '#'")
        err = StringIO()
        with pytest.raises(SystemExit) as exit_:
            call_command("audit", "verify", stdout=StringIO(), stderr=err)
        assert exit_.value.code == 1
        assert "policy chain BROKEN at entry 1" in err.getvalue()
        assert "edited" in err.getvalue()
    finally:
        create_append_only(connection, "versions_policyversion")


@pytest.mark.clause("RIGHTS-21")
def test_a_version_stored_before_a_newer_rule_still_loads_and_can_be_followed(db):
    """A rule added after a version was published (no objection to a use the service needs)
    refuses new texts, but the stored version stays in force and a fixed one follows it."""
    from keepfaith.audit.services import chain_append
    from keepfaith.inforce import in_force
    from keepfaith.policy.render import policy_content_hash
    from keepfaith.versions.selectors import active_version_forget

    good = BE.read_text(encoding="utf-8")
    old = good.replace(
        "objection_uses: [marketing.communications.email,",
        "objection_uses: [essential.service.security, marketing.communications.email,",
    ).replace('version: "2024.1"', 'version: "2023.9"')
    with pytest.raises(PolicyError, match="needed for the service"):
        policy_publish(source=old)
    stored = load_policy_text(old, stored=True)  # as it was published then
    chain_append(
        PolicyVersion,
        label=stored.version,
        content_hash=policy_content_hash(stored),
        effective=dt.date.fromisoformat(stored.effective),
        source=old,
        source_name="before the rule",
        changes={},
        requires_reconsent=[],
    )
    active_version_forget()
    assert "essential.service.security" in objection_uses(in_force().policy)
    version, created = policy_publish_file(path=BE)
    assert created is True
    assert version.changes  # the objection's removal, diffed against the stored version
    active_version_forget()
    assert "essential.service.security" not in objection_uses(in_force().policy)


def objection_uses(policy: Policy) -> tuple[str, ...]:
    assert policy.rights is not None
    return policy.rights.objection_uses


def _at_once(works: list[Callable[[], Any]]) -> list[Any]:
    """Run ``works`` in threads at once; what each returned or raised."""
    import threading

    from django.db import connection as conn

    results: list[Any] = [None] * len(works)
    start = threading.Barrier(len(works))

    def run(i: int) -> None:
        try:
            start.wait()
            results[i] = works[i]()
        except Exception as exc:
            results[i] = exc
        finally:
            conn.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(works))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_publishes_at_once_read_each_other(tmp_path):
    """Two hosts publishing the same file at start-up: one publishes, the others find it in
    force; the same label with other content at once: one wins, the other is refused."""
    same = _at_once([lambda: policy_publish_file(path=BE) for _ in range(4)])
    assert sorted(created for _, created in same) == [False, False, False, True], same
    assert PolicyVersion.objects.count() == 1
    text = BE.read_text(encoding="utf-8")
    first = relabelled(text, "2031.1")
    second = relabelled(text.replace("retention: 90d", "retention: 30d", 1), "2031.1")
    raced = _at_once([lambda: policy_publish(source=first), lambda: policy_publish(source=second)])
    assert sum(isinstance(r, PublishRefused) for r in raced) == 1, raced
    assert PolicyVersion.objects.filter(label="2031.1").count() == 1
    assert chain_verify(PolicyVersion).intact is True

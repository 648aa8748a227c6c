"""The audit log page: filters, paging, CSV export of the filtered range, a verdict per chain
(QS-3); listing and export are themselves audited reads."""

from __future__ import annotations

import csv
import io

import pytest

from keepfaith.audit.models import AuditEntry
from keepfaith.audit.services import Actor, audit_append
from tests.conftest import verified_client

pytestmark = [pytest.mark.clause("QS-3")]


def _entries(n: int, subject: str, clause: str) -> None:
    for i in range(n):
        audit_append(
            actor=Actor.system("test"),
            action=f"test.action.{i % 2}",
            outcome="read",
            subject=subject,
            categories=("user.unique_id",),
            use="essential.service.security",
            clauses=(clause,),
            detail={},
        )


def test_filters_page_and_export(published, pat):
    _entries(60, "C-AAAA", "BE-3")
    _entries(5, "C-BBBB", "QS-4")
    client = verified_client(pat)
    page = client.get("/console/audit/", {"subject": "C-AAAA"}).content.decode()
    assert "60 entries" in page and "Page 1 of 2" in page
    assert "C-BBBB" not in page
    second = client.get("/console/audit/", {"subject": "C-AAAA", "page": "2"}).content.decode()
    assert "Page 2 of 2" in second
    by_clause = client.get("/console/audit/", {"clause": "qs-4"}).content.decode()
    assert "5 entries" in by_clause
    by_action = client.get("/console/audit/", {"action": "test.action.1", "subject": "C-BBBB"})
    assert "2 entries" in by_action.content.decode()
    export = client.get("/console/audit/export.csv", {"clause": "QS-4"})
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert rows[0][0] == "seq" and len(rows) == 6
    assert {r[5] for r in rows[1:]} == {"C-BBBB"}
    exported = AuditEntry.objects.filter(action="console.audit.list", subject="C-BBBB")
    assert exported.exists()  # the export is an audited read of the subject it names


def test_every_chain_gets_a_verdict(published, pat):
    page = verified_client(pat).get("/console/audit/", {"verify": "1"}).content.decode()
    assert 'id="verdicts"' in page
    assert page.count("Intact: ") >= 2  # the audit log and the policy versions at least


def test_a_bad_date_is_a_clear_error_not_a_crash(published, pat):
    client = verified_client(pat)
    response = client.get("/console/audit/", {"since": "yesterday"})
    assert response.status_code == 400
    assert "Enter a valid date" in response.content.decode()
    assert "until the filters above are corrected" in response.content.decode()


def test_a_wrong_filter_exports_nothing_rather_than_the_whole_log(published, pat, bob):
    client = verified_client(pat)
    verified_client(bob).get("/console/")
    whole = client.get("/console/audit/export.csv").content.decode().splitlines()
    assert len(whole) > 2
    refused = client.get(
        "/console/audit/export.csv", {"actor": "bob@staff.example", "since": "2026-99-01"}
    )
    assert refused.status_code == 400
    assert "Nothing exported" in refused.content.decode() and "seq," not in refused.content.decode()
    backwards = client.get(
        "/console/audit/export.csv", {"since": "2026-03-02", "until": "2026-03-01"}
    )
    assert backwards.status_code == 400 and "before it starts" in backwards.content.decode()


def test_a_refused_read_says_where_and_why_on_the_page_and_in_the_export(published, pat, bob):
    verified_client(bob).get("/console/orders/")  # refused: support does not see payments
    client = verified_client(pat)
    page = client.get("/console/audit/", {"action": "console.orders.list"}).content.decode()
    assert "page: /console/orders/; recipient: support; reason: staff role" in page
    export = client.get("/console/audit/export.csv", {"action": "console.orders.list"})
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert rows[0][-1] == "detail"
    assert rows[1][-1].startswith("path: /console/orders/; recipient: support; reason: ")


def test_a_danish_reader_sees_outcomes_and_detail_in_danish(published, pat):
    audit_append(
        actor=Actor.system("test"),
        action="console.read",
        outcome="refused",
        subject="C-DDDD",
        detail={"path": "/console/customers/", "reason": "not granted"},
    )
    for recipient in ("privacy officer", "payment-processor"):
        audit_append(
            actor=Actor.system("test"),
            action="gate.check",
            outcome="free",
            subject="C-DDDD",
            detail={"recipient": recipient},
        )
    pat.language = "da"
    pat.save(update_fields=["language"])
    page = verified_client(pat).get("/console/audit/", {"subject": "C-DDDD"}).content.decode()
    assert "<td>afvist</td>" in page
    assert "side: /console/customers/; begrundelse: not granted" in page
    assert "modtager: privatlivsansvarlig" in page and "modtager: Kortbetalingsudbyder" in page
    assert "<td>free</td>" not in page
    export = verified_client(pat).get("/console/audit/export.csv", {"subject": "C-DDDD"})
    assert "path: /console/customers/; reason: not granted" in export.content.decode()


def test_times_and_day_filters_are_in_the_company_s_time_zone(published, pat, settings):
    """An entry at 23:30 UTC on 4 December is on 5 December in Copenhagen: the page shows it
    there, labels the zone, and a filter for 5 December finds it (found by the hostile-input
    review: the page said UTC and showed local times, the filter cut days in UTC)."""
    import datetime as dt

    from keepfaith.audit.services import chain_append

    settings.TIME_ZONE = "Europe/Copenhagen"
    chain_append(
        AuditEntry,
        at=dt.datetime(2026, 12, 4, 23, 30, tzinfo=dt.UTC),
        actor_kind="system",
        actor="test",
        action="test.late",
        subject="C-LATE",
        categories=[],
        use="",
        clauses=[],
        outcome="read",
        detail={},
    )
    client = verified_client(pat)
    page = client.get("/console/audit/", {"since": "2026-12-05", "until": "2026-12-05"})
    body = page.content.decode()
    assert "Time (Europe/Copenhagen)" in body and "2026-12-05 00:30:00" in body
    assert "C-LATE" in body
    before = client.get("/console/audit/", {"until": "2026-12-04", "subject": "C-LATE"})
    assert "C-LATE</a>" not in before.content.decode()
    export = client.get("/console/audit/export.csv", {"subject": "C-LATE"}).content.decode()
    assert "2026-12-04T23:30:00+00:00" in export  # the file keeps UTC, with its offset


def test_uses_and_reasons_read_in_the_policy_s_names_the_export_keeps_the_keys(published, pat):
    """The page showed dotted use keys and a Python-ish reason ("allowed: use '...'
    (uses[5], choice none) may process ..."); the policy names its uses in each language."""
    from keepfaith.inforce import in_force
    from keepfaith.policy.schema import text_in

    use = "essential.service.security"
    reason = (
        f"allowed: use '{use}' (uses[5], choice none) may process user.unique_id "
        "for recipient 'privacy officer'"
    )
    audit_append(
        actor=Actor.system("test"),
        action="console.read",
        outcome="read",
        subject="C-EEEE",
        use=use,
        detail={"reason": reason},
    )
    declared = in_force().policy.use_by_key(use)
    assert declared is not None
    name = declared.name
    client = verified_client(pat)
    page = client.get("/console/audit/", {"subject": "C-EEEE"}).content.decode()
    assert f'<span title="{use}">{text_in(name, "en")}</span>' in page
    assert f"allowed: use “{text_in(name, 'en')}” may process " in page
    assert "uses[5]" not in page and f"'{use}'" not in page
    pat.language = "da"
    pat.save(update_fields=["language"])
    danish = client.get("/console/audit/", {"subject": "C-EEEE"}).content.decode()
    assert f'<span title="{use}">{text_in(name, "da")}</span>' in danish
    export = client.get("/console/audit/export.csv", {"subject": "C-EEEE"}).content.decode()
    assert use in export and "uses[5], choice none" in export


def _recorded_actions() -> set[str]:
    """Every action the code records as a literal: ``audit_append(action="...")``, a
    module's own ``_audit(actor, thing, "...")`` and the first argument (or ``action=``) of
    each ``StaffRead`` a console page audits."""
    import ast
    from pathlib import Path

    import keepfaith

    found: set[str] = set()
    for path in Path(keepfaith.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            given = [k.value for k in node.keywords if k.arg == "action"]
            if name == "StaffRead" and node.args:
                given.append(node.args[0])
            if name == "_audit":  # a module's own writer: (actor, thing, action, ...)
                given += [
                    a for a in node.args if isinstance(a, ast.Constant) and "." in str(a.value)
                ]
            if name in ("audit_append", "StaffRead", "_audit"):
                found |= {str(g.value) for g in given if isinstance(g, ast.Constant)}
    return found


def test_every_action_the_code_records_has_a_name_on_the_page():
    from keepfaith.accounts.models import CONTACT_FIELD_CATEGORY
    from keepfaith.console.audit import ACTION_WORDS, action_shown
    from keepfaith.console.reads import contact_field_read
    from keepfaith.cookies.gpc import GPC_ACTION
    from keepfaith.rights.templatetags.rights_tags import STEP_TITLES
    from keepfaith.store.refunds import REFUND_ACTION

    # Named by a constant, or (the gate's decisions) by the entry the gate hands its writer.
    recorded = _recorded_actions() | {GPC_ACTION, REFUND_ACTION, "gate.check"}
    assert {"store.order_place", "console.customer.show", "weblog.purge"} <= recorded
    # The families whose last word is a variable: staff accounts, the opt-out mail queue,
    # a rights request's steps.
    recorded |= {f"accounts.staff.{w}" for w in ("add", "replace", "password", "authenticator")}
    recorded |= {"comms.queue.applied", "comms.queue.dismissed"}
    recorded |= {f"rights.{step}" for step in STEP_TITLES}
    recorded |= {contact_field_read(field).action for field in CONTACT_FIELD_CATEGORY}
    unnamed = sorted(a for a in recorded if action_shown(a) == a)
    assert unnamed == []
    assert not set(ACTION_WORDS) - recorded, "names for actions nothing records"


def test_actions_read_as_names_in_the_reader_s_language_the_key_stays_for_filters(published, pat):
    for action in ("store.order_place", "rights.received", "test.unknown"):
        audit_append(actor=Actor.system("test"), action=action, outcome="done", subject="C-EEEE")
    page = verified_client(pat).get("/console/audit/", {"subject": "C-EEEE"}).content.decode()
    assert 'title="store.order_place">Order placed</a>' in page
    assert ">Rights request: received</a>" in page
    assert ">test.unknown</a>" in page  # not known: shown as recorded
    assert 'href="?action=store.order_place"' in page
    pat.language = "da"
    pat.save(update_fields=["language"])
    page = verified_client(pat).get("/console/audit/", {"subject": "C-EEEE"}).content.decode()
    assert ">Ordre afgivet</a>" in page
    assert ">Anmodning fra registreret: modtaget</a>" in page

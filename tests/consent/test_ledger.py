"""The consent ledger: recorded choices, tamper evidence, and the derived current-choices table."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keepfaith.audit.selectors import chain_verify
from keepfaith.audit.triggers import create_append_only, drop_append_only
from keepfaith.consent.models import ConsentEvent, CurrentChoice
from keepfaith.consent.selectors import consent_history, current_choices
from keepfaith.consent.services import (
    ConsentError,
    consent_form_hash,
    consent_rebuild,
    consent_record,
    consent_record_many,
)
from keepfaith.gate.choices import ChoiceStatus
from keepfaith.inforce import in_force
from tests.consent.helpers import NEWSLETTER, PARTNER

TABLE = "consent_consentevent"
CAMPAIGN = "analytics.reporting.campaign_insights"


def _command(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("consent", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def _table() -> set[tuple[object, ...]]:
    return set(
        CurrentChoice.objects.values_list(
            "subject", "key", "status", "event_id", "policy_version_id", "at"
        )
    )


def _fill(subject: str, version=None) -> list[ConsentEvent]:
    steps = [
        (PARTNER, "given", "form:newsletter-signup"),
        (NEWSLETTER, "opted-out", "one-click"),
        (PARTNER, "withdrawn", "email"),
        ("outside_party:certificate-authority", "notice-acknowledged", "checkout"),
        ("outside_party:certificate-authority", "given", "checkout"),
    ]
    return [
        consent_record(
            policy=in_force().policy,
            subject=subject,
            key=key,
            event=event,
            source=source,
            policy_version=version,
        )
        for key, event, source in steps
    ]


def test_recording_updates_current_choices_and_history(published, alice):
    subject = alice.customer_number
    events = _fill(subject, published)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    choices = current_choices(subject=subject)
    assert choices[PARTNER].status is ChoiceStatus.WITHDRAWN
    assert choices[NEWSLETTER].status is ChoiceStatus.OPTED_OUT
    assert choices["outside_party:certificate-authority"].status is ChoiceStatus.GIVEN
    assert choices[PARTNER].policy_version == "2024.1"
    assert [e.seq for e in consent_history(subject=subject)] == [5, 4, 3, 2, 1]
    assert events[0].actor == subject and events[0].actor_kind == "customer"


def test_a_notice_acknowledgement_changes_no_choice(published, alice):
    consent_record(
        policy=in_force().policy,
        subject=alice.customer_number,
        key="outside_party:certificate-authority",
        event="notice-acknowledged",
        source="checkout",
        evidence={"form_hash": consent_form_hash(shown="<form>notice</form>")},
    )
    assert current_choices(subject=alice.customer_number) == {}
    assert ConsentEvent.objects.get().evidence["form_hash"].startswith("sha256:")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"event": "maybe"}, "event 'maybe': one of given"),
        ({"source": "by carrier pigeon"}, "source 'by carrier pigeon'"),
        ({"key": "no spaces allowed"}, "key 'no spaces allowed'"),
        ({"subject": ""}, "subject '': give a customer number"),
        ({"key": "marketing.unknown"}, "is neither a use nor an outside party of the policy"),
    ],
)
def test_bad_events_are_refused_with_a_reason_and_write_nothing(published, alice, fields, message):
    args = {"subject": alice.customer_number, "key": PARTNER, "event": "given", "source": "portal"}
    with pytest.raises(ConsentError, match=message):
        consent_record(policy=in_force().policy, **{**args, **fields})
    assert ConsentEvent.objects.count() == 0


def test_declining_an_unknown_key_is_always_possible(published, alice):
    consent_record(
        policy=in_force().policy,
        subject=alice.customer_number,
        key="marketing.gone",
        event="withdrawn",
        source="staff",
    )
    assert (
        current_choices(subject=alice.customer_number)["marketing.gone"].status
        is ChoiceStatus.WITHDRAWN
    )


def test_record_many_is_all_or_nothing(published, alice):
    with pytest.raises(ConsentError, match="event 'nope'"):
        consent_record_many(
            policy=in_force().policy,
            subject=alice.customer_number,
            changes={PARTNER: "given", NEWSLETTER: "nope"},
            source="portal",
        )
    assert ConsentEvent.objects.count() == 0
    events = consent_record_many(
        policy=in_force().policy,
        subject=alice.customer_number,
        changes={PARTNER: "given", NEWSLETTER: "opted-out"},
        source="portal",
    )
    assert [e.key for e in events] == [PARTNER, NEWSLETTER]


@pytest.mark.clause("QS-3")
@pytest.mark.clause("BE-2")
def test_the_ledger_refuses_update_and_delete(published, alice):
    _fill(alice.customer_number)
    for sql in (f"UPDATE {TABLE} SET event = 'given'", f"DELETE FROM {TABLE}"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            connection.cursor().execute(sql)
    assert ConsentEvent.objects.count() == 5


@pytest.fixture
def no_triggers(db):
    drop_append_only(connection, TABLE)
    yield
    create_append_only(connection, TABLE)


@pytest.mark.clause("QS-3")
@pytest.mark.clause("BE-2")
def test_verify_exits_1_naming_a_row_edited_with_raw_sql(published, alice, no_triggers):
    events = _fill(alice.customer_number)
    code, out, _ = _command("verify")
    assert (code, "consent ledger intact: 5 entries" in out) == (0, True)
    with connection.cursor() as cur:  # withdrawn -> given: the attacker "restores" consent
        cur.execute(f"UPDATE {TABLE} SET event = 'given' WHERE seq = 3")
    code, _, err = _command("verify")
    assert code == 1
    assert f"consent ledger BROKEN at entry 3 (row id {events[2].pk}): edited" in err
    bad = chain_verify(ConsentEvent).first_break
    assert bad is not None and bad.seq == 3


@pytest.mark.clause("QS-3")
def test_verify_names_a_deleted_row(published, alice, no_triggers):
    _fill(alice.customer_number)
    CurrentChoice.objects.all().delete()  # the derived table points at events
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {TABLE} WHERE seq = 2")
    code, _, err = _command("verify")
    assert code == 1
    assert "BROKEN at entry 2" in err and "deleted" in err


def test_rebuild_gives_back_the_table_exactly(published, alice, carol):
    _fill(alice.customer_number, published)
    _fill(carol.customer_number)
    consent_record(
        policy=in_force().policy,
        subject=carol.customer_number,
        key=PARTNER,
        event="opted-in",
        source="portal",
    )
    before = _table()
    assert len(before) == 6
    code, out, _ = _command("rebuild")
    assert (code, out.strip()) == (0, "current choices rebuilt from the ledger: 6 rows")
    assert _table() == before


def test_rebuild_repairs_a_damaged_table(published, alice):
    _fill(alice.customer_number)
    before = _table()
    CurrentChoice.objects.filter(key=NEWSLETTER).delete()
    CurrentChoice.objects.filter(key=PARTNER).update(status="given")
    assert _table() != before
    assert consent_rebuild() == len(before)
    assert _table() == before


EVENTS = st.sampled_from(["given", "withdrawn", "opted-out", "opted-in", "notice-acknowledged"])
KEYS = st.sampled_from([PARTNER, NEWSLETTER, CAMPAIGN, "outside_party:certificate-authority"])


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.tuples(st.sampled_from(["KF-A", "KF-B"]), KEYS, EVENTS), min_size=1, max_size=12)
)
def test_the_table_always_equals_its_rebuild(published, steps):
    with transaction.atomic():
        for subject, key, event in steps:
            consent_record(
                policy=in_force().policy, subject=subject, key=key, event=event, source="portal"
            )
        incremental = _table()
        consent_rebuild()
        assert _table() == incremental
        last = {}
        for subject, key, event in steps:
            if event != "notice-acknowledged":
                last[(subject, key)] = "given" if event == "opted-in" else event
        assert {(s, k): st_ for s, k, st_, *_ in incremental} == last
        transaction.set_rollback(True)


@pytest.mark.clause("QS-3")
@pytest.mark.feature("staff.reads-by-policy")
def test_show_prints_choices_and_history_to_a_staff_member_the_policy_allows(published, alice):
    from keepfaith.audit.models import AuditEntry
    from tests.conftest import make_staff

    _fill(alice.customer_number, published)
    make_staff("pat@staff.example", "privacy officer")
    make_staff("mia@staff.example", "marketing")
    code, out, _ = _command("show", alice.customer_number, "--as", "pat@staff.example")
    assert code == 0
    # by the policy's names and words, local time with its zone: no keys (words for people)
    assert NEWSLETTER not in out and "opted-out" not in out and "via checkout" not in out
    assert "Declined: Newsletter" in out and "(At checkout; policy 2024.1, by" in out
    assert "Newsletter" in out.split("history")[0]  # the current choices, by name too
    assert re.search(r"#5 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d (CET|CEST) ", out), out
    read = AuditEntry.objects.get(action="console.consent.show", outcome="read")
    assert (read.actor, read.subject, read.detail["recipient"]) == (
        "pat@staff.example",
        alice.customer_number,
        "privacy officer",
    )
    with pytest.raises(CommandError, match="refused by the policy in force"):
        _command("show", alice.customer_number, "--as", "mia@staff.example")
    assert AuditEntry.objects.filter(action="console.consent.show", outcome="refused").exists()
    by_address = _command("show", alice.email.upper(), "--as", "pat@staff.example")[1]
    assert by_address == out  # the customer's address finds the same customer
    reads = AuditEntry.objects.filter(action="console.consent.show", outcome="read").count()
    for unknown in ("KF-NOPE", "nobody@example.com"):
        with pytest.raises(CommandError, match="no customer"):
            _command("show", unknown, "--as", "pat@staff.example")
    assert AuditEntry.objects.filter(action="console.consent.show", outcome="read").count() == reads
    refused = AuditEntry.objects.filter(action="console.consent.show", outcome="refused").count()
    with pytest.raises(CommandError, match="refused by the policy in force"):  # not "no customer"
        _command("show", "nobody@example.com", "--as", "mia@staff.example")
    after = AuditEntry.objects.filter(action="console.consent.show", outcome="refused").count()
    assert after == refused + 1


def _refuse_choice_writes(on: bool) -> None:
    """A trigger that makes every write of a current choice fail (both engines)."""
    table = CurrentChoice._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if on:
                cursor.execute(
                    "CREATE FUNCTION kf_test_refuse() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'refused'; END; $$ LANGUAGE plpgsql"
                )
                cursor.execute(
                    f"CREATE TRIGGER kf_test_refuse BEFORE INSERT OR UPDATE ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION kf_test_refuse()"
                )
            else:
                cursor.execute(f"DROP TRIGGER kf_test_refuse ON {table}")
                cursor.execute("DROP FUNCTION kf_test_refuse()")
        elif on:
            for when in ("INSERT", "UPDATE"):
                cursor.execute(
                    f"CREATE TRIGGER kf_test_refuse_{when} BEFORE {when} ON {table} "
                    "BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
        else:
            for when in ("INSERT", "UPDATE"):
                cursor.execute(f"DROP TRIGGER kf_test_refuse_{when}")


@pytest.mark.clause("BE-2")
@pytest.mark.django_db(transaction=True)
def test_an_event_whose_current_choice_cannot_be_written_is_not_recorded(published, alice):
    """All or nothing: the event, the chain head and the current choice commit together."""
    subject = alice.customer_number
    _fill(subject, published)
    before = (ConsentEvent.objects.count(), list(CurrentChoice.objects.values_list()))
    _refuse_choice_writes(True)
    try:
        for event in ("opted-in", "opted-out"):  # a new row, and an update of one
            with pytest.raises(DatabaseError):
                consent_record(
                    policy=in_force().policy,
                    subject=subject,
                    key=NEWSLETTER if event == "opted-out" else CAMPAIGN,
                    event=event,
                    source="portal",
                    policy_version=published,
                )
    finally:
        _refuse_choice_writes(False)
    assert (ConsentEvent.objects.count(), list(CurrentChoice.objects.values_list())) == before
    assert chain_verify(ConsentEvent).intact
    after = consent_record(subject=subject, key=NEWSLETTER, event="opted-out", source="portal")
    assert after.seq == before[0] + 1

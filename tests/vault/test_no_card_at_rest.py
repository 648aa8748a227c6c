"""Real checkouts, then the raw bytes at rest are searched for the card numbers and codes.

The numbers are random (Luhn-valid) for each run, so no other test can have left them
anywhere. A security code is 3 or 4 digits and such runs occur by chance in any file, so it
is searched as a token on its own (not inside a longer run of letters or digits), the way a
stored value would be written.
"""

from __future__ import annotations

import logging
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.test import Client

from keepfaith.audit.services import Actor
from keepfaith.inforce import in_force
from keepfaith.store.models import Order
from keepfaith.vault.gateway import payment_recipient
from keepfaith.vault.models import StoredCardRecord
from keepfaith.vault.services import card_for_processor
from tests.store.conftest import checkout_page
from tests.vault.conftest import with_check_digit

NEXT_YEAR = str(date.today().year + 1)


def random_card(prefix: str, length: int) -> str:
    body = prefix + "".join(secrets.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return with_check_digit(body)


def random_code(width: int) -> str:
    """A code from the top of its range (800-999, 8000-9999): row ids, counts and years in a
    test database stay below it, so a match is the code, not a coincidence."""
    low = 8 * 10 ** (width - 1)
    return str(low + secrets.randbelow(2 * 10 ** (width - 1)))


def spellings(number: str) -> list[bytes]:
    """How a card number could be written: digits, grouped, and as UTF-16 text."""
    groups = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    forms = [number, groups, groups.replace(" ", "-")]
    return [f.encode() for f in forms] + [f.encode("utf-16-le") for f in forms]


def code_pattern(code: str) -> re.Pattern[bytes]:
    return re.compile(rb"(?<![0-9A-Za-z])" + code.encode() + rb"(?![0-9A-Za-z])")


class Secrets:
    def __init__(self) -> None:
        self.cards = [random_card("4", 16), random_card("37", 15)]
        self.codes = [random_code(3), random_code(4)]

    def written_anyway(self) -> bytes:
        """What a checkout writes that may equal a code by chance and is no leak: the last
        four digits of each card (shown on receipts) and the site's address in every mail's
        links (https://localhost:8000 under tests)."""
        return b" ".join([*(n[-4:].encode() for n in self.cards), settings.PUBLIC_URL.encode()])

    def avoid(self, baseline: bytes) -> None:
        """Draw codes again until none stands in ``baseline`` (the bytes before checkout) or
        in what the checkout writes anyway. Without the latter a 4-digit code of 8000 (1 in
        2,000) or equal to a card's last four digits was found on the receipts."""
        known = baseline + b"\n" + self.written_anyway()
        for index, code in enumerate(self.codes):
            while code_pattern(code).search(known):
                code = random_code(len(code))
            self.codes[index] = code

    def leaks_in(self, data: bytes) -> list[str]:
        found = [f"card ...{n[-4:]}" for n in self.cards for f in spellings(n) if f in data]
        found += [f"code #{i}" for i, c in enumerate(self.codes) if code_pattern(c).search(data)]
        return found


def checkouts(client: Client, leaked: Secrets) -> None:
    """One order per card through the real views, plus a refused attempt (an error path)."""
    for number, code in zip(leaked.cards, leaked.codes, strict=True):
        client.post("/cart/", {"product": "qualityssl-mobile", "action": "add", "quantity": "1"})
        shown = checkout_page(client)
        bad = {"card_number": number, "expiry_month": "13", "expiry_year": NEXT_YEAR}
        refused = client.post("/checkout/", {**shown, **bad, "security_code": code})
        assert refused.status_code == 400
        assert not leaked.leaks_in(refused.content)
        good = {**bad, "expiry_month": "11", "security_code": code}
        paid = client.post("/checkout/", {**shown, **good})
        assert paid.status_code == 302, paid.content.decode()[:2000]
        assert not leaked.leaks_in(client.get(paid["Location"]).content)
    assert Order.objects.count() == 2


def files_at_rest() -> Iterator[Path]:
    db = Path(str(connection.settings_dict["NAME"]))
    if connection.vendor == "sqlite":
        yield from (p for p in (db, Path(f"{db}-wal"), Path(f"{db}-journal")) if p.exists())
    books = settings.PAYMENT_TEST_LEDGER  # the local processor's books, -journal beside them
    if books is not None:
        yield from sorted(Path(books).parent.glob(Path(books).name + "*"))
    for path in Path(settings.VAR_DIR).rglob("*"):
        if (
            path.is_file()
            and not path.name.startswith(("test", "."))
            and path.stat().st_size < 50e6
        ):
            yield path


def read_from_outside(path: Path) -> bytes:
    """The bytes of ``path``, read by another process.

    Not ``path.read_bytes()``: closing any descriptor of a file drops every POSIX lock this
    process holds on it, and SQLite's locks on the test database are such locks. Without
    them a mail worker started by a later test took the database for its own, deleted the
    WAL and shared-memory files under this process's open connections at exit, and every
    connection after that failed with "disk I/O error" (see sqlite.org/howtocorrupt.html,
    2.2).
    """
    return subprocess.run(["cat", str(path)], capture_output=True, check=True).stdout


def assert_nothing_at_rest(leaked: Secrets, caplog: pytest.LogCaptureFixture) -> None:
    # the search itself works: each secret is found where it is written
    sample = f"x {leaked.cards[1]} cvc={leaked.codes[0]} y".encode()
    assert leaked.leaks_in(sample) == [f"card ...{leaked.cards[1][-4:]}", "code #0"]
    connection.close()  # let SQLite write its pages out
    scanned = []
    for path in files_at_rest():
        assert leaked.leaks_in(read_from_outside(path)) == [], path
        scanned.append(path)
    if connection.vendor == "sqlite":
        assert Path(str(connection.settings_dict["NAME"])) in scanned
    assert settings.PAYMENT_TEST_LEDGER in scanned
    for session in Session.objects.all():
        assert leaked.leaks_in(repr(session.get_decoded()).encode()) == [], "session"
        assert leaked.leaks_in(session.session_data.encode()) == [], "session"
    for record in caplog.records:
        assert leaked.leaks_in(record.getMessage().encode()) == [], record.getMessage()


def every_order_opens(leaked: Secrets) -> None:
    numbers = set()
    for row in StoredCardRecord.objects.all():
        now = in_force()
        card = card_for_processor(
            record=row,
            actor=Actor.system("test"),
            gate=now.gate(actor=Actor.system("test")),
            recipient=payment_recipient(policy=now.policy),
        )
        numbers.add(card.reveal_for_processor())
    assert numbers == set(leaked.cards)


@pytest.fixture
def leaked(django_vault, settings, tmp_path) -> Secrets:
    settings.POLICY_PATH = Path(settings.BASE_DIR) / "examples" / "qualityssl" / "policy.yaml"
    # the processor's books in a file, as under `make run`, so that they are searched too
    settings.PAYMENT_TEST_LEDGER = tmp_path / "books" / "payment-test-ledger.sqlite3"
    return Secrets()


@pytest.mark.feature("security.vault.no_security_code")
@pytest.mark.clause("QS-5")
@pytest.mark.clause("QS-3")
@pytest.mark.django_db(transaction=True)
def test_no_card_number_or_code_at_rest_before_and_after_rotation(alice, leaked, caplog):
    caplog.set_level(logging.DEBUG)
    # Codes are short: draw ones that no file at rest holds yet (a benchmark's log in var/,
    # say), so that a match afterwards is the checkout's doing.
    leaked.avoid(b"\n".join(read_from_outside(path) for path in files_at_rest()))
    client = Client()
    client.force_login(alice)
    checkouts(client, leaked)
    assert_nothing_at_rest(leaked, caplog)
    call_command("vault", "rotate")
    assert set(StoredCardRecord.objects.values_list("key_version", flat=True)) == {2}
    assert_nothing_at_rest(leaked, caplog)
    every_order_opens(leaked)


@pytest.mark.clause("QS-5")
@pytest.mark.django_db(transaction=True)
def test_a_postgresql_dump_holds_no_card_number_or_code(alice, leaked, caplog):
    if connection.vendor != "postgresql":
        pytest.skip("the database is not PostgreSQL (set DATABASE_URL to run this)")
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.skip("pg_dump is not on PATH")
    db = connection.settings_dict
    command = [pg_dump, "--data-only", "-h", str(db["HOST"] or "127.0.0.1")]
    command += ["-p", str(db["PORT"] or 5432), "-U", str(db["USER"]), str(db["NAME"])]
    env = {"PGPASSWORD": str(db["PASSWORD"] or "")}

    def pg_dump_bytes() -> bytes:
        return subprocess.run(command, capture_output=True, check=True, env=env, timeout=120).stdout

    leaked.avoid(pg_dump_bytes())
    client = Client()
    client.force_login(alice)
    checkouts(client, leaked)
    call_command("vault", "rotate")
    dump = pg_dump_bytes()
    assert b"vault_storedcard" in dump and b"kf1$aes256gcm$kek=2$" in dump
    assert leaked.leaks_in(dump) == []
    every_order_opens(leaked)


def test_codes_are_drawn_apart_from_what_a_checkout_writes_anyway(settings):
    """The rare draws made on purpose: a code equal to a card's last four digits, and 8000
    (the port in every mail's links): both are drawn again."""
    settings.PUBLIC_URL = "https://localhost:8000"
    leaked = Secrets()
    last_four = leaked.cards[0][-4:]
    leaked.codes = ["899", last_four]
    leaked.avoid(b"")
    assert leaked.codes[0] == "899"  # nothing to avoid
    assert leaked.codes[1] not in (last_four, "8000")
    leaked.codes = ["899", "8000"]
    leaked.avoid(b"")
    assert leaked.codes[1] != "8000" and len(leaked.codes[1]) == 4

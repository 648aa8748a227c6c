"""read_messages: every message of an .eml, mbox or Maildir is handed out to be stored (QS-4)."""

from __future__ import annotations

import mailbox

import pytest

from keepfaith.comms.inbound import InboundSourceError, parse_inbound, read_messages
from tests.comms.mailbuild import ALICE, CAROL, PRIVACY, UNSUBSCRIBE, customer_mail


def _three_messages() -> list[bytes]:
    return [
        customer_mail(to=UNSUBSCRIBE, subject="unsubscribe", body="From now on, no mail.\n"),
        customer_mail(sender=CAROL, subject="Afmeld nyhedsbrev", body="Tak.\n"),
        # an unreadable one must still be handed out, for storage and the queue
        b"Content-Type: multipart/mixed\r\n\r\n\xff\xfe",
    ]


@pytest.mark.clause("QS-4")
def test_single_eml_file_is_one_message_with_its_bytes_untouched(tmp_path):
    raw = customer_mail(to=PRIVACY, subject="Stop the newsletter", body="Thanks\n")
    path = tmp_path / "request.eml"
    path.write_bytes(raw)
    messages = list(read_messages(path))
    assert len(messages) == 1
    assert messages[0].raw == raw
    assert messages[0].origin.path == path
    assert messages[0].origin.kind == "eml"


@pytest.mark.clause("QS-4")
def test_every_message_of_an_mbox_is_handed_out_in_order(tmp_path):
    path = tmp_path / "inbox.mbox"
    box = mailbox.mbox(path)
    for raw in _three_messages():
        box.add(raw)
    box.flush()
    box.close()
    messages = list(read_messages(str(path)))
    assert [m.origin.key for m in messages] == ["0", "1", "2"]
    assert {m.origin.kind for m in messages} == {"mbox"}
    senders = [parse_inbound(m.raw).sender for m in messages]
    assert senders == [ALICE, CAROL, None]
    # a body line starting with "From " is quoted by the mbox writer, not split into a message
    assert "From now on, no mail." in parse_inbound(messages[0].raw).body_text


@pytest.mark.clause("QS-4")
def test_every_message_of_a_maildir_new_and_cur_is_handed_out(tmp_path):
    box = mailbox.Maildir(tmp_path / "Maildir")
    keys: dict[str | None, bytes | None] = {box.add(raw): raw for raw in _three_messages()}
    seen = mailbox.MaildirMessage(customer_mail(subject="already read", body="x"))
    seen.set_subdir("cur")
    keys[box.add(seen)] = None
    (tmp_path / "Maildir" / "tmp" / "in-delivery").write_bytes(b"Subject: half\r\n")
    messages = list(read_messages(tmp_path / "Maildir"))
    assert {m.origin.key for m in messages} == set(keys)
    for message in messages:
        expected = keys[message.origin.key]
        if expected is not None:
            assert message.raw == expected
    assert all(b"half" not in m.raw for m in messages)


def test_mbox_is_read_one_message_at_a_time(tmp_path):
    path = tmp_path / "big.mbox"
    box = mailbox.mbox(path)
    for number in range(50):
        box.add(customer_mail(subject=f"unsubscribe {number}", body="x\n"))
    box.close()
    iterator = read_messages(path)
    first = next(iterator)
    assert parse_inbound(first.raw).subject == "unsubscribe 0"
    assert len(first.raw) < path.stat().st_size // 10
    assert sum(1 for _ in iterator) == 49


def test_a_folder_that_is_not_a_maildir_is_refused_with_a_clear_message(tmp_path):
    with pytest.raises(InboundSourceError, match="is a folder but not a Maildir"):
        list(read_messages(tmp_path))


def test_a_missing_path_is_refused_with_a_clear_message(tmp_path):
    with pytest.raises(InboundSourceError, match="does not exist"):
        list(read_messages(tmp_path / "nothing.eml"))


@pytest.mark.parametrize(
    "data",
    [b"", b"\xff\xfe\x00binary", b"Please stop sending me mail.\n", b"Subject: no sender\n\nhi"],
)
def test_a_file_that_is_not_a_mail_is_refused_not_queued(tmp_path, data):
    """An operator's wrong file (empty, binary, plain text) is a clear error: it never
    reaches the privacy officer's queue as an "unclear" message from nobody."""
    path = tmp_path / "wrong.eml"
    path.write_bytes(data)
    with pytest.raises(InboundSourceError, match="is not an e-mail message"):
        list(read_messages(path))


def test_a_message_with_folded_headers_is_read(tmp_path):
    path = tmp_path / "folded.eml"
    path.write_bytes(b"Subject: a long\r\n subject\r\nFrom: a@example.com\r\n\r\nBody")
    [message] = read_messages(path)
    assert parse_inbound(message.raw).sender == "a@example.com"


def test_a_byte_order_mark_and_a_long_header_block_are_still_mail(tmp_path):
    bom = tmp_path / "bom.eml"
    bom.write_bytes(b"\xef\xbb\xbfFrom: a@example.com\r\nSubject: hi\r\n\r\nBody")
    assert len(list(read_messages(bom))) == 1
    relayed = tmp_path / "relayed.eml"
    hops = b"".join(
        b"Received: from relay%d.example by mx.example; now\r\n" % i for i in range(2000)
    )
    relayed.write_bytes(b"From: a@example.com\r\n" + hops + b"Subject: hi\r\n\r\nBody")
    assert len(relayed.read_bytes()) > 100_000
    assert len(list(read_messages(relayed))) == 1


@pytest.mark.clause("QS-4")
def test_a_message_over_the_size_limit_is_named_and_never_read(tmp_path, settings, db):
    """The listener refuses it with 552; an import of a 200 MB file read and stored it whole."""
    from django.core.management import CommandError, call_command

    from keepfaith.comms.models import InboundMessage as Stored

    small = customer_mail(to=PRIVACY, subject="Stop the newsletter", body="Thanks\n")
    big = customer_mail(to=PRIVACY, subject="Huge", body="x" * 5000 + "\n")
    eml = tmp_path / "big.eml"
    eml.write_bytes(big)
    (message,) = read_messages(eml, max_bytes=4096)
    assert message.oversize == len(big) and message.raw == b""
    box = mailbox.mbox(tmp_path / "inbox.mbox")
    for raw in (small, big, small.replace(b"Thanks", b"Again")):
        box.add(raw)
    box.flush()
    box.close()
    read = list(read_messages(tmp_path / "inbox.mbox", max_bytes=4096))
    assert [m.oversize > 0 for m in read] == [False, True, False]
    settings.MAIL_MAX_INBOUND_BYTES = 4096
    with pytest.raises(CommandError, match=r"inbox.mbox#1: [\d,]+ bytes, over the 4,096-byte"):
        call_command("mail", "import", str(tmp_path / "inbox.mbox"))
    assert Stored.objects.count() == 2  # the others are imported all the same

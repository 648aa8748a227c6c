"""``keepfaith mail listen|import|process|worker``: opt-out mail in, the outbox out."""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from keepfaith.comms.delivery import deliver_pending, pending_count
from keepfaith.comms.inbound import InboundSourceError, read_messages
from keepfaith.comms.listener import start_listener
from keepfaith.comms.receiving import inbound_deliver, inbound_process, inbound_store
from keepfaith.comms.selectors import inbound_unprocessed, optout_addresses
from keepfaith.inforce import in_force
from keepfaith.terminal import seconds_between, whole_number


class Command(BaseCommand):
    help = (
        "listen: SMTP listener on loopback for the unsubscribe and privacy addresses; "
        "import PATH: read an .eml file, an mbox or a Maildir; process: retry stored messages "
        "not processed yet; worker: send the outbox (the database task queue)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listen = sub.add_parser("listen", help="SMTP listener on loopback (stored before 250)")
        listen.add_argument("--host", default="127.0.0.1")
        listen.add_argument("--port", type=whole_number(1, 65_535), default=None)
        imp = sub.add_parser("import", help="store and process every message in PATH")
        imp.add_argument("path")
        sub.add_parser("process", help="process stored messages that are not processed yet")
        worker = sub.add_parser("worker", help="send queued mail until stopped")
        worker.add_argument("--burst", action="store_true", help="exit when nothing is left")
        worker.add_argument(
            "--poll", type=seconds_between(0.05, 3600), default=1.0, help="seconds between polls"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "listen":
            self._listen(options["host"], options["port"] or settings.MAIL_LISTEN_PORT)
        elif action == "import":
            self._import(options["path"])
        elif action == "process":
            statuses = [inbound_process(message_id=m.pk) for m in inbound_unprocessed()]
            self.stdout.write(f"processed {len(statuses)} stored messages")
        else:
            self._worker(burst=options["burst"], poll=options["poll"])

    def _listen(self, host: str, port: int) -> None:
        try:
            handle = start_listener(
                host=host,
                port=port,
                recipients=optout_addresses(policy=in_force().policy),
                deliver=inbound_deliver,
                max_bytes=settings.MAIL_MAX_INBOUND_BYTES,
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        except OSError as error:  # the port is taken, or the address is not this machine's
            raise CommandError(
                f"cannot listen on {host}:{port}: {error.strerror or error}"
            ) from None
        addresses = ", ".join(dict.fromkeys(optout_addresses(policy=in_force().policy)))
        self.stdout.write(f"listening on {handle.host}:{handle.port} for {addresses}")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            handle.stop()

    def _import(self, path: str) -> None:
        counts: dict[str, int] = {}
        limit = settings.MAIL_MAX_INBOUND_BYTES
        too_big: list[str] = []
        try:
            for message in read_messages(path, max_bytes=limit):
                origin = f"{message.origin.kind}:{message.origin.path}"
                if message.origin.key:
                    origin += f"#{message.origin.key}"
                if message.oversize:
                    too_big.append(
                        f"{origin}: {message.oversize:,} bytes, over the {limit:,}-byte limit "
                        "(KEEPFAITH_MAIL_MAX_BYTES): not imported"
                    )
                    continue
                row, created = inbound_store(raw=message.raw, origin=origin)
                status = inbound_process(message_id=row.pk) if created else "already stored"
                counts[status] = counts.get(status, 0) + 1
        except InboundSourceError as error:
            raise CommandError(str(error)) from None
        summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "no messages"
        self.stdout.write(f"imported from {path}: {summary}")
        if too_big:
            raise CommandError("\n".join(too_big))

    def _worker(self, *, burst: bool, poll: float) -> None:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        sent = 0
        while not stop.is_set():
            close_old_connections()
            sent += deliver_pending(limit=500)
            due, held = pending_count()
            if due:
                continue
            if burst and not held:
                break
            time.sleep(poll)
        self.stdout.write(f"mail worker stopped: {sent} messages handled")

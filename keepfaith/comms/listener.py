"""The SMTP listener for the unsubscribe and privacy addresses (QS-4, BE-9, BE-1).

Rules kept here:

- It listens on loopback only (an MTA in front relays to it at scale).
- It accepts mail only for the configured recipients; any other gets ``550``.
- A message over ``max_bytes`` gets ``552`` (at ``MAIL FROM ... SIZE=`` or after ``DATA``).
- ``deliver`` is called with the raw message *before* ``250`` is answered, so a message is
  stored before the sender is told it arrived. If ``deliver`` raises, the answer is ``451``
  and the sender retries later: nothing is lost.

Nothing about a message (addresses, subject) is written to the log.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aiosmtpd.controller import Controller

from keepfaith.comms.inbound import normalise_address

__all__ = ["BoundController", "Deliver", "ListenerHandle", "start_listener"]

log = logging.getLogger(__name__)

Deliver = Callable[[str, tuple[str, ...], bytes], None]
"""``deliver(envelope_from, rcpt_tos, raw)``: store the message; raise if it was not stored."""


class _OptOutMailbox:
    """aiosmtpd handler: checks recipients, hands each message to ``deliver`` before 250."""

    def __init__(self, recipients: frozenset[str], deliver: Deliver) -> None:
        self._recipients = recipients
        self._deliver = deliver

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if normalise_address(address) not in self._recipients:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content
        raw_bytes = bytes(raw) if raw is not None else b""
        mail_from = envelope.mail_from or ""
        rcpt_tos = tuple(envelope.rcpt_tos)
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, self._deliver, mail_from, rcpt_tos, raw_bytes)
        except Exception as error:
            log.error("inbound message not stored (%s); answered 451", type(error).__name__)
            return "451 4.3.0 Message not stored, please try again later"
        return "250 2.0.0 Message stored"


class BoundController(Controller):  # type: ignore[misc]
    """aiosmtpd's threaded ``Controller`` serving a socket bound before it starts.

    Port 0 takes a free port from the kernel, read back as ``port``: no probing for a free
    port first and binding it later, which another process can take in between.
    """

    def __init__(self, handler: Any, *, hostname: str, port: int, **options: Any) -> None:
        self._socket = socket.create_server((hostname, port))
        super().__init__(handler, hostname=hostname, port=self._socket.getsockname()[1], **options)

    def _create_server(self) -> Any:
        return self.loop.create_server(
            self._factory_invoker, sock=self._socket, ssl=self.ssl_context
        )


@dataclass
class ListenerHandle:
    """A running listener; ``stop()`` closes it."""

    host: str
    port: int
    _controller: Controller

    def stop(self) -> None:
        self._controller.stop()


def _check_loopback(host: str) -> None:
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"the opt-out mail listener only listens on loopback, not on {host!r}")


def start_listener(
    *,
    host: str,
    port: int,
    recipients: Iterable[str],
    deliver: Deliver,
    max_bytes: int,
) -> ListenerHandle:
    """Start an SMTP listener on ``host:port`` (loopback) in a background thread; port 0
    takes a free port, given back in the handle.

    Only mail to ``recipients`` (compared in normal form) is accepted; ``deliver`` is called
    with each message before it is acknowledged.
    """
    _check_loopback(host)
    wanted = frozenset(
        address for address in (normalise_address(r) for r in recipients) if address is not None
    )
    if not wanted:
        raise ValueError("the listener needs at least one valid recipient address")
    if max_bytes <= 0:
        raise ValueError("max_bytes must be positive")
    controller = BoundController(
        _OptOutMailbox(wanted, deliver),
        hostname=host,
        port=port,
        data_size_limit=max_bytes,
        enable_SMTPUTF8=True,
        decode_data=False,
        ident="keepfaith opt-out mail",
    )
    controller.start()
    return ListenerHandle(host=host, port=controller.port, _controller=controller)

"""Which hosts the SSL server test may connect to: the SSRF guard (SITE-4).

Rules kept here:

- Only host names: a literal address (``10.0.0.1``, ``[::1]``) is refused, so no one can point
  the test at an address by number.
- Only ports from a short list (``KEEPFAITH_SSLTEST_PORTS``; default the TLS ports of web,
  mail and directory servers).
- The name is resolved once. Every address it resolves to must be global
  (``ipaddress.is_global``, with IPv4-mapped, 6to4 and Teredo IPv6 addresses judged by the
  IPv4 address inside); one private, loopback, link-local, shared or reserved address refuses
  the whole name. The scan then connects only to those vetted addresses, by number, and never
  resolves again: a DNS answer that changes during the scan (rebinding) cannot move it.
- ``KEEPFAITH_SSLTEST_ALLOW_PRIVATE`` lets tests reach loopback servers; production refuses to
  start with it (``keepfaith/certs/checks.py``). Unspecified and multicast addresses are
  refused even then.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from keepfaith.certs.names import is_ip_literal, name_normalise, name_problem
from keepfaith.policy.trace import enforces

DEFAULT_PORTS = (443, 465, 636, 853, 993, 995, 8443)
MAX_ADDRESSES = 16

Resolver = Callable[..., Sequence[tuple[Any, ...]]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(ValueError):
    """The host cannot be tested; the message says why."""


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    addresses: tuple[str, ...]  # vetted, in the resolver's order; connect only to these


def target_parse(text: str) -> tuple[str, int]:
    """``HOST`` or ``HOST:PORT`` -> (normalised host, port); literal addresses refused."""
    text = text.strip()
    if "://" in text:
        text = text.split("://", 1)[1]
    text = text.split("/", 1)[0]
    host, port = text, 443
    if text.startswith("["):
        raise TargetRefused(_("Give a host name, not an IP address."))
    if text.count(":") == 1:
        host, _sep, port_text = text.partition(":")
        if not (port_text.isascii() and port_text.isdigit()) or len(port_text) > 5:
            raise TargetRefused(_("The port must be a number."))
        port = int(port_text)
    if is_ip_literal(host) or text.count(":") > 1:
        raise TargetRefused(_("Give a host name, not an IP address."))
    host = name_normalise(host)
    problem = name_problem(host, wildcard=False)
    if problem and host == "localhost" and _allow_private(None):
        problem = None  # tests reach their loopback servers by this name
    if problem:
        raise TargetRefused(
            _("“%(host)s” is not a host name: %(problem)s.")
            % {"host": host[:80], "problem": problem}
        )
    ports = allowed_ports()
    if port not in ports:
        raise TargetRefused(
            _("Port %(port)d cannot be tested; the ports are %(ports)s.")
            % {"port": port, "ports": ", ".join(str(p) for p in ports)}
        )
    return host, port


def allowed_ports() -> tuple[int, ...]:
    return tuple(getattr(settings, "SSLTEST_PORTS", DEFAULT_PORTS))


def _allow_private(given: bool | None) -> bool:
    if given is not None:
        return given
    return bool(getattr(settings, "SSLTEST_ALLOW_PRIVATE", False))


def _embedded_v4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address.teredo is not None:
            return address.teredo[1]
    return None


@enforces("SITE-4")
def address_allowed(address: IPAddress, *, allow_private: bool) -> bool:
    """May the test connect to ``address``? Global only, unless private targets are allowed."""
    if address.is_unspecified or address.is_multicast:
        return False
    inner = _embedded_v4(address)
    if inner is not None and not address_allowed(inner, allow_private=allow_private):
        return False
    return allow_private or address.is_global


@enforces("SITE-4")
def target_resolve(
    *, host: str, port: int, allow_private: bool | None = None, resolve: Resolver | None = None
) -> Target:
    """Resolve ``host`` once and vet every address; raises ``TargetRefused``."""
    allow_private = _allow_private(allow_private)
    try:
        infos = (resolve or socket.getaddrinfo)(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise TargetRefused(_("%(host)s does not resolve.") % {"host": host}) from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))[:MAX_ADDRESSES]
    if not addresses:
        raise TargetRefused(_("%(host)s does not resolve.") % {"host": host})
    for text in addresses:
        try:
            address = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError:
            raise TargetRefused(
                _("%(host)s resolves to something that is not an address.") % {"host": host}
            ) from None
        if not address_allowed(address, allow_private=allow_private):
            raise TargetRefused(
                _(
                    "%(host)s resolves to a private or reserved address; only public servers "
                    "can be tested."
                )
                % {"host": host}
            )
    return Target(host, port, tuple(addresses))

"""What the analytics may know about a client: a registry country, a truncated network and a
daily pseudonym, never the address itself.

Rules this module keeps:

- The country comes from the full address, in memory, from the offline registry data that
  the ``iptocc`` package ships ("registry country": the country the address block is
  registered to, not a location).
- The address is then cut to its network: /24 for IPv4, /48 for IPv6; a host name keeps its
  last two labels (``*.example.net``).
- The visitor pseudonym is HMAC-SHA256 over (day, network, user agent) under a random key of
  that day. The key lives only in the diagnostics store and is destroyed when the day closes,
  so a pseudonym cannot be recomputed afterwards, nor linked across days.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import ipaddress
import re
from collections.abc import Sequence

import iptocc

COUNTRY_UNKNOWN = "??"
PSEUDONYM_BYTES = 8
_HOST_LABEL = re.compile(r"[A-Za-z0-9-]{1,63}")


def registry_countries(*, addresses: Sequence[str]) -> list[str]:
    """The registry country code of each address (``??`` for names, private or bad input)."""
    return [code or COUNTRY_UNKNOWN for code in iptocc.country_code(list(addresses))]


def truncated_network(*, host: str) -> str:
    """The network an address belongs to (/24, /48), or the parent domain of a host name."""
    octets = host.split(".")
    if len(octets) == 4 and all(0 < len(part) <= 3 and part.isdecimal() for part in octets):
        if all(int(part) <= 255 for part in octets[:3]):
            return host.rpartition(".")[0] + ".0/24"
        return "invalid"
    if ":" in host:
        return _ipv6_network(host)
    labels = host.lower().rstrip(".").split(".")
    if len(labels) >= 2 and all(_HOST_LABEL.fullmatch(label) for label in labels):
        return "*." + ".".join(labels[-2:])
    return "invalid"


@functools.lru_cache(maxsize=65_536)
def _ipv6_network(host: str) -> str:
    try:
        return str(ipaddress.IPv6Network(host.strip("[]") + "/48", strict=False))
    except ValueError:
        return "invalid"


def hmac_pads(*, key: bytes) -> tuple[bytes, bytes]:
    """The inner and outer HMAC-SHA256 pads of ``key`` (so SQL can compute the same HMAC)."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def pseudonym_message(*, day: dt.date, network: str, user_agent: str) -> bytes:
    """The bytes a visitor pseudonym is computed over."""
    return f"{day.isoformat()}|{network}|{user_agent}".encode()


def visitor_pseudonym(*, key: bytes, day: dt.date, network: str, user_agent: str) -> int:
    """The visitor key of one (day, network, user agent): the first 8 bytes of the HMAC."""
    message = pseudonym_message(day=day, network=network, user_agent=user_agent)
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return int.from_bytes(digest[:PSEUDONYM_BYTES], "big")


def pseudonym_sql(*, ipad: str, opad: str, day: str, network: str, user_agent: str) -> str:
    """A DuckDB expression equal to :func:`visitor_pseudonym` over the named SQL columns."""
    message = f"encode(strftime({day}, '%Y-%m-%d') || '|' || {network} || '|' || {user_agent})"
    inner = f"unhex(sha256({ipad} || {message}))"
    return f"('0x' || substr(sha256({opad} || {inner}), 1, {PSEUDONYM_BYTES * 2}))::UBIGINT"

"""What the analytics may know about a client: a registry country, a truncated network and a
daily pseudonym, never the address itself.

Rules this module keeps:

- The country comes from the full address, in memory, from the offline registry data that
  the ``iptocc`` package ships ("registry country": the country the address block is
  registered to, not a location).
- The address is then cut to its network: /24 for IPv4, /48 for IPv6. A host name (logs
  written with ``HostnameLookups On``) stays whole, lower-cased, so each distinct name is one
  visitor per day; its country is unknown (``??``: the registry data knows addresses only).
  Like an address, the name only enters the pseudonym's HMAC and is never stored outside
  the diagnostics store.
- The visitor pseudonym is HMAC-SHA256 over (day, network, user agent) under a random key of
  that day. The key lives only in the diagnostics store and is destroyed when the day closes,
  so a pseudonym cannot be recomputed afterwards, nor linked across days.
"""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
import socket
from collections.abc import Sequence

import iptocc
import pyarrow as pa
import pyarrow.compute as pc

from keepfaith.memo import short_text_cache
from keepfaith.weblog import _linescan
from keepfaith.weblog.linear import visitor_regex

COUNTRY_UNKNOWN = "??"
PSEUDONYM_BYTES = 8
_HOST_LABEL = visitor_regex(r"[A-Za-z0-9-]{1,63}")
_OCTET = "(?:[0-9]{1,2}|[01][0-9]{2}|2[0-4][0-9]|25[0-5])"
_IPV4 = rf"^{_OCTET}\.{_OCTET}\.{_OCTET}\.[0-9]{{1,3}}$"  # what truncated_network cuts to /24
_HEX_COLON = frozenset("0123456789abcdefABCDEF:")


def registry_countries(*, addresses: Sequence[str]) -> list[str]:
    """The registry country code of each address (``??`` for names, private or bad input)."""
    return [code or COUNTRY_UNKNOWN for code in iptocc.country_code(list(addresses))]


def truncated_network(*, host: str) -> str:
    """The network an address belongs to (/24, /48), or a host name itself (lower case)."""
    octets = host.split(".")
    if len(octets) == 4 and all(0 < len(part) <= 3 and part.isdecimal() for part in octets):
        if all(int(part) <= 255 for part in octets[:3]):
            return host.rpartition(".")[0] + ".0/24"
        return "invalid"
    if ":" in host:
        return _ipv6_network(host)
    name = host.lower().rstrip(".")
    if len(name) <= 253 and all(_HOST_LABEL.fullmatch(label) for label in name.split(".")):
        return "name:" + name
    return "invalid"


def truncated_networks(*, hosts: pa.Array) -> pa.Array:
    """:func:`truncated_network` of each host: plain IPv4 addresses cut by Arrow at once,
    only the others (IPv6, names, junk) one by one."""
    plain = pc.match_substring_regex(hosts, _IPV4)
    cut = pc.replace_substring_regex(hosts, "[0-9]+$", "0/24")
    others = pc.indices_nonzero(pc.invert(plain))
    if not len(others):
        return cut
    nets = cut.to_pylist()
    for at, host in zip(others.to_pylist(), pc.take(hosts, others).to_pylist(), strict=True):
        nets[at] = truncated_network(host=host)
    return pa.array(nets, pa.string())


@short_text_cache(maxsize=65_536)
def _ipv6_network(host: str) -> str:
    """The /48 of an IPv6 address as ``ipaddress`` writes it (``2001:db8:abcd::/48``).

    The usual form (hex digits and colons) is read by the C library and the three hextets
    written here, about ten times cheaper; anything else (an embedded IPv4, a zone) goes
    through ``ipaddress``. ``tests/weblog/test_privacy.py`` holds both to the same answers.
    """
    text = host.strip("[]")
    if text and _HEX_COLON.issuperset(text):
        try:
            packed = socket.inet_pton(socket.AF_INET6, text)
        except OSError:
            return "invalid"
        digits = packed[:6].hex()
        groups = [digits[at : at + 4].lstrip("0") or "0" for at in (0, 4, 8)]
        while groups and groups[-1] == "0":  # the zeros that follow join the "::"
            groups.pop()
        return ":".join(groups) + "::/48"
    return _ipv6_network_slow(text)


def _ipv6_network_slow(text: str) -> str:
    try:
        return str(ipaddress.IPv6Network(text + "/48", strict=False))
    except ValueError:
        return "invalid"


def pseudonym_message(*, day: dt.date, network: str, user_agent: str) -> bytes:
    """The bytes a visitor pseudonym is computed over."""
    return f"{day.isoformat()}|{network}|{user_agent}".encode()


def visitor_pseudonym(*, key: bytes, day: dt.date, network: str, user_agent: str) -> int:
    """The visitor key of one (day, network, user agent): the first 8 bytes of the HMAC."""
    message = pseudonym_message(day=day, network=network, user_agent=user_agent)
    digest = hmac.digest(key, message, "sha256")
    return int.from_bytes(digest[:PSEUDONYM_BYTES], "big")


def visitor_pseudonyms(
    *,
    keys: Sequence[bytes],
    key_at: pa.Array,
    days: pa.Array,
    networks: pa.Array,
    user_agents: pa.Array,
) -> pa.Array:
    """:func:`visitor_pseudonym` of each row (the day as ISO text), as UBIGINT: row ``i``
    under ``keys[key_at[i]]``. The HMACs are computed by the compiled scanner's
    ``pseudonyms`` without the GIL (the ingest's workers then use every core)."""
    messages = pc.binary_join_element_wise(days, networks, user_agents, "|").cast(pa.binary())
    if messages.null_count or key_at.null_count:
        raise ValueError("a pseudonym needs a day, a network and a user agent (none NULL)")
    if len(key_at) != len(messages):
        raise ValueError(f"{len(key_at)} key indexes for {len(messages)} messages")
    messages = pa.concat_arrays([messages]) if messages.offset else messages
    which = pa.concat_arrays([key_at.cast(pa.int32())])  # offset 0, its own buffer
    _, offsets, data = messages.buffers()
    out = _linescan.pseudonyms(
        tuple(keys), which.buffers()[1], offsets, data if data is not None else b""
    )
    return pa.Array.from_buffers(pa.uint64(), len(messages), [None, pa.py_buffer(out)])

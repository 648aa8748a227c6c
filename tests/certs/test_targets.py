"""The SSRF guard of the SSL server test: names only, short port list, global addresses only,
one resolution whose vetted addresses are the only ones connected to (SITE-4)."""

from __future__ import annotations

import socket
import ssl

import pytest
from hypothesis import example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from keepfaith.certs.sslscan import server_test
from keepfaith.certs.targets import TargetRefused, target_parse, target_resolve
from tests.certs.pki import make_leaf

pytestmark = [pytest.mark.clause("SITE-4")]


def resolver_of(*addresses):
    calls = []

    def resolve(host, port, type=0):
        calls.append(host)
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


@pytest.mark.parametrize(
    "text",
    ["10.0.0.1", "127.0.0.1:443", "[::1]:443", "::1", "[2001:db8::1]", "0x7f.1", "2130706433"],
)
def test_literal_addresses_are_refused(text):
    with pytest.raises(TargetRefused, match=r"not an IP address|not a host name"):
        target_parse(text)


def test_ports_come_from_the_short_list():
    assert target_parse("example.com") == ("example.com", 443)
    assert target_parse("mail.example.com:993") == ("mail.example.com", 993)
    with pytest.raises(TargetRefused, match="Port 22 cannot be tested"):
        target_parse("example.com:22")
    with pytest.raises(TargetRefused, match="must be a number"):
        target_parse("example.com:https")


def test_single_label_names_are_refused_when_private_targets_are_not_allowed(settings):
    settings.SSLTEST_ALLOW_PRIVATE = False
    with pytest.raises(TargetRefused, match="full domain name"):
        target_parse("localhost")
    with pytest.raises(TargetRefused, match="full domain name"):
        target_parse("intranet")


@pytest.mark.parametrize(
    "address",
    [
        "10.1.2.3", "172.16.0.1", "192.168.1.1",  # private
        "127.0.0.1", "127.9.9.9", "::1",  # loopback
        "169.254.169.254", "fe80::1",  # link-local (cloud metadata lives here)
        "100.64.0.1",  # shared address space (carrier-grade NAT)
        "0.0.0.0", "::",  # unspecified  # noqa: S104
        "224.0.0.1",  # multicast
        "192.0.2.10", "2001:db8::1",  # documentation
        "::ffff:127.0.0.1", "::ffff:10.0.0.1",  # IPv4-mapped
        "2002:7f00:1::1",  # 6to4 around 127.0.0.1
        "fc00::1",  # unique local
    ],
)  # fmt: skip
def test_non_global_addresses_are_refused(address):
    with pytest.raises(TargetRefused, match="private or reserved"):
        target_resolve(
            host="shop.example", port=443, allow_private=False, resolve=resolver_of(address)
        )


def test_one_private_address_among_public_ones_refuses_the_name():
    resolve = resolver_of("93.184.216.34", "10.0.0.7")
    with pytest.raises(TargetRefused, match="private or reserved"):
        target_resolve(host="shop.example", port=443, allow_private=False, resolve=resolve)


def test_public_addresses_pass_and_are_kept_for_the_scan():
    resolve = resolver_of("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946")
    target = target_resolve(host="shop.example", port=443, allow_private=False, resolve=resolve)
    assert target.addresses == ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946")
    assert resolve.calls == ["shop.example"]


def test_a_name_that_does_not_resolve_is_refused():
    def fail(*args, **kwargs):
        raise socket.gaierror("no such name")

    with pytest.raises(TargetRefused, match="does not resolve"):
        target_resolve(host="nowhere.example", port=443, allow_private=False, resolve=fail)


def test_unspecified_addresses_are_refused_even_when_private_targets_are_allowed():
    with pytest.raises(TargetRefused):
        target_resolve(
            host="shop.example",
            port=443,
            allow_private=True,
            resolve=resolver_of("0.0.0.0"),  # noqa: S104
        )


def test_rebinding_cannot_move_the_scan(serve, root, intermediate):
    """The name is resolved once; a later answer (here: another address) is never used."""
    server = serve(make_leaf(intermediate, ["localhost"]), [intermediate],
                   versions=(ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3))  # fmt: skip
    answers = iter([["127.0.0.1"], ["10.9.9.9"], ["10.9.9.9"]])
    calls = []

    def rebinding(host, port, type=0):
        calls.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in next(answers)]

    report = server_test(target=f"localhost:{server.port}", roots=[root.cert], resolve=rebinding)
    assert calls == ["localhost"]
    assert report.address == "127.0.0.1"
    assert report.protocols["TLS 1.2"] is True
    assert server.connections > 5  # every handshake reached the vetted server


def test_the_scan_refuses_a_private_target_without_the_setting(settings):
    settings.SSLTEST_ALLOW_PRIVATE = False
    with pytest.raises(TargetRefused):
        server_test(target="shop.example", resolve=resolver_of("127.0.0.1"))


@example(":²")  # a superscript digit: str.isdigit says yes, int() says no
@example("shop.example:٤٤٣")  # Arabic-Indic digits
@hsettings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_target_parse_refuses_clearly_or_returns_a_name(text):
    try:
        host, port = target_parse(text)
    except TargetRefused as exc:
        assert str(exc)
    else:
        assert host and "." in host and port in (443, 465, 636, 853, 993, 995, 8443)

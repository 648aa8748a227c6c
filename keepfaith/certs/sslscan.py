"""The SSL server test of a host a visitor names (SITE-4).

``server_test`` vets the target (``targets``), pins one vetted address, and within a time
budget finds: the chain and its problems (``chaincheck``), the protocol versions TLS 1.0 to
1.3 the server accepts, the cipher suites of each (offering what remains until the server
refuses), forward secrecy, the stapled OCSP response and, on HTTPS ports, HSTS. The grade
comes from ``grading``. Nothing about the visitor is part of a report, and reports are not
stored.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.x509 import ocsp
from django.conf import settings
from django.utils.translation import gettext as _

from keepfaith.certs import tlsprobe
from keepfaith.certs.chaincheck import ChainReport, chain_check, trust_roots
from keepfaith.certs.findings import Finding, error, has_errors, info, warning
from keepfaith.certs.grading import Grade, grade_for
from keepfaith.certs.targets import Resolver, TargetRefused, target_parse, target_resolve
from keepfaith.certs.tlsprobe import Budget, Endpoint, ScanTimeout
from keepfaith.policy.trace import enforces

HTTP_PORTS = frozenset({443, 8443})
HSTS_GOOD_SECONDS = 15552000  # 180 days
MAX_SUITES = 64


@dataclass(frozen=True)
class CipherInfo:
    name: str
    bits: int
    forward_secrecy: bool
    aead: bool


@dataclass(frozen=True)
class HstsInfo:
    max_age: int | None
    include_subdomains: bool
    preload: bool


@dataclass
class ServerReport:
    host: str
    port: int
    address: str
    tested_at: str
    seconds: float = 0.0
    complete: bool = True
    protocols: dict[str, bool | None] = field(default_factory=dict)
    ciphers: dict[str, list[CipherInfo]] = field(default_factory=dict)
    preferred: CipherInfo | None = None
    chain: ChainReport | None = None
    ocsp: str = "not stapled"
    hsts: HstsInfo | None = None
    findings: list[Finding] = field(default_factory=list)
    grade: Grade | None = None

    @property
    def ok(self) -> bool:
        return not has_errors(self.findings)

    def as_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "address": self.address,
            "tested_at": self.tested_at,
            "seconds": round(self.seconds, 2),
            "complete": self.complete,
            "protocols": self.protocols,
            "ciphers": {p: [c.__dict__ for c in cs] for p, cs in self.ciphers.items()},
            "preferred": self.preferred.__dict__ if self.preferred else None,
            "chain": self.chain.as_dict() if self.chain else None,
            "ocsp": self.ocsp,
            "hsts": self.hsts.__dict__ if self.hsts else None,
            "findings": [f.as_dict() for f in self.findings],
            "grade": self.grade.letter if self.grade else None,
            "grade_if_trusted": self.grade.if_trusted if self.grade else None,
            "grade_reasons": list(self.grade.reasons) if self.grade else [],
        }


class ScanFailed(Exception):
    """The server could not be reached at all; the message says so."""


def cipher_info(name: str, bits: int) -> CipherInfo:
    tls13 = name.startswith("TLS_")
    fs = tls13 or name.startswith(("ECDHE-", "DHE-", "EDH-"))
    aead = tls13 or any(mark in name for mark in ("GCM", "CHACHA20", "CCM"))
    return CipherInfo(name, bits, fs, aead)


@enforces("SITE-4")
def server_test(
    *,
    target: str,
    roots: Sequence[x509.Certificate] | None = None,
    allow_private: bool | None = None,
    resolve: Resolver | None = None,
    budget_seconds: float | None = None,
    now: dt.datetime | None = None,
) -> ServerReport:
    """Test ``target`` (``HOST[:PORT]``). Raises ``TargetRefused`` or ``ScanFailed``."""
    host, port = target_parse(target)
    vetted = target_resolve(host=host, port=port, allow_private=allow_private, resolve=resolve)
    budget = Budget(budget_seconds or float(getattr(settings, "SSLTEST_BUDGET_SECONDS", 30)))
    now = now or dt.datetime.now(dt.UTC)
    request = _http_request(host) if port in HTTP_PORTS else None
    first, endpoint = None, None
    for address in vetted.addresses:
        endpoint = Endpoint(host, address, port)
        try:
            first = tlsprobe.handshake(endpoint, budget, ocsp=True, http_request=request)
        except ScanTimeout:
            raise ScanFailed(
                _("%(host)s did not answer on port %(port)d in time.")
                % {"host": host, "port": port}
            ) from None
        if first is not None:
            break
    if endpoint is None or first is None:
        if endpoint is not None and _reachable(endpoint, budget):
            return _no_tls(endpoint, now)
        raise ScanFailed(
            _("Could not connect to %(host)s on port %(port)d.") % {"host": host, "port": port}
        )
    report = ServerReport(host, port, endpoint.address, now.isoformat())
    _probe(report, endpoint, budget, first[0], first[1], roots=roots, now=now)
    report.seconds = time.monotonic() - budget.started
    return report


def _reachable(endpoint: Endpoint, budget: Budget) -> bool:
    try:
        tlsprobe.connect(endpoint, budget).close()
    except (OSError, ScanTimeout):
        return False
    return True


def _no_tls(endpoint: Endpoint, now: dt.datetime) -> ServerReport:
    report = ServerReport(endpoint.host, endpoint.port, endpoint.address, now.isoformat())
    report.protocols = {name: False for name in tlsprobe.PROTOCOLS}
    report.findings = [
        error(
            "protocol.none",
            _("The server accepts no TLS version from 1.0 to 1.3."),
            _("Enable TLS 1.2 and TLS 1.3."),
        )
    ]
    report.grade = grade_for(report.findings, hsts_max_age=None, tls13=False)
    return report


def _http_request(host: str) -> bytes:
    return (
        f"GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: keepfaith-ssltest\r\n"
        "Accept: */*\r\nConnection: close\r\n\r\n"
    ).encode("ascii")


def _probe(
    report: ServerReport,
    endpoint: Endpoint,
    budget: Budget,
    first: tlsprobe.Handshake,
    answer: bytes,
    *,
    roots: Sequence[x509.Certificate] | None,
    now: dt.datetime,
) -> None:
    report.preferred = cipher_info(first.cipher, first.bits)
    unreadable = None
    try:
        if first.chain:
            report.chain = chain_check(
                host=endpoint.host,
                chain=first.chain,
                roots=roots if roots is not None else trust_roots(),
                now=now,
            )
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        unreadable = error(
            "cert.unreadable",
            _("The server's certificate cannot be read: %(why)s") % {"why": str(exc)[:200]},
        )
    report.ocsp = _ocsp_status(first.ocsp)
    report.hsts = _hsts(answer) if endpoint.port in HTTP_PORTS else None
    try:
        for name, version in tlsprobe.PROTOCOLS.items():
            report.protocols[name] = None
            accepted = tlsprobe.handshake(endpoint, budget, version=version)
            report.protocols[name] = accepted is not None
            if accepted is not None:
                report.ciphers[name] = _suites(endpoint, budget, name, version)
    except ScanTimeout:
        report.complete = False
    report.findings = _findings(report) + ([unreadable] if unreadable else [])
    tls13 = bool(report.protocols.get("TLS 1.3"))
    max_age = report.hsts.max_age if report.hsts else None
    report.grade = grade_for(report.findings, hsts_max_age=max_age, tls13=tls13)


def _suites(endpoint: Endpoint, budget: Budget, name: str, version: int) -> list[CipherInfo]:
    """The suites the server accepts: offer all that remain until it refuses."""
    tls13 = name == "TLS 1.3"
    remaining = list(tlsprobe.TLS13_SUITES if tls13 else tlsprobe.cipher_names(version))
    found: list[CipherInfo] = []
    while remaining and len(found) < MAX_SUITES:
        offer = ":".join(remaining)
        result = tlsprobe.handshake(
            endpoint,
            budget,
            version=version,
            ciphers=None if tls13 else offer + ":@SECLEVEL=0",
            tls13=offer if tls13 else None,
        )
        if result is None or result[0].cipher not in remaining:
            break
        remaining.remove(result[0].cipher)
        found.append(cipher_info(result[0].cipher, result[0].bits))
    return found


def _ocsp_status(data: bytes | None) -> str:
    if not data:
        return "not stapled"
    try:
        response = ocsp.load_der_ocsp_response(data)
        if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
            return "stapled: " + response.response_status.name.lower()
        return "stapled: " + response.certificate_status.name.lower()
    except ValueError:
        return "stapled: unreadable"


def _hsts(answer: bytes) -> HstsInfo | None:
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    for line in head.split("\r\n")[1:]:
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() == "strict-transport-security":
            max_age, subdomains, preload = None, False, False
            for part in value.split(";"):
                directive, _eq, arg = part.strip().partition("=")
                directive = directive.strip().lower()
                if directive == "max-age" and _is_number(arg.strip().strip('"')):
                    max_age = int(arg.strip().strip('"')[:12])
                subdomains = subdomains or directive == "includesubdomains"
                preload = preload or directive == "preload"
            return HstsInfo(max_age, subdomains, preload)
    return None


def _findings(report: ServerReport) -> list[Finding]:
    found: list[Finding] = list(report.chain.findings if report.chain else [])
    found += _protocol_findings(report)
    found += _cipher_findings(report)
    if report.ocsp == "stapled: revoked":
        found.append(
            error(
                "ocsp.revoked",
                _("The server's own OCSP response says the certificate is revoked."),
                _("Install a new certificate."),
            )
        )
    elif report.ocsp == "not stapled":
        found.append(
            info(
                "ocsp.not_stapled",
                _("No OCSP response is stapled; clients must ask the CA themselves."),
                _("Turn on OCSP stapling (nginx: ssl_stapling on)."),
            )
        )
    if report.port in HTTP_PORTS:
        found += _hsts_findings(report.hsts)
    if not report.complete:
        found.append(
            warning("scan.incomplete", _("The test ran out of time; some results are missing."))
        )
    return found


def _protocol_findings(report: ServerReport) -> list[Finding]:
    p = report.protocols
    found = [
        info(
            "protocol.ssl_not_tested",
            _("SSL 2.0 and 3.0 are not tested (this client cannot speak them)."),
        )
    ]
    disable_old = _("Disable TLS 1.0 and 1.1 (nginx: ssl_protocols TLSv1.2 TLSv1.3).")
    if p.get("TLS 1.0"):
        found.append(
            warning(
                "protocol.tls10", _("The server accepts TLS 1.0, which is deprecated."), disable_old
            )
        )
    if p.get("TLS 1.1"):
        found.append(
            warning(
                "protocol.tls11", _("The server accepts TLS 1.1, which is deprecated."), disable_old
            )
        )
    if p.get("TLS 1.2") is False and p.get("TLS 1.3") is False:
        found.append(
            error(
                "protocol.no_tls12",
                _("The server accepts neither TLS 1.2 nor TLS 1.3."),
                _("Enable TLS 1.2 and TLS 1.3."),
            )
        )
    elif p.get("TLS 1.3") is False:
        found.append(
            warning(
                "protocol.no_tls13", _("The server does not accept TLS 1.3."), _("Enable TLS 1.3.")
            )
        )
    return found


def _cipher_findings(report: ServerReport) -> list[Finding]:
    suites = [c for cs in report.ciphers.values() for c in cs]
    names = {c.name for c in suites}
    found: list[Finding] = []
    modern = _(
        "Offer only ECDHE suites with AES-GCM or ChaCha20 (e.g. Mozilla's intermediate "
        "configuration)."
    )
    if any("NULL" in n or n.startswith(("ADH", "AECDH")) or "anon" in n for n in names):
        found.append(
            error(
                "cipher.null_or_anonymous",
                _("The server accepts suites without encryption or authentication."),
                modern,
            )
        )
    if any("RC4" in n for n in names):
        found.append(error("cipher.rc4", _("The server accepts RC4, which is broken."), modern))
    if any("DES-CBC3" in n or "IDEA" in n for n in names):
        found.append(
            error(
                "cipher.64bit_block",
                _("The server accepts 3DES or IDEA (64-bit blocks, SWEET32)."),
                modern,
            )
        )
    if any(0 < c.bits < 128 for c in suites):
        found.append(
            error("cipher.weak_bits", _("The server accepts suites weaker than 128 bits."), modern)
        )
    if report.preferred and not report.preferred.forward_secrecy:
        found.append(
            warning(
                "cipher.no_forward_secrecy",
                _("The suite a modern client gets (%(suite)s) has no forward secrecy.")
                % {"suite": report.preferred.name},
                modern,
            )
        )
    elif any(not c.forward_secrecy for c in suites):
        found.append(
            info(
                "cipher.some_without_fs", _("Some accepted suites have no forward secrecy."), modern
            )
        )
    if suites and not any(c.aead for c in suites):
        found.append(
            warning(
                "cipher.no_aead",
                _("No accepted suite uses authenticated encryption (AEAD)."),
                modern,
            )
        )
    return found


def _hsts_findings(hsts: HstsInfo | None) -> list[Finding]:
    if hsts is None:
        return [
            warning(
                "hsts.missing",
                _("The server sends no Strict-Transport-Security header (HSTS)."),
                _("Send Strict-Transport-Security: max-age=31536000."),
            )
        ]
    if (hsts.max_age or 0) < HSTS_GOOD_SECONDS:
        return [
            info(
                "hsts.short",
                _("HSTS is on with a max-age under 180 days."),
                _("Use max-age=31536000 (one year)."),
            )
        ]
    return []


__all__ = ["ScanFailed", "ServerReport", "TargetRefused", "server_test"]


def _is_number(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also accepts "²", which ``int`` refuses."""
    return text.isascii() and text.isdigit()

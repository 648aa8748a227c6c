"""The certificate chain a server sends: order, completeness, trust, expiry, name, key, signature.

Trust is decided with ``cryptography.x509.verification`` (the Web PKI rules of the CA/Browser
Forum) against the trust store: the system's CA bundle, or ``KEEPFAITH_SSLTEST_CA_FILE``.
It is judged at a moment inside the leaf's validity and for a name the leaf carries, so that
expiry and a name mismatch are reported as what they are, not as "untrusted".

Missing intermediates are not fetched (that would be a second outgoing request to an address
the visitor chose): an incomplete chain is reported as such, and its trust as unknown.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError
from django.conf import settings
from django.utils.translation import gettext as _

from keepfaith.certs.findings import Finding, error, info, warning
from keepfaith.certs.keys import key_findings, key_info, signature_findings, signature_name
from keepfaith.certs.names import names_covered

SYSTEM_CA_FILE = "/etc/ssl/certs/ca-certificates.crt"
EXPIRY_WARNING_DAYS = 30


@dataclass(frozen=True)
class CertSummary:
    subject: str
    issuer: str
    names: tuple[str, ...]
    not_before: dt.datetime
    not_after: dt.datetime
    key: str
    signature_algorithm: str
    sha256: str

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["names"] = list(self.names)
        out["not_before"], out["not_after"] = (
            self.not_before.isoformat(),
            self.not_after.isoformat(),
        )
        return out


@dataclass
class ChainReport:
    certificates: list[CertSummary]
    in_order: bool
    complete: bool
    trusted: bool | None  # None: could not be decided (incomplete chain)
    trust_problem: str
    hostname_match: bool
    findings: list[Finding] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "certificates": [c.as_dict() for c in self.certificates],
            "in_order": self.in_order,
            "complete": self.complete,
            "trusted": self.trusted,
            "trust_problem": self.trust_problem,
            "hostname_match": self.hostname_match,
        }


def fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def cert_names(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        return tuple(ext.get_values_for_type(x509.DNSName))
    except (x509.ExtensionNotFound, ValueError):
        return ()


def summary(cert: x509.Certificate) -> CertSummary:
    return CertSummary(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        names=cert_names(cert),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        key=key_info(cert.public_key()).label(),
        signature_algorithm=signature_name(cert),
        sha256=fingerprint(cert),
    )


@cache
def _roots_from(path: str) -> tuple[x509.Certificate, ...]:
    data = Path(path).read_bytes()
    return tuple(x509.load_pem_x509_certificates(data))


def trust_roots() -> tuple[x509.Certificate, ...]:
    """The trust store: ``KEEPFAITH_SSLTEST_CA_FILE`` or the system's CA bundle."""
    path = str(getattr(settings, "SSLTEST_CA_FILE", "") or SYSTEM_CA_FILE)
    return _roots_from(path)


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except Exception:  # any failure (wrong key type, bad signature): not its issuer
        return False
    return True


def _trust(
    chain: Sequence[x509.Certificate], roots: Sequence[x509.Certificate]
) -> tuple[bool, str]:
    leaf = chain[0]
    names = cert_names(leaf)
    if not names:
        return False, _("the certificate has no subjectAltName")
    moment = leaf.not_valid_before_utc + (leaf.not_valid_after_utc - leaf.not_valid_before_utc) / 2
    name = "www" + names[0][1:] if names[0].startswith("*.") else names[0]
    builder = PolicyBuilder().store(Store(list(roots))).time(moment)
    verifier = builder.build_server_verifier(x509.DNSName(name))
    try:
        verifier.verify(leaf, list(chain[1:]))
    except VerificationError as exc:
        return False, str(exc)[:300]
    return True, ""


def chain_check(
    *,
    host: str,
    chain: Sequence[x509.Certificate],
    roots: Sequence[x509.Certificate],
    now: dt.datetime,
) -> ChainReport:
    leaf = chain[0]
    in_order = all(issued_by(chain[i], chain[i + 1]) for i in range(len(chain) - 1))
    last = chain[-1]
    self_signed_leaf = len(chain) == 1 and issued_by(leaf, leaf)
    complete = issued_by(last, last) or any(issued_by(last, root) for root in roots)
    if complete and not self_signed_leaf:
        trusted: bool | None
        trusted, problem = _trust(chain, roots)
    elif self_signed_leaf:
        trusted, problem = False, _("the certificate is self-signed")
    else:
        trusted, problem = None, _("an intermediate certificate is missing")
    names = cert_names(leaf) or tuple(
        str(a.value) for a in leaf.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    )
    report = ChainReport(
        certificates=[summary(c) for c in chain],
        in_order=in_order,
        complete=complete,
        trusted=trusted,
        trust_problem=problem,
        hostname_match=names_covered(names, host),
    )
    report.findings = _findings(report, chain, host=host, now=now, self_signed=self_signed_leaf)
    return report


def _findings(
    report: ChainReport,
    chain: Sequence[x509.Certificate],
    *,
    host: str,
    now: dt.datetime,
    self_signed: bool,
) -> list[Finding]:
    leaf = chain[0]
    found: list[Finding] = []
    if self_signed:
        found.append(
            error(
                "cert.self_signed",
                _("The certificate is self-signed: no browser trusts it."),
                _("Install a certificate issued by a trusted certificate authority."),
            )
        )
    elif report.trusted is False:
        found.append(
            error(
                "cert.untrusted",
                _("The chain is not trusted: %(why)s.") % {"why": report.trust_problem},
                _("Install a certificate from a trusted CA with its intermediates."),
            )
        )
    if not report.complete and not self_signed:
        found.append(
            error(
                "chain.incomplete",
                _(
                    "The server does not send the intermediate certificate(s); some clients "
                    "cannot build the chain."
                ),
                _(
                    "Configure the full chain (your certificate, then the intermediates), "
                    "e.g. nginx ssl_certificate fullchain.pem."
                ),
            )
        )
    if not report.in_order:
        found.append(
            warning(
                "chain.order",
                _("The certificates are not sent in order (each followed by its issuer)."),
                _("Put your certificate first, then each issuer in turn."),
            )
        )
    if len(chain) > 1 and issued_by(chain[-1], chain[-1]):
        found.append(
            info(
                "chain.root_sent",
                _("The server also sends the root certificate, which clients ignore."),
            )
        )
    found += _expiry_findings(chain, now=now)
    if not report.hostname_match:
        found.append(
            error(
                "cert.name_mismatch",
                _("The certificate is not valid for %(host)s (it names: %(names)s).")
                % {"host": host, "names": ", ".join(report.certificates[0].names) or "-"},
                _(
                    "Order a certificate that includes this name, or install the right "
                    "certificate for this host."
                ),
            )
        )
    found += key_findings(leaf.public_key(), where=_("The certificate's key"))
    for index, cert in enumerate(chain):
        if index == len(chain) - 1 and issued_by(cert, cert) and index > 0:
            continue  # a root's own signature does not matter
        where = _("The certificate") if index == 0 else _("Intermediate %(n)d") % {"n": index}
        found += signature_findings(cert, where=where)
    return found


def _expiry_findings(chain: Sequence[x509.Certificate], *, now: dt.datetime) -> list[Finding]:
    found: list[Finding] = []
    renew = _("Renew the certificate and install the new one.")
    for index, cert in enumerate(chain):
        where = _("The certificate") if index == 0 else _("Intermediate %(n)d") % {"n": index}
        if cert.not_valid_after_utc < now:
            found.append(
                error(
                    "cert.expired",
                    _("%(where)s expired on %(date)s.")
                    % {"where": where, "date": cert.not_valid_after_utc.date().isoformat()},
                    renew,
                )
            )
        elif cert.not_valid_before_utc > now:
            found.append(
                error(
                    "cert.not_yet_valid",
                    _("%(where)s is not valid before %(date)s.")
                    % {"where": where, "date": cert.not_valid_before_utc.date().isoformat()},
                )
            )
        elif index == 0 and cert.not_valid_after_utc - now < dt.timedelta(days=EXPIRY_WARNING_DAYS):
            days = (cert.not_valid_after_utc - now).days
            found.append(
                warning(
                    "cert.expires_soon",
                    _("The certificate expires in %(days)d days.") % {"days": days},
                    renew,
                )
            )
    return found

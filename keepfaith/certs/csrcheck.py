"""The CSR decoder and checker, and "does this certificate match this key or request?" (SITE-4).

``csr_check`` decodes a request (subject, names, key, signature) and lists findings with a
severity and a fix; given the names of an order it also checks that the request asks for
exactly those names. ``key_match`` compares the public key of a certificate with that of a
request, a public key or (on the command line) a private key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.x509.oid import NameOID
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from keepfaith.certs.findings import Finding, error, has_errors, warning
from keepfaith.certs.inputs import load_certificates, load_csr, load_public_key
from keepfaith.certs.keys import KeyInfo, key_findings, key_info, signature_findings, signature_name
from keepfaith.certs.names import name_normalise, name_problem, name_shown
from keepfaith.policy.trace import enforces

SUBJECT_LABELS = {
    "commonName": gettext_lazy("Common name"),
    "organizationName": gettext_lazy("Organisation"),
    "organizationalUnitName": gettext_lazy("Organisational unit"),
    "localityName": gettext_lazy("City"),
    "stateOrProvinceName": gettext_lazy("State or province"),
    "countryName": gettext_lazy("Country"),
    "emailAddress": gettext_lazy("E-mail"),
    "streetAddress": gettext_lazy("Street"),
    "postalCode": gettext_lazy("Postal code"),
}


@dataclass(frozen=True)
class CsrReport:
    subject: tuple[tuple[str, str], ...]
    common_name: str | None
    dns_names: tuple[str, ...]  # from the subjectAltName extension
    ip_addresses: tuple[str, ...]
    key: KeyInfo
    signature_algorithm: str
    signature_valid: bool
    findings: tuple[Finding, ...] = field(default=())

    @property
    def names(self) -> tuple[str, ...]:
        """Every DNS name the request asks for: the SANs, and the Common Name if it is one."""
        names = list(self.dns_names)
        if self.common_name and name_problem(name_normalise(self.common_name)) is None:
            names.append(name_normalise(self.common_name))
        return tuple(dict.fromkeys(names))

    @property
    def ok(self) -> bool:
        return not has_errors(self.findings)

    @property
    def subject_labelled(self) -> list[tuple[str, str]]:
        """The subject with words for people ("Organisation") instead of X.509 names."""
        return [(str(SUBJECT_LABELS.get(k, k)), v) for k, v in self.subject]

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": [list(item) for item in self.subject],
            "common_name": self.common_name,
            "dns_names": list(self.dns_names),
            "ip_addresses": list(self.ip_addresses),
            "key": {
                "type": self.key.kind,
                "bits": self.key.bits,
                "curve": self.key.curve,
                "spki_sha256": self.key.spki_sha256,
            },
            "signature_algorithm": self.signature_algorithm,
            "signature_valid": self.signature_valid,
            "findings": [f.as_dict() for f in self.findings],
            "ok": self.ok,
        }


def _subject(name: x509.Name) -> tuple[tuple[str, str], ...]:
    items = []
    for attribute in name:
        label = getattr(attribute.oid, "_name", None) or attribute.oid.dotted_string
        value = attribute.value if isinstance(attribute.value, str) else attribute.value.hex()
        items.append((label, value))
    return tuple(items)


def _signature_valid(csr: x509.CertificateSigningRequest) -> bool:
    try:
        return csr.is_signature_valid
    except (ValueError, UnsupportedAlgorithm):
        return False


def _sans(csr: x509.CertificateSigningRequest) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    try:
        ext = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    dns = tuple(dict.fromkeys(name_normalise(n) for n in ext.get_values_for_type(x509.DNSName)))
    ips = tuple(str(ip) for ip in ext.get_values_for_type(x509.IPAddress))
    return dns, ips


@enforces("SITE-4")
def csr_check(
    *, data: bytes | str, names: Sequence[str] = (), internal_names: bool = False
) -> CsrReport:
    """Decode and check a CSR; ``names`` are the names ordered (empty: no order to match);
    ``internal_names`` accepts single-label server names (intranet products).

    Raises ``InputError`` when the input is not a readable request.
    """
    csr = load_csr(data)
    key = csr.public_key()
    sans = _sans(csr)
    dns, ips = sans if sans is not None else ((), ())
    cns = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    cn = str(cns[0].value) if cns else None
    report = CsrReport(
        subject=_subject(csr.subject),
        common_name=cn,
        dns_names=dns,
        ip_addresses=ips,
        key=key_info(key),
        signature_algorithm=signature_name(csr),
        signature_valid=_signature_valid(csr),
    )
    found = _csr_findings(csr, report, has_san=sans is not None, internal=internal_names)
    if names:
        found += names_findings(requested=report.names, ordered=names)
    return CsrReport(**{**report.__dict__, "findings": tuple(found)})


def _csr_findings(
    csr: x509.CertificateSigningRequest, report: CsrReport, *, has_san: bool, internal: bool
) -> list[Finding]:
    new_csr = _("Generate the CSR again (see the install guide).")
    found: list[Finding] = []
    if not report.signature_valid:
        found.append(
            error(
                "csr.signature_invalid",
                _("The request's signature does not verify: it was altered or damaged."),
                new_csr,
            )
        )
    found += key_findings(csr.public_key(), where=_("The request's key"))
    found += signature_findings(csr, where=_("The request"))
    if not has_san:
        found.append(
            warning(
                "names.no_san",
                _(
                    "The request has no subjectAltName: browsers ignore the Common Name, so the "
                    "certificate must carry the names as SANs."
                ),
                _(
                    "The CA adds the ordered names as SANs; to be explicit, generate the CSR with "
                    "-addext 'subjectAltName=DNS:example.com,DNS:www.example.com'."
                ),
            )
        )
    for name in report.names:
        problem = name_problem(name, single_label=internal)
        if problem:
            found.append(
                error(
                    "names.invalid",
                    _("“%(name)s” cannot be in a certificate: %(problem)s.")
                    % {"name": name, "problem": problem},
                    new_csr,
                )
            )
    if not report.names:
        found.append(error("names.none", _("The request names no domain."), new_csr))
    if report.common_name and report.dns_names:
        cn = name_normalise(report.common_name)
        if name_problem(cn) is None and cn not in report.dns_names:
            found.append(
                warning(
                    "names.cn_not_in_san",
                    _("The Common Name %(cn)s is not among the SANs.") % {"cn": cn},
                )
            )
    return found


def _shown(names: Sequence[str]) -> str:
    return ", ".join(name_shown(n) for n in names)


def names_findings(*, requested: Sequence[str], ordered: Sequence[str]) -> list[Finding]:
    """The request must ask for exactly the names ordered: none missing, none extra."""
    want = {name_normalise(n) for n in ordered if n.strip()}
    have = set(requested)
    fix = _("Make a new CSR with exactly the names of the certificate.")
    found = []
    missing, extra = sorted(want - have), sorted(have - want)
    if missing:
        found.append(
            error(
                "names.missing",
                _("The request does not include: %(names)s.") % {"names": _shown(missing)},
                fix,
            )
        )
    if extra:
        found.append(
            error(
                "names.extra",
                _("The request includes names that are not in the order: %(names)s.")
                % {"names": _shown(extra)},
                fix,
            )
        )
    return found


@dataclass(frozen=True)
class MatchReport:
    matches: bool
    certificate_key: KeyInfo
    other_key: KeyInfo
    certificate_subject: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "matches": self.matches,
            "certificate_key_sha256": self.certificate_key.spki_sha256,
            "other_key_sha256": self.other_key.spki_sha256,
            "certificate_subject": self.certificate_subject,
        }


@enforces("SITE-4")
def key_match(
    *, certificate: bytes | str, other: bytes | str, allow_private: bool = False
) -> MatchReport:
    """Does the first certificate in ``certificate`` carry the public key of ``other`` (a CSR,
    a public key, another certificate, or a private key where ``allow_private``)?"""
    cert = load_certificates(certificate)[0]
    mine = key_info(cert.public_key())
    theirs = key_info(load_public_key(other, allow_private=allow_private))
    return MatchReport(
        mine.spki_sha256 == theirs.spki_sha256, mine, theirs, cert.subject.rfc4514_string()
    )

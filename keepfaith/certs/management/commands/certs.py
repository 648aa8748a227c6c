"""``keepfaith certs``: the certificate tools from the command line (SITE-4).

    keepfaith certs check-csr FILE [--names a.example,b.example] [--format json]
    keepfaith certs match CERT KEY_OR_CSR [--format json]
    keepfaith certs test HOST[:PORT] [--format json]
    keepfaith certs refresh
    keepfaith certs pebble [--print-env]

The tools print their findings (and the test its grade) and exit 1 when a finding is an
error. ``refresh`` is the certificates' daily run (``keepfaith.certs.daily``): it sends what waits
for the certificate authority, orders the certificates of paid renewals, marks issued
certificates expiring or expired and sends each expiring one's owner a reminder once. The
``certificates`` job of ``keepfaith jobs run`` does the same.
``pebble`` runs Debian's ACME test server on loopback for the demo (``make run``);
``--print-env`` prints the settings that point keepfaith at it.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from keepfaith.audit.services import Actor
from keepfaith.certs.csrcheck import csr_check, key_match
from keepfaith.certs.daily import certificates_daily
from keepfaith.certs.findings import Finding, has_errors
from keepfaith.certs.inputs import (
    MAX_INPUT_BYTES,
    InputError,
    load_certificates,
    load_public_key,
)
from keepfaith.certs.names import names_parse
from keepfaith.certs.sslscan import ScanFailed, ServerReport, server_test
from keepfaith.certs.targets import TargetRefused
from keepfaith.inforce import in_force


def _read(path: str) -> bytes:
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise CommandError(f"{path}: cannot read: {exc.strerror}") from None
    if len(data) > MAX_INPUT_BYTES:
        raise CommandError(
            f"{path}: larger than {MAX_INPUT_BYTES} bytes: not a certificate, request or key "
            "(those are a few kilobytes)"
        )
    return data


class Command(BaseCommand):
    help = (
        "Certificate tools: check-csr FILE (decode and check a CSR, --names to match an "
        "order), match CERT KEY_OR_CSR (does the certificate carry this key?), test "
        "HOST[:PORT] (SSL server test with a grade). --format json; exit 1 on an error finding."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check-csr", help="decode and check a CSR (PEM or DER)")
        check.add_argument("file")
        check.add_argument("--names", default="", help="the names ordered, comma-separated")
        match = sub.add_parser("match", help="does the certificate match this key or CSR?")
        match.add_argument("certificate")
        match.add_argument("other", help="a CSR, public key, certificate or private key")
        test = sub.add_parser("test", help="SSL server test of HOST[:PORT]")
        test.add_argument("target")
        for p in (check, match, test):
            p.add_argument("--format", choices=("text", "json"), default="text")
        sub.add_parser("refresh", help="the daily run: send waiting orders, renew, remind")
        pebble = sub.add_parser("pebble", help="run Debian's pebble on loopback (demo)")
        pebble.add_argument("--print-env", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "refresh":
            now = in_force()
            run = certificates_daily(
                gate=now.gate(actor=Actor.system("certificates")), policy=now.policy
            )
            self.stdout.write(run.summary())
            return
        if action == "pebble":
            self._pebble(print_env=options["print_env"])
            return
        try:
            if action == "check-csr":
                failed = self._check(options)
            elif action == "match":
                failed = self._match(options)
            else:
                failed = self._test(options)
        except (InputError, TargetRefused, ScanFailed) as exc:
            raise CommandError(str(exc)) from None
        if failed:
            sys.exit(1)

    def _pebble(self, *, print_env: bool) -> None:
        from django.conf import settings

        from keepfaith.certs.pebble import PebbleProcess, pebble_binary, pebble_prepare

        if settings.PRODUCTION:
            raise CommandError("pebble is a test CA; it does not run in production mode")
        if pebble_binary() is None:
            raise CommandError("Debian's pebble is not installed (apt-get install pebble)")
        setup = pebble_prepare(workdir=Path(settings.VAR_DIR) / "pebble", keep_ports=True)
        if print_env:
            self.stdout.write("\n".join(f"export {k}='{v}'" for k, v in setup.env().items()))
            return
        self.stdout.write(f"pebble on {setup.directory} (Ctrl-C stops it)")
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop pebble with us
        with PebbleProcess(setup) as process:
            process.wait()

    def _emit(self, options: dict[str, Any], data: dict[str, Any], lines: list[str]) -> None:
        if options["format"] == "json":
            self.stdout.write(json.dumps(data, indent=2, default=str))
        else:
            self.stdout.write("\n".join(lines))

    def _check(self, options: dict[str, Any]) -> bool:
        try:
            report = csr_check(data=_read(options["file"]), names=names_parse(options["names"]))
        except InputError as exc:
            raise CommandError(f"{options['file']}: {exc}") from None
        lines = [
            f"subject: {', '.join(f'{k}={v}' for k, v in report.subject) or '-'}",
            f"names: {', '.join(report.names) or '-'}",
            f"key: {report.key.label()}  (SPKI SHA-256 {report.key.spki_sha256})",
            f"signature: {report.signature_algorithm}, "
            + ("valid" if report.signature_valid else "INVALID"),
            *_finding_lines(report.findings),
        ]
        self._emit(options, report.as_dict(), lines)
        return has_errors(report.findings)

    def _match(self, options: dict[str, Any]) -> bool:
        """Each file read and checked on its own, so an error names the one at fault."""
        first, second = options["certificate"], options["other"]
        certificate, other = _read(first), _read(second)
        try:
            load_certificates(certificate)
        except InputError as exc:
            raise CommandError(f"{first} (the certificate): {exc}") from None
        try:
            load_public_key(other, allow_private=True)
        except InputError as exc:
            reason = (
                str(exc)
                if b"-----BEGIN" in other
                else (
                    "not a certificate request, public key, certificate or private key (PEM or DER)"
                )
            )
            raise CommandError(f"{second} (to compare with the certificate): {reason}") from None
        report = key_match(certificate=certificate, other=other, allow_private=True)
        verdict = "match" if report.matches else "DO NOT MATCH"
        mine, theirs = report.certificate_key, report.other_key
        lines = [
            f"certificate: {report.certificate_subject}",
            f"certificate key: {mine.label()} {mine.spki_sha256}",
            f"other key:       {theirs.label()} {theirs.spki_sha256}",
            f"the keys {verdict}",
        ]
        self._emit(options, report.as_dict(), lines)
        return not report.matches

    def _test(self, options: dict[str, Any]) -> bool:
        report = server_test(target=options["target"])
        self._emit(options, report.as_dict(), _report_lines(report))
        return has_errors(report.findings)


def _finding_lines(findings: list[Finding] | tuple[Finding, ...]) -> list[str]:
    if not findings:
        return ["findings: none"]
    lines = ["findings:"]
    for f in findings:
        lines.append(f"  {f.severity.upper()}: {f.message} [{f.code}]")
        if f.fix:
            lines.append(f"    fix: {f.fix}")
    return lines


def _report_lines(report: ServerReport) -> list[str]:
    grade = report.grade
    lines = [f"{report.host}:{report.port} ({report.address})"]
    if grade is not None:
        shown = grade.letter
        if grade.letter in ("T", "M"):
            shown += f" (if trusted: {grade.if_trusted})"
        lines.append(f"grade: {shown}")
        lines += [f"  because: {reason}" for reason in grade.reasons]
    for name, offered in report.protocols.items():
        state = "not tested" if offered is None else ("yes" if offered else "no")
        suites = ", ".join(c.name for c in report.ciphers.get(name, []))
        lines.append(f"{name}: {state}" + (f"  [{suites}]" if suites else ""))
    if report.chain is not None:
        for index, cert in enumerate(report.chain.certificates):
            until = cert.not_after.date().isoformat()
            lines.append(
                f"chain {index}: {cert.subject} (issuer {cert.issuer}, until {until}, "
                f"{cert.key}, {cert.signature_algorithm})"
            )
    lines.append(f"OCSP: {report.ocsp}")
    if report.hsts is not None:
        lines.append(f"HSTS: max-age={report.hsts.max_age}")
    return lines + _finding_lines(report.findings)

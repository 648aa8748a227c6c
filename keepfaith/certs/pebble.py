"""Debian's ``pebble`` (the ACME test server of Let's Encrypt) on loopback, for tests and
the demo.

``pebble_prepare`` writes what pebble needs under a directory: a TLS root and a certificate
for 127.0.0.1/localhost (pebble serves ACME only over HTTPS; the root is what the client
trusts, ``KEEPFAITH_ACME_CA_BUNDLE``), an External Account Binding key that pebble requires,
and the configuration file. ``PebbleProcess`` runs it with every challenge answered valid
at once (``PEBBLE_VA_ALWAYS_VALID=1``), no nonce rejections and no authorisation reuse, and
stops it. Nothing listens beyond 127.0.0.1.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import ipaddress
import json
import os
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

PEBBLE_ENV = {
    "PEBBLE_VA_ALWAYS_VALID": "1",
    "PEBBLE_VA_NOSLEEP": "1",
    "PEBBLE_WFE_NONCEREJECT": "0",
    "PEBBLE_AUTHZREUSE": "0",
}
EAB_KID = "keepfaith-reseller"

CERTIFICATE_VALIDITY_SECONDS = 365 * 24 * 3600


def pebble_binary() -> str | None:
    return shutil.which("pebble") or (
        "/usr/bin/pebble" if os.access("/usr/bin/pebble", os.X_OK) else None
    )


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> tuple[int, ...]:
    """``count`` different free loopback ports. The sockets stay bound until all are picked:
    one closed before the next bind may be handed out again (about 1 in 14,000 pairs)."""
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket())
            sock.bind(("127.0.0.1", 0))
            ports.append(int(sock.getsockname()[1]))
        return tuple(ports)


@dataclass(frozen=True)
class PebbleSetup:
    workdir: Path
    port: int
    management_port: int
    ca_bundle: Path
    eab_kid: str
    eab_hmac_key: str

    @property
    def directory(self) -> str:
        return f"https://127.0.0.1:{self.port}/dir"

    def env(self) -> dict[str, str]:
        """The settings that point keepfaith at this pebble."""
        return {
            "KEEPFAITH_CERT_AUTHORITY": "keepfaith.certs.acmeca.AcmeAuthority",
            "KEEPFAITH_ACME_DIRECTORY": self.directory,
            "KEEPFAITH_ACME_CA_BUNDLE": str(self.ca_bundle),
            "KEEPFAITH_ACME_EAB_KID": self.eab_kid,
            "KEEPFAITH_ACME_EAB_HMAC_KEY": self.eab_hmac_key,
            "KEEPFAITH_ACME_ACCOUNT_KEY": str(self.workdir / "account-key.pem"),
        }


def _pem(obj: x509.Certificate | ec.EllipticCurvePrivateKey) -> bytes:
    if isinstance(obj, x509.Certificate):
        return obj.public_bytes(serialization.Encoding.PEM)
    return obj.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _tls_files(workdir: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    root_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "keepfaith pebble TLS root")])

    def build(subject: x509.Name, public: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder().subject_name(subject).issuer_name(root_name)
            .public_key(public).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=825))
        )  # fmt: skip

    root = (
        build(root_name, root_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    sans = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    leaf = (
        build(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]), key.public_key())
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    (workdir / "tls-root.pem").write_bytes(_pem(root))
    (workdir / "tls-cert.pem").write_bytes(_pem(leaf))
    (workdir / "tls-key.pem").write_bytes(_pem(key))
    (workdir / "tls-key.pem").chmod(0o600)


def _kept_ports(workdir: Path) -> tuple[int, int] | None:
    try:
        config = json.loads((workdir / "pebble-config.json").read_text())["pebble"]
        return (int(config["listenAddress"].rsplit(":", 1)[1]),
                int(config["managementListenAddress"].rsplit(":", 1)[1]))  # fmt: skip
    except (OSError, ValueError, KeyError):
        return None


def pebble_prepare(*, workdir: Path, keep_ports: bool = False) -> PebbleSetup:
    """Write pebble's TLS files, EAB key and configuration under ``workdir`` (kept if there).

    Ports are free loopback ports; with ``keep_ports`` those of an earlier configuration
    there are used again (the demo's web server and its pebble agree on them)."""
    workdir.mkdir(parents=True, exist_ok=True)
    kept = _kept_ports(workdir) if keep_ports else None
    port, management_port = kept or free_ports(2)
    if not (workdir / "tls-root.pem").exists():
        _tls_files(workdir)
    eab_file = workdir / "eab-hmac-key"
    if not eab_file.exists():
        eab_file.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("="))
        eab_file.chmod(0o600)
    setup = PebbleSetup(
        workdir, port, management_port, workdir / "tls-root.pem",
        EAB_KID, eab_file.read_text().strip(),
    )  # fmt: skip
    config = {
        "pebble": {
            "listenAddress": f"127.0.0.1:{setup.port}",
            "managementListenAddress": f"127.0.0.1:{setup.management_port}",
            "certificate": str(workdir / "tls-cert.pem"),
            "privateKey": str(workdir / "tls-key.pem"),
            "httpPort": 5002,
            "tlsPort": 5001,
            "ocspResponderURL": "",
            # a year, as a public CA issues (at most 398 days), not pebble's five years
            "certificateValidityPeriod": CERTIFICATE_VALIDITY_SECONDS,
            "externalAccountBindingRequired": True,
            "externalAccountMACKeys": {EAB_KID: setup.eab_hmac_key},
        }
    }
    (workdir / "pebble-config.json").write_text(json.dumps(config, indent=2))
    return setup


def pebble_listening(port: int, *, seconds: float = 15.0, exited: Any = None) -> bool:
    """Wait until something listens on loopback ``port`` (False after ``seconds``)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if exited is not None and exited() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


class PebbleProcess:
    """Run pebble for ``setup`` until ``stop`` (or the end of a ``with`` block)."""

    def __init__(self, setup: PebbleSetup) -> None:
        binary = pebble_binary()
        if binary is None:
            raise FileNotFoundError("pebble is not installed (Debian: apt-get install pebble)")
        self.setup = setup
        self._log = (setup.workdir / "pebble.log").open("ab")
        self._process = subprocess.Popen(  # noqa: S603 (a fixed binary and our own config)
            [binary, "-config", str(setup.workdir / "pebble-config.json")],
            env={**os.environ, **PEBBLE_ENV}, stdout=self._log, stderr=subprocess.STDOUT,
            cwd=setup.workdir,
        )  # fmt: skip
        self._wait_ready()

    def _wait_ready(self) -> None:
        if not pebble_listening(self.setup.port, exited=self._process.poll):
            self.stop()
            raise RuntimeError(f"pebble did not start; see {self.setup.workdir / 'pebble.log'}")

    def wait(self) -> None:
        try:
            self._process.wait()
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)
        self._log.close()

    def __enter__(self) -> PebbleProcess:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

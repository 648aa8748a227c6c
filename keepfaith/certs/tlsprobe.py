"""TLS handshakes for the SSL server test, with pyOpenSSL (Apache-2.0) over a vetted address.

Every connection goes to an address ``targets.target_resolve`` vetted, by number; the host
name is only sent as SNI and in the HTTP ``Host`` header. Every step honours the scan's
``Budget``: when it runs out the scan stops and says it is incomplete.

The client offers everything this OpenSSL can speak (security level 0), so old protocols
and weak suites a server still accepts are found. SSL 2 and SSL 3 cannot be offered: this
OpenSSL is built without them, so they are reported as not tested.
"""

from __future__ import annotations

import select
import socket
import time
from dataclasses import dataclass, field

from cryptography import x509
from OpenSSL import SSL

ALL_CIPHERS = "ALL:COMPLEMENTOFALL:@SECLEVEL=0"
TLS13_SUITES = (
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_128_CCM_SHA256",
    "TLS_AES_128_CCM_8_SHA256",
)
PROTOCOLS = {
    "TLS 1.0": SSL.TLS1_VERSION,
    "TLS 1.1": SSL.TLS1_1_VERSION,
    "TLS 1.2": SSL.TLS1_2_VERSION,
    "TLS 1.3": SSL.TLS1_3_VERSION,
}
STEP_SECONDS = 5.0
MAX_HTTP_HEADER = 16 * 1024


class ScanTimeout(Exception):
    """The scan's time budget ran out."""


@dataclass
class Budget:
    seconds: float
    started: float = field(default_factory=time.monotonic)

    def remaining(self) -> float:
        left = self.seconds - (time.monotonic() - self.started)
        if left <= 0:
            raise ScanTimeout
        return min(left, STEP_SECONDS)


@dataclass(frozen=True)
class Endpoint:
    host: str
    address: str
    port: int


@dataclass
class Handshake:
    protocol: str
    cipher: str
    bits: int
    chain: list[x509.Certificate]
    ocsp: bytes | None
    kx_group: str | None = None


def connect(endpoint: Endpoint, budget: Budget) -> socket.socket:
    family = socket.AF_INET6 if ":" in endpoint.address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(budget.remaining())
    try:
        sock.connect((endpoint.address, endpoint.port))
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def _wait(sock: socket.socket, *, write: bool, budget: Budget) -> None:
    readable, writable, _ = select.select(
        [] if write else [sock], [sock] if write else [], [], budget.remaining()
    )
    if not readable and not writable:
        raise ScanTimeout


def _drive(conn: SSL.Connection, sock: socket.socket, budget: Budget, step: str) -> bytes:
    """Run ``do_handshake`` / ``recv`` on a non-blocking socket until done."""
    while True:
        try:
            if step == "handshake":
                conn.do_handshake()
                return b""
            return bytes(conn.recv(4096))
        except SSL.WantReadError:
            _wait(sock, write=False, budget=budget)
        except SSL.WantWriteError:
            _wait(sock, write=True, budget=budget)
        except SSL.ZeroReturnError:
            return b""


def _context(version: int | None, ciphers: str | None, tls13: str | None) -> SSL.Context:
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_verify(SSL.VERIFY_NONE, lambda *args: True)
    ctx.set_min_proto_version(version or SSL.TLS1_VERSION)
    ctx.set_max_proto_version(version or SSL.TLS1_3_VERSION)
    ctx.set_cipher_list((ciphers or ALL_CIPHERS).encode())
    if tls13:
        ctx.set_tls13_ciphersuites(tls13.encode())
    return ctx


def handshake(
    endpoint: Endpoint,
    budget: Budget,
    *,
    version: int | None = None,
    ciphers: str | None = None,
    tls13: str | None = None,
    ocsp: bool = False,
    http_request: bytes | None = None,
) -> tuple[Handshake, bytes] | None:
    """One handshake; None when the server refuses what was offered. With ``http_request``
    the request is sent and up to ``MAX_HTTP_HEADER`` bytes of the answer are returned."""
    ctx = _context(version, ciphers, tls13)
    stapled: list[bytes] = []
    if ocsp:

        def keep(conn: SSL.Connection, data: bytes, _: object) -> bool:
            stapled.append(bytes(data))
            return True

        ctx.set_ocsp_client_callback(keep)
    try:
        sock = connect(endpoint, budget)
    except OSError:
        return None
    try:
        conn = SSL.Connection(ctx, sock)
        conn.set_tlsext_host_name(endpoint.host.encode("ascii"))
        conn.set_connect_state()
        if ocsp:
            conn.request_ocsp()
        try:
            _drive(conn, sock, budget, "handshake")
        except (SSL.Error, OSError):
            return None
        result = Handshake(
            protocol=conn.get_protocol_version_name(),
            cipher=conn.get_cipher_name() or "",
            bits=int(conn.get_cipher_bits() or 0),
            chain=list(conn.get_peer_cert_chain(as_cryptography=True) or []),
            ocsp=stapled[0] if stapled and stapled[0] else None,
        )
        answer = _http(conn, sock, budget, http_request) if http_request else b""
        return result, answer
    finally:
        sock.close()


def _http(conn: SSL.Connection, sock: socket.socket, budget: Budget, request: bytes) -> bytes:
    try:
        conn.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer and len(answer) < MAX_HTTP_HEADER:
            chunk = _drive(conn, sock, budget, "recv")
            if not chunk:
                break
            answer += chunk
        return answer[:MAX_HTTP_HEADER]
    except (SSL.Error, OSError):
        return b""


def cipher_names(version: int) -> list[str]:
    """Every suite this OpenSSL can offer for ``version`` (TLS 1.0-1.2)."""
    ctx = _context(version, None, None)
    conn = SSL.Connection(ctx, None)
    return [c for c in conn.get_cipher_list() if not c.startswith("TLS_")]

"""Real TLS servers on loopback for the SSL server test: each serves in a thread until stopped.

Built with Python's ssl module; old protocols need OpenSSL's security level 0, which this
machine's OpenSSL 3 allows when asked for explicitly.
"""

from __future__ import annotations

import socket
import ssl
import tempfile
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path

from tests.certs.pki import Issued


class _LoopbackServer:
    """The shared part: the leaf's chain and key in a temporary folder, a listening socket on
    loopback and the thread that serves it (``_serve``) until :meth:`stop`."""

    def _files(self, leaf: Issued, chain: Sequence[Issued]) -> tuple[Path, Path]:
        self._dir = tempfile.TemporaryDirectory()
        cert_path = Path(self._dir.name) / "chain.pem"
        key_path = Path(self._dir.name) / "key.pem"
        cert_path.write_bytes(leaf.cert_pem() + b"".join(c.cert_pem() for c in chain))
        key_path.write_bytes(leaf.key_pem())
        return cert_path, key_path

    def _listen(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()
        self._dir.cleanup()


class TLSServer(_LoopbackServer):
    def __init__(
        self,
        leaf: Issued,
        chain: Sequence[Issued] = (),
        *,
        versions: tuple[ssl.TLSVersion, ssl.TLSVersion] | None = None,
        ciphers: str | None = None,
        hsts: str | None = None,
    ) -> None:
        self.hsts = hsts
        self.connections = 0
        cert_path, key_path = self._files(leaf, chain)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            if versions:
                ctx.minimum_version, ctx.maximum_version = versions
            if ciphers:
                ctx.set_ciphers(ciphers)
            elif versions and versions[0] < ssl.TLSVersion.TLSv1_2:
                ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.load_cert_chain(cert_path, key_path)
        self._ctx = ctx
        self._listen()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            self.connections += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        try:
            tls = self._ctx.wrap_socket(conn, server_side=True)
        except (OSError, ssl.SSLError):
            conn.close()
            return
        self._answer(tls)

    def _answer(self, tls: ssl.SSLSocket) -> None:
        try:
            tls.settimeout(0.3)
            request = tls.recv(4096)
            if request.startswith(b"GET "):
                extra = f"Strict-Transport-Security: {self.hsts}\r\n" if self.hsts else ""
                head = f"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n{extra}Connection: close\r\n"
                tls.sendall(f"{head}\r\nok".encode())
        except (OSError, ssl.SSLError):
            pass
        finally:
            tls.close()


class StaplingServer(_LoopbackServer):
    """A pyOpenSSL server that staples ``ocsp`` (DER) to every handshake that asks."""

    def __init__(self, leaf: Issued, chain: Sequence[Issued], ocsp: bytes) -> None:
        from OpenSSL import SSL

        cert_path, key_path = self._files(leaf, chain)
        ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
        ctx.use_certificate_chain_file(str(cert_path))
        ctx.use_privatekey_file(str(key_path))
        ctx.set_ocsp_server_callback(lambda conn, data: ocsp)
        self._ctx = ctx
        self._listen()

    def _serve(self) -> None:
        from OpenSSL import SSL

        while not self._stop.is_set():
            try:
                raw, _ = self._sock.accept()
            except OSError:
                continue
            raw.setblocking(True)  # pyOpenSSL on a socket with a timeout raises WantRead
            conn = SSL.Connection(self._ctx, raw)
            conn.set_accept_state()
            try:
                conn.do_handshake()
                conn.shutdown()
            except (SSL.Error, OSError):
                pass
            finally:
                raw.close()

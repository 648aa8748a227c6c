"""Fixtures of the certificate tests: a test PKI and real TLS servers on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.certs.pki import Issued, make_ca
from tests.certs.tlsservers import TLSServer


@pytest.fixture(scope="session")
def root() -> Issued:
    return make_ca("keepfaith test root")


@pytest.fixture(scope="session")
def intermediate(root: Issued) -> Issued:
    return make_ca("keepfaith test intermediate", issuer=root)


@pytest.fixture
def serve(settings: Any) -> Iterator[Callable[..., TLSServer]]:
    """Start TLS servers on loopback; their ports become testable, private targets allowed."""
    servers: list[TLSServer] = []
    settings.SSLTEST_ALLOW_PRIVATE = True

    def start(*args: Any, **kwargs: Any) -> TLSServer:
        server = TLSServer(*args, **kwargs)
        servers.append(server)
        settings.SSLTEST_PORTS = (*settings.SSLTEST_PORTS, server.port)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def pebble(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Debian's pebble on free loopback ports, always-valid validation; skipped if absent."""
    from keepfaith.certs.pebble import PebbleProcess, pebble_binary, pebble_prepare

    if pebble_binary() is None:
        pytest.skip("Debian's pebble is not installed (make test-tools installs it)")
    setup = pebble_prepare(workdir=tmp_path_factory.mktemp("pebble"))
    with PebbleProcess(setup):
        yield setup


@pytest.fixture
def acme_authority(pebble: Any) -> Any:
    from keepfaith.certs.acmeca import AcmeAuthority

    return AcmeAuthority(
        name="certificate-authority",
        directory=pebble.directory,
        ca_bundle=str(pebble.ca_bundle),
        eab_kid=pebble.eab_kid,
        eab_hmac_key=pebble.eab_hmac_key,
        account_key_path=pebble.workdir / "account-key.pem",
        contact="",
    )

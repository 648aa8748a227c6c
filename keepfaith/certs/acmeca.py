"""The certificate authority over ACME (RFC 8555), with certbot's maintained ``acme`` library.

Rules kept here:

- One ACME account per process, keyed by ``KEEPFAITH_ACME_ACCOUNT_KEY`` (an ECDSA P-256 key
  made on first use, mode 0600). With ``KEEPFAITH_ACME_EAB_KID`` and
  ``KEEPFAITH_ACME_EAB_HMAC_KEY`` the account is bound to the reseller's account at the CA
  (External Account Binding, RFC 8555 section 7.3.4), as commercial CAs require.
- The CA's TLS is verified against ``KEEPFAITH_ACME_CA_BUNDLE`` (tests: pebble's test root),
  or the system's bundle.
- Each call returns what it sent (``sent``): identifiers, answered challenge URLs, the CSR's
  key fingerprint, the revoked serial. The services store it with the transfer.
- Challenges are answered only when the customer says they published them ("check now"): an
  answer makes the CA validate once, and a failed validation ends the order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import requests
from acme import client, errors, messages
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from josepy.jwa import ES256
from josepy.jwk import JWKEC

from keepfaith.certs.authorities import AuthorityError, CaIssued, CaOrder, Challenge, split_chain

USER_AGENT = "keepfaith-acme"
FINALIZE_SECONDS = 60
POLL_SECONDS = 10
_FAILURES = (errors.Error, messages.Error, requests.RequestException, ValueError)


def account_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """The ACME account key at ``path``, made (0600) on first use."""
    if not path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, ec.EllipticCurvePrivateKey):
        raise AuthorityError(f"{path}: the ACME account key must be an ECDSA P-256 key")
    return loaded


class AcmeAuthority:
    """A CA's ACME endpoint (``KEEPFAITH_ACME_DIRECTORY``)."""

    def __init__(
        self,
        *,
        name: str,
        directory: str | None = None,
        ca_bundle: str | None = None,
        eab_kid: str | None = None,
        eab_hmac_key: str | None = None,
        account_key_path: Path | None = None,
        contact: str | None = None,
    ) -> None:
        self.name = name
        self.directory_url = directory or str(settings.ACME_DIRECTORY)
        if not self.directory_url:
            raise AuthorityError("KEEPFAITH_ACME_DIRECTORY is not set")
        self.ca_bundle = ca_bundle if ca_bundle is not None else str(settings.ACME_CA_BUNDLE)
        self.eab_kid = eab_kid if eab_kid is not None else str(settings.ACME_EAB_KID)
        self.eab_hmac_key = (
            eab_hmac_key if eab_hmac_key is not None else str(settings.ACME_EAB_HMAC_KEY)
        )
        self.key_path = account_key_path or Path(settings.ACME_ACCOUNT_KEY)
        self.contact = contact if contact is not None else str(settings.ACME_CONTACT)
        self._lock = threading.Lock()
        self._client: client.ClientV2 | None = None
        self._jwk: JWKEC | None = None

    def _acme(self) -> tuple[client.ClientV2, JWKEC]:
        with self._lock:
            if self._client is None or self._jwk is None:
                self._jwk = JWKEC(key=account_key(self.key_path))
                verify: Any = self.ca_bundle or True
                net = client.ClientNetwork(
                    self._jwk, alg=ES256, verify_ssl=verify, user_agent=USER_AGENT
                )
                directory = client.ClientV2.get_directory(self.directory_url, net)
                acme = client.ClientV2(directory, net)
                self._register(acme, self._jwk, directory)
                self._client = acme
            return self._client, self._jwk

    def _register(self, acme: client.ClientV2, jwk: JWKEC, directory: messages.Directory) -> None:
        eab = None
        if self.eab_kid:
            eab = messages.ExternalAccountBinding.from_data(
                account_public_key=jwk.public_key(),
                kid=self.eab_kid,
                hmac_key=self.eab_hmac_key,
                directory=directory,
            )
        elif acme.external_account_required():
            raise AuthorityError(
                "the CA requires External Account Binding: set KEEPFAITH_ACME_EAB_KID and "
                "KEEPFAITH_ACME_EAB_HMAC_KEY"
            )
        registration = messages.NewRegistration.from_data(
            email=self.contact or None,
            terms_of_service_agreed=True,
            external_account_binding=eab,
        )
        try:
            acme.new_account(registration)
        except errors.ConflictError as exists:
            acme.query_registration(
                messages.RegistrationResource(uri=exists.location, body=messages.Registration())
            )

    def _call(self, what: str, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except _FAILURES as exc:
            raise AuthorityError(f"{what}: {exc}") from exc

    def _order(self, acme: client.ClientV2, reference: str) -> messages.OrderResource:
        body = messages.Order.from_json(acme._post_as_get(reference).json())
        authzs = [
            acme._authzr_from_response(acme._post_as_get(url), uri=url)
            for url in body.authorizations
        ]
        return messages.OrderResource(body=body, uri=reference, authorizations=authzs)

    def _state(
        self, orderr: messages.OrderResource, jwk: JWKEC, sent: Mapping[str, Any]
    ) -> CaOrder:
        challenges, authz = [], {}
        for authzr in orderr.authorizations:
            ident = authzr.body.identifier.value
            name = f"*.{ident}" if authzr.body.wildcard else ident
            authz[name] = authzr.body.status.name
            for challb in authzr.body.challenges:
                challenges.append(_challenge(name, challb, jwk))
        status = orderr.body.status.name
        return CaOrder(str(orderr.uri), status, tuple(challenges), authz, dict(sent))

    def order_place(self, *, csr_pem: str, names: Sequence[str]) -> CaOrder:
        acme, jwk = self._call("account", self._acme)
        orderr = self._call("new order", acme.new_order, csr_pem.encode())
        return self._state(orderr, jwk, {"newOrder": {"identifiers": list(names)}})

    def validation_check(self, *, reference: str, answer: Sequence[str]) -> CaOrder:
        acme, jwk = self._call("account", self._acme)
        orderr = self._call("order", self._order, acme, reference)
        answered = []
        for authzr in orderr.authorizations:
            for challb in authzr.body.challenges:
                if challb.uri in answer and challb.status.name == "pending":
                    self._call("challenge", acme.answer_challenge, challb, challb.response(jwk))
                    answered.append(challb.uri)
        deadline = time.monotonic() + (POLL_SECONDS if answered else 0)
        while True:
            orderr = self._call("order", self._order, acme, reference)
            busy = any(a.body.status.name in ("pending", "processing")
                       for a in orderr.authorizations)  # fmt: skip
            if not busy or time.monotonic() >= deadline:
                return self._state(orderr, jwk, {"answered": answered})
            time.sleep(0.5)

    def certificate_fetch(self, *, reference: str, csr_pem: str) -> CaIssued | None:
        acme, _ = self._call("account", self._acme)
        orderr = self._call("order", self._order, acme, reference)
        status = orderr.body.status.name
        if status == "invalid":
            raise AuthorityError(f"the CA marked the order invalid: {orderr.body.error}")
        if status not in ("ready", "processing", "valid"):
            return None
        orderr = orderr.update(csr_pem=csr_pem.encode())
        if status == "ready":
            orderr = self._call("finalize", acme.begin_finalization, orderr)
        deadline = dt.datetime.now() + dt.timedelta(seconds=FINALIZE_SECONDS)
        orderr = self._call("certificate", acme.poll_finalization, orderr, deadline)
        leaf, chain = split_chain(orderr.fullchain_pem)
        csr = x509.load_pem_x509_csr(csr_pem.encode())
        spki = csr.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        sent = {"finalize": {"csr_key_sha256": hashlib.sha256(spki).hexdigest()}}
        return CaIssued(leaf, chain, sent)

    def revoke(self, *, certificate_pem: str, reason: int) -> Mapping[str, Any]:
        acme, _ = self._call("account", self._acme)
        cert = x509.load_pem_x509_certificate(certificate_pem.encode())
        self._call("revoke", acme.revoke, cert, reason)
        return {"revokeCert": {"serial": format(cert.serial_number, "x"), "reason": reason}}


def _challenge(name: str, challb: messages.ChallengeBody, jwk: JWKEC) -> Challenge:
    kind = str(challb.chall.typ)
    base = name.removeprefix("*.")
    common = {"name": name, "kind": kind, "url": str(challb.uri), "status": challb.status.name}
    if kind == "dns-01":
        return Challenge(**common, dns_name=challb.chall.validation_domain_name(base),
                         dns_value=challb.chall.validation(jwk))  # fmt: skip
    if kind == "http-01":
        return Challenge(**common, http_path=challb.chall.path,
                         http_body=challb.chall.validation(jwk))  # fmt: skip
    return Challenge(**common)

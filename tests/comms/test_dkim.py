"""Outgoing mail is DKIM-signed over the unsubscribe headers, and the signature verifies."""

from __future__ import annotations

from typing import Any

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from keepfaith.audit.models import ActorKind
from keepfaith.audit.services import Actor
from keepfaith.comms.delivery import deliver_pending
from tests.campaigns import create_campaign, queue_campaign
from tests.comms.conftest import SmtpSink, make_customer


@pytest.mark.clause("BE-8")
def test_signature_covers_list_unsubscribe(
    published: Any, smtp_sink: SmtpSink, settings: Any, tmp_path: Any
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    (tmp_path / "dkim.pem").write_bytes(pem)
    settings.DKIM_KEY_FILE = str(tmp_path / "dkim.pem")
    settings.DKIM_SELECTOR, settings.DKIM_DOMAIN = "kf1", "qualityssl.example"
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    import base64

    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)

    def dns(name: bytes, timeout: int = 5) -> bytes:
        return record if name == b"kf1._domainkey.qualityssl.example." else b""

    make_customer("erik@example.com")
    actor = Actor(ActorKind.STAFF, "mia@staff.example")
    campaign = create_campaign(kind="newsletter", subject="Signed", text="x", actor=actor)
    queue_campaign(campaign_id=campaign.pk, actor=actor)
    deliver_pending()
    data = smtp_sink.received[0].data
    assert dkim.verify(data, dnsfunc=dns) is True
    signature = data.split(b"\r\n\r\n", 1)[0].decode()
    signed = signature.split(" h=", 1)[1].split(";", 1)[0].replace("\r\n", "").replace(" ", "")
    assert {"list-unsubscribe", "list-unsubscribe-post"} <= set(signed.lower().split(":"))
    tampered = data.replace(
        b"List-Unsubscribe-Post: List-Unsubscribe=One-Click", b"List-Unsubscribe-Post: nothing"
    )
    assert dkim.verify(tampered, dnsfunc=dns) is False

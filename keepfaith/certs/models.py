"""Certificate orders: names, the customer's CSR, the challenges per name, the issued
certificate, and every transfer to the certificate authority (what the adapter sent)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_certificate_number() -> str:
    return "CRT-" + secrets.token_hex(4).upper()


class CertState(models.TextChoices):
    ORDERED = "ordered", _("ordered")
    WAITING = "waiting", _("waiting for validation")
    ISSUED = "issued", _("issued")
    EXPIRING = "expiring", _("expiring")
    EXPIRED = "expired", _("expired")
    REVOKED = "revoked", _("revoked")
    REPLACED = "replaced", _("replaced")
    FAILED = "failed", _("validation failed")


class CertificateOrder(models.Model):
    number = models.CharField(max_length=16, unique=True, default=new_certificate_number)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certificates"
    )
    store_order = models.CharField(max_length=16, blank=True, help_text="the shop order number")
    store_line = models.ForeignKey(
        "store.OrderLine",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="certificates",
        help_text="the order line this certificate was bought with",
    )
    period_start = models.DateField(
        null=True, blank=True, help_text="the paid renewal period this certificate serves"
    )
    product = models.CharField(max_length=64, blank=True)
    organisation_validated = models.BooleanField(default=False)
    names = models.JSONField(default=list)
    csr_pem = models.TextField()
    key_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the CSR's public key")
    state = models.CharField(max_length=10, choices=CertState.choices, default=CertState.ORDERED)
    authority = models.CharField(max_length=64, blank=True)
    ca_reference = models.CharField(max_length=500, blank=True, help_text="the CA's order URL")
    certificate_pem = models.TextField(blank=True)
    chain_pem = models.TextField(blank=True)
    serial = models.CharField(max_length=64, blank=True)
    fingerprint_sha256 = models.CharField(max_length=64, blank=True)
    not_before = models.DateTimeField(null=True, blank=True)
    not_after = models.DateTimeField(null=True, blank=True)
    replaces = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replaced_by"
    )
    # the names the certificate authority could not validate (the page says so in words)
    problem = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(default=timezone.now)
    issued_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True, help_text="expiry reminder sent")

    class Meta:
        ordering = ("-created", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=["replaces", "period_start"],
                condition=models.Q(period_start__isnull=False),
                name="certs_one_renewal_per_period",
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def fullchain_pem(self) -> str:
        return self.certificate_pem + self.chain_pem


class ChallengeKind(models.TextChoices):
    DNS = "dns-01", _("DNS TXT record")
    HTTP = "http-01", _("file on the web server")


class CertificateChallenge(models.Model):
    certificate = models.ForeignKey(
        CertificateOrder, on_delete=models.CASCADE, related_name="challenges"
    )
    name = models.CharField(max_length=253)
    kind = models.CharField(max_length=10, choices=ChallengeKind.choices)
    ca_url = models.CharField(max_length=500)
    status = models.CharField(max_length=12, default="pending")
    dns_name = models.CharField(max_length=300, blank=True)
    dns_value = models.CharField(max_length=200, blank=True)
    http_path = models.CharField(max_length=300, blank=True)
    http_body = models.CharField(max_length=300, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("name", "kind")
        constraints = [
            models.UniqueConstraint(fields=["certificate", "ca_url"], name="certs_challenge_once")
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.kind}"


class CaTransfer(models.Model):
    """One call to the certificate authority: what was sent, about whom, under which use."""

    certificate = models.ForeignKey(
        CertificateOrder, on_delete=models.CASCADE, related_name="transfers"
    )
    action = models.CharField(max_length=20)  # order, validate, issue, revoke
    authority = models.CharField(max_length=64)
    sent = models.JSONField(default=dict)
    categories = models.JSONField(default=list)
    use = models.CharField(max_length=100)
    outcome = models.CharField(max_length=10, default="sent")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("at", "pk")

    def __str__(self) -> str:
        return f"{self.certificate.number} {self.action}"

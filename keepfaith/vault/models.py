"""The stored card of one transaction: brand, last four, and the sealed number or a token.

A row never holds the card number in clear nor the security code (PCI DSS 3.3.1, 3.5.1):
``sealed`` is the vault's envelope (``kf1$aes256gcm$kek=<version>$...``) bound to
``record_id``; ``key_version`` repeats the KEK version it names so a rotation finds the rows
to re-wrap with an index.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from keepfaith.vault.cards import CardBrand, masked
from keepfaith.vault.cardstore import CardStorage, StoredCard


class StoredCardRecord(models.Model):
    record_id = models.CharField(max_length=40, unique=True, editable=False)
    subject = models.CharField(max_length=32, help_text="customer number of the card holder")
    brand = models.CharField(max_length=20, choices=[(b.value, b.label) for b in CardBrand])
    last4 = models.CharField(max_length=4)
    storage = models.CharField(
        max_length=12, choices=[(s.value, s.value) for s in CardStorage], editable=False
    )
    sealed = models.TextField(blank=True, editable=False)
    key_version = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    processor_token = models.CharField(max_length=200, blank=True, editable=False)
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        db_table = "vault_storedcard"
        verbose_name = "stored card"

    def __str__(self) -> str:
        return self.masked()

    def stored(self) -> StoredCard:
        """The pure vault's view of this row."""
        return StoredCard(
            CardBrand(self.brand),
            self.last4,
            sealed=self.sealed or None,
            processor_token=self.processor_token or None,
        )

    def masked(self) -> str:
        """Brand and last four, the only way a card is ever shown (PCI DSS 3.4.1)."""
        return masked(brand=self.brand, last4=self.last4)

"""The payment processor in use and the recipient key the policy declares for it.

Rules kept here:

- The processor is the class named by ``KEEPFAITH_PAYMENT_PROCESSOR`` (default: the local
  test processor), built once per process with ``name`` set to the recipient the policy in
  force declares for ``essential.service.payment_processing`` with card data. The gate
  compares that name with the policy, so a processor the policy does not declare never gets
  a card.
- The local test processor approves test cards only; production mode refuses it. It keeps its
  books in ``PAYMENT_TEST_LEDGER`` (a file under ``var/`` by default, so that the demo's charges
  can be refunded by the server, another process) or, set to ``memory``, in each process.

A real adapter is a class with the ``PaymentProcessor`` methods (see
``keepfaith/vault/processors.py``) whose constructor takes ``name=``; name it in
``KEEPFAITH_PAYMENT_PROCESSOR`` (``package.module.ClassName``).
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from keepfaith.policy import Policy
from keepfaith.vault.processors import LocalTestProcessor, PaymentProcessor

PAYMENT_USE = "essential.service.payment_processing"
CARD_CATEGORY = "user.financial.credit_card"
LOCAL_TEST = "keepfaith.vault.processors.LocalTestProcessor"

_lock = threading.Lock()
_processors: dict[tuple[str, str, str], PaymentProcessor] = {}


def payment_recipient(*, policy: Policy) -> str:
    """The key of the processor ``policy`` (the one in force) declares for card payments."""
    for processor in policy.recipients.processors:
        if PAYMENT_USE in processor.uses and any(
            c == CARD_CATEGORY or CARD_CATEGORY.startswith(c + ".") for c in processor.categories
        ):
            return processor.key
    raise ImproperlyConfigured(
        f"the policy declares no processor for {PAYMENT_USE} that receives {CARD_CATEGORY}: "
        "add one under recipients.processors before taking card payments"
    )


def payment_processor(*, policy: Policy) -> PaymentProcessor:
    """The configured processor, named after the policy's payment recipient (one per process)."""
    path = str(settings.PAYMENT_PROCESSOR)
    if settings.PRODUCTION and path == LOCAL_TEST:
        raise ImproperlyConfigured(
            "KEEPFAITH_PAYMENT_PROCESSOR is the local test processor; production needs a real one"
        )
    recipient = payment_recipient(policy=policy)
    ledger = settings.PAYMENT_TEST_LEDGER if path == LOCAL_TEST else None
    with _lock:
        processor = _processors.get((path, recipient, str(ledger or "")))
        if processor is None:
            if path == LOCAL_TEST:
                processor = LocalTestProcessor(name=recipient, ledger_path=ledger)
            else:
                processor = import_string(path)(name=recipient)
            _processors[(path, recipient, str(ledger or ""))] = processor
    return processor


def payment_processor_reset() -> None:
    """Forget the built processors (tests: a fresh local test processor and its ledger)."""
    with _lock:
        _processors.clear()

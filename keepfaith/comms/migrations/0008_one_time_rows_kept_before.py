"""Rows of one-time mails queued before 0006: keyed by a hash (a reset or verification key held
the link's token) and, once sent or given up, without their bodies (the link or code)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import migrations

# The keys these mails were queued under before (portal.password_forms, portal.account,
# portal.email_change, rights.services).
PREFIXES = ("password-reset:", "verify:", "email-change:", "rights-code:")
FINAL = ("sent", "failed", "skipped")
REMOVED = "(removed once sent: it held a one-time link or code)"  # comms.delivery


def forward(apps: Any, schema_editor: Any) -> None:
    outbox = apps.get_model("comms", "OutboxMessage")
    for row in outbox.objects.filter(one_time=False).only("pk", "idempotency_key", "status"):
        key = row.idempotency_key
        if not key.startswith(PREFIXES) or (
            key.startswith("email-change:") and not key.endswith(":confirm")
        ):
            continue
        fields: dict[str, Any] = {
            "one_time": True,
            "idempotency_key": "one-time:" + hashlib.sha256(key.encode()).hexdigest(),
        }
        if row.status in FINAL:
            fields.update(text_body=REMOVED, html_body="")
        outbox.objects.filter(pk=row.pk).update(**fields)


class Migration(migrations.Migration):
    dependencies = [("comms", "0007_campaign_results")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]

"""The access and portability download: one zip of every record held about a customer
(RIGHTS-15, RIGHTS-20).

- ``data.json``: every table (columns as ``records.SCHEMA``), what is not held and why, and
  the Art. 15(1) information;
- ``schema.json``: the meaning of every table and column;
- ``csv/<table>.csv``: one CSV per table;
- ``index.html``: one readable page in the customer's language with the tables and the
  information about the processing generated from the policy: purposes, categories,
  recipients, retention, source, rights and the supervisory authority.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation

from keepfaith.accounts.models import User
from keepfaith.policy import Policy
from keepfaith.policy import phrases as ph
from keepfaith.policy.rights_text import kept_period_text, kept_reason_text, right_name
from keepfaith.policy.schema import text_in
from keepfaith.policy.sections import display_name
from keepfaith.policy.trace import enforces
from keepfaith.rights.records import NOT_HELD, SCHEMA, records_of

FORMAT = "keepfaith-access-export/1"


def processing_info(policy: Policy, lang: str) -> dict[str, Any]:
    """The Art. 15(1) information, generated from the policy, in ``lang``."""
    declared = {e.key: text_in(e.name, lang) for e in policy.taxonomy.data_categories}

    def text(value: dict[str, str]) -> str:
        return value.get(lang) or value["en"]

    def cats(keys: tuple[str, ...]) -> str:
        return ph.join_words([ph.category_name(k, lang, declared=declared) for k in keys], lang)

    rights = policy.rights
    recipients = policy.recipients
    return {
        "controller": display_name(policy),
        "privacy_email": policy.controller.privacy_email,
        "purposes": [
            {
                "purpose": text(use.name),
                "description": text(use.description),
                "categories": cats(use.categories),
                "legal_basis": ph.legal_basis_name(use.legal_basis, lang),
                "retention": ph.retention_text(use.retention, lang),
            }
            for use in policy.uses
        ],
        "recipients": [
            *(
                {"name": ph.role_name(s.role, lang), "categories": cats(s.categories)}
                for s in recipients.staff
            ),
            *(
                {"name": text_in(p.name, lang), "categories": cats(p.categories)}
                for p in recipients.processors
            ),
            *(
                {"name": text_in(o.name, lang), "categories": cats(o.categories)}
                for o in recipients.outside_parties
            ),
            *(
                {"name": text_in(p.name, lang), "categories": cats(p.categories)}
                for p in recipients.partners
            ),
        ],
        "kept_after_erasure": [
            {
                "categories": cats(k.categories),
                "why": kept_reason_text(k, lang),
                "until": kept_period_text(k, lang),
            }
            for k in (rights.kept_after_erasure if rights else ())
        ],
        "source": text(rights.source) if rights else "",
        "rights": [right_name(r, lang) for r in (rights.granted if rights else ())],
        "supervisory_authority": (
            {"name": rights.supervisory_authority.name, "url": rights.supervisory_authority.url}
            if rights
            else None
        ),
    }


def _csv(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                k: json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v
                for k, v in row.items()
            }
        )
    return out.getvalue()


@enforces("RIGHTS-15", "RIGHTS-20", features=("rights.access.download",))
def access_export(
    *, customer: User, policy: Policy, reference: str, now: dt.datetime | None = None
) -> bytes:
    """The zip of everything held about ``customer``, in the customer's language."""
    now = now or timezone.now()
    lang = customer.language if customer.language in policy.controller.languages else "en"
    tables = records_of(customer)
    info = processing_info(policy, lang)
    data = {
        "format": FORMAT,
        "reference": reference,
        "created_at": now.isoformat(),
        "customer_number": customer.subject_ref,
        "policy_version": policy.version,
        "tables": tables,
        "not_held": NOT_HELD,
        "processing": info,
    }
    with translation.override(lang):
        page = render_to_string(
            "rights/export.html",
            {
                "tables": [(name, SCHEMA[name], rows) for name, rows in tables.items()],
                "info": info,
                "reference": reference,
                "created_at": now,
                "customer": customer,
                "language": lang,
                "policy": policy,
            },
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("index.html", page)
        zf.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
        zf.writestr("schema.json", json.dumps(SCHEMA, ensure_ascii=False, indent=2))
        for name, rows in tables.items():
            zf.writestr(f"csv/{name}.csv", _csv(rows, tuple(SCHEMA[name])))
    return buffer.getvalue()

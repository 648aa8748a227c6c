"""The audit log in the console: filter by actor, subject, action, clause and time, page
through it, export the filtered range as CSV, and verify each hash chain (QS-3).

Listing and exporting are both audited reads naming the subjects shown (or exported)."""

from __future__ import annotations

import csv
import datetime as dt
import re
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language, gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from keepfaith.accounts.models import CONTACT_FIELD_LABELS
from keepfaith.audit.models import AuditEntry
from keepfaith.audit.selectors import audit_entries, chain_verify, chained_models
from keepfaith.console import reads
from keepfaith.console.access import staff_read, staff_view
from keepfaith.console.forms import DayField, FilterForm
from keepfaith.inforce import in_force
from keepfaith.policy.phrases import category_name
from keepfaith.policy.schema import text_in
from keepfaith.rights.templatetags.rights_tags import STEP_TITLES

PAGE_SIZE = 50
EXPORT_MAX = 50_000
VERIFY = "audit.verify_chain"
CHAIN_WORDS = {
    "audit": _("Audit log"),
    "consent": _("Consent ledger"),
    "policy": _("Published policy versions"),
}


class AuditFilterForm(FilterForm):
    actor = forms.CharField(label=_("Actor"), required=False, max_length=254)
    subject = forms.CharField(label=_("Subject (customer number)"), required=False, max_length=254)
    action = forms.CharField(label=_("Action"), required=False, max_length=100)
    clause = forms.CharField(label=_("Clause"), required=False, max_length=20)
    since = DayField(label=_("From"), required=False)
    until = DayField(label=_("To (inclusive)"), required=False)

    def selection(self) -> dict[str, Any]:
        """The keyword arguments of ``audit_entries`` (every entry when no filter is given;
        use ``refused`` first: a wrong filter selects nothing)."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        since, until = data.get("since"), data.get("until")
        return {
            "actor": data["actor"].strip(),
            "subject": data["subject"].strip(),
            "action": data["action"].strip(),
            "clause": data["clause"].strip().upper(),
            "since": _day(since) if since else None,
            "until": _day(until + dt.timedelta(days=1)) if until else None,
        }


def _day(day: dt.date) -> dt.datetime:
    """The start of ``day`` where the page shows times (the company's time zone)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# What an entry's detail says, in this order; subject lists are counted, not copied. The
# CSV keeps the keys (a file for tools); the page names them in the reader's language.
_DETAIL_KEYS = (
    "path",
    "command",
    "recipient",
    "permission",
    "account",
    "name",
    "reason",
    "charge_reference",
    "refund_reference",
)
DETAIL_WORDS = {
    "path": _("page"),
    "command": _("command"),
    "recipient": _("recipient"),
    "permission": _("permission"),
    "account": _("account"),
    "name": _("name"),
    "reason": _("reason"),
    "charge_reference": _("payment reference"),
    "refund_reference": _("refund reference"),
    "subjects": _("customers"),
}
# The outcomes the platform records; one the list does not know is shown as recorded.
OUTCOME_WORDS = {
    "allowed": _("allowed"),
    "blocked": _("blocked"),
    "cancelled": _("cancelled"),
    "deleted": _("deleted"),
    "delivered": _("delivered"),
    "disclosed": _("disclosed"),
    "done": _("done"),
    "failed": _("failed"),
    "paid": _("paid"),
    "published": _("published"),
    "queued": _("queued"),
    "read": _("read"),
    "refunded": _("refunded"),
    "refused": _("refused"),
    "released": _("released"),
    "rewritten": _("rewritten"),
    "sent": _("sent"),
    "applied": _("applied"),
    "dismissed": _("dismissed"),
    "free": _("free of charge"),
}


# What each recorded action is called on the page (the key stays in a tooltip, the filter
# and the CSV). A rights request's steps read "Rights request: <step>" with the step's name
# the request page uses; an action the list does not know is shown as recorded.
ACTION_WORDS = {
    "accounts.attempts-purge": _("Old failed sign-ins deleted"),
    "accounts.staff.add": _("Staff account added"),
    "accounts.staff.authenticator": _("Staff authenticator set up"),
    "accounts.staff.password": _("Staff password set"),
    "accounts.staff.replace": _("Staff account replaced"),
    "accounts.staff.sign-in": pgettext_lazy("audit action", "Staff sign-in"),
    "admin.request": _("Administration site used"),
    "certs.ca_transfer": _("Sent to the certificate authority"),
    "comms.campaign.delete": _("Campaign deleted"),
    "comms.campaign.queue": _("Campaign queued"),
    "comms.campaign.test": _("Campaign test sent"),
    "comms.policy_change.queue": _("Policy change notice queued"),
    "comms.queue.applied": _("Opt-out by e-mail applied"),
    "comms.queue.dismissed": _("Opt-out by e-mail dismissed"),
    "console.action": _("Staff action"),
    "console.analytics.raw_hits": _("Web log lines read"),
    "console.analytics.report": _("Site statistics read"),
    "console.audit.list": _("Audit log read"),
    "console.consent.show": _("Customer's choices read"),
    "console.customer.orders": _("Customer's orders read"),
    "console.customer.show": _("Customer read"),
    "console.customer.tickets": _("Customer's tickets read"),
    "console.customers.list": _("Customer list read"),
    "console.mail.queue": _("Opt-out mail read"),
    "console.order.show": _("Order read"),
    "console.orders.list": _("Order list read"),
    "console.orders.refunds": _("Open payments read"),
    "console.rights.queue": _("Rights requests read"),
    "console.rights.rectified": _("Correction read"),
    "console.rights.rectify": _("Details corrected"),
    "console.rights.request": _("Rights request read"),
    "console.support.list": _("Support tickets read"),
    "console.support.request.phone": _("Requester's phone number read"),
    "console.support.requests": _("Information requests read"),
    "console.support.ticket": _("Support ticket read"),
    "cookie.blocked": _("Cookie blocked"),
    "cookie.gpc": _("Global Privacy Control signal recorded"),
    "gate.check": _("Gate decision"),
    "policy.publish": _("Policy version published"),
    "rights.erased": _("Account erased"),
    "rights.kept-expired": _("Kept data deleted at the end of its period"),
    "rights.requests-purge": _("Old requests and received e-mail deleted"),
    "sharing.download": _("Partner file downloaded"),
    "sharing.release": _("Released to a partner"),
    "sharing.expire": _("Old partner files deleted"),
    "store.checkout_refund": _("Payment refund"),
    "store.order_cancel": _("Order cancelled"),
    "store.order_place": _("Order placed"),
    "store.outside_transfer": _("Sent to an outside party"),
    "store.renewal_charge": _("Renewal charged"),
    "support.assign": _("Ticket assigned"),
    "support.close": _("Ticket closed"),
    "support.purge": _("Closed tickets deleted"),
    "support.reply": _("Ticket reply"),
    "support.request.answer": _("Information request answered"),
    "vault.disclose": _("Card passed to the payment processor"),
    "vault.rotate": _("Card vault key rotated"),
    "weblog.compact": _("Web log statistics compacted"),
    "weblog.expire": _("Old web log statistics deleted"),
    "weblog.purge": _("Raw web log addresses deleted"),
}
RIGHTS_PREFIX = "rights."
CONTACT_READ_PREFIX = "console.customer.contact."  # + the field (console.reads)


def action_shown(action: str) -> str:
    """An action as the page names it, in the reader's language (as recorded, if unknown)."""
    named = ACTION_WORDS.get(action)
    if named is not None:
        return str(named)
    if action.startswith(RIGHTS_PREFIX):
        step = STEP_TITLES.get(action.removeprefix(RIGHTS_PREFIX))
        if step is not None:
            return gettext("Rights request: %(step)s") % {"step": step}
    if action.startswith(CONTACT_READ_PREFIX):
        label = CONTACT_FIELD_LABELS.get(action.removeprefix(CONTACT_READ_PREFIX))
        if label is not None:
            return gettext("Customer's contact detail read: %(detail)s") % {"detail": label}
    return action


def detail_parts(detail: object) -> list[tuple[str, object]]:
    """The few facts of an entry's detail a reader needs (where, who for, why refused), as
    (key, value) pairs; the full detail stays in the entry (and in the chain's hash)."""
    if not isinstance(detail, dict):
        return []
    parts: list[tuple[str, object]] = [
        (key, detail[key]) for key in _DETAIL_KEYS if detail.get(key) not in (None, "")
    ]
    if isinstance(detail.get("subjects"), list) and len(detail["subjects"]) > 1:
        parts.append(("subjects", len(detail["subjects"])))
    return parts


def detail_summary(detail: object) -> str:
    """The detail's facts as one line with their keys, for the CSV export."""
    return "; ".join(f"{key}: {value}" for key, value in detail_parts(detail))[:400]


def detail_shown(detail: object) -> str:
    """The detail's facts as one line in the reader's language. The values are what was
    recorded (a gate's reason is recorded in English, and the chain's hash covers it), a
    reason with the policy's names for the keys it quotes (``reason_shown``)."""
    parts = [
        (
            key,
            _recipient(value)
            if key == "recipient"
            else reason_shown(str(value))
            if key == "reason"
            else value,
        )
        for key, value in detail_parts(detail)
    ]
    return "; ".join(f"{DETAIL_WORDS[key]}: {value}" for key, value in parts)[:400]


def _recipient(value: object) -> str:
    """A recipient as the reader says it: a processor, outside party or partner by the
    policy's name for it, a staff role by its translated name."""
    key = str(value)
    named = in_force().policy.recipient_name(key, (get_language() or "en")[:2])
    return named or gettext(key)


_QUOTED_USE = re.compile(r"\buse '([\w.\-]+)'")
_QUOTED_RECIPIENT = re.compile(r"\b(recipient|partner|outside party) '([\w.\-]+)'")
# a policy path such as "(policy: recipients.staff[0])" or "(uses[5], choice none)": the
# path is matched possessively (no backtracking into it: linear on any text), and only one
# with an index is a path (the callback checks for "[")
_WHERE = re.compile(r" \((?:policy: )?\w+(?:\.\w+|\[\d+\])*+(?:, choice [\w-]+)?\)")
_PROCESS = re.compile(r"((?:may process|receives only) )([\w.\-]+(?:, [\w.\-]+)*)")
_USES = re.compile(r"(declared only for )([\w.\-]+(?:, [\w.\-]+)*)")
_QUOTED_CATEGORY = re.compile(r"\breceive '([\w.\-]+)'")


def use_shown(key: str) -> str:
    """A use by the policy's name for it in the reader's language (the key, if the policy
    in force does not declare it)."""
    found = in_force().policy.use_by_key(key) if key else None
    return text_in(found.name, (get_language() or "en")[:2]) if found is not None else key


def reason_shown(reason: str) -> str:
    """A gate's recorded reason for people: the uses, recipients and data categories it
    quotes by the policy's names, without the policy path (``(uses[5], choice none)``);
    the CSV export keeps the reason as recorded."""
    lang = (get_language() or "en")[:2]
    policy = in_force().policy
    declared = {c.key: text_in(c.name, lang) for c in policy.taxonomy.data_categories}
    shown = _WHERE.sub(lambda m: "" if "[" in m.group(0) else m.group(0), reason)
    shown = _QUOTED_USE.sub(lambda m: f"use “{use_shown(m.group(1))}”", shown)
    shown = _QUOTED_RECIPIENT.sub(lambda m: f"{m.group(1)} “{_recipient(m.group(2))}”", shown)
    shown = _USES.sub(
        lambda m: m.group(1) + ", ".join(f"“{use_shown(k)}”" for k in m.group(2).split(", ")),
        shown,
    )
    shown = _QUOTED_CATEGORY.sub(
        lambda m: f"receive “{category_name(m.group(1), lang, declared=declared)}”", shown
    )
    return _PROCESS.sub(
        lambda m: (
            m.group(1)
            + ", ".join(category_name(k, lang, declared=declared) for k in m.group(2).split(", "))
        ),
        shown,
    )


def outcome_shown(outcome: str) -> str:
    return str(OUTCOME_WORDS.get(outcome, outcome))


@staff_view()
@staff_read(reads.AUDIT_LOG)
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    entries = audit_entries(**form.selection()) if not form.refused else AuditEntry.objects.none()
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    request.audited_subjects.extend(sorted({e.subject for e in page if e.subject}))  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    verdicts = None
    if request.GET.get("verify") and request.user.has_perm(VERIFY):
        verdicts = [
            (CHAIN_WORDS.get(model.CHAIN, model.CHAIN), chain_verify(model))
            for model in chained_models()
        ]
    context = {
        "form": form,
        "page": page,
        "rows": [
            (
                e,
                action_shown(e.action),
                outcome_shown(e.outcome),
                detail_shown(e.detail),
                use_shown(e.use),
            )
            for e in page
        ],
        "query": query.urlencode(),
        "verdicts": verdicts,
    }
    return render(request, "console/audit.html", context, status=400 if form.refused else 200)


@staff_view()
@staff_read(reads.AUDIT_LOG)
def audit_export(request: HttpRequest) -> HttpResponse:
    """The filtered range as CSV (at most ``EXPORT_MAX`` entries, newest first)."""
    form = AuditFilterForm(request.GET or None)
    if form.refused:
        problems = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        return HttpResponse(
            _("Nothing exported: %(problems)s") % {"problems": problems},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    entries = audit_entries(**form.selection())[:EXPORT_MAX]
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    writer = csv.writer(response)
    writer.writerow(["seq", "at", "actor_kind", "actor", "action", "subject", "use", "clauses",
                     "outcome", "categories", "detail"])  # fmt: skip
    subjects: set[str] = set()
    for e in entries.iterator(chunk_size=2000):
        clauses, categories = " ".join(e.clauses), " ".join(e.categories)
        writer.writerow([e.seq, e.at.isoformat(), e.actor_kind, e.actor, e.action, e.subject,
                         e.use, clauses, e.outcome, categories,
                         detail_summary(e.detail)])  # fmt: skip
        if e.subject:
            subjects.add(e.subject)
    request.audited_subjects.extend(sorted(subjects))  # type: ignore[attr-defined]
    return response

"""The queue of received opt-out mail staff must decide (BE-8, BE-9, QS-4); campaigns are in
``console.campaigns``."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from keepfaith.accounts.selectors import customer_by_number, customer_list
from keepfaith.comms.inbound import parse_inbound
from keepfaith.comms.models import OptOutQueueItem
from keepfaith.comms.receiving import queue_apply, queue_dismiss
from keepfaith.comms.selectors import optout_queue
from keepfaith.console import reads
from keepfaith.console.access import staff_actor, staff_read, staff_view
from keepfaith.console.campaigns import kind_label
from keepfaith.inforce import in_force

REASONS = {
    "auto_reply": _("an automatic reply (out of office and the like)"),
    "bounce": _("a bounce: the mail server could not deliver a message"),
    "no_sender": _("no sender address to match"),
    "ambiguous": _("the request is unclear about what to stop"),
    "not_addressed_to_us": _("not sent to our unsubscribe or privacy address"),
    "unclear": _("no clear request to stop mail"),
    "not_optoutable": _("asks to stop mail that cannot be declined (service mail)"),
    "unknown_sender": _("the sender is not a customer's address"),
}
BODY_SHOWN = 5000


@dataclass(frozen=True)
class QueueRow:
    item: OptOutQueueItem
    reason: str
    body: str
    suggested: str  # a customer number whose address is the sender's, or ""


def _row(item: OptOutQueueItem) -> QueueRow:
    """The message as text (parsed, never rendered as HTML) and the customer it may be from."""
    parsed = parse_inbound(bytes(item.message.raw), envelope_from=item.message.envelope_from)
    sender = (item.message.sender or "").strip().lower()
    match = customer_list(search=sender).filter(email=sender).first() if sender else None
    return QueueRow(
        item=item,
        reason=str(REASONS.get(item.reason, item.reason.replace("_", " "))),
        body=parsed.body_text[:BODY_SHOWN],
        suggested=(match.customer_number or "") if match else "",
    )


@staff_view()
@staff_read(reads.OPTOUT_QUEUE)
def mail_queue(request: HttpRequest) -> HttpResponse:
    return _queue_page(request)


def _queue_page(request: HttpRequest, *, failed: int | None = None) -> HttpResponse:
    """The queue; after a decision that failed on item ``failed``, its form keeps what was
    typed (the error is in the messages above)."""
    items = list(optout_queue(open_only=request.GET.get("all") != "1")[:200])
    rows = [_row(item) for item in items]
    request.audited_subjects.extend(  # type: ignore[attr-defined]
        sorted({i.resolved_customer for i in items if i.resolved_customer}
               | {r.suggested for r in rows if r.suggested})
    )  # fmt: skip
    gate = in_force().gate(actor=staff_actor(request))
    kinds = [
        (key, kind_label(key))
        for key, rule in sorted(gate.rulebook.mail_kinds.items())
        if rule.unsubscribable
    ]
    posted = {
        "item": failed,
        "customer": request.POST.get("customer", ""),
        "kinds": request.POST.getlist("kinds"),
        "note": request.POST.get("note", ""),
    }
    context = {"rows": rows, "kinds": kinds, "posted": posted if failed else {}}
    return render(request, "console/mail_queue.html", context, status=400 if failed else 200)


@staff_view("comms.handle_optout_queue")
@staff_read(reads.OPTOUT_QUEUE)
def mail_queue_resolve(request: HttpRequest, item_id: int) -> HttpResponse:
    if request.method != "POST":  # the form's address opened: the queue, at the item
        return redirect(f"{reverse('console:mail_queue')}#item-{item_id}")
    item = get_object_or_404(OptOutQueueItem, pk=item_id)
    note = request.POST.get("note", "")
    number = request.POST.get("customer", "").strip()
    if item.status != OptOutQueueItem.Status.OPEN:
        messages.error(request, _("This message was decided already."))
        return redirect("console:mail_queue")
    decision = request.POST.get("decision")
    if decision not in ("apply", "dismiss"):  # a form cut short decides nothing
        messages.error(request, _("Choose “Opt out” or “Dismiss” for this message."))
        return _queue_page(request, failed=item.pk)
    apply = decision == "apply"
    if apply and not number:
        messages.error(request, _("Give the number of the customer to opt out."))
        return _queue_page(request, failed=item.pk)
    if apply and customer_by_number(number=number[:16]) is None:
        messages.error(
            request, _("There is no customer with the number %(number)s.") % {"number": number}
        )
        return _queue_page(request, failed=item.pk)
    if apply:
        request.audited_subjects.append(number[:16])  # type: ignore[attr-defined]
    try:
        if apply:
            queue_apply(
                item_id=item.pk,
                customer=number,
                kinds=request.POST.getlist("kinds") or None,
                actor=staff_actor(request),
                now=in_force(),
                note=note,
            )
        else:
            queue_dismiss(item_id=item.pk, actor=staff_actor(request), note=note)
    except ValueError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Opt-out applied for customer %(number)s.") % {"number": number[:16]}
            if apply
            else _("Message dismissed: no one's choices were changed."),
        )
    return redirect("console:mail_queue")

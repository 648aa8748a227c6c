"""The console's sections, as the navigation and the dashboard list them: those the signed-in
staff member's role may open (its action permission and the policy's read grant)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from keepfaith.accounts.roles import CONSOLE
from keepfaith.console import reads
from keepfaith.console.access import ReadSpec, may_read


@dataclass(frozen=True)
class Section:
    title: Any  # a lazy translation: words in the reader's language when shown
    url: str
    permission: str
    read: ReadSpec | None


SECTIONS = (
    Section(_("Customers"), "/console/customers/", CONSOLE, reads.CUSTOMERS),
    Section(_("Orders"), "/console/orders/", CONSOLE, reads.ORDERS),
    Section(_("Support"), "/console/support/", CONSOLE, reads.TICKETS),
    Section(_("Campaigns"), "/console/campaigns/", "comms.send_campaign", None),
    Section(_("Opt-out mail"), "/console/mail/queue/", CONSOLE, reads.OPTOUT_QUEUE),
    Section(_("Analytics"), "/console/analytics/", CONSOLE, reads.analytics_read),
    Section(_("Diagnostics"), "/console/analytics/diagnostics/", CONSOLE, reads.diagnostics_read),
    Section(_("Partner releases"), "/console/sharing/", "sharing.release_partner_data", None),
    Section(_("Data-subject requests"), "/console/rights/", "rights.handle_requests", None),
    Section(_("Audit log"), "/console/audit/", CONSOLE, reads.AUDIT_LOG),
)


def sections_for(request: HttpRequest) -> list[Section]:
    """The sections this person may open (asked once per request)."""
    cached: list[Section] | None = getattr(request, "_console_sections", None)
    if cached is not None:
        return cached
    user = request.user
    shown = [
        s
        for s in SECTIONS
        if user.has_perm(s.permission) and (s.read is None or may_read(request, s.read))
    ]
    request._console_sections = shown  # type: ignore[attr-defined]
    return shown

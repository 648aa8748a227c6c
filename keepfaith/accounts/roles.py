"""Staff roles: one group per role, each with an explicit list of *action* permissions.

What a role may *read* is not here: the policy's ``recipients.staff`` decides it, through the
gate, on every console page and staff command (``keepfaith.console.access.staff_read``). This
list only says what each role may *do*: open the console, verify a chain, send a campaign or
an announcement, decide queued opt-out mail, refund a payment that has no order, release
aggregates to partners, manage staff.
The groups are created (and their permissions set to exactly this list) after every
``migrate``.
"""

from __future__ import annotations

from typing import Any

CONSOLE = "accounts.use_console"

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "support": (CONSOLE,),
    "billing": (CONSOLE, "store.refund_payments"),
    "marketing": (CONSOLE, "comms.send_campaign"),
    "privacy officer": (
        CONSOLE,
        "audit.verify_chain",
        "comms.send_announcement",
        "comms.handle_optout_queue",
        "sharing.release_partner_data",
        "rights.handle_requests",
    ),
    "administrator": (
        CONSOLE,
        "accounts.manage_staff",
        "audit.verify_chain",
        "store.refund_payments",
        "comms.send_campaign",
        "comms.send_announcement",
        "comms.handle_optout_queue",
        "sharing.release_partner_data",
        "rights.handle_requests",
    ),
}
ROLES = tuple(ROLE_PERMISSIONS)


def sync_staff_roles() -> None:
    """Create the role groups and give each exactly its listed permissions."""
    from django.contrib.auth.models import Group, Permission

    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for name in names:
            app_label, codename = name.split(".", 1)
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is not None:  # apps migrated later in the same run add theirs then
                wanted.append(perm)
        group.permissions.set(wanted)


def sync_staff_roles_after_migrate(sender: Any, **kwargs: Any) -> None:
    sync_staff_roles()

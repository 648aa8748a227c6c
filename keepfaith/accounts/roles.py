"""Staff roles: one group per role, each with an explicit list of permissions.

The groups are created (and their permissions set to exactly this list) after every
``migrate``. Later features add the permissions their staff views need to the roles here.
"""

from __future__ import annotations

from typing import Any

CONSOLE = "accounts.use_console"

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "support": (CONSOLE, "accounts.view_customer_data", "support.view_ticket"),
    "billing": (CONSOLE, "accounts.view_customer_data", "store.view_order"),
    "marketing": (CONSOLE, "comms.send_campaign", "comms.handle_optout_queue"),
    "privacy officer": (
        CONSOLE,
        "accounts.view_customer_data",
        "audit.view_auditentry",
        "audit.verify_chain",
        "comms.send_announcement",
        "comms.handle_optout_queue",
    ),
    "administrator": (
        CONSOLE,
        "accounts.view_customer_data",
        "accounts.manage_staff",
        "store.view_order",
        "audit.view_auditentry",
        "audit.verify_chain",
        "support.view_ticket",
        "comms.send_campaign",
        "comms.send_announcement",
        "comms.handle_optout_queue",
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

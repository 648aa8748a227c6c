"""Django admin, when enabled: only for verified administrators, every page audited, and for
staff accounts and groups only. Customers' records are read in the console, where the policy
decides each read; the admin, which would show every field of an account, lists no customer
(an administrator's customer page is the console's)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest
from django_otp.admin import OTPAdminSite

from keepfaith.accounts.models import User
from keepfaith.audit.services import audit_append
from keepfaith.console.access import staff_actor


class KeepfaithAdminSite(OTPAdminSite):  # type: ignore[misc]
    site_header = "keepfaith administration"
    login_template = None

    def has_permission(self, request: HttpRequest) -> bool:
        allowed = super().has_permission(request) and request.user.has_perm("accounts.manage_staff")
        if allowed:
            audit_append(
                actor=staff_actor(request),
                action="admin.request",
                outcome="read",
                categories=[],  # staff accounts only: no customer's data
                use="essential.service.security",
                clauses=["QS-3"],
                detail={"path": request.path},
            )
        return allowed

    def login(self, request, extra_context=None):  # type: ignore[no-untyped-def,override]
        from django.shortcuts import redirect

        return redirect(f"/console/login/?next={request.get_full_path()}")


class StaffAccountAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Staff accounts: who they are and their roles; a customer account is not found here."""

    list_display = ("email", "is_active", "last_login")
    fields = ("email", "full_name", "language", "is_active", "groups")

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).filter(is_staff=True)


admin_site = KeepfaithAdminSite(name="admin")
admin_site.register(User, StaffAccountAdmin)
admin_site.register(Group)

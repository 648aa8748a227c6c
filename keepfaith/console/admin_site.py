"""Django admin, when enabled: only for verified administrators, and every page audited."""

from __future__ import annotations

from django.contrib.auth.models import Group
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
                categories=["user.contact.email"],
                use="essential.service.security",
                clauses=["QS-3"],
                detail={"path": request.path},
            )
        return allowed

    def login(self, request, extra_context=None):  # type: ignore[no-untyped-def,override]
        from django.shortcuts import redirect

        return redirect(f"/console/login/?next={request.get_full_path()}")


admin_site = KeepfaithAdminSite(name="admin")
admin_site.register(User)
admin_site.register(Group)

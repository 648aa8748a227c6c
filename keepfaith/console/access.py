"""Who may see the console, and the record of every staff read of customer data.

``staff_view`` admits a staff account that has passed its second factor and holds the
permission the view names. ``audited_read`` writes an audit entry for each response that
shows customer data: views add the subjects they show to ``request.audited_subjects``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django_otp import user_has_device

from keepfaith.accounts.roles import CONSOLE
from keepfaith.audit.models import ActorKind
from keepfaith.audit.services import Actor, audit_append
from keepfaith.policy import Policy
from keepfaith.policy.trace import enforces

View = TypeVar("View", bound=Callable[..., HttpResponse])


@enforces("QS-3")
def staff_view(permission: str = CONSOLE) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated or not user.is_staff:
                return redirect_to_login(request.get_full_path(), reverse("console:login"))
            if not user.is_verified():  # type: ignore[attr-defined]
                if not user_has_device(user):
                    return render(request, "console/no_second_factor.html", status=403)
                return redirect(f"{reverse('console:verify')}?next={request.get_full_path()}")
            if not user.has_perm(CONSOLE) or not user.has_perm(permission):
                raise PermissionDenied(f"your role does not include {permission}")
            return view(request, *args, **kwargs)

        return cast(View, wrapper)

    return decorate


def policy_role_required(roles_of: Callable[[Policy], Iterable[str]]) -> Callable[[View], View]:
    """Admit only staff holding a role that the policy in force names (``roles_of(policy)``).

    Roles are the staff groups (``keepfaith/accounts/roles.py``); the policy decides which of
    them may open the view, so publishing a new policy changes access without a deploy.
    """

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            from keepfaith.versions.selectors import active_policy

            policy, _ = active_policy()
            allowed = set(roles_of(policy))
            held = set(getattr(request.user, "role_names", ()))
            if not allowed & held:
                named = ", ".join(sorted(allowed)) or "no staff role"
                raise PermissionDenied(f"the policy in force opens this page to: {named}")
            return view(request, *args, **kwargs)

        return cast(View, wrapper)

    return decorate


def staff_actor(request: HttpRequest) -> Actor:
    return Actor(ActorKind.STAFF, str(getattr(request.user, "email", "")))


@enforces("QS-3")
def audited_read(
    action: str,
    *,
    categories: Iterable[str] | Callable[[], Iterable[str]],
    use: str | Callable[[], str],
    clauses: Iterable[str] = (),
) -> Callable[[View], View]:
    """Record every successful response of the view as a staff read of customer data.

    ``categories`` and ``use`` may be callables, read when the entry is written (views whose
    categories and use come from the policy in force).
    """
    clauses = tuple(clauses)

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            request.audited_subjects = []  # type: ignore[attr-defined]
            response = view(request, *args, **kwargs)
            if response.status_code == 200:
                subjects: list[str] = request.audited_subjects  # type: ignore[attr-defined]
                audit_append(
                    actor=staff_actor(request),
                    action=action,
                    outcome="read",
                    subject=subjects[0] if len(subjects) == 1 else "",
                    categories=tuple(categories() if callable(categories) else categories),
                    use=use() if callable(use) else use,
                    clauses=clauses,
                    detail={
                        "path": request.path,
                        "subjects": subjects[:500],
                        "count": len(subjects),
                    },
                )
            return response

        return cast(View, wrapper)

    return decorate

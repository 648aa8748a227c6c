"""Public pages and the customer area."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from keepfaith.policy.trace import enforces


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")


@enforces("SITE-1")
class CustomerLoginView(auth_views.LoginView):
    """Log in by e-mail and password (throttled by django-axes like the staff login)."""

    template_name = "portal/login.html"
    redirect_authenticated_user = True


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/account.html")

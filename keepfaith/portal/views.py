"""Public pages and the customer area."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy

from keepfaith.policy.trace import enforces


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")


@enforces("SITE-1")
class CustomerLoginView(auth_views.LoginView):
    """Log in by e-mail and password (throttled by django-axes like the staff login)."""

    template_name = "portal/login.html"
    redirect_authenticated_user = True


@enforces("SITE-1")
class PasswordResetView(auth_views.PasswordResetView):
    """Lost password: a reset link by e-mail (Django's tokens). The page that follows is the
    same whether or not the address has an account, so it reveals nothing."""

    template_name = "portal/password_reset.html"
    email_template_name = "emails/password-reset-body-text.txt"
    html_email_template_name = "emails/password-reset-body-html.html"
    subject_template_name = "emails/password-reset-subject.txt"
    success_url = reverse_lazy("portal:password_reset_done")

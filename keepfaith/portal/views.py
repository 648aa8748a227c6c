"""Public pages and the customer area."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse_lazy

from keepfaith.accounts.selectors import customer_subject
from keepfaith.cookies.consent import returning_visitor
from keepfaith.policy.trace import enforces
from keepfaith.portal.home import home_customer_context
from keepfaith.portal.language import site_languages, url_in
from keepfaith.portal.password_forms import CustomerPasswordResetForm
from keepfaith.portal.signin import CustomerLoginForm, password_changed_mail


def home(request: HttpRequest) -> HttpResponse:
    """The front page; a signed-in customer is greeted and sent on to their own things."""
    customer = customer_subject(request.user)
    if customer is not None and request.user.is_authenticated:
        return render(request, "portal/home_customer.html", home_customer_context(request.user))
    # the use behind kf_returning: a browser that agreed to be recognised is greeted back
    return render(request, "portal/home.html", {"returning": returning_visitor(request)})


def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, which every browser asks for: the brand's mark."""
    return redirect(static("keepfaith/favicon.svg"))


@enforces("SITE-1")
class CustomerLoginView(auth_views.LoginView):
    """Log in by e-mail and password (throttled by django-axes like the staff login)."""

    template_name = "portal/login.html"
    redirect_authenticated_user = True
    authentication_form = CustomerLoginForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # Django's "site" is the host name: the brand comes from the policy (site_identity).
        context.pop("site", None)
        context.pop("site_name", None)
        return context

    def get_success_url(self) -> str:
        """The page asked for, in the language the customer's account remembers (SITE-5)."""
        url = super().get_success_url()
        lang = getattr(self.request.user, "language", "")
        return url_in(url, lang) if lang in site_languages() else url


@enforces("SITE-1")
class PasswordResetView(auth_views.PasswordResetView):
    """Lost password: a reset link by e-mail (Django's tokens). The page that follows is the
    same whether or not the address has an account, so it reveals nothing."""

    template_name = "portal/password_reset.html"
    form_class = CustomerPasswordResetForm
    success_url = reverse_lazy("portal:password_reset_done")


@enforces("SITE-1")
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The link from the reset mail. A staff account never resets here, even with a link made
    some other way: it gets the page of an invalid link."""

    template_name = "portal/password_reset_confirm.html"
    success_url = reverse_lazy("portal:password_reset_complete")

    def get_user(self, uidb64: str) -> Any:
        user = super().get_user(uidb64)
        return None if user is None or user.is_staff else user

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        password_changed_mail(form.user, by_link=True)
        return response

"""The language switch (SITE-5): the language lives in the URL (``/da/...``), so switching it
sets no cookie. A signed-in customer's switch is a small POST that also remembers the language
on the account, for the portal after the next login and for every e-mail."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import translate_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, gettext
from django.views.decorators.http import require_POST

from keepfaith.accounts.models import User
from keepfaith.accounts.services import customer_language_set
from keepfaith.inforce import in_force
from keepfaith.policy.trace import enforces

LANGUAGE_NAMES = {"en": "English", "da": "Dansk"}


def site_languages() -> list[str]:
    """The languages the site speaks: Django's languages the controller's policy names."""
    spoken = in_force().policy.controller.languages
    return [code for code, _name in settings.LANGUAGES if code in spoken]


def url_in(url: str, lang: str) -> str:
    """``url`` (a path, with its query) in ``lang``: ``/shop/`` -> ``/da/shop/``. A path no
    pattern matches (a 404) changes its prefix only."""
    translated = translate_url(url, lang)
    if translated != url or (get_language() or "") == lang:
        return translated
    return prefixed(url, lang)


def prefixed(path: str, lang: str) -> str:
    """A site path with ``lang``'s prefix in place of its own (``/da/shop/`` -> ``/shop/``
    for the default language): the language lives in the prefix only."""
    codes = [code for code, _name in settings.LANGUAGES]
    parts = path.split("/", 2)
    rest = "/" + parts[2] if len(parts) > 2 and parts[1] in codes else path
    return rest if lang == settings.LANGUAGE_CODE else f"/{lang}{rest}"


def language_switch(request: HttpRequest) -> dict[str, object]:
    """Template context: ``language_switch``, (code, name, URL of this page) for every other
    language of the site; ``language_switch_post`` for a signed-in customer (the switch then
    also remembers the choice on the account). Not on the staff console."""
    if request.path.startswith("/console/"):
        return {}
    current = get_language() or settings.LANGUAGE_CODE
    others = [lang for lang in site_languages() if lang != current]
    path = request.get_full_path()
    user = getattr(request, "user", None)
    return {
        "language_switch": [
            (lang, LANGUAGE_NAMES.get(lang, lang), url_in(path, lang)) for lang in others
        ],
        "language_switch_post": bool(user and user.is_authenticated and not user.is_staff),
    }


def home_switch() -> dict[str, object]:
    """The switch of an error page: to the home page in each other language (like the
    cookie banner, it must not echo the address asked for)."""
    current = get_language() or settings.LANGUAGE_CODE
    others = [lang for lang in site_languages() if lang != current]
    return {
        "language_switch": [
            (lang, LANGUAGE_NAMES.get(lang, lang), url_in("/", lang)) for lang in others
        ],
        "language_switch_post": False,
    }


@enforces("SITE-5")
@require_POST
def switch_language(request: HttpRequest) -> HttpResponse:
    """Go to the same page in the chosen language; a customer's account remembers it."""
    lang = request.POST.get("language", "")
    if lang not in site_languages():
        return HttpResponseBadRequest(gettext("This language is not offered."))
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    user = request.user
    if isinstance(user, User) and user.is_authenticated and not user.is_staff:
        customer_language_set(customer=user, language=lang)
    return redirect(url_in(target, lang))

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.urls import URLPattern, URLResolver, include, path

from keepfaith.portal import cookie_pages, statement, unsubscribe, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("console/", include("keepfaith.console.urls")),
    path("privacy.json", statement.privacy_json, name="privacy_json"),
    path(".well-known/gpc.json", cookie_pages.gpc_json, name="gpc_json"),
    # Browsers ask for /favicon.ico on every site: the brand's mark (self-hosted, no cookie).
    path("favicon.ico", views.favicon, name="favicon"),
    # One-click unsubscribe links in marketing mail (RFC 8058): no language prefix, no cookie.
    path("unsubscribe/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
    # Public pages in every language: /privacy/ (English), /da/privacy/ (Danish). The language
    # lives in the URL, so switching it needs no cookie.
    *i18n_patterns(path("", include("keepfaith.portal.urls")), prefix_default_language=False),
]

# Styled error pages in the visitor's language; none shows a traceback (keepfaith/portal/errors.py).
handler400 = "keepfaith.portal.errors.bad_request"
handler403 = "keepfaith.portal.errors.permission_denied"
handler404 = "keepfaith.portal.errors.page_not_found"
handler500 = "keepfaith.portal.errors.server_error"

if settings.ADMIN_ENABLED:  # Django admin only behind the console's second factor
    from keepfaith.console.admin_site import admin_site

    urlpatterns.insert(0, path("console/admin/", admin_site.urls))

from django.conf import settings
from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("console/", include("keepfaith.console.urls")),
    path("", include("keepfaith.portal.urls")),
]

if settings.ADMIN_ENABLED:  # Django admin only behind the console's second factor
    from keepfaith.console.admin_site import admin_site

    urlpatterns.insert(0, path("console/admin/", admin_site.urls))

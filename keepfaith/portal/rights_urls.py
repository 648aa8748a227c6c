"""The customer's privacy page and the public request form (keepfaith.portal.rights)."""

from django.urls import path

from keepfaith.portal import rights

urlpatterns = [
    path("account/privacy/", rights.privacy_page, name="rights"),
    path("account/privacy/erase/", rights.erase_page, name="rights_erase"),
    path(
        "account/privacy/restriction/end/",
        rights.restriction_end_view,
        name="rights_restriction_end",
    ),
    path("account/privacy/<str:reference>/", rights.request_page, name="rights_request"),
    path(
        "account/privacy/<str:reference>/download.zip",
        rights.request_download,
        name="rights_download",
    ),
    path("privacy/request/", rights.public_request, name="rights_public"),
    path("privacy/request/confirm/", rights.public_confirm, name="rights_confirm"),
]

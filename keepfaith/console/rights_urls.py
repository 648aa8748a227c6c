"""Data-subject requests in the console (keepfaith.console.rights)."""

from django.urls import path

from keepfaith.console import rights

urlpatterns = [
    path("rights/", rights.rights_queue, name="rights"),
    path("rights/<str:rights_ref>/", rights.rights_request, name="rights_request"),
    path("rights/<str:rights_ref>/<slug:action>/", rights.rights_step, name="rights_step"),
]

"""A URLconf with every language in the URL, the default one too (the other way
``i18n_patterns`` can be used), for the language middleware's equivalence test."""

from django.conf.urls.i18n import i18n_patterns
from django.urls import path

from tests.portal.test_fast_paths import plain

urlpatterns = i18n_patterns(path("plain/", plain), prefix_default_language=True)

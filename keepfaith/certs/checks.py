"""System checks of the certificate settings (``keepfaith check``; run before every command
that serves or migrates). The production refusal of private SSL-test targets also happens in
settings.py, so no process can start with it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

LOCAL_AUTHORITY = "keepfaith.certs.authorities.LocalTestAuthority"


@register(Tags.security, deploy=False)
def certs_production_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    if not settings.PRODUCTION:
        return problems
    if settings.SSLTEST_ALLOW_PRIVATE:
        problems.append(
            Error(
                "KEEPFAITH_SSLTEST_ALLOW_PRIVATE is on in production: the SSL server test could "
                "reach private and loopback addresses",
                hint="unset it",
                id="certs.E001",
            )
        )
    if settings.CERT_AUTHORITY == LOCAL_AUTHORITY:
        problems.append(
            Error(
                "KEEPFAITH_CERT_AUTHORITY is the local test authority in production",
                hint="set it to keepfaith.certs.acme.AcmeAuthority and configure KEEPFAITH_ACME_*",
                id="certs.E002",
            )
        )
    return problems

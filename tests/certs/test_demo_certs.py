"""The demo shows an issued certificate and one waiting for validation (from pebble)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from keepfaith.certs.models import CertificateOrder, CertState
from keepfaith.certs.pebble import pebble_binary


@pytest.fixture(autouse=True)
def _weblog_in_tmp(settings, tmp_path):
    settings.WEBLOG_DIR = tmp_path / "weblog"


@pytest.mark.clause("SITE-2")
@pytest.mark.skipif(pebble_binary() is None, reason="Debian's pebble is not installed")
def test_demo_issues_one_certificate_and_leaves_one_waiting(db):
    out = StringIO()
    call_command("demo", stdout=out)
    states = sorted(CertificateOrder.objects.values_list("state", flat=True))
    assert states == [CertState.ISSUED, CertState.WAITING]
    assert "waiting for validation" in out.getvalue()
    call_command("demo", stdout=StringIO())
    assert CertificateOrder.objects.count() == 2


def test_the_ports_picked_for_pebble_are_all_different():
    """Pebble listens on two ports picked at once. Picked one after the other (each socket
    closed before the next bind), two picks were the same port about once in 14,000: pebble
    then could not start. 200 ports picked one by one held a repeat in most runs."""
    from keepfaith.certs.pebble import free_ports

    ports = free_ports(200)
    assert len(set(ports)) == 200

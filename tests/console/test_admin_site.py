"""Django admin, when enabled, is behind the console's rules: verified administrators only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = r"""
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from keepfaith.accounts.services import staff_create
from keepfaith.audit.models import AuditEntry
from keepfaith.audit.services import Actor

TEST = Actor.system("test")

def client_for(user, verified):
    c = Client()
    c.force_login(user)
    if verified:
        s = c.session
        s[DEVICE_ID_SESSION_KEY] = user.totpdevice_set.get().persistent_id
        s.save()
    return c

ada, _ = staff_create(
    email="ada@staff.example", password="x" * 12, roles=["administrator"], actor=TEST
)
bob, _ = staff_create(
    email="bob@staff.example", password="x" * 12, roles=["support"], actor=TEST
)
print("anonymous", Client().get("/console/admin/").status_code)
print("admin-unverified", client_for(ada, False).get("/console/admin/").status_code)
print("support-verified", client_for(bob, True).get("/console/admin/").status_code)
print("admin-verified", client_for(ada, True).get("/console/admin/").status_code)
print("audited", AuditEntry.objects.filter(action="admin.request").count())
from keepfaith.accounts.models import User
alice = User.objects.create_user("alice@example.com", "x" * 12, phone="+45 1234 5678")
User.objects.filter(pk=ada.pk).update(is_superuser=True)  # every model permission
ada.refresh_from_db()
admin = client_for(ada, True)
print("customer-page", admin.get(f"/console/admin/accounts/user/{alice.pk}/change/").status_code)
listed = admin.get("/console/admin/accounts/user/").content.decode()
print("customer-listed", "alice@example.com" in listed, "ada@staff.example" in listed)
"""


@pytest.mark.clause("QS-3")
def test_admin_needs_a_verified_administrator(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KEEPFAITH_", "DJANGO_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "keepfaith.settings",
            "KEEPFAITH_ADMIN_ENABLED": "true",
            "KEEPFAITH_VAR_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'admin.sqlite3'}",
            "KEEPFAITH_ALLOWED_HOSTS": "testserver",
        }
    )
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = dict(line.split(" ", 1) for line in result.stdout.split("\n") if line)
    assert lines["anonymous"] == "302"
    assert lines["admin-unverified"] == "302"
    assert lines["support-verified"] == "302"
    assert lines["admin-verified"] == "200"
    assert int(lines["audited"]) >= 1
    # a customer's account is read in the console, through the gate, never here
    assert lines["customer-page"] in ("302", "404")  # "does not exist", even for a superuser
    assert lines["customer-listed"] == "False True"

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from keepfaith.accounts.models import User


def test_demo_is_idempotent(db):
    call_command("demo", stdout=StringIO())
    counts = User.objects.count()
    out = StringIO()
    call_command("demo", stdout=out)
    assert User.objects.count() == counts == 7
    assert "pat@staff.example" in out.getvalue()
    assert User.objects.get(email="pat@staff.example").role_names == ["privacy officer"]


def test_demo_gives_alice_and_carol_contact_history_and_a_ticket(db):
    from keepfaith.accounts.models import ContactDetailsChange
    from keepfaith.support.models import SupportTicket

    call_command("demo", stdout=StringIO())
    call_command("demo", stdout=StringIO())
    for email in ("alice@example.com", "carol@example.com"):
        customer = User.objects.get(email=email)
        assert ContactDetailsChange.objects.filter(customer=customer).exists() is True
        assert SupportTicket.objects.filter(customer=customer).count() == 1

"""The console speaks the staff member's chosen language (English or Danish)."""

from __future__ import annotations

from keepfaith.accounts.models import User
from tests.conftest import make_staff, verified_client


def test_a_staff_member_switches_the_console_to_danish(published, alice):
    bob = make_staff("bob@staff.example", "support")
    client = verified_client(bob)
    assert "Customers" in client.get("/console/customers/").content.decode()
    response = client.post("/console/preferences/", {"language": "da"}, follow=True)
    assert "Gemt: konsollen taler nu dette sprog til dig." in response.content.decode()
    assert User.objects.get(pk=bob.pk).language == "da"
    page = client.get("/console/customers/").content.decode()
    assert "<h1>Kunder</h1>" in page
    assert "Log ud" in page
    assert f"/console/customers/{alice.customer_number}/" in page
    detail = client.get(f"/console/customers/{alice.customer_number}/").content.decode()
    assert "Kontaktoplysninger" in detail and "Ordrer er ikke åbne for din rolle." in detail


def test_an_unknown_language_is_refused(published):
    bob = make_staff("bob@staff.example", "support")
    response = verified_client(bob).post("/console/preferences/", {"language": "xx"})
    assert "Select a valid choice" in response.content.decode()


def test_a_refusal_names_the_role_that_may(published):
    mia = verified_client(make_staff("mia@staff.example", "marketing"))
    bob = verified_client(make_staff("bob@staff.example", "support"))
    page = bob.get("/console/campaigns/")
    assert page.status_code == 403
    assert "It needs the role: marketing, administrator." in page.content.decode()
    assert mia.get("/console/campaigns/").status_code == 200

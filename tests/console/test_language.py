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


def test_a_console_address_that_names_nothing_is_the_console_s_404_in_the_staff_language(
    published, alice
):
    from django.test import Client

    bob = make_staff("bob@staff.example", "support")
    bob.language = "da"
    bob.save(update_fields=["language"])
    client = verified_client(bob)
    for path in ("/console/no-such-page/", "/console/customers/KF-NOPE/"):
        response = client.get(path)
        assert response.status_code == 404, path
        page = response.content.decode()
        assert "Der er intet på denne adresse" in page and "Log ud" in page
        assert "Butik" not in page  # not the shop's page
    assert client.get("/console/customers").status_code == 301  # a page without its slash
    outsider = Client().get("/console/no-such-page/")
    assert outsider.status_code == 404 and "Der er intet" not in outsider.content.decode()


def test_the_sign_in_pages_speak_the_language_chosen_on_them(published, bob):
    from django.test import Client

    from tests.conftest import PASSWORD

    home = Client().get("/da/").content.decode()
    assert 'href="/console/login/?lang=da"' in home
    client = Client()
    page = client.get("/console/login/", {"lang": "da"}).content.decode()
    assert "Log ind som medarbejder" in page and 'lang="en" hreflang="en">English</a>' in page
    english = client.get("/console/login/").content.decode()
    assert "Staff sign-in" in english and ">Dansk</a>" in english
    response = client.post(
        "/console/login/?lang=da", {"username": bob.email, "password": PASSWORD, "lang": "da"}
    )
    assert response.status_code == 302 and "lang=da" in response["Location"]
    assert "Anden faktor" in client.get(response["Location"]).content.decode()
    assert client.get("/console/login/", {"lang": "xx"}).status_code == 200  # English then


def test_the_sign_in_pages_speak_the_browsers_language_until_one_is_chosen(published):
    from django.test import Client

    danish_browser = Client(HTTP_ACCEPT_LANGUAGE="da,en;q=0.5")
    page = danish_browser.get("/console/login/")
    assert "Log ind som medarbejder" in page.content.decode()
    assert "Accept-Language" in page["Vary"]  # a cache keeps one page per language
    chosen = danish_browser.get("/console/login/", {"lang": "en"}).content.decode()
    assert "Staff sign-in" in chosen and ">Dansk</a>" in chosen
    other = Client(HTTP_ACCEPT_LANGUAGE="fr").get("/console/login/").content.decode()
    assert "Staff sign-in" in other  # a language the console does not speak: its default

"""A customer's certificate in a real browser: the challenges to publish, "check now" against
Debian's pebble, the download whose key matches the CSR; and the public CSR checker."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cryptography import x509
from django.test import Client

from keepfaith.certs.authorities import certificate_authority_reset
from keepfaith.certs.keys import key_info
from keepfaith.certs.pebble import PebbleProcess, pebble_binary, pebble_prepare
from keepfaith.store.models import Order
from keepfaith.vault.gateway import payment_processor_reset
from tests.certs.pki import make_csr
from tests.conftest import PASSWORD
from tests.store.conftest import add_to_cart, checkout

NAMES = ["shop.example", "www.shop.example"]


@pytest.fixture(scope="module")
def pebble(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if pebble_binary() is None:
        pytest.fail("Debian's pebble is not installed: make test installs it")
    setup = pebble_prepare(workdir=tmp_path_factory.mktemp("pebble"))
    with PebbleProcess(setup):
        yield setup


@pytest.fixture
def acme_settings(settings, pebble):
    env = pebble.env()
    settings.CERT_AUTHORITY = env["KEEPFAITH_CERT_AUTHORITY"]
    settings.ACME_DIRECTORY = pebble.directory
    settings.ACME_CA_BUNDLE = str(pebble.ca_bundle)
    settings.ACME_EAB_KID, settings.ACME_EAB_HMAC_KEY = pebble.eab_kid, pebble.eab_hmac_key
    settings.ACME_ACCOUNT_KEY = env["KEEPFAITH_ACME_ACCOUNT_KEY"]
    settings.ACME_CONTACT = ""
    certificate_authority_reset()
    yield settings
    certificate_authority_reset()


@pytest.mark.clause("SITE-2")
def test_set_up_check_now_and_download_in_the_browser(
    page, live_server, published, alice, acme_settings, tmp_path
):
    """The customer's part: a certificate bought in the shop is set up on its order (names
    and CSR), validated on pebble with "check now", and downloaded; its key is the CSR's."""
    acme_settings.VAULT_KEYRING_PATH = tmp_path / "vault" / "keyring.json"
    payment_processor_reset()
    shopper = Client()
    shopper.force_login(alice)
    add_to_cart(shopper, "qualityssl-mobile", term="12")
    assert checkout(shopper).status_code == 302
    order = Order.objects.get(customer=alice)
    pem, key = make_csr(NAMES)
    page.goto(f"{live_server.url}/account/login/?next=/account/orders/{order.number}/")
    page.fill("input[name=username]", alice.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"**/account/orders/{order.number}/")
    page.click("[data-setup]")
    # on a phone, a refused 300-character name is said without widening the page
    page.set_viewport_size({"width": 390, "height": 800})
    page.fill("textarea[name=names]", "a" * 300 + ".example")
    page.fill("textarea[name=csr]", pem.decode())
    with page.expect_navigation():
        page.click("button:has-text('Order the certificate')")
    assert "longer than 253 characters" in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 800})
    page.fill("textarea[name=names]", "shop.example")
    page.fill("textarea[name=csr]", pem.decode())
    with page.expect_navigation(timeout=60_000):
        page.click("button:has-text('Order the certificate')")
    assert page.inner_text("#state") == "waiting for validation"
    assert "_acme-challenge.www.shop.example" in page.inner_text("#challenges")
    # on a phone each name is a block whose tokens get the screen's width to be read and
    # copied (a third column of a table left them about 60 px, broken every few letters)
    page.set_viewport_size({"width": 390, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    widths = page.evaluate(
        "() => [...document.querySelectorAll('#challenges code')]"
        ".map(c => c.closest('td').getBoundingClientRect())"
        ".map(r => [Math.round(r.left), Math.round(r.width)])"
    )
    assert widths and all(left >= 0 and width >= 300 for left, width in widths), widths
    page.set_viewport_size({"width": 1280, "height": 800})
    page.check("input[value=dns-01]")
    with page.expect_navigation(timeout=60_000):
        page.click("button:has-text('Check now')")
    assert page.inner_text("#state") == "issued"
    with page.expect_download() as download:
        page.click("text=Full chain")
    chain = x509.load_pem_x509_certificates(download.value.path().read_bytes())
    assert key_info(chain[0].public_key()).spki_sha256 == key_info(key.public_key()).spki_sha256
    payment_processor_reset()


@pytest.mark.clause("SITE-4")
def test_the_csr_checker_in_the_browser(page, live_server, db):
    pem, _ = make_csr(["shop.example"], san=False)
    page.goto(f"{live_server.url}/tools/")
    page.fill("textarea[name=csr]", pem.decode())
    page.fill("input[name=names]", "shop.example, www.shop.example")
    with page.expect_navigation():
        page.click("button:has-text('Check the CSR')")
    text = page.inner_text("#csr")
    assert "The request does not include: www.shop.example." in text
    assert "no subjectAltName" in text

"""Data-subject access in a real headless Chromium: alice asks from her account's privacy page
after entering her password, downloads the zip, and finds her orders and consent events and
nothing of carol's (RIGHTS-15, RIGHTS-20)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from keepfaith.accounts.models import User
from keepfaith.vault.gateway import payment_processor_reset
from keepfaith.versions.services import policy_publish_file
from tests.conftest import PASSWORD
from tests.rights.conftest import place_order

BE_PATH = Path(__file__).resolve().parents[2] / "examples" / "qualityssl" / "policy.yaml"


@pytest.mark.clause("RIGHTS-15")
@pytest.mark.clause("RIGHTS-20")
@pytest.mark.feature("rights.access.download")
def test_alice_downloads_her_data_and_finds_nothing_of_carols(
    page: Any, live_server: Any, transactional_db: Any, settings: Any, tmp_path: Path
) -> None:
    settings.VAULT_KEYRING_PATH = tmp_path / "keyring.json"
    settings.POLICY_PATH = BE_PATH
    payment_processor_reset()
    policy_publish_file(path=BE_PATH)
    alice = User.objects.create_user("alice@example.com", PASSWORD, full_name="Alice Andersen")
    carol = User.objects.create_user("carol@example.com", PASSWORD, full_name="Carol Christensen")
    place_order(alice)
    place_order(carol)

    page.goto(f"{live_server.url}/account/login/")
    page.fill("input[name='username']", "alice@example.com")
    page.fill("input[name='password']", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/account/")
    page.click("#rights-link")
    page.check("#rights-form input[name='kind'][value='access']")
    page.fill("#rights-form input[name='password']", PASSWORD)
    page.click("#rights-form button[type='submit']")
    page.wait_for_selector("#download")
    with page.expect_download() as info:
        page.click("#download")
    body = Path(info.value.path()).read_bytes()
    zf = zipfile.ZipFile(io.BytesIO(body))
    data = json.loads(zf.read("data.json"))
    assert len(data["tables"]["orders"]) == 1
    assert data["tables"]["consent_events"]
    everything = b"".join(zf.read(name) for name in zf.namelist()).lower()
    assert b"carol" not in everything
    assert str(carol.customer_number).lower().encode() not in everything
    assert str(alice.customer_number).lower().encode() in everything
    payment_processor_reset()

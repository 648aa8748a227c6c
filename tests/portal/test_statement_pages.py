"""The statement, its machine-readable form and the update page are generated from the policy."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from keepfaith.demo import earlier_policy_text
from keepfaith.versions.services import policy_publish, policy_publish_file

BE = Path("examples/qualityssl/policy.yaml")


@pytest.fixture
def published(db):
    policy_publish(source=earlier_policy_text(BE.read_text(encoding="utf-8")) or "")
    return policy_publish_file(path=BE)[0]


@pytest.mark.clause("SITE-6")
@pytest.mark.clause("BE-1")
def test_statement_in_english_names_the_controller(published):
    response = Client().get("/privacy/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "privacy@qualityssl.com" in body
    assert "Nellikevænget 12" in body
    assert 'href="/da/privacy/"' in body  # the language switch
    assert "version 2024.1" in body


@pytest.mark.clause("SITE-5")
def test_statement_in_danish(published):
    response = Client().get("/da/privacy/")
    assert response.status_code == 200
    assert 'lang="da"' in response.content.decode()
    assert "Privatlivspolitik" in response.content.decode()


def test_a_language_the_policy_lacks_is_not_found(db, settings):
    settings.POLICY_PATH = Path("examples/qualispace/policy.yaml")
    assert Client().get("/da/privacy/").status_code == 404
    assert Client().get("/privacy/").status_code == 200


@pytest.mark.clause("QS-8")
@pytest.mark.clause("BE-7")
def test_statement_says_it_covers_these_sites_only(published):
    body = Client().get("/privacy/").content.decode()
    assert 'id="external-links"' in body


@pytest.mark.clause("SITE-6")
def test_privacy_json_is_the_policy_with_its_hash(published):
    data = Client().get("/privacy.json").json()
    assert data["controller"]["privacy_email"] == "privacy@qualityssl.com"
    assert data["content_hash"] == published.content_hash
    # the day it took effect here, as the statement says it, beside the policy's own date
    assert data["in_force_from"] == published.in_force_from.isoformat()
    assert data["effective"] == "2024-01-01"
    page = Client().get("/privacy/").content.decode()
    assert "in force from" in page
    from keepfaith.policy.render import policy_from_json

    assert policy_from_json(data).version == data["version"]  # still reads back


@pytest.mark.feature("changes.update-page")
@pytest.mark.clause("BE-11")
def test_update_page_lists_every_version_with_what_changed(published):
    body = Client().get("/privacy/updates/").content.decode()
    assert "Version 2024.1" in body
    assert "Version 2023.1" in body
    assert "The first published version." in body
    assert '<ul class="changes">' in body


@pytest.mark.clause("BE-2")
def test_reading_the_statement_sets_no_cookie_and_writes_nothing(published):
    from keepfaith.audit.models import AuditEntry

    before = AuditEntry.objects.count()
    response = Client().get("/privacy/")
    assert response.cookies == {}
    assert AuditEntry.objects.count() == before


def test_before_anything_is_published_the_configured_file_is_shown(db):
    body = Client().get("/privacy/").content.decode()
    assert "Not yet published" in body

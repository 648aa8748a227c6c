"""The generated statement and the update page in a real browser, for both example policies."""

from __future__ import annotations

from pathlib import Path

import pytest

from keepfaith.demo import earlier_policy_text
from keepfaith.versions.services import policy_publish, policy_publish_file

EXAMPLES = {
    "qualityssl": Path("examples/qualityssl/policy.yaml"),
    "qualispace": Path("examples/qualispace/policy.yaml"),
}


def _publish_history(path: Path) -> None:
    policy_publish(source=earlier_policy_text(path.read_text(encoding="utf-8")) or "")
    policy_publish_file(path=path)


@pytest.mark.clause("SITE-6")
@pytest.mark.clause("QS-1")
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_statement_and_updates_render(name, page, live_server, transactional_db, settings):
    settings.POLICY_PATH = EXAMPLES[name]
    _publish_history(EXAMPLES[name])
    page.goto(f"{live_server.url}/privacy/")
    headings = page.locator("article.privacy-statement h2").all_inner_texts()
    assert len(headings) >= 10
    cookie_rows = page.locator("section:has(h2#cookies) table tbody tr").count()
    assert cookie_rows >= 3
    page.click("text=Policy updates")
    page.wait_for_url(f"{live_server.url}/privacy/updates/")
    assert page.locator("section.policy-version").count() == 2
    assert page.locator("ul.changes li").count() >= 1
    assert page.context.cookies() == []  # reading the policy sets no cookie


@pytest.mark.clause("SITE-5")
def test_danish_statement_and_language_switch(page, live_server, transactional_db, settings):
    settings.POLICY_PATH = EXAMPLES["qualityssl"]
    _publish_history(EXAMPLES["qualityssl"])
    page.goto(f"{live_server.url}/privacy/")
    page.click("nav.language-switch >> text=Dansk")
    page.wait_for_url(f"{live_server.url}/da/privacy/")
    assert page.locator("article.privacy-statement").get_attribute("lang") == "da"
    assert page.locator("h1").first.inner_text().startswith("Privatlivspolitik")
    page.goto(f"{live_server.url}/da/privacy/updates/")
    assert page.locator("section.policy-version").count() == 2
    changes = page.locator("ul.changes li").all_inner_texts()
    assert "Fulde IP-adresser i vores webserverlogge: gemmes 7 dage (før: 14 dage)." in changes


@pytest.mark.clause("SITE-5")
def test_on_a_phone_each_row_of_the_statement_s_tables_reads_as_labelled_lines(
    page, live_server, transactional_db, settings
):
    """A table of six columns scrolled sideways inside its box and lost its first column
    (which use a "Kept" belongs to): on a phone each row is a block, each cell under its
    column's name, the width of the screen."""
    settings.POLICY_PATH = EXAMPLES["qualityssl"]
    policy_publish_file(path=EXAMPLES["qualityssl"])
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{live_server.url}/da/privacy/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    cells = page.evaluate(
        "() => [...document.querySelectorAll('article.privacy-statement td')]"
        ".map(td => [td.getAttribute('data-label'), Math.round(td.getBoundingClientRect().width),"
        " td.scrollWidth <= td.clientWidth + 1])"
    )
    assert len(cells) > 50
    assert all(label for label, _, _ in cells)  # each cell names its column
    assert all(width >= 300 and fits for _, width, fits in cells)
    kept = page.locator("td[data-label='Opbevares']").first
    assert kept.evaluate("td => getComputedStyle(td, '::before').content") == '"Opbevares"'

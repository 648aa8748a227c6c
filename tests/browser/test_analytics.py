"""The analytics page in real Chromium: charts drawn by the app itself, nothing fetched from
another host, no CSP violation."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from keepfaith.accounts.totp import current_code
from keepfaith.weblog.conf import weblog_config
from keepfaith.weblog.formats import log_format
from keepfaith.weblog.ingest import logs_ingest
from keepfaith.weblog.sample import write_sample_log
from tests.conftest import PASSWORD, make_staff

pytestmark = [pytest.mark.clause("BE-5"), pytest.mark.clause("QS-6")]


def _where(problem: object) -> str:
    location = getattr(problem, "location", None)
    return str(location.get("url", "")) if isinstance(location, dict) else ""


def sign_in(page, base: str, email: str, target: str) -> None:
    page.goto(f"{base}{target}")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    device = TOTPDevice.objects.get(user__email=email)
    page.fill("input[name=token]", current_code(device))
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}{target}")


def test_a_report_reader_sees_the_charts_served_by_the_app(
    page, live_server, transactional_db, settings, tmp_path
):
    settings.WEBLOG_DIR = tmp_path / "weblog"
    now = timezone.now()
    log = write_sample_log(
        path=tmp_path / "access.log", lines=2000, seed=9, start=now - dt.timedelta(days=7, hours=1)
    )
    logs_ingest(config=weblog_config(), sources=[log], fmt=log_format(spec="combined"), now=now)
    mia = make_staff("mia@staff.example", "marketing")
    requests: list[str] = []
    problems: list[object] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda msg: problems.append(msg) if msg.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    sign_in(page, live_server.url, mia.email, "/console/analytics/?tab=all")

    assert page.locator("h1").inner_text() == "Web analytics"
    assert page.locator("svg.chart").count() >= 10
    assert page.locator("svg.chart.line").count() == 3
    bar_title = page.locator("#hours svg.chart rect title").first.text_content()
    assert bar_title is not None and bar_title.startswith("00:00: ")
    box = page.locator("#trends svg.chart").first.bounding_box()
    assert box is not None and box["width"] > 100  # drawn, with the app's stylesheet
    live = urlsplit(live_server.url).netloc
    assert requests and {urlsplit(url).netloc for url in requests} == {live}
    # the browser's own favicon probe (no favicon is served) is not a page problem
    errors = [str(getattr(m, "text", m)) for m in problems if "favicon" not in str(_where(m))]
    assert errors == []  # no CSP violation, no script error


def test_the_diagnostics_page_opens_for_an_administrator(
    page, live_server, transactional_db, settings, tmp_path
):
    settings.WEBLOG_DIR = tmp_path / "weblog"
    ada = make_staff("ada@staff.example", "administrator")
    sign_in(page, live_server.url, ada.email, "/console/analytics/diagnostics/")
    assert page.locator("h1").inner_text() == "Raw requests (diagnostics)"
    assert "No raw requests match." in page.content()

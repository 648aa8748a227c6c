"""The analytics console pages: who may open them (the policy says), what they audit, what
they show, and what happens while an ingest holds the store."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import textwrap

import pytest
from django.utils import timezone

from keepfaith.audit.models import AuditEntry
from keepfaith.weblog.conf import download_extensions
from keepfaith.weblog.reports import report_csv, report_json, weblog_report
from tests.conftest import make_staff, relabelled, verified_client

pytestmark = [pytest.mark.clause("BE-5")]


@pytest.fixture
def ada(db):
    return make_staff("ada@staff.example", "administrator")


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("marketing", 200),
        ("privacy officer", 200),
        ("administrator", 200),
        ("support", 403),
        ("billing", 403),
    ],
)
def test_the_policy_report_readers_open_the_reports_and_no_one_else(
    published, weblog, role, status
):
    user = make_staff(f"{role.replace(' ', '')}@staff.example", role)
    response = verified_client(user).get("/console/analytics/")
    assert response.status_code == status
    entries = AuditEntry.objects.filter(action="console.analytics.report")
    if status == 403:  # the refusal is recorded, no read is
        assert [e.outcome for e in entries] == ["refused"]
        assert f"staff role {role!r} does not receive data" in entries[0].detail["reason"]
    else:
        assert [e.outcome for e in entries] == ["read"]
        assert entries[0].detail["recipient"] == role


def test_a_reader_the_policy_drops_is_refused(published, weblog, mia):
    from pathlib import Path

    from keepfaith.versions.services import policy_publish

    path = Path(__file__).resolve().parents[2] / "examples" / "qualityssl" / "policy.yaml"
    text = path.read_text(encoding="utf-8")
    text = (
        text.replace(
            "report_readers: [marketing, administrator, privacy officer]",
            "report_readers: [administrator, privacy officer]",
        )
        .replace(  # the staff grant, which the console asks, goes with it
            "marketing.communications.email.partner_promotions, analytics.reporting]",
            "marketing.communications.email.partner_promotions]",
        )
        .replace(
            "categories: [user.contact.email, user.name, user.device.ip_address]\n"
            "      uses: [marketing",
            "categories: [user.contact.email, user.name]\n      uses: [marketing",
        )
    )
    assert verified_client(mia).get("/console/analytics/").status_code == 200
    policy_publish(
        source=relabelled(text), source_name="test: marketing no longer reads log reports"
    )
    response = verified_client(mia).get("/console/analytics/")
    assert response.status_code == 403


def test_the_report_page_is_audited_and_shows_charts_and_tables(published, weblog, pat):
    client = verified_client(pat)
    first = client.get("/console/analytics/").content.decode()
    assert 'id="headline"' in first and "Visits" in first  # headline figures
    assert "counts as a visitor without a visit" in first  # why visitors may exceed visits
    assert 'id="trends"' in first and 'id="countries"' not in first  # one tab at a time
    assert "Last 7 days" in first  # the period picker
    assert "??" not in first
    countries = client.get("/console/analytics/", {"tab": "countries"}).content.decode()
    assert 'id="countries"' in countries and 'id="trends"' not in countries
    # countries by name and column headings as headings, not codes or lower-case keys
    cells = re.findall(r"<td>([^<]+)</td>", countries[countries.index('id="countries"') :])
    assert cells and not any(re.fullmatch(r"[A-Z]{2}", cell) for cell in cells)
    assert "<th>Registry country</th>" in countries
    response = client.get("/console/analytics/", {"tab": "all"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<svg class="chart') >= 10
    for title in ("Entry pages", "Top transitions", "Errors (4xx and 5xx)", "Registry countries"):
        assert title in html
    assert "Crawlers (reported apart)" in html and "Googlebot" in html
    entry = AuditEntry.objects.filter(action="console.analytics.report").first()
    assert entry is not None
    assert entry.actor == "pat@staff.example"
    assert entry.use == "analytics.reporting"
    assert entry.categories == ["user.device.ip_address"]
    assert entry.clauses == ["BE-5"]


def test_the_downloads_equal_the_logs_report(published, weblog, mia, settings):
    client = verified_client(mia)
    today = timezone.now().date()
    start, end = today - dt.timedelta(days=10), today
    report = weblog_report(
        paths=weblog.paths,
        start=start,
        end=end,
        download_extensions=download_extensions(),
        own_hosts=settings.WEBLOG_OWN_HOSTS,
    )
    query = f"/console/analytics/?from={start}&to={end}&format="
    csv_response = client.get(query + "csv")
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_response.content.decode() == report_csv(report=report)
    assert client.get(query + "json").content.decode() == report_json(report=report)
    assert report.daily  # the range held data
    assert AuditEntry.objects.filter(action="console.analytics.report").count() == 2


def test_a_bad_range_is_explained(published, weblog, mia):
    response = verified_client(mia).get("/console/analytics/?from=2024-03-09&to=2024-03-01")
    assert response.status_code == 400
    assert "before it starts" in response.content.decode()


@pytest.mark.clause("QS-6")
def test_raw_addresses_only_for_the_policy_raw_ip_readers(published, weblog, ada, pat, mia):
    for user in (pat, mia):
        assert verified_client(user).get("/console/analytics/diagnostics/").status_code == 403
    response = verified_client(ada).get("/console/analytics/diagnostics/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Retention the policy states</dt><dd>7 days" in html
    assert "deleted by the first daily purge after" in html
    assert html.count('<tr><td class="nowrap">') == 100  # a page of the last week's raw hits
    assert 'rel="next"' in html
    refused = AuditEntry.objects.filter(action="console.analytics.raw_hits", outcome="refused")
    assert sorted(e.actor for e in refused) == ["mia@staff.example", "pat@staff.example"]
    entry = AuditEntry.objects.get(action="console.analytics.raw_hits", outcome="read")
    assert entry.actor == "ada@staff.example"
    assert entry.clauses == ["BE-5", "QS-6"]
    assert entry.use == "essential.service.operations"


@pytest.mark.clause("QS-6")
def test_diagnostics_filter_by_status_path_and_address_and_page(published, weblog, ada):
    client = verified_client(ada)
    html = client.get("/console/analytics/diagnostics/", {"status": "404"}).content.decode()
    statuses = re.findall(r'<td class="num">(\d+)</td></tr>', html)
    assert statuses and set(statuses) == {"404"}
    second = client.get("/console/analytics/diagnostics/", {"page": "2"}).content.decode()
    assert 'rel="prev"' in second
    first_address = re.search(r'<td class="ref">([^<]+)</td>', html)
    assert first_address is not None
    one = client.get(
        "/console/analytics/diagnostics/", {"address": first_address.group(1)}
    ).content.decode()
    assert set(re.findall(r'<td class="ref">([^<]+)</td>', one)) == {first_address.group(1)}
    bad = client.get("/console/analytics/diagnostics/", {"status": "abc"})
    assert bad.status_code == 400 and "Enter a whole number" in bad.content.decode()
    # one wrong field shows nothing: never every address with the address filter dropped
    wrong = client.get(
        "/console/analytics/diagnostics/", {"address": first_address.group(1), "status": "abc"}
    ).content.decode()
    assert re.findall(r'<td class="ref">([^<]+)</td>', wrong) == []
    assert "until the filters above are corrected" in wrong
    backwards = client.get(
        "/console/analytics/diagnostics/", {"since": "2026-03-02", "until": "2026-03-01"}
    )
    assert backwards.status_code == 400 and "before it starts" in backwards.content.decode()


@pytest.mark.clause("QS-6")
def test_the_dashboard_offers_the_panels_to_those_who_may_open_them(published, ada, mia, bob):
    assert (
        "/console/analytics/diagnostics/" in verified_client(ada).get("/console/").content.decode()
    )
    marketing = verified_client(mia).get("/console/").content.decode()
    assert "/console/analytics/" in marketing
    assert "/console/analytics/diagnostics/" not in marketing
    assert "/console/analytics/" not in verified_client(bob).get("/console/").content.decode()


HOLD_LOCK = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    con.execute("BEGIN")
    print("locked", flush=True)
    sys.stdin.read()
    """
)


@pytest.mark.clause("QS-6")
@pytest.mark.parametrize(
    ("store", "url"),
    [("analytics", "/console/analytics/"), ("diagnostics", "/console/analytics/diagnostics/")],
)
def test_a_running_ingest_gives_a_clear_message_not_an_error(published, weblog, ada, store, url):
    """Another process holds the write lock of the store file, as an ingest does."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(getattr(weblog.paths, store))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        response = verified_client(ada).get(url)
        assert response.status_code == 503
        assert "ingest in progress" in response.content.decode().lower()
        assert "try again shortly" in response.content.decode()
        assert response["Retry-After"] == "15"
    finally:
        holder.communicate(input="")
    assert verified_client(ada).get(url).status_code == 200


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("mia", "/console/analytics/?from=0001-01-01&to=0001-01-05"),
        ("mia", "/console/analytics/?from=9999-12-25&to=9999-12-31"),
        ("ada", "/console/analytics/diagnostics/?until=9999-12-31"),
        ("ada", "/console/analytics/diagnostics/?since=0001-01-01"),
        ("ada", "/console/analytics/diagnostics/?page=100000000000000000000000"),
        ("ada", "/console/audit/?until=9999-12-31"),
        ("ada", "/console/audit/export.csv?since=0001-01-01"),
    ],
)
def test_a_date_at_the_calendar_edge_is_a_clear_400_not_a_500(
    published, weblog, ada, mia, who, path
):
    """Each of these was an OverflowError or a DuckDB conversion error (found by the
    hostile-input review)."""
    response = verified_client({"ada": ada, "mia": mia}[who]).get(path)
    assert response.status_code == 400, path
    if "page=" not in path:
        assert "Give a date from 1970-01-01 to 2199-12-31." in response.content.decode()

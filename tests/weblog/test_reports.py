"""Reports: trends, movements, downloads, errors, referrers, countries, browsers, crawlers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.core.management import call_command

from keepfaith.weblog.reports import report_csv, report_json, weblog_report

from .conftest import ingest, line

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
DAY = dt.date(2024, 3, 4)


def _at(minute: int) -> str:
    return f"04/Mar/2024:{10 + minute // 60:02d}:{minute % 60:02d}:00 +0000"


@pytest.fixture
def visits_log(tmp_path):
    """Alice: / -> /products/ -> /cart/ (+ a PDF, an asset, a 404 from /cart/).
    Bob: / and, 40 minutes later, /about/ (two visits). A crawler reads three pages."""
    alice, bob = "8.8.8.8", "81.7.11.2"
    rows = [
        line(
            alice,
            _at(0),
            "GET / HTTP/1.1",
            referrer="https://www.search.example/q?x=1",
            agent=FIREFOX,
        ),
        line(alice, _at(1), "GET /static/site.css HTTP/1.1", agent=FIREFOX),
        line(alice, _at(2), "GET /products/ HTTP/1.1", agent=FIREFOX),
        line(alice, _at(3), "GET /files/guide.pdf HTTP/1.1", agent=FIREFOX),
        line(alice, _at(4), "GET /cart/?item=7 HTTP/1.1", agent=FIREFOX),
        line(
            alice,
            _at(5),
            "GET /old-link HTTP/1.1",
            status=404,
            referrer="https://shop.example.com/cart/?item=7",
            agent=FIREFOX,
        ),
        line(bob, _at(0), "GET / HTTP/1.1", agent=SAFARI),
        line(bob, _at(40), "GET /about/ HTTP/1.1", agent=SAFARI),
        *(line("66.249.66.1", _at(m), f"GET /p{m} HTTP/1.1", agent=BOT) for m in range(3)),
    ]
    path = tmp_path / "access.log"
    path.write_text("".join(rows), encoding="utf-8")
    return path


@pytest.mark.clause("BE-5")
def test_movements_trends_and_demographics(store_config, visits_log):
    ingest(store_config, visits_log)
    report = weblog_report(
        paths=store_config.paths, start=DAY, end=DAY, own_hosts=["shop.example.com"]
    )
    (daily,) = report.daily
    assert (daily.requests, daily.crawler_requests) == (11, 3)
    assert (daily.visitors, daily.visits, daily.page_views) == (2, 3, 5)
    assert {row.value: row.visits for row in report.entry_pages} == {"/": 2, "/about/": 1}
    assert {row.value: row.visits for row in report.exit_pages} == {
        "/cart/": 1,
        "/": 1,
        "/about/": 1,
    }
    assert {(t.from_path, t.to_path): t.visits for t in report.transitions} == {
        ("/", "/products/"): 1,
        ("/products/", "/cart/"): 1,
    }
    assert [(row.value, row.requests) for row in report.downloads] == [("/files/guide.pdf", 1)]
    (error,) = report.errors
    assert (error.status, error.path, error.referrer_page) == (
        404,
        "/old-link",
        "https://shop.example.com/cart/",
    )
    assert [row.value for row in report.referring_sites] == ["www.search.example"]
    assert {row.value for row in report.countries} == {"US", "DE"}
    assert {row.value for row in report.browsers} == {"Firefox", "Mobile Safari"}
    assert [(row.value, row.requests) for row in report.crawlers] == [("Googlebot", 3)]
    assert sum(row.visitors for row in report.hourly if row.hour == 10) == 2


@pytest.mark.clause("BE-5")
def test_json_and_csv_outputs_carry_the_same_figures(store_config, visits_log):
    ingest(store_config, visits_log)
    report = weblog_report(paths=store_config.paths, start=DAY, end=DAY)
    data = json.loads(report_json(report=report))
    assert data["daily"][0]["requests"] == 11
    rows = list(csv.DictReader(io.StringIO(report_csv(report=report))))
    daily = [row for row in rows if row["section"] == "daily"]
    assert daily == [
        {
            "section": "daily",
            "key": "2024-03-04",
            "detail": "",
            "requests": "11",
            "visitors": "2",
            "visits": "3",
        }
    ]


def test_a_reversed_range_is_refused(store_config):
    with pytest.raises(ValueError, match="ends"):
        weblog_report(paths=store_config.paths, start=DAY, end=DAY - dt.timedelta(days=1))


@pytest.mark.clause("BE-5")
def test_the_logs_command_ingests_reports_and_purges(store_config, visits_log, settings, db):
    settings.WEBLOG_DIR = store_config.paths.root
    out = io.StringIO()
    call_command("logs", "ingest", str(visits_log), stdout=out)
    assert "11 requests, 0 malformed" in out.getvalue()
    out = io.StringIO()
    call_command(
        "logs",
        "report",
        "--from",
        "2024-03-01",
        "--to",
        "2024-03-31",
        "--format",
        "json",
        stdout=out,
    )
    assert json.loads(out.getvalue())["daily"][0]["visits"] == 3
    out = io.StringIO()
    call_command("logs", "purge", stdout=out)
    # the 2024 lines were already past the 7-day retention when ingested: none was kept
    assert "purged 0 raw addresses" in out.getvalue()


@pytest.mark.clause("BE-5")
def test_reports_carry_no_token_or_customer_reference_of_a_path(store_config, tmp_path):
    """An unsubscribe link (its token names the customer) leading to an order page would link
    a visit to a customer: the reports show the kind of page only."""
    token = "v1.eyJrIjogIm5ld3NsZXR0ZXIiLCAicyI6ICJLRi1QMEZa.Xk9aQ2b7"
    rows = [
        line("8.8.8.8", _at(0), f"GET /unsubscribe/{token}/ HTTP/1.1", agent=FIREFOX),
        line(
            "8.8.8.8",
            _at(1),
            "GET /account/orders/O-8M19-GP0C/ HTTP/1.1",
            referrer=f"https://shop.example.com/unsubscribe/{token}/",
            agent=FIREFOX,
        ),
        line("8.8.8.8", _at(2), "GET /support/ticket/7/ HTTP/1.1", status=404, agent=FIREFOX),
    ]
    path = tmp_path / "access.log"
    path.write_text("".join(rows), encoding="utf-8")
    ingest(store_config, path)
    report = weblog_report(paths=store_config.paths, start=DAY, end=DAY)
    text = report_json(report=report) + report_csv(report=report)
    assert "eyJr" not in text and "O-8M19" not in text and "/ticket/7/" not in text
    assert {row.value for row in report.entry_pages} == {"/unsubscribe/:token/"}
    assert {(t.from_path, t.to_path) for t in report.transitions} >= {
        ("/unsubscribe/:token/", "/account/orders/:number/")
    }
    (error,) = report.errors
    assert error.path == "/support/ticket/:id/"

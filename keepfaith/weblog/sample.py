"""Deterministic access logs of realistic shape, for tests, benchmarks and demos.

The same seed always gives the same bytes. The shape: many distinct addresses (IPv4 and
some IPv6), a few hundred user agents, about 18% of requests from crawlers, visits of
several page views with their assets, downloads, mixed statuses, referrers.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path

_BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/{w}.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS {w}_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/{w}.0 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android {w}; SM-G99{w}B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.0.0 Safari/537.36 Edg/{v}.0.0.0",
)
_CRAWLERS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
    "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
    "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
    "Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Mozilla/5.0 (compatible; DotBot/1.2; +https://opensiteexplorer.org/dotbot)",
)
_PAGES = (
    ["/", "/products/", "/products/ssl/", "/products/ev/", "/products/wildcard/", "/cart/"]
    + ["/checkout/", "/support/", "/support/faq/", "/about/", "/privacy/", "/blog/"]
    + [f"/blog/post-{i}.html" for i in range(40)]
    + [f"/support/article/{i}" for i in range(30)]
)
_ASSETS = ("/static/site.css", "/static/site.js", "/static/logo.png", "/favicon.ico")
_DOWNLOADS = ("/files/guide.pdf", "/files/price-list.pdf", "/files/tools.zip", "/files/csr.tar.gz")
_REFERRERS = (
    "https://www.google.com/",
    "https://www.bing.com/search?q=ssl",
    "https://duckduckgo.com/",
    "https://news.example.org/article/42",
    "https://forum.example.net/thread?id=7",
)


def sample_user_agents(*, rng: random.Random, count: int = 300) -> list[str]:
    """``count`` distinct browser user agents built from a few templates."""
    agents: list[str] = []
    while len(agents) < count:
        tpl = rng.choice(_BROWSERS)
        agent = tpl.format(v=rng.randint(60, 130), w=rng.randint(9, 17))
        if agent not in agents:
            agents.append(agent)
    return agents


def _address(rng: random.Random) -> str:
    if rng.random() < 0.06:
        head, a, b, c = (
            rng.randint(0, 9),
            rng.randint(1, 0xFFFF),
            rng.randint(1, 0xFFFF),
            rng.randint(1, 0xFFFF),
        )
        return f"2a0{head}:{a:x}:{b:x}::{c:x}"
    return (
        f"{rng.randint(2, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    )


def _status_for(rng: random.Random, path: str) -> tuple[int, int]:
    roll = rng.random()
    if roll < 0.04:
        return 404, 512
    if roll < 0.05:
        return 500, 0
    if roll < 0.10:
        return 304, 0
    if roll < 0.12:
        return 301, 178
    size = 250_000 if path.startswith("/files/") else rng.randint(800, 60_000)
    return 200, size


def _visit(rng: random.Random, agents: list[str], crawler: bool) -> list[tuple[str, str, str]]:
    """(path, referrer, agent) triples of one visit."""
    if crawler:
        agent = rng.choice(_CRAWLERS)
        return [(rng.choice(_PAGES), "-", agent) for _ in range(rng.randint(3, 12))]
    agent = rng.choice(agents)
    out: list[tuple[str, str, str]] = []
    referrer = rng.choice(_REFERRERS) if rng.random() < 0.5 else "-"
    for _ in range(rng.randint(1, 6)):
        page = rng.choice(_PAGES)
        out.append((page, referrer, agent))
        here = "https://shop.example.com" + page
        out.extend((asset, here, agent) for asset in _ASSETS if rng.random() < 0.4)
        if rng.random() < 0.08:
            out.append((rng.choice(_DOWNLOADS), here, agent))
        referrer = here
    return out


def sample_log_lines(
    *, lines: int, seed: int = 7, start: dt.datetime | None = None
) -> Iterator[str]:
    """``lines`` combined-format lines (no newline), timestamps ascending over about a week."""
    rng = random.Random(seed)
    agents = sample_user_agents(rng=rng)
    when = start or dt.datetime(2024, 3, 4, tzinfo=dt.UTC)
    step = 7 * 86400 / max(lines, 1)
    emitted = 0
    while emitted < lines:
        crawler = rng.random() < 0.22
        address = _address(rng)
        for path, referrer, agent in _visit(rng, agents, crawler):
            if emitted >= lines:
                return
            status, size = _status_for(rng, path)
            when += dt.timedelta(seconds=step * rng.uniform(0.5, 1.5))
            stamp = when.strftime("%d/%b/%Y:%H:%M:%S +0000")
            method = "POST" if path == "/checkout/" else "GET"
            yield (
                f'{address} - - [{stamp}] "{method} {path} HTTP/1.1" {status} {size} '
                f'"{referrer}" "{agent}"'
            )
            emitted += 1


def write_sample_log(
    *, path: Path, lines: int, seed: int = 7, start: dt.datetime | None = None
) -> Path:
    """Write ``lines`` generated lines to ``path`` (each ending in a newline).

    ``start`` is the time of the first line (default 2024-03-04); the lines cover about a
    week from there, so ``start = now - 7 days`` gives a log that ends about now.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for line in sample_log_lines(lines=lines, seed=seed, start=start):
            out.write(line + "\n")
    return path

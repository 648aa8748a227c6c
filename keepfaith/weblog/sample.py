"""Deterministic access logs of realistic shape, for tests, benchmarks and demos.

The same seed always gives the same bytes. The shape: many distinct addresses (IPv4 and
some IPv6), a few hundred user agents, about 18% of requests from crawlers, visits of
several page views with their assets, downloads, mixed statuses, referrers.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
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


_MORE_CRAWLERS = (
    "Mozilla/5.0 (compatible; PetalBot;+https://webmaster.petalsearch.com/site/petalbot)",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.4 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; "
    "+https://openai.com/gptbot)",
    "Mozilla/5.0 (compatible; SeznamBot/4.0; +https://o-seznam.cz/napoveda/vyhledavani/)",
    "Mozilla/5.0 (compatible; Amazonbot/0.1; +https://developer.amazon.com/support/amazonbot)",
    "CCBot/2.0 (https://commoncrawl.org/faq/)",
    "curl/8.5.0",
    "python-requests/2.31.0",
    "Go-http-client/1.1",
    "Mozilla/5.0 (compatible; Bytespider; spider-feedback@bytedance.com)",
)


@dataclass(frozen=True, slots=True)
class Shape:
    """What a generated log draws from: its agents, crawlers, paths and visit lengths."""

    agents: int = 300
    crawlers: tuple[str, ...] = _CRAWLERS
    pages: tuple[str, ...] = tuple(_PAGES)
    assets: tuple[str, ...] = _ASSETS
    downloads: tuple[str, ...] = _DOWNLOADS
    crawler_pages: tuple[int, int] = (3, 12)
    human_pages: tuple[int, int] = (1, 6)
    popular: bool = False  # people pick pages by a Zipf law (else uniformly)
    queries: float = 0.0  # share of page views with a query string

    def page(self, rng: random.Random) -> str:
        if not self.popular:
            return rng.choice(self.pages)
        return self.pages[min(int(rng.paretovariate(1.0)) - 1, len(self.pages) - 1)]


SMALL = Shape()
# A real site's diversity on 1,000,000 lines: about 150,000 addresses, 560 agents (20 of
# them crawlers', about 18% of the requests), 1,500 paths, page popularity by a Zipf law.
REAL = Shape(
    agents=540,
    crawlers=_CRAWLERS + _MORE_CRAWLERS,
    pages=(
        *_PAGES[:12],
        *(f"/blog/{year}/post-{i}.html" for year in (2022, 2023, 2024) for i in range(230)),
        *(f"/support/article/{i}" for i in range(450)),
        *(f"/products/{kind}/{i}/" for kind in ("ssl", "ev", "code", "mail") for i in range(60)),
    ),
    assets=(
        *(f"/static/css/site-{i}.css" for i in range(15)),
        *(f"/static/js/app-{i}.js" for i in range(15)),
        *(f"/img/photo-{i}.jpg" for i in range(26)),
        *_ASSETS,
    ),
    downloads=tuple(f"/files/{name}-{i}.{ext}" for name, ext in (("guide", "pdf"),
                    ("tools", "zip"), ("csr", "tar.gz"), ("prices", "xlsx")) for i in range(10)),
    crawler_pages=(2, 8),
    human_pages=(1, 4),
    popular=True,
    queries=0.05,
)  # fmt: skip


def _visit(
    rng: random.Random, agents: list[str], crawler: bool, shape: Shape = SMALL
) -> list[tuple[str, str, str]]:
    """(path, referrer, agent) triples of one visit."""
    if crawler:
        agent = rng.choice(shape.crawlers)
        return [
            (rng.choice(shape.pages), "-", agent) for _ in range(rng.randint(*shape.crawler_pages))
        ]
    agent = rng.choice(agents)
    out: list[tuple[str, str, str]] = []
    referrer = rng.choice(_REFERRERS) if rng.random() < 0.5 else "-"
    for _ in range(rng.randint(*shape.human_pages)):
        page = shape.page(rng)
        if shape.queries and rng.random() < shape.queries:
            page += f"?page={rng.randint(1, 50)}"
        out.append((page, referrer, agent))
        here = "https://shop.example.com" + page
        if shape is SMALL:
            out.extend((asset, here, agent) for asset in _ASSETS if rng.random() < 0.4)
        else:
            out.extend((rng.choice(shape.assets), here, agent) for _ in range(rng.randint(0, 3)))
        if rng.random() < 0.08:
            out.append((rng.choice(shape.downloads), here, agent))
        referrer = here
    return out


LAYOUTS = ("combined", "common", "vhost_combined")


def _layout(line: str, layout: str, status: int) -> str:
    """A combined line as ``layout`` writes it (the same request)."""
    if layout == "common":
        return line.rsplit(' "', 2)[0]  # without the referrer and the agent
    if layout == "vhost_combined":
        vhost = "files.example.com:443" if status == 404 else "shop.example.com:443"
        return f"{vhost} {line}"
    return line


def sample_log_lines(
    *,
    lines: int,
    seed: int = 7,
    start: dt.datetime | None = None,
    layout: str = "combined",
    shape: Shape = SMALL,
) -> Iterator[str]:
    """``lines`` lines (no newline) in ``layout`` (combined, common or vhost_combined),
    timestamps ascending over about a week; the same requests in each layout."""
    rng = random.Random(seed)
    agents = sample_user_agents(rng=rng, count=shape.agents)
    when = start or dt.datetime(2024, 3, 4, tzinfo=dt.UTC)
    step = 7 * 86400 / max(lines, 1)
    emitted = 0
    while emitted < lines:
        crawler = rng.random() < 0.22
        address = _address(rng)
        for path, referrer, agent in _visit(rng, agents, crawler, shape):
            if emitted >= lines:
                return
            status, size = _status_for(rng, path)
            when += dt.timedelta(seconds=step * rng.uniform(0.5, 1.5))
            stamp = when.strftime("%d/%b/%Y:%H:%M:%S +0000")
            method = "POST" if path == "/checkout/" else "GET"
            text = (
                f'{address} - - [{stamp}] "{method} {path} HTTP/1.1" {status} {size} '
                f'"{referrer}" "{agent}"'
            )
            yield text if layout == "combined" else _layout(text, layout, status)
            emitted += 1


def write_sample_log(
    *,
    path: Path,
    lines: int,
    seed: int = 7,
    start: dt.datetime | None = None,
    layout: str = "combined",
    shape: Shape = SMALL,
) -> Path:
    """Write ``lines`` generated lines to ``path`` (each ending in a newline).

    ``start`` is the time of the first line (default 2024-03-04); the lines cover about a
    week from there, so ``start = now - 7 days`` gives a log that ends about now.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for line in sample_log_lines(
            lines=lines, seed=seed, start=start, layout=layout, shape=shape
        ):
            out.write(line + "\n")
    return path

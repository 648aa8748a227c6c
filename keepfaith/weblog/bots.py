"""Which requests come from crawlers. They are reported apart and never count as visitors.

A client is a crawler when ua-parser says its device is a ``Spider``, when its agent names
itself a bot/crawler/spider or a common HTTP library, or when it sends no agent at all.
"""

from __future__ import annotations

import re

NO_AGENT = "(no user agent)"
_SELF_NAMED = re.compile(
    r"([A-Za-z0-9_.+-]*(?:bot|crawl|spider|slurp|archiver|externalhit|scraper|scan)"
    r"[A-Za-z0-9_.+-]*)"
    r"|(curl|wget|python-requests|python-urllib|go-http-client|java|okhttp|libwww-perl|"
    r"httpclient|headlesschrome|phantomjs)",
    re.IGNORECASE,
)


def crawler_name(*, user_agent: str, device_family: str | None = None) -> str | None:
    """The crawler's name (``Googlebot``), or None for what looks like a person's browser."""
    agent = user_agent.strip()
    if agent in ("", "-"):
        return NO_AGENT
    match = _SELF_NAMED.search(agent)
    if match:
        name = match.group(0).strip("+-_.;")
        return name.split("/")[0] or "crawler"
    if device_family == "Spider":
        return agent.split("/")[0][:40] or "crawler"
    return None

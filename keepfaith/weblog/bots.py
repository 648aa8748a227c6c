"""Which requests come from crawlers. They are reported apart and never count as visitors.

A client is a crawler when ua-parser says its device is a ``Spider`` or when its agent names
itself a bot/crawler/spider or a common HTTP library. A request without an agent (a Common
Log Format line has no agent field; a Combined one says ``-``) is a person with an unknown
browser, not a crawler: a log without agents would otherwise have no visitors at all.
"""

from __future__ import annotations

from keepfaith.weblog.linear import visitor_regex

# RE2, not Python's re: with ``re`` this search took time quadratic in the agent's length
# (about 6 s for an 8 KB agent); RE2's is linear (keepfaith.weblog.linear).
SELF_NAMED = (
    r"(?i)([A-Za-z0-9_.+-]*(?:bot|crawl|spider|slurp|archiver|externalhit|scraper|scan)"
    r"[A-Za-z0-9_.+-]*)"
    r"|(curl|wget|python-requests|python-urllib|go-http-client|java|okhttp|libwww-perl|"
    r"httpclient|headlesschrome|phantomjs)"
)
_SELF_NAMED = visitor_regex(SELF_NAMED)
NAME_MAX = 40  # a crawler's name in the reports, however long its agent


def crawler_name(*, user_agent: str, device_family: str | None = None) -> str | None:
    """The crawler's name (``Googlebot``), or None for what looks like a person's browser."""
    agent = user_agent.strip()
    if agent in ("", "-"):
        return None
    match = _SELF_NAMED.search(agent)
    if match:
        name = match.group(0).strip("+-_.;")
        return name.split("/")[0][:NAME_MAX] or "crawler"
    if device_family == "Spider":
        return spider_name(user_agent=agent)
    return None


def spider_name(*, user_agent: str) -> str:
    """The name a crawler that ua-parser knows by its rules (a ``Spider`` device) goes by."""
    return user_agent.strip().split("/")[0][:NAME_MAX] or "crawler"

"""Browser and OS families of a user agent, parsed once per distinct agent.

The analytics keep only the families (``Firefox``, ``Windows``), never the agent string,
which is precise enough to help fingerprint a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ua_parser

from keepfaith.memo import short_text_cache
from keepfaith.weblog.bots import NAME_MAX, crawler_name

OTHER = "Other"
UNKNOWN = "Unknown"  # no agent at all: the browser is unknown, not a crawler
NO_AGENT = ("", "-")


@dataclass(frozen=True, slots=True)
class AgentFamilies:
    """What the reports may know of one user agent."""

    browser: str
    os: str
    crawler: str | None


@short_text_cache(maxsize=50_000)
def agent_families(*, user_agent: str) -> AgentFamilies:
    """The families of ``user_agent`` (cached: logs repeat a few hundred agents)."""
    if user_agent.strip() in NO_AGENT:
        return AgentFamilies(browser=UNKNOWN, os=UNKNOWN, crawler=None)
    try:
        result = ua_parser.parse(user_agent)
    except Exception:  # a parser bug must not stop an ingest
        return AgentFamilies(browser=OTHER, os=OTHER, crawler=crawler_name(user_agent=user_agent))
    # A family can be a name the agent chose (ua-parser's generic bot rule): keep it short.
    browser = result.user_agent.family[:NAME_MAX] if result.user_agent else OTHER
    os_family = result.os.family[:NAME_MAX] if result.os else OTHER
    device = result.device.family if result.device else None
    return AgentFamilies(
        browser=browser,
        os=os_family,
        crawler=crawler_name(user_agent=user_agent, device_family=device),
    )


def agents_families(*, user_agents: Sequence[str]) -> list[AgentFamilies]:
    """:func:`agent_families` of each agent, in order."""
    return agent_families.each(user_agents)

"""Browser and OS families of a user agent, parsed once per distinct agent.

The analytics keep only the families (``Firefox``, ``Windows``), never the agent string,
which is precise enough to help fingerprint a person.

ua-parser's rules come in three lists: browsers, operating systems and devices. Of the
devices the reports need one thing, whether the first device rule an agent matches is one of
the ``Spider`` rules (a crawler). Compiling all 633 device rules took 0.07 s holding the GIL,
the larger part of the ingest's one serial start-up step on its workers, so only what that
question needs is compiled up front: the Spider rules that come before any other device
rule, and those after it (one catch-all). Only an agent that matches a later Spider rule and
names no crawler itself needs the whole list, compiled then, once per process. The answer is
the same as ``ua_parser.parse(agent).device.family == "Spider"`` (a test compares them).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ua_parser

from keepfaith.memo import short_text_cache
from keepfaith.weblog.bots import NAME_MAX, crawler_name, spider_name

OTHER = "Other"
UNKNOWN = "Unknown"  # no agent at all: the browser is unknown, not a crawler
NO_AGENT = ("", "-")
SPIDER = "Spider"  # ua-parser's device family of its crawler rules


@dataclass(frozen=True, slots=True)
class AgentFamilies:
    """What the reports may know of one user agent."""

    browser: str
    os: str
    crawler: str | None


class Rules:
    """ua-parser's rules, compiled as the crawler question needs them (see the module)."""

    def __init__(self) -> None:
        agents, systems, loaded = ua_parser.load_lazy_builtins()
        devices: list[Any] = list(loaded)  # lazy matchers: each has its rule's ``family``
        lead = list(itertools.takewhile(lambda rule: rule.family == SPIDER, devices))
        later = [rule for rule in devices[len(lead) :] if rule.family == SPIDER]
        self.families: Any = ua_parser.BestAvailableResolver((agents, systems, lead))
        self.later_spiders: Any = ua_parser.BestAvailableResolver(([], [], later))
        self._devices = devices
        self._all_devices: Any = None
        self._lock = threading.Lock()

    def all_devices(self) -> Any:
        """Every device rule, compiled on first use."""
        with self._lock:
            if self._all_devices is None:
                self._all_devices = ua_parser.BestAvailableResolver(([], [], self._devices))
            return self._all_devices

    def is_spider(self, agent: str, lead_matched: bool) -> bool:
        """Is the first device rule ``agent`` matches a Spider rule? (``lead_matched``: one
        of the leading Spider rules matched it.)"""
        if lead_matched:
            return True
        if self.later_spiders(agent, ua_parser.Domain.DEVICE).device is None:
            return False
        device = self.all_devices()(agent, ua_parser.Domain.DEVICE).device
        return device is not None and device.family == SPIDER


_rules: Rules | None = None
_rules_lock = threading.Lock()


def rules() -> Rules:
    """The compiled rules of this process (the ingest's workers share them)."""
    global _rules
    with _rules_lock:
        if _rules is None:
            _rules = Rules()
        return _rules


@short_text_cache(maxsize=50_000)
def agent_families(*, user_agent: str) -> AgentFamilies:
    """The families of ``user_agent`` (cached: logs repeat a few hundred agents)."""
    if user_agent.strip() in NO_AGENT:
        return AgentFamilies(browser=UNKNOWN, os=UNKNOWN, crawler=None)
    try:
        known = rules()
        result = known.families(user_agent, ua_parser.Domain.ALL)
        crawler = crawler_name(user_agent=user_agent)
        if crawler is None and known.is_spider(user_agent, result.device is not None):
            crawler = spider_name(user_agent=user_agent)
    except Exception:  # a parser bug must not stop an ingest
        return AgentFamilies(browser=OTHER, os=OTHER, crawler=crawler_name(user_agent=user_agent))
    # A family can be a name the agent chose (ua-parser's generic bot rule): keep it short.
    browser = result.user_agent.family[:NAME_MAX] if result.user_agent else OTHER
    os_family = result.os.family[:NAME_MAX] if result.os else OTHER
    return AgentFamilies(browser=browser, os=os_family, crawler=crawler)


def agents_families(*, user_agents: Sequence[str]) -> list[AgentFamilies]:
    """:func:`agent_families` of each agent, in order."""
    return agent_families.each(user_agents)

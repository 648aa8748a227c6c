"""Browser, OS and crawler of an agent: the same answers as ua-parser's whole rule set (BE-5).

``keepfaith.weblog.useragents`` compiles only the device rules the crawler question needs;
these tests hold it to what ``ua_parser.parse`` with every rule said before.
"""

from __future__ import annotations

import random

import pytest
import ua_parser
from hypothesis import given, settings
from hypothesis import strategies as st

from keepfaith.weblog import bots, useragents
from keepfaith.weblog.sample import REAL, sample_user_agents
from keepfaith.weblog.useragents import NO_AGENT, OTHER, UNKNOWN, AgentFamilies

# Agents that reach each branch: a leading Spider rule (PTST, PetalBot on a phone), the
# catch-all Spider rule after the device rules (Java, Silk on a Kindle matches a device rule
# first), self-named crawlers, browsers, and agents no rule knows.
KNOWN = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 Chrome/120.0 Mobile Safari "
    "PTST/240101.120000",
    "Mozilla/5.0 (Linux; Android 7.0;) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36"
    " (compatible; PetalBot;+https://webmaster.petalsearch.com/site/petalbot)",
    "X11; Datanyze; Linux",
    "Java/17.0.2",
    "Mozilla/5.0 (Linux; U; Android 4.0.3; en-us; KFTT Build/IML74K) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Silk/3.68 like Chrome/39.0.2171.93 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Silk/1.0",
    "Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.0 Mobile/15E148 Safari/604.1 (compatible; bingbot/2.0)",
    "Nokia6230i/2.0 (03.80) Profile/MIDP-2.0 Configuration/CLDC-1.1 Googlebot-Mobile/2.1",
    "Mozilla/5.0 (compatible; Daum/4.1; +http://cs.daum.net/faq/15/4118.html?faqId=28966)",
    "Lycos_Spider_(modspider)",
    "htdig/3.1.6 (webmaster@example.org)",
    "NING/1.0",
    "Opera/9.80 (J2ME/MIDP; Opera Mini/9.80 (S60; SymbOS; Opera Mobi/23.348; U; en) Presto/2.5",
    "something nobody wrote a rule for",
    "-",
    "",
)


def whole_rule_set(agent: str) -> AgentFamilies:
    """What ``agent_families`` said with ua-parser's whole rule set (the code before)."""
    if agent.strip() in NO_AGENT:
        return AgentFamilies(browser=UNKNOWN, os=UNKNOWN, crawler=None)
    result = ua_parser.parse(agent)
    return AgentFamilies(
        browser=result.user_agent.family[: bots.NAME_MAX] if result.user_agent else OTHER,
        os=result.os.family[: bots.NAME_MAX] if result.os else OTHER,
        crawler=bots.crawler_name(
            user_agent=agent, device_family=result.device.family if result.device else None
        ),
    )


def fresh(agent: str) -> AgentFamilies:
    useragents.agent_families.cache_clear()
    return useragents.agent_families(user_agent=agent)


@pytest.mark.clause("BE-5")
def test_the_benchmarks_agents_and_crawlers_get_what_the_whole_rule_set_gives():
    agents = [*sample_user_agents(rng=random.Random(7), count=REAL.agents), *REAL.crawlers]
    for agent in [*agents, *KNOWN]:
        assert fresh(agent) == whole_rule_set(agent), agent


@pytest.mark.clause("BE-5")
def test_each_branch_of_the_crawler_question_is_reached():
    rules = useragents.rules()
    lead = rules.families(KNOWN[0], ua_parser.Domain.DEVICE).device
    assert lead is not None and lead.family == useragents.SPIDER
    # the catch-all rule matches, but a Kindle's device rule comes first: no crawler
    silk = KNOWN[4]
    assert rules.later_spiders(silk, ua_parser.Domain.DEVICE).device is not None
    assert fresh(silk).crawler is None
    assert fresh("Java/17.0.2").crawler == "Java"
    assert fresh("htdig/3.1.6 (webmaster@example.org)").crawler == "htdig"


AGENTS = st.text(
    alphabet=st.sampled_from("aAbBoOtTcrwlspidSLUPxKFTJv/;()+-_. 0129é"), max_size=80
) | st.builds(
    "{} {}".format,
    st.sampled_from(KNOWN),
    st.sampled_from(["Silk/2", "Java/1", "bot.html", "crawler", "Daum", "lycos", "Kindle", ""]),
)


@pytest.mark.clause("BE-5")
@settings(max_examples=300, deadline=None)
@given(agent=AGENTS)
def test_any_agent_gets_what_the_whole_rule_set_gives(agent):
    assert fresh(agent) == whole_rule_set(agent)

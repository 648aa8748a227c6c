"""Regular expressions over visitor-controlled text, in linear time (clauses BE-5, QS-6).

User agents, request lines, paths, referrers and the host field are written by whoever
sends the request (a host name by whoever controls the reverse DNS of an address). A
backtracking engine (Python's ``re``) can take time quadratic or worse in such a text: one
8 KB user agent, Apache's header limit, stalled an ingest for seconds and a 100 KB one for
minutes. So every pattern in ``keepfaith.weblog`` that sees visitor text is compiled here,
by RE2 (the ``google-re2`` package), whose matching time is linear in the text for a fixed
pattern and which has no backreferences or lookaround that could break that. The SQL
parser's patterns run on DuckDB's RE2 and the vectorised ones on Arrow's RE2; user-agent
families come from ua-parser's Rust matcher (the ``regex`` crate, also linear).

Python's ``re`` stays only where the text is the operator's configuration (the log format
string, :mod:`keepfaith.weblog.formats`); ``tests/weblog/test_linear.py`` keeps it so.
"""

from __future__ import annotations

from typing import Any

import re2

VisitorPattern = Any  # re2._Regexp: search / match / fullmatch / sub, as ``re.Pattern``


def visitor_regex(pattern: str) -> VisitorPattern:
    """``pattern`` compiled by RE2 (linear time); RE2 refuses syntax that would not be."""
    return re2.compile(pattern)

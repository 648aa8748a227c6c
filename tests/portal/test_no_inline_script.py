"""The pages keep to their Content-Security-Policy (``script-src 'self'``): no template has
script the policy would block."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "keepfaith"


def test_no_template_has_inline_script():
    """The CSP lets scripts come only from this site's files: an inline handler
    (``onclick``, ``onsubmit``...) or ``<script>`` body would silently do nothing."""
    inline = re.compile(r"\son[a-z]+\s*=|<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
    found = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in sorted(PACKAGE.rglob("templates/**/*.html"))
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if inline.search(text)
    ]
    assert found == []

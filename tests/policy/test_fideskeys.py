"""The taxonomy keys kept as data are exactly the installed fideslang's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fideslang.default_taxonomy import DEFAULT_TAXONOMY

from keepfaith.policy import fideskeys


def test_the_kept_keys_are_the_installed_fideslangs():
    categories = frozenset(item.fides_key for item in DEFAULT_TAXONOMY.data_category)
    uses = frozenset(item.fides_key for item in DEFAULT_TAXONOMY.data_use)
    assert categories == fideskeys.DATA_CATEGORIES, sorted(categories ^ fideskeys.DATA_CATEGORIES)
    assert uses == fideskeys.DATA_USES, sorted(uses ^ fideskeys.DATA_USES)


def test_checking_and_compiling_a_policy_does_not_import_fideslang():
    """The reason for the copy: a process that checks a policy and compiles its rulebook
    never loads fideslang's models (a tenth of a second at every start)."""
    code = (
        "import sys\n"
        "from keepfaith.policy import load_policy\n"
        "from keepfaith.policy.rulebook import compile_rulebook\n"
        "compile_rulebook(load_policy('examples/qualityssl/policy.yaml'))\n"
        "print(sorted(m for m in sys.modules if m.startswith('fideslang')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.stdout.strip() == "[]"

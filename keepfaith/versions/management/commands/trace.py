"""``keepfaith trace [--strict]``: every clause, the policy that states it, the code that
enforces it and the tests that guard it; then every feature the generated statements claim,
with the code that implements it and the tests that guard it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from keepfaith.policy import PolicyError, load_policy
from keepfaith.policy.clauses import clause_catalogue
from keepfaith.policy.render import statement
from keepfaith.policy.trace import (
    ClauseTrace,
    FeatureTrace,
    Site,
    build_feature_trace,
    build_trace,
    scan_enforcers,
    scan_feature_code,
    scan_feature_tests,
    scan_tests,
)


def _policy_files(root: Path) -> list[Path]:
    files = sorted(root.glob("examples/*/policy.yaml"))
    configured = Path(settings.POLICY_PATH).resolve()
    return files if configured in [f.resolve() for f in files] else [*files, configured]


def _statements(root: Path, files: list[Path]) -> Iterator[tuple[str, Site]]:
    for path in files:
        try:
            policy = load_policy(path)
        except PolicyError:
            continue
        name = path.relative_to(root) if path.is_relative_to(root) else path
        for element, clauses in policy.clause_elements():
            for clause in clauses:
                yield clause, Site(str(name), element)


def _claims(root: Path, files: list[Path]) -> Iterator[tuple[str, Site]]:
    """Every feature a sentence of each policy's statement claims."""
    for path in files:
        try:
            policy = load_policy(path)
        except PolicyError:
            continue
        name = path.relative_to(root) if path.is_relative_to(root) else path
        for section, feature in statement(policy, lang="en").features():
            yield feature, Site(str(name), f"statement section {section}")


class Command(BaseCommand):
    help = "Print the clause matrix: policy elements, enforcing code and tests for each clause."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--strict",
            action="store_true",
            help="exit 1 if any clause lacks a policy element, code or a test",
        )
        parser.add_argument("--verbose", "-V", action="store_true", help="list every site")

    def handle(self, *args: Any, **options: Any) -> None:
        root = Path(settings.BASE_DIR)
        rows, unknown = build_trace(
            catalogue=dict(clause_catalogue()),
            statements=_statements(root, _policy_files(root)),
            enforcers=scan_enforcers(root, sorted((root / "keepfaith").rglob("*.py"))),
            tests=scan_tests(root, sorted((root / "tests").rglob("test_*.py"))),
        )
        self.stdout.write(f"{'clause':<8} {'policy':>6} {'code':>5} {'tests':>5}  missing")
        for row in rows:
            self._row(row, verbose=options["verbose"])
        complete = sum(1 for row in rows if not row.missing)
        self.stdout.write(
            f"\n{complete} of {len(rows)} clauses have a policy element, code and a test."
        )
        for kind in ("policy", "code", "tests"):
            lacking = [row.clause for row in rows if kind in row.missing]
            self.stdout.write(f"without {kind}: {', '.join(lacking) or 'none'}")
        for item in unknown:
            self.stdout.write(f"unknown clause id used: {item}")
        files = _policy_files(root)
        features = build_feature_trace(
            claimed=_claims(root, files),
            code=scan_feature_code(root, sorted((root / "keepfaith").rglob("*.py"))),
            tests=scan_feature_tests(root, sorted((root / "tests").rglob("test_*.py"))),
        )
        gaps = self._features(features, verbose=options["verbose"])
        if options["strict"] and (complete < len(rows) or unknown or gaps):
            sys.exit(1)

    def _features(self, rows: list[FeatureTrace], *, verbose: bool) -> int:
        """Print the feature matrix; return how many claimed features lack code or tests."""
        self.stdout.write(
            f"\n{'feature the statement claims':<40} {'code':>5} {'tests':>5}  missing"
        )
        for row in rows:
            self.stdout.write(
                f"{row.feature:<40} {len(row.enforced_by):>5} {len(row.tested_by):>5}  "
                f"{', '.join(row.missing)}"
            )
            if verbose:
                for label, sites in (("claimed", row.claimed_by), ("code", row.enforced_by),
                                     ("test", row.tested_by)):  # fmt: skip
                    for site in sites:
                        self.stdout.write(f"           {label}: {site}")
        gaps = [row.feature for row in rows if row.missing]
        self.stdout.write(
            f"\n{len(rows) - len(gaps)} of {len(rows)} claimed features have code and a test."
        )
        self.stdout.write(f"claimed without code or tests: {', '.join(gaps) or 'none'}")
        return len(gaps)

    def _row(self, row: ClauseTrace, *, verbose: bool) -> None:
        self.stdout.write(
            f"{row.clause:<8} {len(row.stated_by):>6} {len(row.enforced_by):>5} "
            f"{len(row.tested_by):>5}  {', '.join(row.missing)}"
        )
        if verbose:
            for label, sites in (
                ("policy", row.stated_by),
                ("code", row.enforced_by),
                ("test", row.tested_by),
            ):
                for site in sites:
                    self.stdout.write(f"           {label}: {site}")

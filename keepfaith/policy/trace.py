"""Traceability: for every clause, the policy elements that state it, the code that enforces
it and the tests that guard it.

Code marks itself with ``@enforces("BE-8")`` (or calls ``enforces("BE-8")`` on a class);
tests carry ``@pytest.mark.clause("BE-8")`` or a module-level ``pytestmark``. Both are found
by reading the source (``ast``), not by importing it, so the matrix tells the truth about
files that are not imported anywhere.
"""

from __future__ import annotations

import ast
import contextlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def enforces(*clause_ids: str) -> Callable[[T], T]:
    """Mark a function or class as the code that keeps these promises."""

    def mark(target: T) -> T:
        existing = getattr(target, "__enforces__", ())
        # builtins and slotted objects refuse the attribute: the source scan still finds it
        with contextlib.suppress(AttributeError, TypeError):
            target.__enforces__ = (*existing, *clause_ids)  # type: ignore[attr-defined]
        return target

    return mark


@dataclass(frozen=True)
class Site:
    """Where something was found: ``file:line`` and the name of the function or element."""

    where: str
    name: str

    def __str__(self) -> str:
        return f"{self.where} {self.name}"


@dataclass
class ClauseTrace:
    clause: str
    title: str
    stated_by: list[Site] = field(default_factory=list)
    enforced_by: list[Site] = field(default_factory=list)
    tested_by: list[Site] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        parts = [("policy", self.stated_by), ("code", self.enforced_by), ("tests", self.tested_by)]
        return [name for name, found in parts if not found]


def _string_args(call: ast.Call) -> list[str]:
    return [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]


def _is_call_named(node: ast.AST, name: str) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Name) and func.id == name) or (
        isinstance(func, ast.Attribute) and func.attr == name
    )


def _clause_marks(node: ast.AST) -> list[str]:
    """Clause ids of every ``*.mark.clause("X")`` call below ``node``."""
    ids: list[str] = []
    for sub in ast.walk(node):
        if not (_is_call_named(sub, "clause") and isinstance(sub, ast.Call)):
            continue
        func = sub.func
        owner = func.value if isinstance(func, ast.Attribute) else None
        if isinstance(owner, ast.Attribute) and owner.attr == "mark":
            ids.extend(_string_args(sub))
    return ids


def _parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError, OSError):
        return None


def scan_enforcers(root: Path, files: Iterable[Path]) -> Iterator[tuple[str, Site]]:
    """Yield (clause id, site) for each ``enforces("X")`` marker in ``files``."""
    for path in files:
        tree = _parse(path)
        if tree is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                for decorator in node.decorator_list:
                    if _is_call_named(decorator, "enforces") and isinstance(decorator, ast.Call):
                        site = Site(f"{path.relative_to(root)}:{node.lineno}", node.name)
                        for clause in _string_args(decorator):
                            yield clause, site


def scan_tests(root: Path, files: Iterable[Path]) -> Iterator[tuple[str, Site]]:
    """Yield (clause id, test) for every test marked with a clause (module marks included)."""
    for path in files:
        tree = _parse(path)
        if tree is None:
            continue
        module_marks: list[str] = []
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "pytestmark" for t in stmt.targets
            ):
                module_marks.extend(_clause_marks(stmt.value))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith(
                "test"
            ):
                marks = {*module_marks}
                for decorator in node.decorator_list:
                    marks.update(_clause_marks(decorator))
                site = Site(f"{path.relative_to(root)}:{node.lineno}", node.name)
                for clause in sorted(marks):
                    yield clause, site


def build_trace(
    *,
    catalogue: dict[str, str],
    statements: Iterable[tuple[str, Site]],
    enforcers: Iterable[tuple[str, Site]],
    tests: Iterable[tuple[str, Site]],
) -> tuple[list[ClauseTrace], list[str]]:
    """The matrix, in catalogue order, and the ids used somewhere but absent from it."""
    rows = {cid: ClauseTrace(cid, title) for cid, title in catalogue.items()}
    unknown: set[str] = set()
    for bucket, found in (
        ("stated_by", statements),
        ("enforced_by", enforcers),
        ("tested_by", tests),
    ):
        for clause, site in found:
            if clause in rows:
                getattr(rows[clause], bucket).append(site)
            else:
                unknown.add(f"{clause} ({site})")
    return list(rows.values()), sorted(unknown)

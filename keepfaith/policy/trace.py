"""Traceability: for every clause, the policy elements that state it, the code that enforces
it and the tests that guard it.

Code marks itself with ``@enforces("BE-8")`` (or calls ``enforces("BE-8")`` on a class);
tests carry ``@pytest.mark.clause("BE-8")`` or a module-level ``pytestmark``. Both are found
by reading the source (``ast``), not by importing it, so the matrix tells the truth about
files that are not imported anywhere.

Finer than clauses, the statement's sentences claim *features* (``changes.notify.email``,
``collection.checkout``; see ``keepfaith.policy.document``): code names the features it
implements with ``@enforces(..., features=("changes.notify.email",))`` (a collection-point
form by its ``point_id``), tests with ``@pytest.mark.feature("changes.notify.email")``.
``keepfaith trace --strict`` fails when a feature the statement claims lacks either.
"""

from __future__ import annotations

import ast
import contextlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def enforces(*clause_ids: str, features: tuple[str, ...] = ()) -> Callable[[T], T]:
    """Mark a function or class as the code that keeps these promises (and implements these
    features of the statement)."""

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
    return _scan_marked(root, files, _clause_marks)


def _scan_marked(
    root: Path, files: Iterable[Path], marks_of: Callable[[ast.AST], list[str]]
) -> Iterator[tuple[str, Site]]:
    """Yield (mark argument, test) for every test function, with the module's ``pytestmark``
    marks and its own decorators' marks as ``marks_of`` reads them."""
    for path in files:
        tree = _parse(path)
        if tree is None:
            continue
        module_marks: list[str] = []
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "pytestmark" for t in stmt.targets
            ):
                module_marks.extend(marks_of(stmt.value))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith(
                "test"
            ):
                marks = {*module_marks}
                for decorator in node.decorator_list:
                    marks.update(marks_of(decorator))
                site = Site(f"{path.relative_to(root)}:{node.lineno}", node.name)
                for mark in sorted(marks):
                    yield mark, site


def _keyword_strings(call: ast.Call, name: str) -> list[str]:
    for keyword in call.keywords:
        if keyword.arg == name and isinstance(keyword.value, (ast.Tuple, ast.List)):
            return [
                e.value
                for e in keyword.value.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            ]
    return []


def _point_ids(node: ast.ClassDef) -> list[str]:
    """``point_id = "x"`` in a class body: a collection-point form implements ``collection.x``."""
    found = []
    for stmt in node.body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else []
        if isinstance(stmt, ast.AnnAssign):
            targets = [stmt.target]
        value = getattr(stmt, "value", None)
        if any(isinstance(t, ast.Name) and t.id == "point_id" for t in targets) and (
            isinstance(value, ast.Constant) and isinstance(value.value, str) and value.value
        ):
            found.append(value.value)
    return found


def scan_feature_code(root: Path, files: Iterable[Path]) -> Iterator[tuple[str, Site]]:
    """Yield (feature, site) for ``enforces(..., features=(...))`` and collection-point forms."""
    for path in files:
        tree = _parse(path)
        if tree is None:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            site = Site(f"{path.relative_to(root)}:{node.lineno}", node.name)
            for decorator in node.decorator_list:
                if _is_call_named(decorator, "enforces") and isinstance(decorator, ast.Call):
                    for feature in _keyword_strings(decorator, "features"):
                        yield feature, site
            if isinstance(node, ast.ClassDef):
                for point in _point_ids(node):
                    yield f"collection.{point}", site


def _feature_marks(node: ast.AST) -> list[str]:
    ids: list[str] = []
    for sub in ast.walk(node):
        if _is_call_named(sub, "feature") and isinstance(sub, ast.Call):
            owner = sub.func.value if isinstance(sub.func, ast.Attribute) else None
            if isinstance(owner, ast.Attribute) and owner.attr == "mark":
                ids.extend(_string_args(sub))
    return ids


def scan_feature_tests(root: Path, files: Iterable[Path]) -> Iterator[tuple[str, Site]]:
    """Yield (feature, test) for every test marked ``@pytest.mark.feature("x")``."""
    return _scan_marked(root, files, _feature_marks)


@dataclass
class FeatureTrace:
    """One feature the statement claims: where it is claimed, implemented and tested."""

    feature: str
    claimed_by: list[Site] = field(default_factory=list)
    enforced_by: list[Site] = field(default_factory=list)
    tested_by: list[Site] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        return [name for name, found in (("code", self.enforced_by), ("tests", self.tested_by))
                if not found]  # fmt: skip


def build_feature_trace(
    *,
    claimed: Iterable[tuple[str, Site]],
    code: Iterable[tuple[str, Site]],
    tests: Iterable[tuple[str, Site]],
) -> list[FeatureTrace]:
    """Every claimed feature, sorted, with its code and tests."""
    rows: dict[str, FeatureTrace] = {}
    for feature, site in claimed:
        rows.setdefault(feature, FeatureTrace(feature)).claimed_by.append(site)
    for bucket, found in (("enforced_by", code), ("tested_by", tests)):
        for feature, site in found:
            if feature in rows:
                getattr(rows[feature], bucket).append(site)
    return [rows[key] for key in sorted(rows)]


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

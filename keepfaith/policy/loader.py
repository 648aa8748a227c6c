"""Load a policy file and report every problem at file:line:column with its field path.

``check_policy`` never raises: it returns a ``Report`` of all errors and warnings (YAML
syntax, duplicate keys, unknown keys, wrong types, undeclared references, semantic and
jurisdiction rules). ``load_policy`` returns the ``Policy`` or raises ``PolicyError``
listing them all; it raises nothing else, whatever the file holds.
"""

from __future__ import annotations

import copy
import difflib
import os
from typing import Any

from pydantic import BaseModel, ValidationError

from keepfaith.policy.problems import DataPath, Finding, PolicyError, Problem, Report, path_text
from keepfaith.policy.references import reference_findings
from keepfaith.policy.schema import Policy
from keepfaith.policy.validate import semantic_findings
from keepfaith.policy.yamlsource import MAX_BYTES, YamlSource, read_yaml


def _resolve(source: YamlSource, loc: tuple[int | str, ...]) -> tuple[DataPath, bool]:
    """Map a pydantic location to a data path; True if the last part was written."""
    path: DataPath = ()
    node: Any = source.data
    present = True
    for part in loc:
        in_dict = isinstance(node, dict) and isinstance(part, str) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            node, path = node[part], (*path, part)
        elif isinstance(node, dict) and isinstance(part, str) and "[" not in part:
            return (*path, part), False
        else:
            present = part == loc[-1] and not isinstance(node, dict | list)
    return path, present


def _known_fields(loc: DataPath) -> list[str]:
    """Field names of the model at ``loc`` (for did-you-mean hints)."""
    model: type[BaseModel] | None = Policy
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part)
        model = None if field is None else _model_in(field.annotation)
    return [] if model is None else list(model.model_fields)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _pydantic_findings(source: YamlSource, error: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    misspelt: set[DataPath] = set()
    for item in error.errors(include_url=False):
        path, present = _resolve(source, tuple(item["loc"]))
        message = str(item["msg"]).removeprefix("Value error, ")
        kind = item["type"]
        if kind == "extra_forbidden":
            name = str(path[-1])
            close = difflib.get_close_matches(name, _known_fields(path[:-1]), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            message = f"unknown key {name!r}{hint}"
            misspelt.update((*path[:-1], match) for match in close)
        elif kind == "missing":
            message = f"missing required key {path[-1]!r}"
        line, column = source.mark_of(path, key=kind == "extra_forbidden" or not present)
        problems.append(Problem("", line, column, path_text(path), message))
    # a misspelt key is one mistake: drop the "missing" twin of a did-you-mean hint
    twins = {path_text(path) for path in misspelt}
    return [p for p in problems if not (p.path in twins and p.message.startswith("missing"))]


def _locate(file: str, source: YamlSource, finding: Finding) -> Problem:
    line, column = source.problem_mark(finding.path)
    return Problem(file, line, column, path_text(finding.path), finding.message, finding.severity)


def policy_report(*, raw: bytes | str, file: str, stored: bool = False) -> Report:
    """Check the policy text ``raw`` (named ``file`` in messages); never raises.

    ``stored``: the text of a version already published, judged by the rules it was
    published under (a rule added since is a warning for it, not an error).
    """
    try:
        return _policy_report(raw, file, stored)
    except Exception as exc:  # a checker bug must not crash the caller
        problem = Problem(file, 1, 1, "", f"internal error while checking: {exc!r}"[:300])
        return Report(file, (problem,))


def _policy_report(raw: bytes | str, file: str, stored: bool) -> Report:
    source = read_yaml(raw)
    problems = [
        Problem(file, line, column, path_text(path), message)
        for (line, column), path, message in source.errors
    ]
    if problems and source.data is None:
        return Report(file, tuple(sorted(problems, key=_order)))
    if not isinstance(source.data, dict):
        what = "empty" if source.data is None else f"a {type(source.data).__name__}"
        message = f"a policy file must be a mapping of sections, this one is {what}"
        problems.append(Problem(file, 1, 1, "", message))
        return Report(file, tuple(sorted(problems, key=_order)))
    try:
        policy = Policy.model_validate(source.data)
    except ValidationError as exc:
        problems += [_with_file(p, file) for p in _pydantic_findings(source, exc)]
        problems += _findings_past_errors(source, exc, file)
        return Report(file, tuple(sorted(problems, key=_order)))
    findings = reference_findings(policy)
    flagged = {finding.path for finding in findings}
    # a value already wrong by reference is not judged again (no cascades)
    findings += [f for f in semantic_findings(policy) if f.path not in flagged]
    if stored:
        findings = [f.as_stored() for f in findings]
    problems += [_locate(file, source, f) for f in findings]
    return Report(file, tuple(sorted(problems, key=_order)), policy)


_REPAIR_ROUNDS = 4


def _findings_past_errors(source: YamlSource, error: ValidationError, file: str) -> list[Problem]:
    """The reference problems (unknown categories, undeclared uses...) a schema error would
    otherwise hide until it is fixed: each wrong value is set aside (a key removed, or the
    value taken from a sibling list item that has a valid one) and the rest checked, leaving
    out anything under a set-aside path so no mistake is reported twice."""
    data = copy.deepcopy(source.data)
    set_aside: list[DataPath] = []
    for _round in range(_REPAIR_ROUNDS):
        locs = [tuple(item["loc"]) for item in error.errors(include_url=False)]
        if not any(_set_aside(data, loc, set_aside) for loc in locs):
            return []
        try:
            policy = Policy.model_validate(data)
        except ValidationError as again:
            error = again
            continue
        except Exception:
            return []
        findings = [
            f for f in reference_findings(policy)
            if not any(f.path[: len(p)] == p for p in set_aside)
        ]  # fmt: skip
        return [_locate(file, source, f) for f in findings]
    return []


def _set_aside(data: Any, loc: tuple[int | str, ...], set_aside: list[DataPath]) -> bool:
    """Remove the value at ``loc`` (or borrow a sibling's); True if ``data`` changed."""
    parents: list[tuple[Any, int | str]] = []
    node = data
    for part in loc:
        ok_dict = isinstance(node, dict) and part in node
        ok_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if not (ok_dict or ok_list):
            break
        parents.append((node, part))
        node = node[part]
    if not parents:
        return False
    holder, key = parents[-1]
    path: DataPath = tuple(part for _node, part in parents)
    borrowed = _sibling_value(parents, key)
    if borrowed is not None:
        holder[key] = copy.deepcopy(borrowed)
    elif isinstance(holder, dict):
        del holder[key]
    else:
        return False
    set_aside.append(path)
    return True


SIBLINGS_LOOKED_AT = 32


def _nearest(index: int, size: int) -> list[int]:
    """Up to ``SIBLINGS_LOOKED_AT`` positions of a list of ``size``, nearest to ``index``
    first, without ``index`` itself."""
    found: list[int] = []
    for step in range(1, size):
        for position in (index - step, index + step):
            if 0 <= position < size:
                found.append(position)
        if len(found) >= SIBLINGS_LOOKED_AT or (index - step < 0 and index + step >= size):
            break
    return found[:SIBLINGS_LOOKED_AT]


def _sibling_value(parents: list[tuple[Any, int | str]], key: int | str) -> Any:
    """The same field of another item of the nearest enclosing list, if one has it."""
    for depth in range(len(parents) - 1, -1, -1):
        container, index = parents[depth]
        if isinstance(container, list) and isinstance(index, int):
            rest = [part for _node, part in parents[depth + 1 :]]
            # the nearest siblings only: a list of 20,000 wrong items took a minute to check
            # when every error looked through the whole list
            for position in _nearest(index, len(container)):
                value = container[position]
                for part in rest:
                    if isinstance(value, dict) and part in value:
                        value = value[part]
                    else:
                        value = None
                        break
                if value is not None and not isinstance(value, dict | list):
                    return value
            return None
    return None


def _with_file(problem: Problem, file: str) -> Problem:
    return Problem(
        file, problem.line, problem.column, problem.path, problem.message, problem.severity
    )


def _order(problem: Problem) -> tuple[int, int, int, str]:
    return (problem.line, problem.column, problem.severity != "error", problem.message)


def policy_file_bytes(path: str | os.PathLike[str]) -> bytes:
    """The bytes of the policy file at ``path``, read no further than one byte past the size
    limit (which ``policy_report`` then reports); ``PolicyError`` naming a file that cannot
    be read."""
    name = str(path)
    try:
        with open(path, "rb") as handle:
            return handle.read(MAX_BYTES + 1)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise PolicyError((Problem(name, 1, 1, "", f"cannot read the file: {reason}"),)) from None


def check_policy(path: str | os.PathLike[str]) -> Report:
    """Every problem of the policy file at ``path``, errors and warnings; never raises."""
    try:
        raw = policy_file_bytes(path)
    except PolicyError as exc:
        return Report(str(path), exc.problems)
    return policy_report(raw=raw, file=str(path))


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """The policy at ``path``; raises ``PolicyError`` listing every error if it has any."""
    report = check_policy(path)
    if report.policy is None or not report.ok:
        raise PolicyError(report.problems)
    return report.policy


def load_policy_text(text: bytes | str, *, file: str = "<policy>", stored: bool = False) -> Policy:
    """Like ``load_policy`` for text already in memory (``stored``: see ``policy_report``)."""
    report = policy_report(raw=text, file=file, stored=stored)
    if report.policy is None or not report.ok:
        raise PolicyError(report.problems)
    return report.policy


__all__ = ["check_policy", "load_policy", "load_policy_text", "policy_file_bytes", "policy_report"]

"""Problems found in a policy file, each located at file:line:column and a field path.

A ``Finding`` is what a check produces (a path inside the policy data and a message); the
loader turns it into a ``Problem`` by looking up where that path was written in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from keepfaith.policy.schema import Policy

Severity = Literal["error", "warning"]
PathPart = str | int
DataPath = tuple[PathPart, ...]


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem at a path inside the policy data, not yet located in a file."""

    path: DataPath
    message: str
    severity: Severity = "error"
    # A rule added after versions were published: an error for a text being checked or
    # published, a warning when a version already stored is read back (it must still load).
    stored_severity: Severity | None = None

    def as_stored(self) -> Finding:
        """This finding as it counts for a version already published."""
        if self.stored_severity is None:
            return self
        return Finding(self.path, self.message, self.stored_severity)


@dataclass(frozen=True, slots=True)
class Problem:
    """A problem located in a file: ``file:line:column: severity: path: message``."""

    file: str
    line: int
    column: int
    path: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.file}:{self.line}:{self.column}: {self.severity}: {where}{self.message}"


@dataclass(frozen=True, slots=True)
class Report:
    """Every problem of one policy file, in file order, and the policy if it loaded."""

    file: str
    problems: tuple[Problem, ...] = ()
    policy: Policy | None = field(default=None, compare=False)

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The problems of severity error."""
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """The problems of severity warning."""
        return tuple(p for p in self.problems if p.severity == "warning")

    @property
    def ok(self) -> bool:
        """True when the file has no errors (warnings allowed)."""
        return not self.errors


class PolicyError(Exception):
    """A policy file that cannot be used; ``problems`` lists everything wrong with it."""

    def __init__(self, problems: tuple[Problem, ...] | list[Problem]) -> None:
        self.problems = tuple(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        lines = "\n".join(str(p) for p in errors[:20])
        more = f"\n... and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(f"{len(errors)} error(s) in policy file:\n{lines}{more}")


def path_text(path: DataPath) -> str:
    """Render a data path as ``uses[3].choice``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text

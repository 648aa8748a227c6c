"""Read YAML into plain data while remembering where every node was written.

The composer of ruamel.yaml gives the node graph with marks; this module turns it into
dicts, lists and scalars itself, so that it can report *every* duplicate key, refuse
documents that nest too deeply or expand too far through aliases (alias bombs), and keep
the line and column of each key and value for error messages. It never raises for bad
input: every failure becomes a ``Finding`` at a path with its mark.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from keepfaith.policy.problems import DataPath

MAX_BYTES = 2_000_000
MAX_DEPTH = 64
MAX_NODES = 200_000
Mark = tuple[int, int]


class _TooLarge(Exception):
    def __init__(self, message: str, mark: Mark) -> None:
        super().__init__(message)
        self.mark = mark


@dataclass
class YamlSource:
    """Parsed data, the mark (1-based line, column) of every path, and the read problems.

    ``value_marks`` locates each value, ``key_marks`` the key that introduced it.
    ``errors`` are (mark, message) pairs of problems found while reading.
    """

    data: Any = None
    value_marks: dict[DataPath, Mark] = field(default_factory=dict)
    key_marks: dict[DataPath, Mark] = field(default_factory=dict)
    errors: list[tuple[Mark, DataPath, str]] = field(default_factory=list)
    containers: set[DataPath] = field(default_factory=set)

    def mark_of(self, path: DataPath, *, key: bool = False) -> Mark:
        """The mark of ``path`` or of its nearest written ancestor (1, 1 for the root)."""
        for end in range(len(path), -1, -1):
            prefix = path[:end]
            if key and prefix in self.key_marks:
                return self.key_marks[prefix]
            if prefix in self.value_marks:
                return self.value_marks[prefix]
        return (1, 1)

    def problem_mark(self, path: DataPath) -> Mark:
        """Where to point at ``path``: the key of a mapping or list, a scalar's own value."""
        return self.mark_of(path, key=path in self.containers or path not in self.value_marks)


def _mark(node: Node) -> Mark:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def _scalar(node: ScalarNode) -> tuple[Any, str | None]:
    """Return the Python value of a scalar and an error message if it has none."""
    tag, text = node.tag, node.value
    if tag == "tag:yaml.org,2002:null":
        return None, None
    if tag == "tag:yaml.org,2002:bool":
        return text.lower() == "true", None
    if tag == "tag:yaml.org,2002:int":
        return _int(text)
    if tag == "tag:yaml.org,2002:float":
        return _float(text), None
    if tag in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"):
        return text, None
    return text, f"unsupported YAML tag {tag!r}"


def _int(text: str) -> tuple[Any, str | None]:
    digits = text.replace("_", "")
    try:
        try:
            return int(digits, 0), None
        except ValueError:
            return int(digits, 10), None
    except ValueError:
        return text, f"{text[:40]!r} is not a usable integer"


def _float(text: str) -> float:
    lowered = text.lower().replace("_", "")
    if lowered.endswith(".inf"):
        return -math.inf if lowered.startswith("-") else math.inf
    if lowered.endswith(".nan"):
        return math.nan
    try:
        return float(lowered)
    except ValueError:
        return math.nan


class _Builder:
    def __init__(self, source: YamlSource) -> None:
        self.source = source
        self.count = 0

    def build(self, node: Node, path: DataPath, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooLarge(f"document expands to more than {MAX_NODES} nodes", _mark(node))
        if depth > MAX_DEPTH:
            raise _TooLarge(f"document nests deeper than {MAX_DEPTH} levels", _mark(node))
        self.source.value_marks.setdefault(path, _mark(node))
        if isinstance(node, MappingNode | SequenceNode):
            self.source.containers.add(path)
        if isinstance(node, MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        value, error = _scalar(node)  # type: ignore[arg-type]
        if error is not None:
            self.source.errors.append((_mark(node), path, error))
        return value

    def _mapping(self, node: MappingNode, path: DataPath, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.source.errors.append((_mark(key_node), path, "a key must be a plain name"))
                continue
            key = str(key_node.value)
            child = (*path, key)
            if key in result:
                first = self.source.key_marks[child][0]
                message = f"duplicate key {key!r} (first given on line {first})"
                self.source.errors.append((_mark(key_node), child, message))
                continue
            self.source.key_marks[child] = _mark(key_node)
            result[key] = self.build(value_node, child, depth + 1)
        return result


def _decode(raw: bytes | str, source: YamlSource) -> str | None:
    if isinstance(raw, str):
        return raw
    body = raw.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark is not part of line 1
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        source.errors.append((_byte_mark(body, exc.start), (), "the file is not valid UTF-8 text"))
        return None


def _byte_mark(body: bytes, at: int) -> tuple[int, int]:
    """(line, column) of byte ``at``, the column counted in characters as an editor does."""
    start = body.rfind(b"\n", 0, at) + 1
    column = len(body[start:at].decode("utf-8", "replace")) + 1
    return body.count(b"\n", 0, at) + 1, column


def _text_mark(text: str, at: int) -> tuple[int, int]:
    """(line, column) of character ``at`` of ``text``."""
    return text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1


def read_yaml(raw: bytes | str) -> YamlSource:
    """Parse one YAML document into a ``YamlSource``; problems go to ``source.errors``."""
    source = YamlSource()
    if len(raw) > MAX_BYTES:
        source.errors.append(((1, 1), (), f"the file is larger than {MAX_BYTES} bytes"))
        return source
    text = _decode(raw, source)
    if text is None:
        return source
    try:
        node = YAML(typ="safe", pure=True).compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        source.errors.append((where, (), f"YAML syntax: {message or 'invalid document'}"))
        return source
    except RecursionError:
        source.errors.append(((1, 1), (), f"document nests deeper than {MAX_DEPTH} levels"))
        return source
    except ReaderError as exc:  # a character YAML does not allow (NUL, other controls)
        where = _text_mark(text, min(max(int(exc.position), 0), len(text)))
        code = (
            exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        )
        message = f"the character U+{code:04X} is not allowed in a YAML file (remove it)"
        source.errors.append((where, (), message[:300]))
        return source
    except Exception as exc:  # any reader failure is a problem, never a crash
        source.errors.append(((1, 1), (), f"YAML could not be read: {exc}"[:300]))
        return source
    if node is not None:
        try:
            source.data = _Builder(source).build(node, (), 0)
        except _TooLarge as exc:
            source.data = None
            source.errors.append((exc.mark, (), str(exc)))
    return source

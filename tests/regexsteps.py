"""Count the work of a regular expression, to show it stays linear (by counting, not timing).

CPython's ``re`` engine is a backtracking matcher with no step counter. This module compiles
the same parsed pattern (``re._parser``) to a small backtracking VM (Russ Cox's "regular
expression matching: the virtual machine approach", backtracking variant) and counts the
instructions it executes. It tries every start position and backtracks without memo, as
``re`` does, but with none of ``re``'s prefix shortcuts: its count is an upper bound of the
order of ``re``'s work. ``tests/test_regex_linear.py`` checks that it finds the same matches
as ``re`` (hypothesis), and that it reports the known quadratic patterns as quadratic.

Supported: literals, classes (ranges, categories, negation), ``.``, greedy, lazy and
possessive repeats, groups, alternation, anchors and ``\\b``, lookahead, fixed-width
lookbehind, atomic groups, the IGNORECASE / MULTILINE / DOTALL flags. Anything else raises.
"""

from __future__ import annotations

import re
import re._constants as C  # type: ignore[import-not-found]
import re._parser as P  # type: ignore[import-not-found]
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Predicate = Callable[[str], bool]

_CATEGORIES: dict[object, Predicate] = {
    C.CATEGORY_DIGIT: str.isdecimal,
    C.CATEGORY_NOT_DIGIT: lambda c: not c.isdecimal(),
    C.CATEGORY_SPACE: str.isspace,
    C.CATEGORY_NOT_SPACE: lambda c: not c.isspace(),
    C.CATEGORY_WORD: lambda c: c.isalnum() or c == "_",
    C.CATEGORY_NOT_WORD: lambda c: not (c.isalnum() or c == "_"),
}


def _word(c: str) -> bool:
    return c.isalnum() or c == "_"


@dataclass
class Program:
    code: list[tuple[Any, ...]] = field(default_factory=list)

    def emit(self, *instruction: object) -> int:
        self.code.append(instruction)
        return len(self.code) - 1


def _variants(c: str, ignorecase: bool) -> set[str]:
    return {c, c.lower(), c.upper()} if ignorecase else {c}


def _literal(code: int, ignorecase: bool, *, negate: bool = False) -> Predicate:
    wanted = chr(code)
    return lambda c: (wanted in _variants(c, ignorecase)) != negate


def _range(lo: int, hi: int, ignorecase: bool) -> Predicate:
    return lambda c: any(lo <= ord(v) <= hi for v in _variants(c, ignorecase))


def _class(items: list[Any], ignorecase: bool) -> Predicate:
    negate = bool(items) and items[0][0] is C.NEGATE
    tests: list[Predicate] = []
    for op, av in items[1:] if negate else items:
        if op is C.LITERAL:
            tests.append(_literal(av, ignorecase))
        elif op is C.RANGE:
            tests.append(_range(av[0], av[1], ignorecase))
        elif op is C.CATEGORY:
            tests.append(_CATEGORIES[av])
        else:
            raise NotImplementedError(op)

    def member(c: str) -> bool:
        return any(t(c) for t in tests) != negate

    return member


class _Compiler:
    def __init__(self, flags: int) -> None:
        self.flags = flags

    def program(self, nodes: list[Any]) -> Program:
        prog = Program()
        self.seq(prog, nodes, self.flags)
        prog.emit("match")
        return prog

    def seq(self, prog: Program, nodes: list[Any], flags: int) -> None:
        for op, av in nodes:
            self.node(prog, op, av, flags)

    def node(self, prog: Program, op: Any, av: Any, flags: int) -> None:
        ignorecase = bool(flags & re.IGNORECASE)
        if op is C.LITERAL:
            prog.emit("char", _literal(av, ignorecase))
        elif op is C.NOT_LITERAL:
            prog.emit("char", _literal(av, ignorecase, negate=True))
        elif op is C.IN:
            prog.emit("char", _class(av, ignorecase))
        elif op is C.ANY:
            prog.emit("char", (lambda c: True) if flags & re.DOTALL else (lambda c: c != "\n"))
        elif op is C.SUBPATTERN:
            _group, add, remove, nodes = av
            self.seq(prog, nodes, (flags | add) & ~remove)
        elif op is C.BRANCH:
            self.branch(prog, av[1], flags)
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
            self.repeat(prog, av, flags, lazy=op is C.MIN_REPEAT)
        elif op is C.POSSESSIVE_REPEAT:
            prog.emit("atomic", self._sub([(C.MAX_REPEAT, av)], flags))
        elif op is C.ATOMIC_GROUP:
            prog.emit("atomic", self._sub(av, flags))
        elif op in (C.ASSERT, C.ASSERT_NOT):
            direction, nodes = av
            width = P.SubPattern(P.State(), nodes).getwidth()
            if direction < 0 and width[0] != width[1]:
                raise NotImplementedError("variable-width lookbehind")
            prog.emit("look", self._sub(nodes, flags), direction > 0, op is C.ASSERT_NOT, width[0])
        elif op is C.AT:
            prog.emit("at", av, bool(flags & re.MULTILINE))
        else:
            raise NotImplementedError(op)

    def _sub(self, nodes: list[Any], flags: int) -> Program:
        return _Compiler(flags).program(nodes)

    def branch(self, prog: Program, alternatives: list[Any], flags: int) -> None:
        jumps = []
        for alternative in alternatives[:-1]:
            split = prog.emit("split", None, None)
            start = len(prog.code)
            self.seq(prog, alternative, flags)
            jumps.append(prog.emit("jmp", None))
            prog.code[split] = ("split", start, len(prog.code))
        self.seq(prog, alternatives[-1], flags)
        for jump in jumps:
            prog.code[jump] = ("jmp", len(prog.code))

    def repeat(self, prog: Program, av: tuple[Any, ...], flags: int, *, lazy: bool) -> None:
        low, high, nodes = av
        if P.SubPattern(P.State(), nodes).getwidth()[0] == 0:
            raise NotImplementedError("a repeat whose body can match the empty string")
        for _ in range(low):
            self.seq(prog, nodes, flags)
        if high == C.MAXREPEAT:
            loop = prog.emit("split", None, None)
            self.seq(prog, nodes, flags)
            prog.emit("jmp", loop)
            after = len(prog.code)
            body = loop + 1
            prog.code[loop] = ("split", after, body) if lazy else ("split", body, after)
            return
        splits = []
        for _ in range(high - low):
            splits.append(prog.emit("split", None, None))
            self.seq(prog, nodes, flags)
        after = len(prog.code)
        for split in splits:
            body = split + 1
            prog.code[split] = ("split", after, body) if lazy else ("split", body, after)


def _at(code: object, multiline: bool, text: str, pos: int) -> bool:
    end = len(text)
    if code is C.AT_BEGINNING:
        return pos == 0 or (multiline and text[pos - 1] == "\n")
    if code is C.AT_BEGINNING_STRING:
        return pos == 0
    if code is C.AT_END:
        if multiline:
            return pos == end or text[pos] == "\n"
        return pos == end or (pos == end - 1 and text[pos] == "\n")
    if code is C.AT_END_STRING:
        return pos == end
    before = pos > 0 and _word(text[pos - 1])
    after = pos < end and _word(text[pos])
    if code is C.AT_BOUNDARY:
        return before != after
    if code is C.AT_NON_BOUNDARY:
        return before == after
    raise NotImplementedError(code)


class Counter:
    """Runs programs over one text and counts every instruction executed."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.steps = 0

    def run(self, prog: Program, start: int) -> int | None:
        """The end of the first match at ``start`` in priority order (as ``re``), or None."""
        text, code = self.text, prog.code
        stack = [(0, start)]
        while stack:
            pc, pos = stack.pop()
            while True:
                self.steps += 1
                op = code[pc]
                kind = op[0]
                if kind == "char":
                    if pos < len(text) and op[1](text[pos]):
                        pc, pos = pc + 1, pos + 1
                        continue
                    break
                if kind == "split":
                    stack.append((op[2], pos))
                    pc = op[1]
                elif kind == "jmp":
                    pc = op[1]
                elif kind == "match":
                    return pos
                elif kind == "at":
                    if not _at(op[1], op[2], text, pos):
                        break
                    pc += 1
                elif kind == "look":
                    if not self._look(op, pos):
                        break
                    pc += 1
                elif kind == "atomic":
                    end = self.run(op[1], pos)
                    if end is None:
                        break
                    pc, pos = pc + 1, end
                else:
                    raise AssertionError(kind)
        return None

    def _look(self, op: tuple[Any, ...], pos: int) -> bool:
        _, sub, ahead, negate, width = op
        if ahead:
            found = self.run(sub, pos) is not None
        else:
            found = pos - width >= 0 and self.run(sub, pos - width) == pos
        return bool(found != negate)


def compile_counted(pattern: re.Pattern[str]) -> Program:
    return _Compiler(pattern.flags).program(list(P.parse(pattern.pattern, pattern.flags)))


def finditer_spans(pattern: re.Pattern[str], text: str) -> tuple[list[tuple[int, int]], int]:
    """What ``pattern.finditer(text)`` finds, and the steps it took to find it."""
    prog = compile_counted(pattern)
    counter = Counter(text)
    spans = []
    pos = 0
    while pos <= len(text):
        end = counter.run(prog, pos)
        if end is None:
            pos += 1
            continue
        spans.append((pos, end))
        pos = end if end > pos else pos + 1
    return spans, counter.steps


def match_end(pattern: re.Pattern[str], text: str, *, full: bool = False) -> tuple[int | None, int]:
    """The end of ``pattern.match(text)`` (``fullmatch`` with ``full``), and the steps."""
    nodes = list(P.parse(pattern.pattern, pattern.flags))
    if full:
        nodes.append((C.AT, C.AT_END_STRING))
    prog = _Compiler(pattern.flags).program(nodes)
    counter = Counter(text)
    return counter.run(prog, 0), counter.steps

"""The generated privacy statement as a small document tree, and its HTML and Markdown forms.

A :class:`Statement` is plain frozen data: sections of paragraphs, bullet lists and tables
whose text is a sequence of strings and :class:`Link` pieces. The tree holds no markup,
so every writer escapes every piece of text it prints: ``to_html`` with ``html.escape``
(no inline style or script, so a strict CSP holds) and ``to_markdown`` with backslashes.
Blocks carry the clause ids they state, so a test or a trace can find the sentence that
keeps a promise, and the *features* they claim (``changes.notify.email``, ``collection.signup``):
a sentence that says the software does something names it, and ``keepfaith trace --strict``
fails when a claimed feature has no enforcing code or no test.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Link:
    """A link inside text. ``external`` marks a link that leaves the covered sites."""

    text: str
    href: str
    external: bool = False


Inline = str | Link
Rich = tuple[Inline, ...]


def plain(rich: Rich) -> str:
    """The text of ``rich`` without markup (links give their text)."""
    return "".join(piece if isinstance(piece, str) else piece.text for piece in rich)


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of text and links."""

    content: Rich
    clauses: tuple[str, ...] = ()
    features: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The paragraph as plain text."""
        return plain(self.content)


@dataclass(frozen=True)
class BulletList:
    """An unordered list; each item is text and links."""

    items: tuple[Rich, ...]
    clauses: tuple[str, ...] = ()
    features: tuple[str, ...] = ()

    @property
    def texts(self) -> tuple[str, ...]:
        """Each item as plain text."""
        return tuple(plain(item) for item in self.items)


@dataclass(frozen=True)
class Table:
    """A table with a header row; every row has one cell per header."""

    headers: tuple[str, ...]
    rows: tuple[tuple[Rich, ...], ...]
    clauses: tuple[str, ...] = ()
    features: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.headers):
                raise ValueError(f"a table row has {len(row)} cells for {len(self.headers)}")

    @property
    def texts(self) -> tuple[tuple[str, ...], ...]:
        """Each row as plain-text cells."""
        return tuple(tuple(plain(cell) for cell in row) for row in self.rows)


Block = Paragraph | BulletList | Table


@dataclass(frozen=True)
class Section:
    """A headed part of the statement; ``key`` is stable across languages (the anchor)."""

    key: str
    heading: str
    blocks: tuple[Block, ...]

    @property
    def clauses(self) -> frozenset[str]:
        """Every clause id a block of this section states."""
        return frozenset(clause for block in self.blocks for clause in block.clauses)

    @property
    def text(self) -> str:
        """All text of the section, one block per line (for search and tests)."""
        lines: list[str] = [self.heading]
        for block in self.blocks:
            if isinstance(block, Paragraph):
                lines.append(block.text)
            elif isinstance(block, BulletList):
                lines.extend(block.texts)
            else:
                lines.extend(" | ".join(row) for row in (block.headers, *block.texts))
        return "\n".join(lines)


@dataclass(frozen=True)
class Statement:
    """The privacy statement of one policy version in one language."""

    title: str
    lang: str
    version: str
    effective: str
    intro: str
    sections: tuple[Section, ...]

    def section(self, key: str) -> Section:
        """The section with this key; KeyError names the keys there are."""
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(f"no section {key!r}; sections: {', '.join(self.keys)}")

    @property
    def keys(self) -> tuple[str, ...]:
        """The section keys in order."""
        return tuple(section.key for section in self.sections)

    @property
    def clauses(self) -> frozenset[str]:
        """Every clause id the statement states."""
        return frozenset().union(*(section.clauses for section in self.sections))

    def features(self) -> list[tuple[str, str]]:
        """(section key, feature) for every feature a sentence of the statement claims."""
        return [
            (section.key, feature)
            for section in self.sections
            for block in section.blocks
            for feature in block.features
        ]


# --- HTML ---------------------------------------------------------------------------


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _html_inline(rich: Rich) -> str:
    out: list[str] = []
    for piece in rich:
        if isinstance(piece, str):
            out.append(_e(piece))
        elif piece.external:
            out.append(
                f'<a class="external" rel="noopener external" href="{_e(piece.href)}">'
                f"{_e(piece.text)}</a>"
            )
        else:
            out.append(f'<a href="{_e(piece.href)}">{_e(piece.text)}</a>')
    return "".join(out)


def _clause_attr(clauses: tuple[str, ...]) -> str:
    return f' data-clauses="{_e(" ".join(clauses))}"' if clauses else ""


def _html_block(block: Block) -> str:
    attr = _clause_attr(block.clauses)
    if isinstance(block, Paragraph):
        return f"<p{attr}>{_html_inline(block.content)}</p>"
    if isinstance(block, BulletList):
        items = "".join(f"<li>{_html_inline(item)}</li>" for item in block.items)
        return f"<ul{attr}>{items}</ul>"
    head = "".join(f'<th scope="col">{_e(cell)}</th>' for cell in block.headers)
    # each cell names its column, so a phone can show a row as a block of labelled lines
    labels = [f' data-label="{_e(cell)}"' for cell in block.headers]
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{labels[at] if at < len(labels) else ''}>{_html_inline(cell)}</td>"
            for at, cell in enumerate(row)
        )
        + "</tr>"
        for row in block.rows
    )
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def to_html(statement: Statement) -> str:
    """An HTML fragment of the statement: every text escaped, no style or script.

    Each section is a ``<section>`` whose ``<h2 id>`` is the section key, usable as an
    anchor; table headers are ``<th scope="col">``; links leaving the covered sites carry
    ``class="external"`` and ``rel="noopener external"``.
    """
    parts = [
        f'<article class="privacy-statement" lang="{_e(statement.lang)}">',
        f"<h1>{_e(statement.title)}</h1>",
        f'<p class="statement-version">{_e(statement.intro)}</p>',
    ]
    for section in statement.sections:
        parts.append(f'<section aria-labelledby="{_e(section.key)}">')
        parts.append(f'<h2 id="{_e(section.key)}">{_e(section.heading)}</h2>')
        parts.extend(_html_block(block) for block in section.blocks)
        parts.append("</section>")
    parts.append("</article>")
    return "\n".join(parts) + "\n"


# --- Markdown -----------------------------------------------------------------------

_WHITESPACE = re.compile(r"\s+")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#!])")
_MD_LINE_START = re.compile(r"^(\s*)([-+=]|\d+[.)])")


def md_escape(text: str) -> str:
    """``text`` with Markdown syntax escaped, on one line."""
    flat = _WHITESPACE.sub(" ", text)
    escaped = _MD_SPECIAL.sub(r"\\\1", flat)
    return _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)


def _md_url(href: str) -> str:
    return href.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("<", "%3C")


def _md_inline(rich: Rich) -> str:
    out: list[str] = []
    for piece in rich:
        if isinstance(piece, str):
            out.append(md_escape(piece))
        else:
            out.append(f"[{md_escape(piece.text)}]({_md_url(piece.href)})")
    text = "".join(out)
    return _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def _md_block(block: Block) -> str:
    if isinstance(block, Paragraph):
        return _md_inline(block.content)
    if isinstance(block, BulletList):
        return "\n".join(f"- {_md_inline(item)}" for item in block.items)
    head = "| " + " | ".join(md_escape(cell) for cell in block.headers) + " |"
    rule = "|" + "|".join("---" for _ in block.headers) + "|"
    rows = ["| " + " | ".join(_md_inline(cell) for cell in row) + " |" for row in block.rows]
    return "\n".join([head, rule, *rows])


def to_markdown(statement: Statement) -> str:
    """The statement as CommonMark: ``#`` title, ``##`` sections, lists and pipe tables."""
    parts = [f"# {md_escape(statement.title)}", md_escape(statement.intro)]
    for section in statement.sections:
        parts.append(f"## {md_escape(section.heading)}")
        parts.extend(_md_block(block) for block in section.blocks)
    return "\n\n".join(parts) + "\n"

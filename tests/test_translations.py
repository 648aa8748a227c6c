"""The site in English and Danish, kept so (SITE-5).

- Every template string is marked (``{% translate %}`` / ``{% blocktranslate %}``), except the
  e-mails that have a Danish twin in ``emails/da/``.
- Every msgid of a template or of Python code has a Danish translation somewhere in the union
  of the catalogs Django loads (each app keeps its own ``locale/da/LC_MESSAGES/django.po``,
  Django's own Danish included), asked through Django's translation machinery.
- The catalogs are clean: no empty or fuzzy ``msgstr``, ``msgfmt --check`` passes, and
  ``makemessages`` run again (``make messages-update``) changes nothing.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import polib
import pytest
from django.template import engines
from django.template.base import Node
from django.templatetags.i18n import BlockTranslateNode, TranslateNode
from django.utils import translation
from django.utils.translation import trans_real

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "keepfaith"

# Templates whose strings other helpers mark in parallel (the staff console, the support
# pages). The lead empties this list after merging their branches; a file listed here is
# still checked once it is marked, so nothing is lost by leaving it a little longer.
PENDING_TEMPLATES: set[str] = set()
# Python packages in the same position (their messages are staff-facing or not yet marked).
PENDING_PACKAGES: set[str] = set()

# Words that stay as they are in every language: names of programs, protocols and formats.
UNTRANSLATED_WORDS = {
    "keepfaith", "JSON", "json", "privacy", "nginx", "Apache", "httpd", "IIS", "Microsoft",
    "HSTS", "max", "age", "includeSubDomains", "preload", "CSV", "UTC", "SHA", "KF",
}  # fmt: skip
# Attributes people read (the rest hold values for the code).
READ_ATTRIBUTES = ("title", "alt", "aria-label", "placeholder")
MARKED = re.compile(
    r"{%\s*(blocktranslate|blocktrans)\b.*?{%\s*end\1\s*%}|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}"
    r"|{%\s*block\s+\w*class\s*%}.*?{%\s*endblock\s*%}",  # a block that holds CSS classes
    re.S,
)
TEMPLATE_CODE = re.compile(r"{%.*?%}|{{.*?}}|{#.*?#}", re.S)
INVISIBLE = re.compile(r"<(pre|code|script|style)\b.*?</\1>|<!--.*?-->", re.S | re.I)
ATTRIBUTE = re.compile(r"\b(" + "|".join(READ_ATTRIBUTES) + r')\s*=\s*"([^"]*)"', re.I)
TAG = re.compile(r"<[^>]*>", re.S)
WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019]+")
GETTEXT_NAMES = {
    "_": 0, "gettext": 0, "gettext_lazy": 0, "ngettext": 0, "ngettext_lazy": 0,
    "pgettext": 1, "pgettext_lazy": 1, "npgettext": 1, "npgettext_lazy": 1,
}  # fmt: skip


def _pending(path: Path) -> bool:
    relative = path.relative_to(PACKAGE)
    return any(relative.match(pattern) for pattern in PENDING_TEMPLATES)


def _templates() -> Iterator[Path]:
    for path in sorted(PACKAGE.glob("*/templates/**/*")):
        if path.is_file() and path.suffix in (".html", ".txt") and not _pending(path):
            yield path


def _has_danish_twin(path: Path) -> bool:
    """An e-mail written out in Danish in ``emails/da/`` (both the twin and the original)."""
    parts = path.parts
    if "emails" not in parts:
        return False
    if parts[-2] == "da":
        return True
    return (path.parent / "da" / path.name).exists()


def _nodes(source: str) -> list[Node]:
    template = engines["django"].from_string(source).template  # type: ignore[attr-defined]
    return list(template.nodelist.get_nodes_by_type(Node))


def _unmarked_words(source: str) -> list[str]:
    """The words of a template source outside translate tags, template code, code samples,
    comments and markup (attributes people read count as text)."""
    text = MARKED.sub(" ", source)
    text = TEMPLATE_CODE.sub(" ", text)
    visible = INVISIBLE.sub(" ", text)
    said = [value for _name, value in ATTRIBUTE.findall(visible)]
    words = WORD.findall(" ".join([TAG.sub(" ", visible), *said]))
    return [word for word in words if word not in UNTRANSLATED_WORDS]


def _translated(msgid: str, plural: str | None = None, context: str | None = None) -> bool:
    """Whether the Danish catalogs Django loads (all apps' and Django's own) translate it."""
    catalog = trans_real.translation("da")._catalog  # type: ignore[attr-defined]
    key = f"{context}\x04{msgid}" if context else msgid
    if plural is not None:
        return bool(catalog.get((key, 0))) and bool(catalog.get((key, 1)))
    return bool(catalog.get(key))


def _template_msgids(nodes: list[Node]) -> Iterator[tuple[str, str | None, str | None]]:
    for node in nodes:
        if isinstance(node, TranslateNode):
            literal = node.filter_expression.var.literal
            if isinstance(literal, str):
                context = node.message_context.var if node.message_context else None
                yield literal, None, str(context) if context else None
        elif isinstance(node, BlockTranslateNode):
            singular, _vars = node.render_token_list(node.singular)
            plural = node.render_token_list(node.plural)[0] if node.plural else None
            if node.trimmed:
                singular = translation.trim_whitespace(singular)
                plural = translation.trim_whitespace(plural) if plural else None
            context = node.message_context.var if node.message_context else None
            yield singular, plural, context


def _python_msgids() -> Iterator[tuple[Path, str, str | None, str | None]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if "migrations" in relative.parts or relative.parts[0] in PENDING_PACKAGES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name not in GETTEXT_NAMES:
                continue
            strings = [
                a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None
                for a in node.args
            ]
            at = GETTEXT_NAMES[name]
            msgid = strings[at] if len(strings) > at else None
            if msgid is None:
                continue
            context = strings[0] if at == 1 else None
            plural = strings[at + 1] if name.startswith("n") and len(strings) > at + 1 else None
            yield path, msgid, plural, context


@pytest.mark.clause("SITE-5")
def test_every_template_string_is_marked_for_translation():
    unmarked = {}
    checked = 0
    for path in _templates():
        if _has_danish_twin(path):
            continue
        checked += 1
        words = _unmarked_words(path.read_text(encoding="utf-8"))
        if words:
            unmarked[str(path.relative_to(ROOT))] = words
    assert checked > 50
    assert unmarked == {}


@pytest.mark.clause("SITE-5")
def test_every_danish_mail_has_its_english_original():
    twins = list(PACKAGE.glob("*/templates/emails/da/*"))
    assert len(twins) > 30
    for twin in twins:
        assert (twin.parent.parent / twin.name).exists(), twin


@pytest.mark.clause("SITE-5")
def test_every_msgid_has_a_danish_translation():
    missing = []
    count = 0
    for path in _templates():
        for msgid, plural, context in _template_msgids(_nodes(path.read_text(encoding="utf-8"))):
            count += 1
            if not _translated(msgid, plural, context):
                missing.append((str(path.relative_to(ROOT)), msgid))
    for path, msgid, plural, context in _python_msgids():
        count += 1
        if not _translated(msgid, plural, context):
            missing.append((str(path.relative_to(ROOT)), msgid))
    assert count > 500
    assert missing == []


def _catalogs() -> list[Path]:
    return sorted(PACKAGE.glob("*/locale/*/LC_MESSAGES/django.po"))


@pytest.mark.clause("SITE-5")
def test_catalogs_have_no_empty_or_fuzzy_translation():
    assert len(_catalogs()) >= 5
    for path in _catalogs():
        catalog = polib.pofile(str(path))
        assert [e.msgid for e in catalog.untranslated_entries()] == [], path
        assert [e.msgid for e in catalog.fuzzy_entries()] == [], path
        assert catalog.metadata["Plural-Forms"] == "nplurals=2; plural=(n != 1);", path


@pytest.mark.clause("SITE-5")
def test_catalogs_pass_msgfmt_check(tmp_path):
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "Debian's gettext is needed (make install installs it)"
    for path in _catalogs():
        done = subprocess.run(
            [msgfmt, "--check", "-o", str(tmp_path / "out.mo"), str(path)],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr


# The makemessages run of `make messages-update`, on a copy of each app.
MAKEMESSAGES = [
    "makemessages", "--locale", "da", "--no-location", "--no-obsolete",
    "--ignore", "migrations/*",
]  # fmt: skip


@pytest.mark.clause("SITE-5")
def test_makemessages_leaves_the_catalogs_unchanged(tmp_path):
    for path in _catalogs():
        app = path.parents[3]
        copy = tmp_path / app.name
        shutil.copytree(app, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        done = subprocess.run(
            [str(Path(sys.executable).parent / "django-admin"), *MAKEMESSAGES],
            cwd=copy,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "keepfaith.settings"},
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        fresh = (copy / path.relative_to(app)).read_text(encoding="utf-8")
        assert fresh == path.read_text(encoding="utf-8"), f"run make messages-update: {path}"

"""The clause catalogue: every promise id a policy file may name, with a one-line title.

The catalogue lives in ``clauses.yaml`` next to this module (data, not code), so adding a
clause is a one-line change. An id that is not in the catalogue is an error wherever a
policy names it.
"""

from __future__ import annotations

import functools
from importlib import resources
from types import MappingProxyType
from typing import cast

from ruamel.yaml import YAML


@functools.cache
def clause_catalogue() -> MappingProxyType[str, str]:
    """Return the read-only mapping clause id -> one-line title, in catalogue order."""
    text = resources.files("keepfaith.policy").joinpath("clauses.yaml").read_text("utf-8")
    data = cast(dict[str, str], YAML(typ="safe").load(text))
    return MappingProxyType({str(key): str(title) for key, title in data.items()})


def clause_title(clause_id: str) -> str | None:
    """Return the title of ``clause_id``, or None if the catalogue does not know it."""
    return clause_catalogue().get(clause_id)


def is_known_clause(clause_id: str) -> bool:
    """True when ``clause_id`` is in the catalogue."""
    return clause_id in clause_catalogue()

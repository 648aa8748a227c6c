"""Typed readers for settings from the environment.

Each reader fails loudly (``ImproperlyConfigured``) on a value it cannot parse, naming the
variable, so a typo in a deployment never turns into a silent default. A ``NAME_FILE``
variable, where given, is read instead of ``NAME`` (for secrets mounted as files).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import secrets
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from math import log2
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

# Every development secret starts with this, so production recognises one wherever it was
# copied from (a moved KEEPFAITH_VAR_DIR, another checkout, a pasted value).
DEV_SECRET_PREFIX = "kf-dev-"  # noqa: S105 - a marker, not a secret
# A secret must be at least this long and carry at least this many estimated bits.
SECRET_MIN_LENGTH = 50
SECRET_MIN_BITS = 128

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envstr(name: str, default: str) -> str:
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_name!r}: cannot read: {exc}") from exc
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r}: expected one of 1/0, true/false, yes/no, on/off")


def envint(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected a whole number") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value}: must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name}={value}: must be at most {maximum}")
    return value


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def envchoice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name, default).strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r}: expected one of {', '.join(choices)}")
    return value


def generated_secret(path: Path, *, nbytes: int = 50) -> str:
    """Return the secret stored at ``path``, creating it (mode 0600) on first use.

    Processes starting together (test workers, web workers) all get the same secret: it is
    written whole to a temporary file, then linked into place only if no other process got
    there first, so no one ever reads a file that is still empty.

    Only for development: each starts with ``DEV_SECRET_PREFIX``, and production mode refuses
    it (and any secret equal to a file under a ``var/`` it knows).
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(DEV_SECRET_PREFIX + secrets.token_urlsafe(nbytes))
            with contextlib.suppress(FileExistsError):  # another process was first: use its
                os.link(draft, path)
        finally:
            draft.unlink()
    return path.read_text(encoding="utf-8").strip()


def private_file(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 unless it exists (a SQLite database file: SQLite
    gives its -wal and -shm files the mode of the database file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return path


def _shannon_bits(symbols: Sequence[object]) -> float:
    """The empirical Shannon entropy of ``symbols``, in bits, over the whole sequence."""
    total = len(symbols)
    return -sum(n / total * log2(n / total) for n in Counter(symbols).values()) * total


def _deflated_size(text: str) -> int:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return len(packer.compress(text.encode("utf-8")) + packer.flush())


def secret_bits(value: str) -> float:
    """An estimate of a secret's entropy in bits.

    The smaller of the Shannon entropy of its characters and of the steps between neighbours
    (a run through the alphabet scores low however many distinct characters it has), scaled
    down by how much better it compresses than the same characters shuffled (a repeated
    block scores as one block). Random 50-character Django keys score at least about 220, 32
    random bytes in hex about 220; ``abcdefghij`` five times about 7. A phrase of words
    scores like random text: the estimate cannot know a dictionary.
    """
    if len(value) < 2:
        return 0.0
    steps = [ord(b) - ord(a) for a, b in itertools.pairwise(value)]
    spread = min(_shannon_bits(value), _shannon_bits(steps))
    shuffled = "".join(random.Random(0).sample(value, len(value)))
    return spread * min(1.0, _deflated_size(value) / _deflated_size(shuffled))


def secret_problem(name: str, value: str, *, dev_files: Iterable[Path] = ()) -> str | None:
    """Why ``value`` may not be the production secret ``name`` (None: it may)."""
    if not value:
        return f"{name} (or {name}_FILE) is required in production mode"
    if value.startswith(DEV_SECRET_PREFIX) or any(
        path.is_file() and path.read_text(encoding="utf-8").strip() == value for path in dev_files
    ):
        return f"{name} is a generated development secret; set your own"
    if value.startswith("django-insecure"):
        return f"{name} is Django's insecure example key; set your own"
    bits = secret_bits(value)
    if len(value) < SECRET_MIN_LENGTH or bits < SECRET_MIN_BITS:
        return (
            f"{name} is too weak ({len(value)} characters, about {bits:.0f} bits): use at least "
            f"{SECRET_MIN_LENGTH} random characters, e.g. python3 -c "
            "'import secrets; print(secrets.token_urlsafe(50))'"
        )
    return None

"""A checked policy is kept on disk, so a new process does not parse and check it again."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from keepfaith import inforce
from keepfaith.policy import PolicyError, load_policy_text

EXAMPLES = Path(settings.BASE_DIR) / "examples"


@pytest.fixture
def var_dir(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    return tmp_path


def _kept(var_dir: Path) -> list[Path]:
    return sorted((var_dir / "cache" / "policies").glob("*.json"))


@pytest.mark.parametrize("example", ["qualityssl", "qualispace"])
def test_a_kept_policy_reads_back_equal_to_a_checked_one(var_dir, example):
    raw = (EXAMPLES / example / "policy.yaml").read_bytes()
    first = inforce._checked(raw, file="policy.yaml")
    assert first == load_policy_text(raw)
    (kept,) = _kept(var_dir)
    assert kept.stat().st_mode & 0o777 == 0o600
    again = inforce._checked(raw, file="policy.yaml")
    assert again == first and again is not first
    assert _kept(var_dir) == [kept]


def test_the_kept_file_is_what_is_read(var_dir, monkeypatch):
    """Proof that the second read comes from disk: the checker is not called again."""
    raw = (EXAMPLES / "qualityssl" / "policy.yaml").read_bytes()
    inforce._checked(raw, file="policy.yaml")
    calls = []

    def counting(*args, **kwargs):
        calls.append(args)
        return load_policy_text(*args, **kwargs)

    monkeypatch.setattr(inforce, "load_policy_text", counting)
    inforce._checked(raw, file="policy.yaml")
    assert calls == []
    # a damaged kept file is never trusted: the text is checked afresh and kept again
    (kept,) = _kept(var_dir)
    kept.write_text('{"controller": 1}')
    assert inforce._checked(raw, file="policy.yaml") == load_policy_text(raw)
    assert len(calls) == 1
    assert _kept(var_dir) == [kept] and kept.stat().st_size > 1000


def test_another_text_or_checker_is_another_file(var_dir, monkeypatch):
    raw = (EXAMPLES / "qualityssl" / "policy.yaml").read_bytes()
    inforce._checked(raw, file="policy.yaml")
    inforce._checked(raw + b"\n# a comment\n", file="policy.yaml")
    assert len(_kept(var_dir)) == 2
    monkeypatch.setattr(inforce, "_checker_fingerprint", lambda: b"another checker")
    inforce._checked(raw, file="policy.yaml")
    assert len(_kept(var_dir)) == 3


def test_a_policy_with_errors_is_refused_and_never_kept(var_dir):
    raw = (EXAMPLES / "qualityssl" / "policy.yaml").read_bytes()
    broken = raw.replace(b"controller:", b"controler:", 1)
    with pytest.raises(PolicyError):
        inforce._checked(broken, file="policy.yaml")
    assert _kept(var_dir) == []


def test_a_var_dir_that_cannot_be_written_only_costs_the_check(tmp_path, settings):
    settings.VAR_DIR = tmp_path / "a-file"  # (root may write anywhere; nobody writes into a file)
    settings.VAR_DIR.write_text("not a folder")
    raw = (EXAMPLES / "qualispace" / "policy.yaml").read_bytes()
    assert inforce._checked(raw, file="policy.yaml") == load_policy_text(raw)
    assert inforce._checked(raw, file="policy.yaml") == load_policy_text(raw)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_at_most_a_few_are_kept(var_dir, monkeypatch):
    monkeypatch.setattr(inforce, "_CHECKED_ON_DISK", 3)
    raw = (EXAMPLES / "qualispace" / "policy.yaml").read_bytes()
    for n in range(5):
        inforce._checked(raw + f"\n# {n}\n".encode(), file="policy.yaml")
    assert len(_kept(var_dir)) == 3

"""What the database benchmarks share: a child process per engine, and a temporary
PostgreSQL database on 127.0.0.1:5432 (skipped, with a line saying so, when none answers)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def run_child(script: str, arguments: list[str], *, database_url: str, var_dir: str,
              **environ: str) -> None:  # fmt: skip
    """Run ``script`` with ``arguments`` against ``database_url``, keepfaith's settings and
    warnings-only logs (plus ``environ``), from the checkout's root."""
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        KEEPFAITH_VAR_DIR=var_dir,
        DJANGO_SETTINGS_MODULE="keepfaith.settings",
        KEEPFAITH_LOG_LEVEL="WARNING",
        **environ,
    )
    subprocess.run([sys.executable, script, *arguments], env=env, cwd=ROOT, check=True)


@contextmanager
def temporary_postgres(name: str) -> Iterator[str | None]:
    """The URL of a new database ``name``, dropped afterwards; None when no server answers."""
    try:
        import psycopg

        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except Exception as error:
        print(f"# postgresql: skipped, no server at 127.0.0.1:5432 ({type(error).__name__})")
        yield None
        return
    with admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
        try:
            yield f"postgres://postgres@127.0.0.1:5432/{name}"
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

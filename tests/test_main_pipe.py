"""The command line when its reader goes away early (``keepfaith … | head``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "qualityssl" / "policy.yaml"


def test_a_closed_pipe_ends_quietly_as_a_shell_expects(tmp_path):
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line is written
    try:
        done = subprocess.run(
            [sys.executable, "-m", "keepfaith", "policy", "check", str(EXAMPLE)],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env={**os.environ, "KEEPFAITH_VAR_DIR": str(tmp_path)},
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 141
    assert b"Traceback" not in done.stderr and b"BrokenPipeError" not in done.stderr

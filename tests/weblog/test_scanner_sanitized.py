"""The compiled scanner reads untrusted bytes: its fuzz tests also run under ASan and UBSan.

The test builds ``_linescan.c`` with AddressSanitizer and UndefinedBehaviorSanitizer into a
temporary folder and runs the scanner's hypothesis tests in a child Python that loads that
build in place of the installed one. Any out-of-bounds read or write, use after free or
undefined behaviour aborts the child with the sanitizer's report.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "keepfaith" / "weblog" / "_linescan.c"
PRELOAD = """
import importlib.util, os, sys
spec = importlib.util.spec_from_file_location(
    "keepfaith.weblog._linescan", os.environ["SANITIZED_SCANNER"])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
sys.modules["keepfaith.weblog._linescan"] = module


def pytest_sessionfinish(session, exitstatus):
    from keepfaith.weblog import fastparse  # the module the tests used

    with open(os.environ["SANITIZED_MARKER"], "w") as marker:
        marker.write(fastparse._linescan.__file__)
"""


def _runtime(compiler: str, name: str) -> str | None:
    found = subprocess.run(
        [compiler, f"-print-file-name={name}"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return found if os.path.isabs(found) else None


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="no database: the SQLite run covers it",
)
def test_the_scanner_fuzz_tests_pass_under_asan_and_ubsan(tmp_path):
    compiler = shutil.which("gcc") or shutil.which("cc")
    assert compiler, "a C compiler builds the scanner; it should be here"
    libraries = [_runtime(compiler, "libasan.so"), _runtime(compiler, "libubsan.so")]
    if not all(libraries):
        pytest.skip("the compiler has no sanitizer runtimes")
    built = tmp_path / f"_linescan{sysconfig.get_config_var('EXT_SUFFIX')}"
    subprocess.run(
        [
            compiler,
            "-shared",
            "-fPIC",
            "-O1",
            "-g",
            "-fsanitize=address,undefined",
            "-fno-sanitize-recover=undefined",
            "-fno-omit-frame-pointer",
            f"-I{sysconfig.get_paths()['include']}",
            str(SOURCE),
            "-o",
            str(built),
        ],
        check=True,
    )
    (tmp_path / "sanitized_scanner.py").write_text(PRELOAD)
    env = {
        **os.environ,
        "SANITIZED_SCANNER": str(built),
        "SANITIZED_MARKER": str(tmp_path / "used"),
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}",
        "LD_PRELOAD": " ".join(str(lib) for lib in libraries),
        "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1",
        "PYTHONMALLOC": "malloc",  # every buffer from malloc, so ASan sees its bounds
        "UBSAN_OPTIONS": "print_stacktrace=1",
    }
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-s",  # a sanitizer report goes to stderr, not into pytest's capture
            "-p",
            "sanitized_scanner",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            "-n",
            "0",
            "-k",
            "scanner or compiled",
            str(ROOT / "tests" / "weblog" / "test_parse_fuzz.py"),
            str(ROOT / "tests" / "weblog" / "test_privacy.py"),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert run.returncode == 0, run.stderr[:4000] + run.stdout[-2000:]  # the report leads
    assert " passed" in run.stdout
    assert (tmp_path / "used").read_text() == str(built)  # the sanitized build ran

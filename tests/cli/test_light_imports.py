"""Heavy libraries stay inside the commands that need them: `--help` and `check` never import
Textual (the TUI) and `--help` does not load DuckDB."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import FIXTURES, ROOT

PROBE = """
import sys
from analyzer.cli.app import main
sys.argv = ["seamscan", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
sys.stderr.write("\\nIMPORTED " + " ".join(sorted({m.split(".")[0] for m in sys.modules})) + "\\n")
"""


def imported(*args: str) -> set[str]:
    result = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=ROOT,
                            timeout=120)
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("IMPORTED ")]
    assert lines, result.stderr[-2000:]
    return set(lines[-1].split()[1:])


@pytest.mark.parametrize("args", [["--help"], ["check", "--help"], ["check", str(FIXTURES / "demo"), "-q", "--exit-zero"]])
def test_no_textual(args):
    modules = imported(*args)
    assert "analyzer" in modules and "textual" not in modules


def test_help_does_not_load_duckdb():
    assert "duckdb" not in imported("--help")

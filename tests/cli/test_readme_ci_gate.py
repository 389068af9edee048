"""The README's CI gate runs as written: its seamscan commands, on a copy of the demo as the
exported traces, accept the baseline they wrote and produce a valid SARIF file."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys

import jsonschema

from tests.conftest import FIXTURES, ROOT

SCHEMA = ROOT / "tests" / "report" / "sarif" / "sarif-schema-2.1.0.json"


def ci_commands() -> list[list[str]]:
    """Every `seamscan ...` command of the README's CI gate section, in order."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## CI gate", 1)[1].split("\n## ", 1)[0]
    lines = [m.group(1) for m in re.finditer(r"^\s*(?:- )?(?:run: )?(seamscan [^#\n]+)", section, re.MULTILINE)]
    return [shlex.split(line) for line in lines]


def test_the_ci_gate_commands_run_as_written(tmp_path):
    commands = ci_commands()
    assert [c[1] for c in commands] == ["check", "ingest", "check", "check"]
    shutil.copytree(FIXTURES / "demo", tmp_path / "traces")
    (tmp_path / ".seamscan").mkdir()
    for command in commands:
        result = subprocess.run([sys.executable, "-m", "analyzer", *command[1:]], cwd=tmp_path,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, (command, result.stderr[-2000:])
    log = json.loads((tmp_path / "seamscan.sarif").read_text())
    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text())).validate(log)
    results = log["runs"][0]["results"]
    assert results and {r["baselineState"] for r in results} == {"unchanged"}
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("traces/")
               for r in results)

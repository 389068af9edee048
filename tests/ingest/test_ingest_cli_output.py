"""`seamscan ingest` on stderr: --quiet leaves only errors, -v adds one line per file."""

from __future__ import annotations

from tests.conftest import FIXTURES, run_cli

SAMPLE = FIXTURES / "otlp-encodings"


def test_quiet_prints_nothing_when_all_is_well(tmp_path):
    result = run_cli("ingest", str(SAMPLE), "--db", str(tmp_path / "s.db"), "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stderr == "" and result.stdout == ""


def test_quiet_still_prints_errors_but_not_the_summary(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "broken.json").write_text('{"resourceSpans": [')
    (tmp_path / "in" / "notes.txt").write_text("not a trace")
    result = run_cli("ingest", str(tmp_path / "in"), "--db", str(tmp_path / "s.db"), "-q")
    assert result.returncode == 3
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "broken.json" in lines[0]


def test_verbose_lists_each_file_with_its_format_and_records(tmp_path):
    quiet = run_cli("ingest", str(SAMPLE), "--db", str(tmp_path / "a.db"))
    verbose = run_cli("ingest", str(SAMPLE), "--db", str(tmp_path / "b.db"), "-v")
    assert verbose.returncode == 0, verbose.stderr
    file_lines = [line for line in verbose.stderr.splitlines() if line.startswith("  ")]
    ingested = [p for p in SAMPLE.rglob("*") if p.is_file()]
    assert file_lines and len(file_lines) <= len(ingested)
    assert all(" records read" in line and "otlp/" in line for line in file_lines)
    assert verbose.stderr.splitlines()[-1] == quiet.stderr.splitlines()[-1].replace("a.db", "b.db")

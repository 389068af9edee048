"""End-to-end tests of the CLI as a real process."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import FIXTURES, ROOT, run_cli

COMMANDS = ["check", "ingest", "trace", "clock", "rules", "explain", "tui"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_is_in_the_readme(command):
    result = run_cli(command, "--help")
    assert result.returncode == 0 and "Usage" in result.stdout
    assert f"seamscan {command}" in (ROOT / "README.md").read_text()


def test_check_json_report_skeleton():
    result = run_cli("check", str(FIXTURES / "demo"), "--format", "json")
    report = json.loads(result.stdout)
    failing = [f for f in report["findings"] if f["severity"] in ("error", "warning")]
    assert result.returncode == (1 if failing else 0), result.stderr
    assert report["version"] == 1
    assert report["tool"]["name"] == "seamscan" and re.match(r"\d+\.\d+", report["tool"]["version"])
    assert report["inputs"]["files"] == 4 and report["inputs"]["records"] == 42
    assert report["inputs"]["skipped"] == [] and report["inputs"]["errors"] == []
    assert report["summary"] == {level: sum(f["severity"] == level for f in report["findings"])
                                 for level in ("error", "warning", "info")}
    assert {c["domain"] for c in report["clocks"]} >= {"support-agent@agent-host-1", "order-tools@tools-host-1"}
    assert set(report) == {"version", "tool", "inputs", "clocks", "findings", "summary"}
    for clock in report["clocks"]:
        assert set(clock) == {"domain", "reference", "offset_ms", "lower_ms", "upper_ms", "constraints",
                              "consistent", "set_aside"}
        assert isinstance(clock["offset_ms"], float) and isinstance(clock["set_aside"], int)
    for finding in report["findings"]:
        assert set(finding) == {"code", "name", "severity", "session", "trace_id", "step", "subject", "ts",
                                "message", "evidence", "fingerprint"}
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", finding["ts"])
        for evidence in finding["evidence"]:
            assert set(evidence) == {"layer", "source", "record_id", "ts", "what"}


def test_check_text_report_goes_to_stdout_and_progress_not_to_a_pipe():
    result = run_cli("check", str(FIXTURES / "demo"), "--exit-zero")
    assert result.returncode == 0
    assert "4 files, 42 records" in result.stdout
    assert result.stderr == ""


def test_missing_path_is_a_usage_error():
    result = run_cli("check", "does/not/exist")
    assert result.returncode == 2
    assert "does/not/exist" in result.stderr and "does not exist" in result.stderr


def test_unknown_option_is_a_usage_error():
    assert run_cli("check", "--no-such-flag", str(FIXTURES / "demo")).returncode == 2


def test_ingest_then_check_from_the_store(tmp_path):
    db = tmp_path / "demo.duckdb"
    first = run_cli("ingest", str(FIXTURES / "demo"), "--db", str(db))
    assert first.returncode == 0, first.stderr
    assert "42 new records" in first.stderr
    again = run_cli("ingest", str(FIXTURES / "demo"), "--db", str(db))
    assert "0 new records; 42 records" in again.stderr
    result = run_cli("check", "--db", str(db), "--format", "json", "--exit-zero")
    assert result.returncode == 0
    assert json.loads(result.stdout)["inputs"]["records"] == 42


def test_untrusted_content_is_shown_literally(tmp_path):
    hostile = "\x1b[31mevil[bold]x[blink].txt"
    (tmp_path / hostile).write_text("plain text, not a trace\n")
    result = run_cli("check", str(tmp_path))
    assert result.returncode == 0
    assert "\x1b" not in result.stdout
    flat = result.stdout.replace("\n", "").replace("│", "").replace(" ", "")
    assert "\\x1b[31mevil[bold]x[blink].txt" in flat


def test_rules_lists_every_shipped_rule_and_explain_renders_each():
    from analyzer.engine.registry import load_rules

    shipped = load_rules()
    listing = run_cli("rules", "--format", "json")
    assert listing.returncode == 0
    assert [r["code"] for r in json.loads(listing.stdout)] == [r.code for r in shipped]
    for rule in shipped[:3]:
        result = run_cli("explain", rule.code)
        assert result.returncode == 0, result.stderr
        for title in ("What it does", "Why is this bad?", "Example", "How to fix"):
            assert title in result.stdout
        for option in rule.options:
            assert option in result.stdout

"""`seamscan check` as a CI gate, run in-process through the real entry point with a test-only
rule pack: exit codes, selection, configuration, baselines, formats and --output."""

from __future__ import annotations

import json
import shutil
import sys

import pytest

from analyzer.cli.app import main
from tests.conftest import FIXTURES, ROOT
from tests.report.conftest import TEST_RULES

DEMO = str(FIXTURES / "demo")


@pytest.fixture(autouse=True)
def test_rules(monkeypatch):
    """Every command sees the test rules (TEST001 error, TEST002 warning with option min_calls)."""
    from analyzer.engine import registry

    real = registry.load_rules
    monkeypatch.setattr(registry, "load_rules", lambda folder=None: real(folder or TEST_RULES))


@pytest.fixture
def seamscan(monkeypatch, capsys, tmp_path):
    """Run `seamscan ARGS` in a clean cwd; (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["seamscan", *args])
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        return code, out, " ".join(err.replace("│", " ").split())

    return run


def codes(stdout: str) -> list[str]:
    return [f["code"] for f in json.loads(stdout)["findings"]]


@pytest.mark.parametrize(("args", "expected"), [
    ([], 1),
    (["--exit-zero"], 0),
    (["--select", "TEST002"], 1),
    (["--select", "TEST002", "--fail-on", "error"], 0),
    (["--fail-on", "error"], 1),
    (["--ignore", "TEST"], 0),
    (["--select", "TEST0", "--ignore", "TEST001,TEST002"], 0),
])
def test_exit_codes(seamscan, args, expected):
    code, out, err = seamscan("check", DEMO, "-q", "-f", "json", *args)
    assert code == expected, err


def test_select_and_ignore_take_codes_and_prefixes(seamscan):
    assert set(codes(seamscan("check", DEMO, "-f", "json", "--select", "TEST")[1])) == {"TEST001", "TEST002"}
    assert set(codes(seamscan("check", DEMO, "-f", "json", "--select", "test002")[1])) == {"TEST002"}
    assert set(codes(seamscan("check", DEMO, "-f", "json", "--ignore", "TEST002")[1])) == {"TEST001"}


def test_an_unknown_selector_is_a_usage_error(seamscan):
    code, out, err = seamscan("check", DEMO, "--select", "SEAM999")
    assert code == 2 and "--select: 'SEAM999' matches no rule" in err and out == ""


@pytest.mark.parametrize("output_format", ["text", "json", "sarif", "junit", "github"])
def test_every_format_can_go_to_a_file(seamscan, tmp_path, output_format):
    target = tmp_path / "out" / "report"
    target.parent.mkdir()
    code, out, _ = seamscan("check", DEMO, "-f", output_format, "--output", str(target), "--exit-zero")
    assert code == 0 and out == ""
    assert "TEST001" in target.read_text(encoding="utf-8")


def test_configuration_in_the_cwd_and_the_command_line_winning(seamscan, tmp_path):
    (tmp_path / "seamscan.toml").write_text("select = ['TEST002']\nfail-on = 'error'\n")
    code, out, _ = seamscan("check", DEMO, "-f", "json")
    assert code == 0 and codes(out) == ["TEST002"]
    code, out, _ = seamscan("check", DEMO, "-f", "json", "--fail-on", "warning")
    assert code == 1
    code, out, _ = seamscan("check", DEMO, "-f", "json", "--select", "TEST001")
    assert code == 1 and set(codes(out)) == {"TEST001"}


def test_configuration_beside_the_input_and_per_rule_options(seamscan, tmp_path):
    traces = tmp_path / "traces"
    shutil.copytree(FIXTURES / "demo", traces)
    (tmp_path / "pyproject.toml").write_text("[tool.seamscan.rules.TEST002]\nmin_calls = 100\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code, out, _ = seamscan("check", str(traces), "-f", "json", "--config", str(tmp_path / "pyproject.toml"))
    assert "TEST002" not in codes(out)
    (traces / "seamscan.toml").write_text("[rules.TEST002]\nmin_calls = 9\n")
    (tmp_path / "pyproject.toml").unlink()
    code, out, _ = seamscan("check", str(traces), "-f", "json")
    assert "TEST002" in codes(out)


def test_a_bad_configuration_exits_2_naming_file_and_key(seamscan, tmp_path):
    (tmp_path / "seamscan.toml").write_text("[rules.TEST002]\nmin_calls = 'many'\n")
    code, out, err = seamscan("check", DEMO)
    assert code == 2 and out == ""
    assert "seamscan.toml" in err and "`rules.TEST002.min_calls` must be an integer" in err


def test_a_missing_config_file_is_a_usage_error(seamscan, tmp_path):
    code, _, err = seamscan("check", DEMO, "--config", str(tmp_path / "nope.toml"))
    assert code == 2 and "nope.toml" in err


def test_harness_mappings_from_configuration_are_relative_to_it(seamscan, tmp_path):
    (tmp_path / "maps").mkdir()
    shutil.copy(ROOT / "docs" / "examples" / "gateway-mapping.toml", tmp_path / "maps" / "gw.toml")
    log = str(ROOT / "docs" / "examples" / "acme-gateway.jsonl")
    _, before, _ = seamscan("check", log, "-f", "json")
    assert json.loads(before)["inputs"]["skipped"] and json.loads(before)["inputs"]["records"] == 0
    (tmp_path / "seamscan.toml").write_text("harness-mappings = ['maps/gw.toml']\n")
    _, after, _ = seamscan("check", log, "-f", "json")
    assert json.loads(after)["inputs"]["skipped"] == [] and json.loads(after)["inputs"]["records"] > 0


def test_a_baseline_fails_only_on_new_findings(seamscan, tmp_path):
    baseline = tmp_path / "seamscan-baseline.json"
    code, _, _ = seamscan("check", DEMO, "--select", "TEST002", "--write-baseline", str(baseline), "-q")
    assert code == 0 and baseline.exists()
    code, out, _ = seamscan("check", DEMO, "--select", "TEST002", "--baseline", str(baseline), "-f", "json")
    report = json.loads(out)
    assert code == 0 and [f["new"] for f in report["findings"]] == [False]
    assert report["baseline"] == {"path": str(baseline), "accepted": 1, "new": 0, "resolved": 0}
    code, out, _ = seamscan("check", DEMO, "--baseline", str(baseline), "-f", "json")
    report = json.loads(out)
    assert code == 1
    assert {(f["code"], f["new"]) for f in report["findings"]} == {("TEST001", True), ("TEST002", False)}
    code, out, _ = seamscan("check", DEMO, "--baseline", str(baseline))
    assert "new" in out and "accepted" in out and "2 new, 1 accepted, 0 no longer found" in out


def test_without_a_baseline_findings_have_exactly_the_contract_fields(seamscan):
    report = json.loads(seamscan("check", DEMO, "-f", "json")[1])
    assert set(report) == {"version", "tool", "inputs", "clocks", "findings", "summary"}
    for finding in report["findings"]:
        assert set(finding) == {"code", "name", "severity", "session", "trace_id", "step", "subject", "ts",
                                "message", "evidence", "fingerprint"}
        for evidence in finding["evidence"]:
            assert set(evidence) == {"layer", "source", "record_id", "ts", "what"}
    assert report["summary"] == {"error": 2, "warning": 1, "info": 0}


def test_fingerprints_do_not_depend_on_where_the_input_lies(seamscan, tmp_path):
    shutil.copytree(FIXTURES / "demo", tmp_path / "copy")
    here = json.loads(seamscan("check", DEMO, "-f", "json")[1])
    there = json.loads(seamscan("check", str(tmp_path / "copy"), "-f", "json")[1])
    assert [f["fingerprint"] for f in here["findings"]] == [f["fingerprint"] for f in there["findings"]]


def test_rules_lists_every_rule(seamscan):
    code, out, _ = seamscan("rules")
    assert code == 0
    for text in ("TEST001", "caller-error-tool-side", "error", "stable", "TEST002", "preview"):
        assert text in out
    rows = json.loads(seamscan("rules", "--format", "json")[1])
    assert [r["code"] for r in rows] == ["TEST001", "TEST002"] and rows[1]["options"] == {"min_calls": 3}


@pytest.mark.parametrize("name", ["TEST002", "test002", "busy-model"])
def test_explain_renders_the_documentation_and_options(seamscan, name):
    code, out, _ = seamscan("explain", name)
    assert code == 0
    for text in ("TEST002 busy-model", "What it does", "Why is this bad?", "Example", "How to fix",
                 "min_calls", "3", "How many calls make a model busy."):
        assert text in out


def test_explain_an_unknown_rule(seamscan):
    code, _, err = seamscan("explain", "SEAM999")
    assert code == 2 and "Rule 'SEAM999' does not exist" in err and "TEST001" in err

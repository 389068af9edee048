"""`seamscan tui`: ingests then opens the app with the configured rule run; the headless CLI
never imports Textual."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from textual.widgets import DataTable, Static

from analyzer.cli import tui
from analyzer.ingest.runner import IngestSummary, InputProblem
from analyzer.tui import data
from analyzer.tui.app import SeamscanApp
from tests.conftest import FIXTURES, ROOT, run_cli
from tests.tui.conftest import settle, shown, table_rows


def test_headless_cli_does_not_import_textual():
    probe = "import analyzer.cli.app, sys; assert 'textual' not in sys.modules, sorted(m for m in sys.modules if 'textual' in m)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr


def test_tui_needs_input_or_an_existing_store(tmp_path):
    assert run_cli("tui").returncode == 2
    missing = run_cli("tui", "--db", str(tmp_path / "missing.duckdb"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    help_text = run_cli("tui", "--help")
    assert help_text.returncode == 0 and "--db" in help_text.stdout


def test_tui_ingests_then_opens_with_the_selected_rules(monkeypatch):
    opened = {}
    real_rule_run = data.rule_run

    def fake_rule_run(rules, options):
        opened["rules"] = [rule.code for rule in rules]
        return real_rule_run(rules, options)

    def fake_run(app: SeamscanApp) -> None:
        opened["sessions"] = app.store.count("sessions")
        opened["files"] = app.inputs.files

    monkeypatch.setattr(data, "rule_run", fake_rule_run)
    monkeypatch.setattr(SeamscanApp, "run", fake_run)
    tui.tui_command(paths=[FIXTURES / "multisource"], select=["SEAM002"], quiet=True)
    files_in_folder = sum(1 for path in (FIXTURES / "multisource").iterdir() if path.is_file())
    assert opened == {"rules": ["SEAM002"], "sessions": 4, "files": files_in_folder}


def test_findings_view_lists_what_the_rule_run_returns(multisource_store):
    with data.cursor(multisource_store) as con:
        expected = data.rule_run()(con)
    app = SeamscanApp(multisource_store)
    asyncio.run(walk_findings(app, expected))


async def walk_findings(app: SeamscanApp, expected: list[dict]) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        rows = table_rows(app.screen.query_one("#findings", DataTable))
        assert [(r[0], r[2]) for r in rows] == [(f["code"], f["session"] or "—") for f in expected]


def test_input_problems_are_named_on_the_findings_screen(multisource_store):
    inputs = IngestSummary(files=3, records=10, errors=[InputProblem("bad.pb", "@12", "truncated")],
                           skipped=[InputProblem("notes.txt", None, "not a trace")])
    asyncio.run(walk_inputs(SeamscanApp(multisource_store, lambda con: [], inputs)))


async def walk_inputs(app: SeamscanApp) -> None:
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        status = shown(app.screen.query_one("#findings-status", Static))
        assert "input files: 1 unreadable, 1 skipped" in status and "no rule fired" in status

"""TUI test fixtures: the committed multisource scenario in a store, findings constructed for it,
and helpers that wait for the app's workers and read what a widget shows."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from tests.conftest import ROOT, ingest_paths


def ingest_relative(*relative_paths: str):
    """A store of fixture paths given relative to the project root, so every record's source
    file (shown on screen) is the same on any checkout."""
    here = Path.cwd()
    os.chdir(ROOT)
    try:
        store, _ = ingest_paths(*(Path(p) for p in relative_paths))
    finally:
        os.chdir(here)
    return store


def constructed_finding(code: str, name: str, severity: str, session: str | None, subject: str, message: str,
                        evidence: list[tuple[str, str, str]]) -> dict[str, Any]:
    """A finding dict shaped like run_rules output (SPEC 6), built by the test instead of a rule.
    `evidence` holds (record_id, layer, what)."""
    return {
        "code": code, "name": name, "severity": severity, "session": session, "trace_id": None, "step": None,
        "subject": subject, "ts": None, "message": message, "fingerprint": f"test-{code}-{subject}",
        "evidence": [{"layer": layer, "source": None, "record_id": record_id, "ts": None, "what": what}
                     for record_id, layer, what in evidence],
    }


@pytest.fixture(scope="session")
def multisource_store():
    store = ingest_relative("fixtures/multisource")
    yield store
    store.close()


@pytest.fixture(scope="session")
def race_finding(multisource_store) -> dict[str, Any]:
    """The planted timeout race of the scenario: the gateway gave up on render_report while the
    tool service finished it (evidence: the harness timeout and the tool-side span)."""
    con = multisource_store.con
    timeout_id, session_id = con.execute(
        "SELECT record_id, session_id FROM records WHERE kind = 'tool.timeout' AND tool_name = 'render_report' "
        "ORDER BY ts_start LIMIT 1").fetchone()
    (tool_side_id,) = con.execute(
        "SELECT record_id FROM records WHERE kind = 'tool_server' AND tool_name = 'render_report' AND session_id = ? "
        "ORDER BY ts_start LIMIT 1", [session_id]).fetchone()
    return constructed_finding(
        "SEAM002", "timeout-race", "error", session_id, "render_report",
        "gateway gave up on render_report after 300 ms; the tool finished later",
        [(timeout_id, "harness", "tool.timeout after 300 ms"), (tool_side_id, "tool", "render_report span ended OK")])


@pytest.fixture(scope="session")
def clock_finding() -> dict[str, Any]:
    """A dataset-level finding (no session), like SEAM010 on a clock domain."""
    return constructed_finding("SEAM010", "clock-disagreement", "warning", None, "tool-service@tools-node",
                               "clock of tool-service@tools-node runs 1.9 s ahead of the reference", [])


@pytest.fixture(scope="session")
def findings(race_finding, clock_finding) -> list[dict[str, Any]]:
    return [race_finding, clock_finding]


async def settle(pilot: Pilot) -> None:
    """Wait until the rule run has delivered and every worker has posted its result and the
    handlers have run (the rule run starts only after the first paint)."""
    await pilot.pause()
    for _ in range(500):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if pilot.app.findings is not None and not any(w.is_running for w in pilot.app.workers):
            return
    raise TimeoutError("the app's workers did not finish")


def shown(widget: Static) -> str:
    """The plain text a Static shows (its content rendered as the terminal would)."""
    console = Console(width=200, record=True, file=open(os.devnull, "w"))
    console.print(widget.content)
    return console.export_text()


def table_rows(table: DataTable) -> list[list[str]]:
    """Every row of a table as the plain text of its cells."""
    return [[str(cell) for cell in table.get_row_at(index)] for index in range(table.row_count)]

"""The TUI driven by keys: findings → session → evidence → detail → sessions → clock → quit."""

from __future__ import annotations

import asyncio

from textual.widgets import DataTable, Input, Static

from analyzer.tui.app import SeamscanApp
from analyzer.tui.clock import ClockScreen
from analyzer.tui.findings import FindingsScreen
from analyzer.tui.help import HelpScreen
from analyzer.tui.session import SessionScreen
from analyzer.tui.sessions import SessionsScreen
from analyzer.tui.table import ROW_LIMIT
from tests.tui.conftest import constructed_finding, settle, shown, table_rows


def app_for(store, findings):
    return SeamscanApp(store, findings_loader=lambda con: findings)


def test_walk_from_findings_to_quit(multisource_store, findings, race_finding):
    asyncio.run(walk_walk_from_findings_to_quit(multisource_store, findings, race_finding))


async def walk_walk_from_findings_to_quit(multisource_store, findings, race_finding):
    app = app_for(multisource_store, findings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, FindingsScreen)
        rows = table_rows(app.screen.query_one("#findings", DataTable))
        assert [r[:2] for r in rows] == [["SEAM002", "error"], ["SEAM010", "warning"]]
        assert rows[0][2] == race_finding["session"] and rows[0][3] == "render_report"
        assert table_rows(app.screen.query_one("#rules", DataTable)) == [["all", "2"], ["SEAM002", "1"], ["SEAM010", "1"]]
        assert "tool.timeout after 300 ms" in shown(app.screen.query_one("#finding-preview", Static))

        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionScreen) and screen.session_id == race_finding["session"]
        trace = screen.query_one("#trace", DataTable)
        evidence_ids = [e["record_id"] for e in race_finding["evidence"]]
        first = trace.coordinate_to_cell_key(trace.cursor_coordinate).row_key.value
        assert first in evidence_ids
        title = shown(screen.query_one("#session-title", Static))
        assert "SEAM002 timeout-race" in title and "2 evidence rows here" in title
        layers = {row[2].strip() for row in table_rows(trace)}
        assert {"model", "tool", "agent", "harness"} <= layers
        detail = shown(screen.query_one("#detail-body", Static))
        assert "◆ evidence:" in detail and "fixtures/multisource/" in detail

        await pilot.press("n")
        second = trace.coordinate_to_cell_key(trace.cursor_coordinate).row_key.value
        assert {first, second} == set(evidence_ids)
        detail = shown(screen.query_one("#detail-body", Static))
        timeout_shown = second == race_finding["evidence"][0]["record_id"]
        expected_source = "fixtures/multisource/gateway.harness.jsonl:" if timeout_shown else "fixtures/multisource/tools.otlp.pb:"
        assert expected_source in detail
        await pilot.press("n")
        assert trace.coordinate_to_cell_key(trace.cursor_coordinate).row_key.value == first
        await pilot.press("g")
        first_step = screen.trace.rows[0].step
        step_rows = sum(1 for row in screen.trace.rows if row.step == first_step)
        assert shown(screen.query_one("#detail-body", Static)).startswith(f"step {first_step}\n{step_rows} records")

        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SessionsScreen)
        sessions = table_rows(app.screen.query_one("#sessions", DataTable))
        assert len(sessions) == 4
        finding_counts = {row[0]: row[5] for row in sessions}
        assert finding_counts[race_finding["session"]] == "1"
        assert sum(int(n) for n in finding_counts.values()) == 1

        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ClockScreen)
        clock_text = shown(app.screen.query_one("#clock-body", Static))
        for domain in ("gateway", "tool-service@tools-node", "planner-agent@agent-node", "framework.agents.json"):
            assert domain in clock_text
        assert "reference" in clock_text and "4 clock domains · all consistent" in clock_text

        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


def test_findings_filters(multisource_store, findings):
    asyncio.run(walk_findings_filters(multisource_store, findings))


async def walk_findings_filters(multisource_store, findings):
    async with app_for(multisource_store, findings).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = pilot.app.screen.query_one("#findings", DataTable)
        await pilot.press("v")
        assert [r[0] for r in table_rows(table)] == ["SEAM002"]
        await pilot.press("v")
        assert [r[0] for r in table_rows(table)] == ["SEAM010"]
        await pilot.press("v", "v")
        assert table.row_count == 2
        await pilot.press("slash", *"1.9 s", "enter")
        assert [r[0] for r in table_rows(table)] == ["SEAM010"]
        assert pilot.app.focused is table
        await pilot.press("slash", "escape")
        assert pilot.app.screen.query_one("#findings-filter", Input).value == "" and table.row_count == 2
        await pilot.press("r", "j", "j")
        assert [r[0] for r in table_rows(table)] == ["SEAM010"]
        await pilot.press("g")
        assert table.row_count == 2


def test_dataset_finding_without_evidence_says_so(multisource_store, clock_finding):
    asyncio.run(walk_dataset_finding_without_evidence_says_so(multisource_store, clock_finding))


async def walk_dataset_finding_without_evidence_says_so(multisource_store, clock_finding):
    async with app_for(multisource_store, [clock_finding]).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, FindingsScreen)
        assert any("whole dataset" in str(n.message) for n in pilot.app._notifications)


def test_sessions_sort_and_open(multisource_store, findings):
    asyncio.run(walk_sessions_sort_and_open(multisource_store, findings))


async def walk_sessions_sort_and_open(multisource_store, findings):
    expected = multisource_store.con.execute(
        "SELECT session_id FROM sessions ORDER BY ts_end - ts_start DESC").fetchall()
    async with app_for(multisource_store, findings).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        table = pilot.app.screen.query_one("#sessions", DataTable)
        starts = [row[1] for row in table_rows(table)]
        assert starts == sorted(starts)
        await pilot.press("o")
        assert [row[0] for row in table_rows(table)] == [sid for (sid,) in expected]
        assert "sorted by duration ↓" in shown(pilot.app.screen.query_one("#sessions-status", Static))
        await pilot.press("O")
        assert [row[0] for row in table_rows(table)] == [sid for (sid,) in reversed(expected)]
        await pilot.press("o", "o")
        counts = [int(row[5]) for row in table_rows(table)]
        assert counts == sorted(counts, reverse=True) and counts[0] == 1
        top = table_rows(table)[0][0]
        await pilot.press("g", "enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, SessionScreen) and pilot.app.screen.session_id == top
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, SessionsScreen)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("s")
        assert isinstance(pilot.app.screen, SessionsScreen)  # the view's own key closes the trace


def test_a_finding_naming_an_unknown_session_opens_an_empty_trace(multisource_store):
    ghost = constructed_finding("SEAM007", "late-result-after-close", "error", "ghost-session", "t", "m", [])
    asyncio.run(walk_ghost(app_for(multisource_store, [ghost])))


async def walk_ghost(app: SeamscanApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SessionScreen) and app.screen.query_one("#trace", DataTable).row_count == 0
        assert "no record of this session" in shown(app.screen.query_one("#detail-body", Static))
        await pilot.press("n", "escape")
        assert isinstance(app.screen, FindingsScreen)


def test_long_finding_lists_are_capped_and_the_filter_reaches_the_rest(multisource_store):
    many = [constructed_finding("SEAM004", "orphaned-job", "error", None, f"job-{i:04d}", "m", [])
            for i in range(ROW_LIMIT + 100)]
    asyncio.run(walk_many(app_for(multisource_store, many)))


async def walk_many(app: SeamscanApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#findings", DataTable)
        assert table.row_count == ROW_LIMIT
        assert f"{ROW_LIMIT + 100} of {ROW_LIMIT + 100} findings" in shown(app.screen.query_one("#findings-status", Static))
        assert f"first {ROW_LIMIT} listed" in shown(app.screen.query_one("#findings-status", Static))
        await pilot.press("slash", *f"job-{ROW_LIMIT + 99:04d}", "enter")
        assert [row[3] for row in table_rows(table)] == [f"job-{ROW_LIMIT + 99:04d}"]

"""Trace content is untrusted: Rich markup, terminal escapes, huge lines and wide characters are
shown literally and never break the TUI."""

from __future__ import annotations

import asyncio
import json

from textual.widgets import DataTable, Static

from analyzer.tui.app import SeamscanApp
from analyzer.tui.session import SessionScreen
from tests.conftest import ingest_paths
from tests.tui.conftest import constructed_finding, settle, shown, table_rows

MARKUP = "[bold red]x[/]"
ESCAPE = "\x1b[31m"
WIDE = "漢字かな😀🦀"
SESSION = f"sess-{MARKUP}"


def hostile_log() -> str:
    lines = [
        {"ts": "2026-11-27T09:00:00Z", "event": "session.open", "session_id": SESSION, "agent": "a"},
        {"ts": "2026-11-27T09:00:00.100Z", "event": "model.response", "session_id": SESSION, "step": 1,
         "text": f"{MARKUP} {ESCAPE}red\x1b[0m {WIDE} " + "long " * 3000},
        {"ts": "2026-11-27T09:00:00.200Z", "event": "tool.dispatch", "session_id": SESSION, "step": 1,
         "tool": f"[link=https://evil.example]{WIDE}[/link]", "tool_call_id": "c1",
         "args": {"q": "\x1b]0;owned\x07", "markup": MARKUP}},
        {"ts": "2026-11-27T09:00:00.300Z", "event": "tool.result", "session_id": SESSION, "step": 1,
         "tool_call_id": "c1", "result": WIDE * 400},
    ]
    return "\n".join(json.dumps(line) for line in lines) + "\n"


def test_hostile_trace_content_is_shown_literally(tmp_path):
    (tmp_path / "hostile.jsonl").write_text(hostile_log())
    store, _ = ingest_paths(tmp_path / "hostile.jsonl")
    (response_id,) = store.con.execute("SELECT record_id FROM records WHERE kind = 'model.response'").fetchone()
    finding = constructed_finding("SEAM001", "null-result-rationalized", "error", SESSION, f"{MARKUP}{ESCAPE}",
                                  f"message {MARKUP} {ESCAPE} {WIDE}", [(response_id, "harness", f"said {MARKUP}")])
    asyncio.run(walk_hostile(SeamscanApp(store, findings_loader=lambda con: [finding]), response_id))


async def walk_hostile(app: SeamscanApp, response_id: str) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        row = table_rows(app.screen.query_one("#findings", DataTable))[0]
        assert row[2] == SESSION and row[3] == f"{MARKUP}\\x1b[31m"
        assert f"message {MARKUP} \\x1b[31m {WIDE}" in row[4]
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        assert MARKUP in shown(screen.query_one("#session-title", Static))
        trace = screen.query_one("#trace", DataTable)
        assert trace.coordinate_to_cell_key(trace.cursor_coordinate).row_key.value == response_id
        detail = shown(screen.query_one("#detail-body", Static))
        assert f"{MARKUP} \\x1b[31mred\\x1b[0m {WIDE}" in detail
        assert "more characters" in detail  # 15,000 characters of text are clipped, not rendered whole
        cells = " ".join(" ".join(r) for r in table_rows(trace))
        assert "\x1b" not in cells
        await pilot.press("j", "j", "j", "k")
        detail = shown(screen.query_one("#detail-body", Static))
        assert f"\ntool     [link=https://evil.example]{WIDE}[/link]\n" in detail
        assert "]0;owned" in detail and "\x1b" not in detail and f'"markup": "{MARKUP}"' in detail
        assert "\x1b" not in app.export_screenshot()
        await pilot.press("q")
    assert app.return_code == 0

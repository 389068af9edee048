"""The TUI over real public traces (skipped when ../shared/realdata is absent): every session of
the framework exports listed, a spread of them opened, trace and detail rendered without error."""

from __future__ import annotations

import asyncio

from textual.widgets import DataTable, Static

from analyzer.tui.app import SeamscanApp
from analyzer.tui.session import SessionScreen
from tests.conftest import ingest_paths
from tests.tui.conftest import settle, shown


def test_every_real_session_opens(realdata):
    store, _ = ingest_paths(realdata / "langfuse-framework-traces", realdata / "any-agent-traces")
    session_count = store.count("sessions")
    assert session_count > 0
    asyncio.run(walk_sessions(SeamscanApp(store, lambda con: []), session_count))
    store.close()


async def walk_sessions(app: SeamscanApp, session_count: int) -> None:
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert app.screen.query_one("#sessions", DataTable).row_count == session_count
        for index in range(0, session_count, max(1, session_count // 5)):
            await pilot.press("g", *["j"] * index, "enter")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, SessionScreen)
            trace = screen.query_one("#trace", DataTable)
            assert trace.row_count == len(screen.trace.rows) + len(screen.headings)
            assert "source   " in shown(screen.query_one("#detail-body", Static))
            await pilot.press("j", "j", "escape")

"""The action registry drives bindings, footer and help; a failing query becomes an error modal."""

from __future__ import annotations

import asyncio

import duckdb
from textual.widgets import Static

from analyzer.tui.actions import ACTIONS, bindings
from analyzer.tui.app import SeamscanApp
from analyzer.tui.clock import ClockScreen
from analyzer.tui.error import ErrorModal
from analyzer.tui.findings import FindingsScreen
from analyzer.tui.help import HelpScreen, help_table
from analyzer.tui.session import SessionScreen
from analyzer.tui.sessions import SessionsScreen
from analyzer.tui.table import VimTable
from tests.conftest import ROOT
from tests.tui.conftest import settle, shown

HANDLERS = {"app": SeamscanApp, "table": VimTable, "findings": FindingsScreen, "session": SessionScreen,
            "sessions": SessionsScreen, "clock": ClockScreen, "modal": HelpScreen}


def test_every_registered_action_has_a_handler_and_a_help_line():
    help_text = Static(help_table())
    for action in ACTIONS:
        name = action.action.split("(")[0]
        owner = SeamscanApp if name.startswith("app.") else HANDLERS[action.scope]
        assert hasattr(owner, f"action_{name.removeprefix('app.')}"), (action.scope, action.action)
        assert action.description in shown(help_text)
    for scope, owner in HANDLERS.items():
        if scope != "modal":
            assert [b.key for b in owner.BINDINGS] == [b.key for b in bindings(scope)]


def failing_loader(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """A rule run whose SQL fails in DuckDB."""
    con.execute("SELECT * FROM no_such_view")
    return []


def test_a_failing_rule_run_opens_an_error_modal_and_the_app_goes_on(multisource_store):
    asyncio.run(walk_failure(SeamscanApp(multisource_store, findings_loader=failing_loader)))


async def walk_failure(app: SeamscanApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ErrorModal)
        message = shown(app.screen.query_one("#error-message", Static))
        assert "CatalogException" in message and "no_such_view" in message
        await pilot.press("escape")
        assert isinstance(app.screen, FindingsScreen)
        assert "the rule run failed" in shown(app.screen.query_one("#findings-status", Static))
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SessionsScreen) and "4 of 4 sessions" in shown(app.screen.query_one("#sessions-status", Static))
        await pilot.press("q")
    assert app.return_code == 0


def test_docs_name_every_action():
    docs = (ROOT / "docs" / "tui.md").read_text()
    missing = [a.description for a in ACTIONS if a.description.split(" (")[0] not in docs]
    assert not missing

"""SVG snapshots of every view at a fixed terminal size (update with `--snapshot-update`).
The data is the committed multisource scenario with constructed findings: nothing depends on
the wall clock or on random ids."""

from __future__ import annotations

from textual.pilot import Pilot

from analyzer.tui.app import SeamscanApp
from tests.tui.conftest import settle

SIZE = (120, 40)


def keys_then_settle(*keys: str):
    """A run_before that presses `keys`, waiting for the workers each one starts."""
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
    return run_before


def app_for(store, findings) -> SeamscanApp:
    return SeamscanApp(store, findings_loader=lambda con: findings)


def test_findings_view(snap_compare, multisource_store, findings):
    assert snap_compare(app_for(multisource_store, findings), terminal_size=SIZE, run_before=keys_then_settle())


def test_session_view_with_evidence(snap_compare, multisource_store, findings):
    assert snap_compare(app_for(multisource_store, findings), terminal_size=SIZE,
                        run_before=keys_then_settle("enter", "n"))


def test_sessions_view_by_findings(snap_compare, multisource_store, findings):
    assert snap_compare(app_for(multisource_store, findings), terminal_size=SIZE,
                        run_before=keys_then_settle("s", "o", "o", "o"))


def test_clock_view(snap_compare, multisource_store, findings):
    assert snap_compare(app_for(multisource_store, findings), terminal_size=SIZE, run_before=keys_then_settle("c"))


def test_help_screen(snap_compare, multisource_store, findings):
    assert snap_compare(app_for(multisource_store, findings), terminal_size=SIZE,
                        run_before=keys_then_settle("question_mark"))

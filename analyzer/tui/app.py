"""The seamscan TUI: findings first, then a session's merged trace, every session, the clocks.
The app takes the store and a findings loader (the CLI passes the configured rule run); every
query runs in a thread worker on its own cursor and only posts messages back."""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import App
from textual.message import Message
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from analyzer.ingest.runner import IngestSummary
from analyzer.store.db import Store
from analyzer.tui import data
from analyzer.tui.actions import bindings
from analyzer.tui.clock import ClockScreen
from analyzer.tui.error import error_modal
from analyzer.tui.findings import FindingsScreen
from analyzer.tui.help import HelpScreen
from analyzer.tui.session import SessionScreen
from analyzer.tui.sessions import SessionsScreen


class FindingsLoaded(Message):
    def __init__(self, findings: list[dict[str, Any]]) -> None:
        super().__init__()
        self.findings = findings


class SessionsLoaded(Message):
    def __init__(self, rows: list[data.SessionSummary]) -> None:
        super().__init__()
        self.rows = rows


class FindingSessionFound(Message):
    def __init__(self, finding: dict[str, Any], session_id: str | None) -> None:
        super().__init__()
        self.finding = finding
        self.session_id = session_id


class SeamscanApp(App[None]):
    CSS_PATH = "seamscan.tcss"
    TITLE = "seamscan"
    BINDINGS = bindings("app")
    MODES = {"findings": FindingsScreen, "sessions": SessionsScreen, "clock": ClockScreen}
    DEFAULT_MODE = "findings"

    def __init__(self, store: Store, findings_loader: data.FindingsLoader | None = None,
                 inputs: IngestSummary | None = None) -> None:
        super().__init__()
        self.store = store
        self.inputs = inputs
        self.findings_loader = findings_loader or data.rule_run()
        self.findings: list[dict[str, Any]] | None = None
        self.rule_run_failed = False
        self.findings_ready: Signal[list[dict[str, Any]]] = Signal(self, "findings_ready")
        self.sessions: list[data.SessionSummary] | None = None
        self.sessions_ready: Signal[list[data.SessionSummary]] = Signal(self, "sessions_ready")

    def on_mount(self) -> None:
        # After the first paint: the rule run's Python helpers would otherwise hold the GIL
        # while the first screen is being drawn. The session list is read meanwhile, so the
        # sessions view is ready when it is opened.
        self.call_after_refresh(self.load_findings)
        self.call_after_refresh(self.load_sessions)

    @work(thread=True, exclusive=True, exit_on_error=False, name="rules")
    def load_findings(self) -> None:
        with data.cursor(self.store) as con:
            findings = self.findings_loader(con)
        self.post_message(FindingsLoaded(findings))

    @work(thread=True, exclusive=True, exit_on_error=False, name="sessions", group="sessions")
    def load_sessions(self) -> None:
        with data.cursor(self.store) as con:
            rows = data.sessions(con)
        self.post_message(SessionsLoaded(rows))

    def on_sessions_loaded(self, message: SessionsLoaded) -> None:
        self.sessions = message.rows
        self.sessions_ready.publish(message.rows)

    def on_findings_loaded(self, message: FindingsLoaded) -> None:
        self.findings = message.findings
        self.findings_ready.publish(message.findings)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        self.push_screen(error_modal(event.worker))
        if event.worker.name == "rules":
            self.rule_run_failed = True
            self.findings = []
            self.findings_ready.publish([])

    def open_finding(self, finding: dict[str, Any]) -> None:
        """The finding's session with its evidence; a dataset-level finding opens the session of
        its first evidence record that has one."""
        if finding.get("session"):
            self.push_screen(SessionScreen(finding["session"], finding))
        else:
            self.find_session(finding)

    @work(thread=True, exclusive=True, exit_on_error=False, name="finding session", group="lookup")
    def find_session(self, finding: dict[str, Any]) -> None:
        with data.cursor(self.store) as con:
            session_id = data.session_of_record(con, [e["record_id"] for e in finding.get("evidence") or []])
        self.post_message(FindingSessionFound(finding, session_id))

    def on_finding_session_found(self, message: FindingSessionFound) -> None:
        if message.session_id is None:
            self.notify("this finding is about the whole dataset: no session to open", severity="warning",
                        markup=False)
        else:
            self.push_screen(SessionScreen(message.session_id, message.finding))

    def open_session(self, session_id: str) -> None:
        self.push_screen(SessionScreen(session_id))

    def action_show(self, mode: str) -> None:
        """Switch to a view; pressed in that view, back to its list (closing a session trace)."""
        if self.current_mode != mode:
            self.switch_mode(mode)
            return
        while len(self.screen_stack) > 1:
            self.pop_screen()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

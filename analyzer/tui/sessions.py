"""Every session, with and without findings, sortable by start, duration, errors and findings."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Footer, Input, Static

from analyzer.tui import cells, data
from analyzer.tui.actions import bindings
from analyzer.tui.filtered import FilteredTableScreen
from analyzer.tui.table import ROW_LIMIT, VimTable

COLUMNS = (("session", None), ("start", "start"), ("duration", "duration"), ("records", None),
           ("errors", "errors"), ("findings", "findings"), ("layers", None))
DESCENDING_FIRST = {"start": False, "duration": True, "errors": True, "findings": True}


class SessionsScreen(FilteredTableScreen):
    BINDINGS = bindings("sessions")
    TABLE_ID = "sessions"
    FILTER_ID = "sessions-filter"

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[data.SessionSummary] | None = None
        self.sort_key = "start"
        self.descending = DESCENDING_FIRST["start"]

    def compose(self) -> ComposeResult:
        yield Static(Text("loading sessions…", style="dim"), id="sessions-status", classes="status")
        yield Input(placeholder="filter: text in the session id  (/)", id="sessions-filter")
        yield VimTable(id="sessions")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#sessions", DataTable)
        for label, sort_key in COLUMNS:
            table.add_column(label, key=sort_key or label)
        table.focus()
        self.app.findings_ready.subscribe(self, self.count_findings)
        self.app.sessions_ready.subscribe(self, self.show_sessions)
        if self.app.sessions is not None:
            self.show_sessions(self.app.sessions)

    def show_sessions(self, rows: list[data.SessionSummary]) -> None:
        """The app's session list arrived (it is read in the background from the first screen on)."""
        self.rows = rows
        self.count_findings(self.app.findings or [])

    def count_findings(self, findings: list[dict[str, Any]]) -> None:
        """Findings arrived (or arrived after the sessions): recount them per session."""
        if self.rows is None:
            return
        per_session = Counter(f["session"] for f in findings if f.get("session"))
        self.rows = [r if r.findings == per_session.get(r.session_id, 0)
                     else dataclasses.replace(r, findings=per_session.get(r.session_id, 0)) for r in self.rows]
        self.refresh_table()

    def refresh_table(self) -> None:
        if self.rows is None:
            return
        text = self.filter_text.casefold()
        chosen = [r for r in self.rows if text in r.session_id.casefold()] if text else self.rows
        ordered = data.sort_sessions(chosen, self.sort_key, self.descending)
        table = self.query_one("#sessions", DataTable)
        table.clear()
        for row in ordered[:ROW_LIMIT]:
            table.add_row(
                cells.one_line(row.session_id, 40), cells.timestamp(row.start_ns), cells.duration(row.duration_ns),
                str(row.records), Text(str(row.errors), style="bold red" if row.errors else "dim"),
                Text(str(row.findings), style="bold yellow" if row.findings else "dim"),
                cells.literal(" ".join(row.layers), 40), key=row.session_id,
            )
        status = Text(f"{len(chosen)} of {len(self.rows)} sessions", style="bold")
        status.append(f" · sorted by {self.sort_key} {'↓' if self.descending else '↑'}")
        if len(chosen) > ROW_LIMIT:
            status.append(f" · first {ROW_LIMIT} shown, filter to narrow", style="dim")
        self.query_one("#sessions-status", Static).update(status)

    def sort_by(self, key: str) -> None:
        if key == self.sort_key:
            self.descending = not self.descending
        else:
            self.sort_key, self.descending = key, DESCENDING_FIRST[key]
        self.refresh_table()

    def action_cycle_sort(self) -> None:
        keys = list(data.SORT_KEYS)
        self.sort_by(keys[(keys.index(self.sort_key) + 1) % len(keys)])

    def action_reverse_sort(self) -> None:
        self.sort_by(self.sort_key)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        if event.column_key.value in data.SORT_KEYS:
            self.sort_by(event.column_key.value)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.app.open_session(event.row_key.value)

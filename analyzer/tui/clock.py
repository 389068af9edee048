"""The clock domains: offset from the reference, bounds, constraints, pairs set aside, consistency."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Static

from analyzer.report.model import clocks
from analyzer.report.text_report import clock_table
from analyzer.tui import cells, data
from analyzer.tui.actions import bindings
from analyzer.tui.error import DataScreen


class ClocksLoaded(Message):
    def __init__(self, rows: list[dict[str, Any]], methods: dict[str, str]) -> None:
        super().__init__()
        self.rows = rows
        self.methods = methods


def consistency(rows: list[dict[str, Any]]) -> Text:
    """One line per thing worth knowing below the table: inconsistent, unanchored, set-aside pairs."""
    text = Text(f"{len(rows)} clock domains", style="bold")
    inconsistent = [r["domain"] for r in rows if not r["consistent"]]
    unanchored = [r["domain"] for r in rows if not r["reference"] and r["lower_ms"] is None and r["upper_ms"] is None]
    text.append(" · all consistent" if not inconsistent else f" · {len(inconsistent)} inconsistent",
                style="green" if not inconsistent else "bold red")
    for domain in inconsistent:
        text.append("\n  inconsistent: ", style="red")
        text.append(cells.literal(domain, 120))
    for domain in unanchored:
        text.append("\n  unanchored (no cross-domain constraint, offset not estimated): ", style="dim")
        text.append(cells.literal(domain, 120))
    for row in rows:
        if row.get("set_aside"):
            text.append(f"\n  {row['set_aside']} pairs set aside in ", style="yellow")
            text.append(cells.literal(row["domain"], 120))
    return text


class ClockScreen(DataScreen):
    BINDINGS = bindings("clock")

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="clock-scroll"):
            yield Static(Text("loading clock domains…", style="dim"), id="clock-body")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#clock-scroll", VerticalScroll).focus()
        self.load_clocks()

    @work(thread=True, exclusive=True, exit_on_error=False, name="clock domains")
    def load_clocks(self) -> None:
        with data.cursor(self.app.store) as con:
            rows = clocks(data.ConnectionStore(con))
            methods = data.clock_methods(con)
        self.post_message(ClocksLoaded(rows, methods))

    def on_clocks_loaded(self, message: ClocksLoaded) -> None:
        body = Group(clock_table(message.rows, message.methods), Text(""), consistency(message.rows))
        self.query_one("#clock-body", Static).update(body)

    def action_scroll_down(self) -> None:
        self.query_one("#clock-scroll", VerticalScroll).scroll_down()

    def action_scroll_up(self) -> None:
        self.query_one("#clock-scroll", VerticalScroll).scroll_up()

"""The help screen, written from the action registry (the same entries as bindings and footer)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from analyzer.tui.actions import ACTIONS, SCOPE_TITLES, bindings, key_label


def help_table() -> Table:
    table = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for scope, title in SCOPE_TITLES.items():
        table.add_row(Text(title, style="bold underline"), "")
        for action in ACTIONS:
            if action.scope == scope:
                table.add_row(Text(key_label(action.keys)), Text(action.description))
        table.add_row("", "")
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = bindings("modal")

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(Text("seamscan keys", style="bold"), markup=False)
            yield Static(help_table(), markup=False)

    def on_mount(self) -> None:
        self.query_one("#help-box", VerticalScroll).focus()

"""A screen with one main table and a text filter above it (findings, sessions)."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from analyzer.tui.error import DataScreen


class FilteredTableScreen(DataScreen):
    """Subclasses name their table and filter input and rebuild the table in `refresh_table`."""

    TABLE_ID = ""
    FILTER_ID = ""

    def refresh_table(self) -> None:
        raise NotImplementedError

    @property
    def filter_text(self) -> str:
        return self.query_one(f"#{self.FILTER_ID}", Input).value.strip()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.refresh_table()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(f"#{self.TABLE_ID}", DataTable).focus()

    def action_focus_filter(self) -> None:
        self.query_one(f"#{self.FILTER_ID}", Input).focus()

    def action_clear_filter(self) -> None:
        self.query_one(f"#{self.FILTER_ID}", Input).value = ""
        self.query_one(f"#{self.TABLE_ID}", DataTable).focus()

"""The data table every view uses: row cursor, vim aliases from the action registry."""

from __future__ import annotations

from textual.widgets import DataTable

from analyzer.tui.actions import bindings

ROW_LIMIT = 500  # rows put in a list at once (2,000 took over a second to add and paint); filters reach the rest


class VimTable(DataTable):
    BINDINGS = bindings("table")

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)

"""The data table every view uses: row cursor, vim aliases from the action registry."""

from __future__ import annotations

from textual.widgets import DataTable

from analyzer.tui.actions import bindings


class VimTable(DataTable):
    BINDINGS = bindings("table")

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)

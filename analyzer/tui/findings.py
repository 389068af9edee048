"""The first screen: every finding, filterable by rule, severity and free text, with counts per rule."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Input, Static

from analyzer.tui import cells
from analyzer.tui.actions import bindings
from analyzer.tui.filtered import FilteredTableScreen
from analyzer.tui.table import ROW_LIMIT, VimTable

SEVERITY_CYCLE = (None, "error", "warning", "info")
ALL_RULES = "all"


def matches(finding: dict[str, Any], code: str | None, severity: str | None, text: str) -> bool:
    """Whether a finding passes the filters; `text` matches code, name, session, subject or message."""
    if code and finding["code"] != code:
        return False
    if severity and finding["severity"] != severity:
        return False
    if not text:
        return True
    haystack = " ".join(str(finding.get(k) or "") for k in ("code", "name", "session", "subject", "message"))
    return text.casefold() in haystack.casefold()


def preview(finding: dict[str, Any]) -> Text:
    """The selected finding: message, then one line per evidence record."""
    text = Text()
    text.append(f"{finding['code']} {finding['name']} ", style="bold")
    text.append(cells.severity(finding["severity"]))
    text.append("\n")
    text.append(cells.literal(finding.get("message"), 600))
    for item in finding.get("evidence") or []:
        text.append("\n  ◆ ", style=cells.EVIDENCE_STYLE)
        text.append(cells.literal(item.get("layer") or "?", 10, "bold"))
        text.append("  ")
        text.append(cells.one_line(item.get("what"), 100))
        text.append("  ")
        text.append(cells.literal(item.get("source"), 120, "dim"))
    return text


class FindingsScreen(FilteredTableScreen):
    BINDINGS = bindings("findings")
    TABLE_ID = "findings"
    FILTER_ID = "findings-filter"

    def __init__(self) -> None:
        super().__init__()
        self.findings: list[dict[str, Any]] | None = None
        self.code: str | None = None
        self.severity_index = 0

    def compose(self) -> ComposeResult:
        yield Static(Text("running rules…"), id="findings-status", classes="status")
        yield Input(placeholder="filter: text in code, rule, session, subject or message  (/)", id="findings-filter")
        with Horizontal(id="findings-body"):
            yield VimTable(id="rules")
            yield VimTable(id="findings")
        yield Static(Text(""), id="finding-preview", classes="preview")
        yield Footer()

    def on_mount(self) -> None:
        rules = self.query_one("#rules", DataTable)
        rules.add_column("rule", width=8)
        rules.add_column("count", width=6)
        self.query_one("#findings", DataTable).add_columns("code", "severity", "session", "subject", "message")
        self.query_one("#findings", DataTable).focus()
        self.app.findings_ready.subscribe(self, self.show_findings)
        if self.app.findings is not None:
            self.show_findings(self.app.findings)

    def show_findings(self, findings: list[dict[str, Any]]) -> None:
        self.findings = findings
        rules = self.query_one("#rules", DataTable)
        rules.clear()
        per_code = Counter(f["code"] for f in findings)
        rules.add_row(Text(ALL_RULES), str(len(findings)), key=ALL_RULES)
        for code in sorted(per_code):
            rules.add_row(Text(code), str(per_code[code]), key=code)
        self.refresh_table()

    @property
    def severity(self) -> str | None:
        return SEVERITY_CYCLE[self.severity_index]

    def refresh_table(self) -> None:
        if self.findings is None:
            return
        text = self.filter_text
        table = self.query_one("#findings", DataTable)
        table.clear()
        shown = 0
        for index, finding in enumerate(self.findings):
            if not matches(finding, self.code, self.severity, text):
                continue
            shown += 1
            if shown > ROW_LIMIT:
                continue
            table.add_row(
                Text(finding["code"]), cells.severity(finding["severity"]),
                cells.one_line(finding.get("session") or "—", 32), cells.one_line(finding.get("subject") or "", 32),
                cells.one_line(finding.get("message"), 200), key=str(index),
            )
        status = Text(f"{shown} of {len(self.findings)} findings", style="bold")
        status.append(f" · rule: {self.code or ALL_RULES} · severity: {self.severity or 'all'}")
        if shown > ROW_LIMIT:
            status.append(f" · first {ROW_LIMIT} listed, filter to narrow", style="dim")
        if text:
            status.append(" · text: ")
            status.append(cells.literal(text, 40))
        inputs = self.app.inputs
        if inputs is not None and (inputs.errors or inputs.skipped):
            counts = [f"{n} {what}" for n, what in ((len(inputs.errors), "unreadable"), (len(inputs.skipped), "skipped"))
                      if n]
            status.append(f" · input files: {', '.join(counts)} (`seamscan ingest` lists them)", style="yellow")
        if self.app.rule_run_failed:
            status.append(" · the rule run failed (see the error)", style="bold red")
        elif not self.findings:
            status.append(" · no rule fired on this input", style="dim")
        self.query_one("#findings-status", Static).update(status)
        self.query_one("#finding-preview", Static).update(Text(""))
        if shown:
            self.show_preview(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def show_preview(self, key: str | None) -> None:
        if key is not None and self.findings is not None:
            self.query_one("#finding-preview", Static).update(preview(self.findings[int(key)]))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "rules":
            code = event.row_key.value
            self.code = None if code == ALL_RULES else code
            self.refresh_table()
        elif event.data_table.id == "findings":
            self.show_preview(event.row_key.value)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "rules":
            self.query_one("#findings", DataTable).focus()
        elif event.data_table.id == "findings" and self.findings is not None:
            self.app.open_finding(self.findings[int(event.row_key.value)])

    def action_focus_rules(self) -> None:
        self.query_one("#rules", DataTable).focus()


    def action_cycle_severity(self) -> None:
        self.severity_index = (self.severity_index + 1) % len(SEVERITY_CYCLE)
        self.refresh_table()

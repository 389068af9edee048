"""One session's merged per-step stack trace: a row per record on the aligned clock, grouped by
step, indented by causal parent, with a duration bar on a shared axis; evidence highlighted."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Footer, Static

from analyzer.report import session_trace
from analyzer.report.session_trace import SessionTrace, TraceRow
from analyzer.tui import cells, data
from analyzer.tui.actions import bindings
from analyzer.tui.error import DataScreen
from analyzer.tui.table import VimTable

BAR_WIDTH = 24
NAME_LIMIT = 48
DETAIL_FIELDS = (  # (column, heading) of the detail pane, after the header lines
    ("args", "arguments"), ("result", "result"), ("text", "model text"), ("requested_tool_calls", "requested tool calls"),
    ("input_messages", "input messages"), ("output_messages", "output messages"),
    ("events", "events"), ("attrs", "attributes"), ("merged", "merged copies"), ("flags", "flags"),
)


class TraceLoaded(Message):
    def __init__(self, trace: SessionTrace) -> None:
        super().__init__()
        self.trace = trace


class RecordsLoaded(Message):
    def __init__(self, records: dict[str, dict[str, Any]]) -> None:
        super().__init__()
        self.records = records


def step_label(step: int | None) -> str:
    return f"step {step}" if step is not None else "no step"


def heading_key(row_index: int) -> str:
    """Row key of a step heading: unique even if one step's records were not all adjacent."""
    return f"step-heading:{row_index}"


def record_detail(record: dict[str, Any], evidence_what: str | None) -> Text:
    """The detail pane for one record: what it is, where it came from, then its content fields."""
    text = Text()
    text.append(cells.literal(record.get("name") or record.get("kind"), 200, "bold"))
    text.append(f"  {record.get('layer') or ''} · ")
    text.append(cells.literal(record.get("kind"), 60))
    text.append("  ")
    text.append(cells.status(record.get("status")))
    if evidence_what is not None:
        text.append("\n◆ evidence: ", style=cells.EVIDENCE_STYLE)
        text.append(cells.literal(evidence_what, 400))
    for column in ("agent", "model", "tool_name"):
        if record.get(column):
            text.append(f"\n{column.removesuffix('_name'):<9}", style="dim")
            text.append(cells.literal(record[column], 200))
    text.append("\nsource   ", style="dim")
    text.append(cells.literal(f"{record.get('source_file')}:{record.get('source_pos')}"))
    text.append("\nclock    ", style="dim")
    text.append(cells.literal(record.get("clock_domain")))
    text.append(f"  aligned {cells.timestamp(record.get('ts_start'))} → {cells.timestamp(record.get('ts_end'))}")
    if record.get("ts_raw_text"):
        text.append("  raw ")
        text.append(cells.literal(record["ts_raw_text"], 80))
    ids = [(k, record.get(k)) for k in ("trace_id", "span_id", "parent_span_id", "tool_call_id", "attempt", "record_id")]
    text.append("\nids      ", style="dim")
    text.append(cells.literal("  ".join(f"{k}={v}" for k, v in ids if v is not None)))
    error = [record.get(k) for k in ("error_type", "error_message", "status_message") if record.get(k)]
    if error:
        text.append("\n\nerror\n", style="bold red")
        text.append(cells.clipped(": ".join(str(e) for e in error)))
    for column, heading in DETAIL_FIELDS:
        value = record.get(column)
        if value not in (None, "", [], {}):
            text.append(f"\n\n{heading}\n", style="bold")
            text.append(cells.clipped(value))
    return text


class SessionScreen(DataScreen):
    BINDINGS = bindings("session")

    def __init__(self, session_id: str, finding: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.session_id = session_id
        self.finding = finding
        self.evidence_what = {e["record_id"]: e.get("what") or "" for e in (finding or {}).get("evidence") or []}
        self.evidence_rows: list[int] = []
        self.records: dict[str, dict[str, Any]] = {}
        self.headings: dict[str, int | None] = {}  # heading row key -> its step
        self.trace: SessionTrace | None = None

    def compose(self) -> ComposeResult:
        yield Static(self.title_text(), id="session-title", classes="status")
        yield VimTable(id="trace")
        with VerticalScroll(id="detail"):
            yield Static(Text("loading…", style="dim"), id="detail-body")
        yield Footer()

    def title_text(self) -> Text:
        text = Text("session ", style="bold")
        text.append(cells.literal(self.session_id, 80, "bold"))
        if self.trace is not None:
            text.append(f" · {len(self.trace.rows)} records · {len(self.trace.steps)} steps")
        else:
            text.append(" · loading…", style="dim")
        if self.finding:
            text.append("\n")
            text.append(f"{self.finding['code']} {self.finding['name']} ", style="bold")
            text.append(cells.severity(self.finding["severity"]))
            text.append(" ")
            text.append(cells.one_line(self.finding.get("message"), 160))
            in_trace = {r.record_id for r in self.trace.rows} if self.trace is not None else set()
            elsewhere = len(set(self.evidence_what) - in_trace)
            if self.trace is not None:
                text.append(f"\n◆ {len(self.evidence_rows)} evidence rows here", style=cells.EVIDENCE_STYLE)
                if elsewhere:
                    text.append(f", {elsewhere} in other sessions", style=cells.EVIDENCE_STYLE)
                text.append(" · n / N jump", style="dim")
        return text

    def on_mount(self) -> None:
        columns = ("", "offset", "layer", "name", "timeline", "duration", "status", "detail")
        self.query_one("#trace", DataTable).add_columns(*columns)
        self.load_trace()

    @work(thread=True, exclusive=True, exit_on_error=False, name="session trace")
    def load_trace(self) -> None:
        with data.cursor(self.app.store) as con:
            self.post_message(TraceLoaded(session_trace.build(con, self.session_id)))
            self.post_message(RecordsLoaded(data.session_records(con, self.session_id)))

    def on_trace_loaded(self, message: TraceLoaded) -> None:
        self.trace = message.trace
        table = self.query_one("#trace", DataTable)
        span_ns = max([(r.offset_ns or 0) + (r.duration_ns or 0) for r in self.trace.rows] or [0])
        current_step: object = object()
        for row in self.trace.rows:
            if row.step != current_step:
                current_step = row.step
                key = heading_key(table.row_count)
                self.headings[key] = row.step
                table.add_row("", "", "", Text(step_label(row.step), style="bold underline"), "", "", "", "", key=key)
            if row.record_id in self.evidence_what:
                self.evidence_rows.append(table.row_count)
            table.add_row(*self.row_cells(row, span_ns), key=row.record_id)
        self.query_one("#session-title", Static).update(self.title_text())
        if not self.trace.rows:
            self.query_one("#detail-body", Static).update(Text("the store holds no record of this session", style="yellow"))
            return
        self.show_row(self.evidence_rows[0] if self.evidence_rows else min(1, table.row_count - 1))

    def row_cells(self, row: TraceRow, span_ns: int) -> list[Text | str]:
        is_evidence = row.record_id in self.evidence_what
        name = Text("  " * row.depth)
        name.append(cells.literal(row.name, NAME_LIMIT, cells.EVIDENCE_STYLE if is_evidence else ""))
        return [
            Text("◆", style=cells.EVIDENCE_STYLE) if is_evidence else "",
            cells.offset(row.offset_ns), cells.layer_badge(row.layer), name,
            cells.duration_bar(row.offset_ns, row.duration_ns, span_ns, BAR_WIDTH, row.layer),
            cells.duration(row.duration_ns), cells.status(row.status), cells.one_line(row.detail, 80),
        ]

    def on_records_loaded(self, message: RecordsLoaded) -> None:
        """The detail columns arrive after the trace (a second query); show the cursor's record."""
        self.records = message.records
        table = self.query_one("#trace", DataTable)
        if table.row_count:
            self.show_detail(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_detail(event.row_key.value)

    def show_detail(self, key: str | None) -> None:
        body = self.query_one("#detail-body", Static)
        if key in self.records:
            body.update(record_detail(self.records[key], self.evidence_what.get(key)))
        elif key in self.headings:
            body.update(self.step_detail(self.headings[key]))
        else:
            body.update(Text("loading…", style="dim"))
        self.query_one("#detail", VerticalScroll).scroll_home(animate=False)

    def step_detail(self, step: int | None) -> Text:
        rows = [r for r in self.trace.rows if r.step == step]
        starts = [r.offset_ns for r in rows if r.offset_ns is not None]
        ends = [(r.offset_ns or 0) + (r.duration_ns or 0) for r in rows if r.offset_ns is not None]
        text = Text(step_label(step), style="bold")
        text.append(f"\n{len(rows)} records")
        if starts:
            text.append(f" · from {cells.offset(min(starts))} to {cells.offset(max(ends))}")
        return text

    def jump_evidence(self, forward: bool) -> None:
        if not self.evidence_rows:
            self.notify("no evidence rows in this session", severity="warning")
            return
        table = self.query_one("#trace", DataTable)
        here = table.cursor_row
        if forward:
            target = next((r for r in self.evidence_rows if r > here), self.evidence_rows[0])
        else:
            target = next((r for r in reversed(self.evidence_rows) if r < here), self.evidence_rows[-1])
        self.show_row(target)

    def show_row(self, row: int) -> None:
        """Cursor on `row`, scrolled to the middle of the table so the rows around it show too."""
        table = self.query_one("#trace", DataTable)
        table.move_cursor(row=row, scroll=False)
        # after the next refresh: rows just added are not laid out yet, a scroll now would be clamped
        self.call_after_refresh(lambda: table.scroll_to(
            y=max(0, row - table.scrollable_content_region.height // 2), animate=False, immediate=True))
        table.focus()

    def action_next_evidence(self) -> None:
        self.jump_evidence(forward=True)

    def action_previous_evidence(self) -> None:
        self.jump_evidence(forward=False)

    def action_focus_detail(self) -> None:
        detail = self.query_one("#detail", VerticalScroll)
        (self.query_one("#trace", DataTable) if detail.has_focus else detail).focus()

    def action_back(self) -> None:
        self.dismiss()

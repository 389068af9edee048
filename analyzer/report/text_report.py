"""`--format text`: a table of findings, then a panel per finding with its evidence and an
excerpt of the session's merged trace around it; every string from the input is literal."""

from __future__ import annotations

from typing import Any, TextIO

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from analyzer.report import SEVERITY_STYLE
from analyzer.report.model import ReportContext
from analyzer.report.safe import inert, stdout_console

EXCERPT_CONTEXT = 2  # trace rows shown before and after each evidence row
EXCERPT_MAX_ROWS = 14


def write(report: dict[str, Any], context: ReportContext, out: TextIO) -> None:
    render(report, stdout_console(file=out), context)


def render(report: dict[str, Any], console: Console, context: ReportContext | None = None) -> None:
    inputs = report["inputs"]
    console.print(
        Text(f"seamscan {report['tool']['version']}: {inputs['files']} files, "
             f"{inputs['records']} records, {len(inputs['skipped'])} skipped, {len(inputs['errors'])} errors")
    )
    # One line per problem (full path, grep-friendly), errors first.
    for kind, problems in (("error", inputs["errors"]), ("skipped", inputs["skipped"])):
        for problem in problems:
            line = Text(f"{kind:<8}", style=SEVERITY_STYLE.get(kind, "dim"))
            line.append(f"{inert(problem['path'])}: {inert(problem['reason'], 300)}")
            console.print(line, overflow="fold")
    if report["clocks"]:
        console.print(clock_table(report["clocks"]))
    findings = report["findings"]
    if not findings:
        console.print(Text("No findings.", style="green"))
        _baseline_line(report, console)
        return
    with_baseline = "baseline" in report
    table = Table(title="Findings", title_justify="left")
    for column in ("code", "severity", "session", "subject", "message") + (("baseline",) if with_baseline else ()):
        table.add_column(column)
    for f in findings:
        cells = [f["code"], Text(f["severity"], style=SEVERITY_STYLE[f["severity"]]),
                 Text(inert(f["session"] or "-")), Text(inert(f["subject"] or "-")), Text(inert(f["message"], 160))]
        if with_baseline:
            cells.append(Text("new", style="bold") if f["new"] else Text("accepted", style="dim"))
        table.add_row(*cells)
    console.print(table)
    traces: dict[str, Any] = {}
    for f in findings:
        title = f"{f['code']} {f['name']} · {inert(f['session'] or '-')}"
        if with_baseline and f["new"]:
            title += " · new"
        console.print(Panel(Group(*_panel_body(f, context, traces)), title=Text(title), title_align="left",
                            border_style=SEVERITY_STYLE[f["severity"]]))
    s = report["summary"]
    console.print(Text(f"{s['error']} errors, {s['warning']} warnings, {s['info']} info"))
    _baseline_line(report, console)


def _baseline_line(report: dict[str, Any], console: Console) -> None:
    if "baseline" in report:
        b = report["baseline"]
        console.print(Text(f"baseline {inert(b['path'])}: {b['new']} new, {b['accepted']} accepted, "
                           f"{b['resolved']} no longer found"))


def _panel_body(finding: dict[str, Any], context: ReportContext | None, traces: dict[str, Any]) -> list[Text]:
    """Message, where and when, the evidence, and the merged-trace excerpt around it."""
    body = [Text(inert(finding["message"]))]
    where = [f"subject {inert(finding['subject'])}" if finding["subject"] else "",
             f"step {finding['step']}" if finding["step"] is not None else "",
             f"at {finding['ts']}" if finding["ts"] else "",
             f"trace {inert(finding['trace_id'])}" if finding["trace_id"] else ""]
    if any(where):
        body.append(Text(" · ".join(w for w in where if w), style="dim"))
    if finding["evidence"]:
        body.append(Text("evidence", style="bold"))
    for e in finding["evidence"]:
        line = Text(f"  {inert(e.get('layer') or '?'):<8} ")
        line.append(inert(e.get("source") or "?"), style="dim")
        line.append(f"  {inert(e.get('what') or '', 200)}")
        body.append(line)
    excerpt = _trace_excerpt(finding, context, traces)
    if excerpt:
        body.append(Text("merged trace (▶ evidence)", style="bold"))
        body.extend(excerpt)
    return body


def _trace_excerpt(finding: dict[str, Any], context: ReportContext | None, traces: dict[str, Any]) -> list[Text]:
    """The rows of the finding's session around its evidence records, with step headings and
    `…` where rows are left out."""
    from analyzer.report import session_trace, trace_text

    if context is None or context.con is None or not finding["session"]:
        return []
    session = finding["session"]
    if session not in traces:
        traces[session] = session_trace.build(context.con, session)
    rows = traces[session].rows
    evidence_ids = {e["record_id"] for e in finding["evidence"]}
    hits = [i for i, row in enumerate(rows) if row.record_id in evidence_ids]
    shown = sorted({j for i in hits for j in range(max(0, i - EXCERPT_CONTEXT), min(len(rows), i + EXCERPT_CONTEXT + 1))})
    shown = shown[:EXCERPT_MAX_ROWS]
    lines: list[Text] = []
    previous: int | None = None
    for index in shown:
        row = rows[index]
        if previous is not None and index != previous + 1:
            lines.append(Text("   …", style="dim"))
        if previous is None or rows[previous].step != row.step or index != previous + 1:
            lines.append(trace_text.step_heading(row.step))
        line = trace_text.row_line(row, "▶" if row.record_id in evidence_ids else " ")
        line.truncate(150, overflow="ellipsis")
        lines.append(line)
        previous = index
    return lines


def clock_table(clocks: list[dict[str, Any]], methods: dict[str, str] | None = None) -> Table:
    """The clock domains as a table; `methods` adds how each offset was estimated."""
    table = Table(title="Clock domains (aligned = raw − offset)", title_justify="left")
    columns = ["domain", "offset ms", "bounds ms", "constraints", "set aside", "consistent"] + (["method"] if methods else [])
    for column in columns:
        table.add_column(column, justify="left" if column in ("domain", "method") else "right")
    for clock in clocks:
        bounds = ("reference" if clock["reference"] else
                  "unanchored" if clock["lower_ms"] is None and clock["upper_ms"] is None else
                  f"[{_ms(clock['lower_ms'], '-∞')}, {_ms(clock['upper_ms'], '+∞')}]")
        cells = [Text(inert(clock["domain"])), f"{clock['offset_ms']:+.1f}", Text(bounds), str(clock["constraints"]),
                 str(clock.get("set_aside", 0)), "yes" if clock["consistent"] else Text("NO", style="bold red")]
        if methods:
            cells.append(Text(inert(methods.get(clock["domain"]) or "")))
        table.add_row(*cells)
    return table


def _ms(value: float | None, unbounded: str) -> str:
    return unbounded if value is None else f"{value:+.1f}"

"""`--format text`: rich tables on stdout; every string from the input is rendered literally."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from analyzer.report.safe import inert

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def render(report: dict[str, Any], console: Console) -> None:
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
        return
    table = Table(title="Findings", title_justify="left")
    for column in ("code", "severity", "session", "subject", "message"):
        table.add_column(column)
    for f in findings:
        table.add_row(f["code"], Text(f["severity"], style=SEVERITY_STYLE[f["severity"]]),
                      Text(inert(f["session"] or "-")), Text(inert(f["subject"] or "-")), Text(inert(f["message"], 160)))
    console.print(table)
    for f in findings:
        body = Text(inert(f["message"]) + "\n")
        for e in f["evidence"]:
            body.append(f"  {e.get('layer', '?'):<8} {inert(e.get('source', ''))}  {inert(e.get('what', ''), 200)}\n")
        console.print(Panel(body, title=Text(f"{f['code']} {f['name']} · {inert(f['session'] or '-')}")))
    s = report["summary"]
    console.print(Text(f"{s['error']} errors, {s['warning']} warnings, {s['info']} info"))


def clock_table(clocks: list[dict[str, Any]], methods: dict[str, str] | None = None) -> Table:
    """The clock domains as a table; `methods` adds how each offset was estimated."""
    table = Table(title="Clock domains (aligned = raw − offset)", title_justify="left")
    columns = ["domain", "offset ms", "bounds ms", "constraints", "consistent"] + (["method"] if methods else [])
    for column in columns:
        table.add_column(column, justify="left" if column in ("domain", "method") else "right")
    for clock in clocks:
        bounds = ("reference" if clock["reference"] else
                  "unanchored" if clock["lower_ms"] is None and clock["upper_ms"] is None else
                  f"[{_ms(clock['lower_ms'], '-∞')}, {_ms(clock['upper_ms'], '+∞')}]")
        cells = [Text(inert(clock["domain"])), f"{clock['offset_ms']:+.1f}", Text(bounds), str(clock["constraints"]),
                 "yes" if clock["consistent"] else Text("NO", style="bold red")]
        if methods:
            cells.append(Text(inert(methods.get(clock["domain"]) or "")))
        table.add_row(*cells)
    return table


def _ms(value: float | None, unbounded: str) -> str:
    return unbounded if value is None else f"{value:+.1f}"

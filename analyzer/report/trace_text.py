"""`seamscan trace` text: one line per record, grouped by step, indented by causal parent."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from analyzer.report.safe import inert
from analyzer.report.session_trace import SessionTrace, TraceRow

LAYER_STYLE = {"model": "magenta", "tool": "cyan", "agent": "green", "harness": "yellow", "other": "dim"}
STATUS_STYLE = {"error": "bold red", "timeout": "bold red", "cancelled": "red", "ok": "green"}


def _duration(ns: int | None) -> str:
    if ns is None:
        return ""
    if ns >= 1_000_000_000:
        return f"{ns / 1e9:.2f}s"
    return f"{ns / 1e6:.1f}ms"


def render(trace: SessionTrace, console: Console, verbose: bool = False) -> None:
    console.print(Text(f"session {inert(trace.session_id)} · {len(trace.rows)} records · "
                       f"{len(trace.steps)} steps", style="bold"))
    current_step: object = object()
    for row in trace.rows:
        if row.step != current_step:
            current_step = row.step
            console.print(step_heading(row.step))
        console.print(row_line(row), overflow="ellipsis", no_wrap=True)
        if verbose:
            console.print(Text(f"{'':>11}{'':<8}{'  ' * row.depth}  {inert(row.source)}  [{inert(row.clock_domain or '')}]",
                               style="dim"), overflow="fold")


def step_heading(step: int | None) -> Text:
    return Text(f"step {step if step is not None else '-'}", style="bold underline")


def row_line(row: TraceRow, marker: str = " ") -> Text:
    """One record as a line: offset, layer, indented name, duration, status, detail; `marker`
    (one character) flags it, e.g. as evidence."""
    offset = "" if row.offset_ns is None else f"+{row.offset_ns / 1e9:.3f}s"
    line = Text(f"{marker}{offset:>9} ", style="bold" if marker.strip() else "")
    line.append(f"{inert(row.layer):<8}", style=LAYER_STYLE.get(row.layer, "dim"))
    line.append("  " * row.depth + inert(row.name, 60))
    line.append(f"  {_duration(row.duration_ns)}")
    if row.status and row.status != "unset":
        line.append(f"  {inert(row.status, 20)}", style=STATUS_STYLE.get(row.status, ""))
    if row.detail:
        line.append("  " + inert(row.detail), style="dim")
    return line

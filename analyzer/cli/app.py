"""The typer app: registers one command per module and turns SeamscanError into a red
panel on stderr with its exit code (tracebacks only with --debug)."""

from __future__ import annotations

import sys

import typer

from analyzer.cli import check, clock, explain, ingest, rules, trace, tui
from analyzer.errors import SeamscanError

app = typer.Typer(
    name="seamscan",
    help="Cross-layer agent trace analyzer: model, tool and harness layers on one clock.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.command("check")(check.check)
app.command("ingest")(ingest.ingest_command)
app.command("trace")(trace.trace_command)
app.command("clock")(clock.clock_command)
app.command("rules")(rules.rules_command)
app.command("explain")(explain.explain_command)
app.command("tui")(tui.tui_command)


def main() -> None:
    """Entry point: click handles usage errors (exit 2) and typer.Exit; SeamscanError becomes
    a red panel on stderr and its exit code."""
    try:
        app()
    except SeamscanError as exc:
        if "--debug" in sys.argv:
            raise
        report_error(exc)
        sys.exit(exc.exit_code)


def report_error(exc: SeamscanError) -> None:
    from rich.console import Console
    from rich.panel import Panel
    from rich.text import Text

    body = Text(exc.message)
    if exc.hint:
        body.append(f"\nhint: {exc.hint}", style="dim")
    Console(stderr=True).print(Panel(body, title="seamscan: error", border_style="red", title_align="left"))

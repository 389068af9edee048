"""The typer app: registers one command per module and turns SeamscanError into a red
panel on stderr with its exit code (tracebacks only with --debug)."""

from __future__ import annotations

import sys

import typer

from analyzer.cli import check, ingest
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


def main() -> None:
    debug = "--debug" in sys.argv
    try:
        # Non-standalone click returns the code of typer.Exit instead of raising it.
        code = app(standalone_mode=False)
    except SeamscanError as exc:
        if debug:
            raise
        report_error(exc)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    except Exception as exc:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    sys.exit(code if isinstance(code, int) else 0)


def report_error(exc: SeamscanError) -> None:
    from rich.console import Console
    from rich.panel import Panel
    from rich.text import Text

    body = Text(exc.message)
    if exc.hint:
        body.append(f"\nhint: {exc.hint}", style="dim")
    Console(stderr=True).print(Panel(body, title="seamscan: error", border_style="red", title_align="left"))

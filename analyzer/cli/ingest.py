"""`seamscan ingest PATH... --db FILE`: persist the normalized store for check/tui/trace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from analyzer.cli.options import AllowBadInputOption, DebugOption, HarnessMappingOption, Paths, QuietOption


def ingest_command(
    paths: Paths,
    db: Annotated[Path, typer.Option("--db", help="DuckDB store file to create or add to.")],
    allow_bad_input: AllowBadInputOption = False,
    harness_mapping: HarnessMappingOption = None,
    quiet: QuietOption = False,
    debug: DebugOption = False,
) -> None:
    """Ingest PATHs into a persistent store (re-ingesting a file adds nothing)."""
    from rich.console import Console
    from rich.text import Text

    from analyzer.cli.common import load

    store, summary = load(paths, db, quiet, harness_mapping)
    total = store.count("record_store")
    store.close()
    err = Console(stderr=True, highlight=False, markup=False)
    for problem in summary.errors:
        err.print(Text(f"error: {problem.path}: {problem.as_dict()['reason']}", style="red"))
    for problem in summary.skipped:
        err.print(Text(f"skipped: {problem.path}: {problem.reason}", style="dim"))
    err.print(Text(f"{summary.files} files, {summary.records} new records; {total} records in {db}"))
    if summary.errors and not allow_bad_input:
        raise typer.Exit(3)

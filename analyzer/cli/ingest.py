"""`seamscan ingest PATH... --db FILE`: persist the normalized store for check/tui/trace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from analyzer.cli.options import (
    AllowBadInputOption,
    DebugOption,
    HarnessMappingOption,
    Paths,
    QuietOption,
    VerboseOption,
)


def ingest_command(
    paths: Paths,
    db: Annotated[Path, typer.Option("--db", help="DuckDB store file to create or add to.")],
    allow_bad_input: AllowBadInputOption = False,
    harness_mapping: HarnessMappingOption = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    debug: DebugOption = False,
) -> None:
    """Ingest PATHs into a persistent store (re-ingesting a file adds nothing)."""
    from analyzer.cli.common import load
    from analyzer.cli.progress import print_ingest_summary

    store, summary = load(paths, db, quiet, harness_mapping)
    print_ingest_summary(summary, store, quiet, verbose)
    store.close()
    if summary.errors and not allow_bad_input:
        raise typer.Exit(3)

"""What ingest says on stderr: the progress bar (files, bytes, records; off when quiet or not a
terminal) and the summary after it (errors always; the rest unless quiet; more with verbose)."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator

from analyzer.ingest.runner import IngestSummary, Progress
from analyzer.store.db import Store


@contextmanager
def ingest_progress(quiet: bool) -> Iterator[Progress | None]:
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress as RichProgress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    columns = (
        TextColumn("[bold]ingest"),
        BarColumn(),
        TextColumn("{task.fields[files]} files"),
        TextColumn("{task.fields[mb]:.1f} MB"),
        TextColumn("{task.fields[records]} records"),
        TimeElapsedColumn(),
        TextColumn("{task.fields[current]}", markup=False),
    )
    with RichProgress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("ingest", total=None, files=0, mb=0.0, records=0, current="")
        state = {"files": 0}

        def update(path: str, done_bytes: int, records: int) -> None:
            state["files"] += 1
            bar.update(task, files=state["files"], mb=done_bytes / 1e6, records=records, current=path[-60:])

        yield update


def print_ingest_summary(summary: IngestSummary, store: Store, quiet: bool, verbose: bool) -> None:
    """What an ingest did, on stderr: errors always; skipped files and the totals unless quiet;
    with verbose, also each file's format and record count."""
    from rich.console import Console
    from rich.text import Text

    err = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)
    for problem in summary.errors:
        err.print(Text(f"error: {problem.path}: {problem.as_dict()['reason']}", style="red"))
    if quiet:
        return
    for problem in summary.skipped:
        err.print(Text(f"skipped: {problem.path}: {problem.reason}", style="dim"))
    if verbose:
        files = store.con.execute(
            "SELECT path, source_kind, source_format, records FROM files ORDER BY ingested_at, path").fetchall()
        for path, source_kind, source_format, records in files:
            err.print(Text(f"  {path}: {source_kind}/{source_format}, {records} records read"))
    total = store.count("record_store")
    where = f" in {store.path}" if store.path else ""
    err.print(Text(f"{summary.files} files, {summary.records} new records; {total} records{where}"))

"""The ingest progress bar on stderr (files, bytes, records); off when quiet or not a terminal."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator

from analyzer.ingest.runner import Progress


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

"""Steps several commands share: open the store, ingest paths with a progress bar."""

from __future__ import annotations

from pathlib import Path

from analyzer.cli.progress import ingest_progress
from analyzer.errors import UsageError
from analyzer.ingest.runner import IngestSummary, ingest
from analyzer.store.db import Store


def load(
    paths: list[Path] | None, db: Path | None, quiet: bool, harness_mappings: list[Path] | None = None
) -> tuple[Store, IngestSummary]:
    """A store holding `paths` (added to `db` when given); with only `db`, what it already holds.
    `harness_mappings` are TOML files that teach the ingest another harness log format."""
    from analyzer.report.model import inputs_from_store

    if not paths and db is None:
        raise UsageError("Nothing to read: give PATH arguments or --db FILE")
    if db is not None and not paths and not db.exists():
        raise UsageError(f"Store {str(db)!r} does not exist", hint="create it with `seamscan ingest PATH --db FILE`")
    extra = []
    if harness_mappings:
        from analyzer.ingest.harness.mapping import load_mapping

        extra = [load_mapping(path) for path in harness_mappings]
    store = Store(db)
    if not paths:
        return store, inputs_from_store(store)
    with ingest_progress(quiet) as progress:
        summary = ingest(paths, store, progress, extra)
    return store, summary

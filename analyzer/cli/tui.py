"""`seamscan tui PATH... | --db FILE`: ingest (with the progress bar), then browse in the TUI."""

from __future__ import annotations

from analyzer.cli.options import DbOption, DebugOption, HarnessMappingOption, OptionalPaths, QuietOption


def tui_command(
    paths: OptionalPaths = None,
    db: DbOption = None,
    harness_mapping: HarnessMappingOption = None,
    quiet: QuietOption = False,
    debug: DebugOption = False,
) -> None:
    """Browse findings, sessions (each one's merged per-step stack trace) and the clock domains."""
    from analyzer.cli.common import load
    from analyzer.tui.app import SeamscanApp

    store, _ = load(paths, db, quiet, harness_mapping)
    try:
        SeamscanApp(store).run()
    finally:
        store.close()

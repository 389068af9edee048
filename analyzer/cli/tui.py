"""`seamscan tui PATH... | --db FILE`: ingest (with the progress bar), then browse in the TUI."""

from __future__ import annotations

from analyzer.cli.options import (
    ConfigOption,
    DbOption,
    DebugOption,
    HarnessMappingOption,
    IgnoreOption,
    OptionalPaths,
    QuietOption,
    SelectOption,
)


def tui_command(
    paths: OptionalPaths = None,
    db: DbOption = None,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    config: ConfigOption = None,
    harness_mapping: HarnessMappingOption = None,
    quiet: QuietOption = False,
    debug: DebugOption = False,
) -> None:
    """Browse findings, sessions (each one's merged per-step stack trace) and the clock domains."""
    from analyzer.cli.common import load
    from analyzer.engine.config import settings_for
    from analyzer.engine.registry import load_rules, select as select_rules
    from analyzer.tui.app import SeamscanApp
    from analyzer.tui.data import rule_run

    rules = load_rules()
    settings = settings_for(rules, paths, config, select=select, ignore=ignore, harness_mappings=harness_mapping)
    store, inputs = load(paths, db, quiet, settings.harness_mappings)
    try:
        findings_loader = rule_run(select_rules(rules, settings.select, settings.ignore), settings.rule_options)
        SeamscanApp(store, findings_loader, inputs).run()
    finally:
        store.close()

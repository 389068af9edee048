"""`seamscan tui PATH... | --db FILE`: ingest (with the progress bar), then browse in the TUI."""

from __future__ import annotations

from pathlib import Path

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
from analyzer.errors import UsageError


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
    from analyzer.engine.config import find_config, input_dirs, load_config
    from analyzer.engine.registry import load_rules, select as select_rules
    from analyzer.tui.app import SeamscanApp
    from analyzer.tui.data import rule_run

    rules = load_rules()
    if config is not None and not config.is_file():
        raise UsageError(f"Configuration file {str(config)!r} does not exist")
    config_path = config or find_config([Path.cwd(), *input_dirs(paths)])
    settings = load_config(config_path, rules).with_cli(rules, select=select, ignore=ignore,
                                                        harness_mappings=harness_mapping)
    store, inputs = load(paths, db, quiet, settings.harness_mappings)
    try:
        findings_loader = rule_run(select_rules(rules, settings.select, settings.ignore), settings.rule_options)
        SeamscanApp(store, findings_loader, inputs).run()
    finally:
        store.close()

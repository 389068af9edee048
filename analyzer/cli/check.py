"""`seamscan check PATH...`: ingest, run the selected rules, report; exit 0/1/2/3 as SPEC 1 defines."""

from __future__ import annotations

import sys

import typer

from analyzer.cli.options import (
    AllowBadInputOption,
    BaselineOption,
    ConfigOption,
    DbOption,
    DebugOption,
    ExitZeroOption,
    FailOnOption,
    HarnessMappingOption,
    IgnoreOption,
    OptionalPaths,
    OutputOption,
    QuietOption,
    ReportFormat,
    ReportFormatOption,
    SelectOption,
    WriteBaselineOption,
)
from analyzer.errors import UsageError

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


def check(
    paths: OptionalPaths = None,
    db: DbOption = None,
    output_format: ReportFormatOption = ReportFormat.text,
    output: OutputOption = None,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    fail_on: FailOnOption = None,
    exit_zero: ExitZeroOption = False,
    baseline: BaselineOption = None,
    write_baseline: WriteBaselineOption = None,
    config: ConfigOption = None,
    allow_bad_input: AllowBadInputOption = False,
    harness_mapping: HarnessMappingOption = None,
    quiet: QuietOption = False,
    debug: DebugOption = False,
) -> None:
    """Ingest PATHs (or read --db), run the rules and report the findings; exit 1 on findings at
    or above --fail-on (new ones only, with --baseline)."""
    from analyzer.cli.common import load
    from analyzer.engine import baseline as baselines
    from analyzer.engine.config import settings_for
    from analyzer.engine.registry import load_rules, select as select_rules
    from analyzer.engine.runner import run_rules
    from analyzer.report import formats
    from analyzer.report.model import build_report, report_context

    rules = load_rules()
    settings = settings_for(rules, paths, config, select=select, ignore=ignore,
                            fail_on=fail_on.value if fail_on else None, harness_mappings=harness_mapping)
    accepted = baselines.read_baseline(baseline) if baseline is not None else None
    chosen = select_rules(rules, settings.select, settings.ignore)

    store, summary = load(paths, db, quiet, settings.harness_mappings)
    try:
        findings = run_rules(store.con, chosen, settings.rule_options)
        outcome = baselines.mark_new(findings, accepted, baseline) if accepted is not None else None
        report = build_report(summary, store, findings, outcome)
        context = report_context(store, chosen)
        if output is None:
            formats.write(output_format.value, report, context, sys.stdout)
        else:
            try:
                with open(output, "w", encoding="utf-8") as out:
                    formats.write(output_format.value, report, context, out)
            except OSError as exc:
                raise UsageError(f"Report file {str(output)!r} cannot be written: {exc.strerror}") from exc
    finally:
        store.close()
    if write_baseline is not None:
        baselines.write_baseline(write_baseline, findings)
    if summary.errors and not allow_bad_input:
        raise typer.Exit(3)
    threshold = SEVERITY_RANK[settings.fail_on]
    failing = [f for f in findings if f.get("new", True) and SEVERITY_RANK[f["severity"]] >= threshold]
    if failing and not exit_zero and write_baseline is None:
        raise typer.Exit(1)

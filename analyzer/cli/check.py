"""`seamscan check PATH...`: ingest, run the rules, report; exit 0/1/2/3 as SPEC 1 defines."""

from __future__ import annotations

import sys

import typer

from analyzer.cli.options import (
    AllowBadInputOption,
    DbOption,
    DebugOption,
    HarnessMappingOption,
    ExitZeroOption,
    FailOnOption,
    FormatOption,
    OptionalPaths,
    OutputFormat,
    QuietOption,
    Severity,
)

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


def check(
    paths: OptionalPaths = None,
    db: DbOption = None,
    output_format: FormatOption = OutputFormat.text,
    fail_on: FailOnOption = Severity.warning,
    exit_zero: ExitZeroOption = False,
    allow_bad_input: AllowBadInputOption = False,
    harness_mapping: HarnessMappingOption = None,
    quiet: QuietOption = False,
    debug: DebugOption = False,
) -> None:
    """Ingest PATHs (or read --db), run the rules and report the findings."""
    from analyzer.cli.common import load
    from analyzer.engine.registry import load_rules
    from analyzer.engine.runner import run_rules
    from analyzer.report.model import build_report

    store, summary = load(paths, db, quiet, harness_mapping)
    findings = run_rules(store.con, load_rules())
    report = build_report(summary, store, findings)
    store.close()
    if output_format is OutputFormat.json:
        from analyzer.report import json_report

        sys.stdout.write(json_report.render(report))
    else:
        from analyzer.report import text_report
        from analyzer.report.safe import stdout_console

        text_report.render(report, stdout_console())
    if summary.errors and not allow_bad_input:
        raise typer.Exit(3)
    threshold = SEVERITY_RANK[fail_on.value]
    if not exit_zero and any(SEVERITY_RANK[f["severity"]] >= threshold for f in findings):
        raise typer.Exit(1)

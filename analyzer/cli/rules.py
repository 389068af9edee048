"""`seamscan rules`: every rule as a table (code, name, severity, group, summary)."""

from __future__ import annotations

import sys

from analyzer.cli.options import FormatOption, OutputFormat


def rules_command(output_format: FormatOption = OutputFormat.text) -> None:
    """List every rule: code, name, default severity, group and summary."""
    from analyzer.engine.registry import load_rules

    rules = load_rules()
    if output_format is OutputFormat.json:
        import orjson

        rows = [{"code": r.code, "name": r.name, "severity": r.severity, "group": r.group, "summary": r.summary,
                 "cross_layer": r.cross_layer, "options": {n: o.default for n, o in r.options.items()}}
                for r in rules]
        sys.stdout.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    from rich.table import Table
    from rich.text import Text

    from analyzer.report import SEVERITY_STYLE
    from analyzer.report.safe import stdout_console

    table = Table(title=f"Rules ({len(rules)})", title_justify="left",
                  caption="`seamscan explain CODE` shows a rule's documentation", caption_justify="left")
    for column in ("code", "name", "severity", "group", "summary"):
        table.add_column(column, no_wrap=column != "summary")
    for r in rules:
        table.add_row(r.code, r.name, Text(r.severity, style=SEVERITY_STYLE[r.severity]), r.group, r.summary)
    stdout_console().print(table)

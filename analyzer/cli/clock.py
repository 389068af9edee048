"""`seamscan clock PATH...`: the clock domains, their estimated offsets and bounds."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from analyzer.cli.options import DbOption, DebugOption, FormatOption, HarnessMappingOption, OptionalPaths, OutputFormat, QuietOption


def clock_command(
    paths: OptionalPaths = None,
    db: DbOption = None,
    output_format: FormatOption = OutputFormat.text,
    harness_mapping: HarnessMappingOption = None,
    quiet: QuietOption = False,
    debug: DebugOption = False,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Also list the causal pairs set aside (with both records' file and position) "
                                "and the segments of stepped clocks.")] = False,
) -> None:
    """Show every clock domain's offset from the reference (aligned = raw − offset) and its bounds."""
    from analyzer.cli.common import load
    from analyzer.report.model import clocks

    store, _ = load(paths, db, quiet, harness_mapping)
    rows = clocks(store)
    methods = dict(store.con.execute("SELECT domain, method FROM clock_domains").fetchall())
    if verbose and output_format is not OutputFormat.json:
        from analyzer.report.clock_text import segments, set_aside_pairs

        aside, stepped = set_aside_pairs(store.con), segments(store.con)
    store.close()
    if output_format is OutputFormat.json:
        import orjson

        sys.stdout.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    from analyzer.report.safe import stdout_console
    from analyzer.report.text_report import clock_table

    console = stdout_console()
    console.print(clock_table(rows, methods))
    if verbose:
        from analyzer.report.clock_text import segments_table, set_aside_lines

        for line in set_aside_lines(aside) if aside else ():
            console.print(line, soft_wrap=True)
        if stepped:
            console.print(segments_table(stepped))

"""`seamscan trace SESSION PATH...`: one session's merged per-step stack trace as text."""

from __future__ import annotations

from typing import Annotated

import typer

from analyzer.cli.options import DbOption, DebugOption, HarnessMappingOption, OptionalPaths, QuietOption


def trace_command(
    session: Annotated[str, typer.Argument(help="Session id (or a unique prefix of one).")],
    paths: OptionalPaths = None,
    db: DbOption = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show each record's source file and position.")] = False,
    harness_mapping: HarnessMappingOption = None,
    quiet: QuietOption = False,
    debug: DebugOption = False,
) -> None:
    """Print one session's records on the aligned clock, grouped by step, indented by causal parent."""
    from analyzer.cli.common import load
    from analyzer.report import session_trace, trace_text
    from analyzer.report.safe import stdout_console

    store, _ = load(paths, db, quiet, harness_mapping)
    session_id = session_trace.resolve_session(store.con, session)
    model = session_trace.build(store.con, session_id)
    store.close()
    trace_text.render(model, stdout_console(200), verbose)

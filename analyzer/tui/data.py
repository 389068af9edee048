"""What the TUI reads from the store. Plain functions over a DuckDB connection: the screens call
them from thread workers, each on its own cursor (a connection is not shared across threads)."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Callable, Iterator

import duckdb

from analyzer.engine.registry import Rule
from analyzer.store.db import Store

FindingsLoader = Callable[[duckdb.DuckDBPyConnection], list[dict[str, Any]]]


@contextmanager
def cursor(store: Store) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor of its own for one worker thread, closed afterwards."""
    con = store.con.cursor()
    try:
        yield con
    finally:
        con.close()


def rule_run(rules: list[Rule] | None = None, options: dict[str, dict[str, Any]] | None = None) -> FindingsLoader:
    """The findings loader the CLI gives the app: these rules (default: every shipped rule) with
    these option values, through the same runner as `seamscan check`."""
    def run(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
        from analyzer.engine.registry import load_rules
        from analyzer.engine.runner import run_rules

        return run_rules(con, load_rules() if rules is None else rules, options)

    return run


@dataclass(frozen=True)
class SessionSummary:
    session_id: str
    start_ns: int | None
    duration_ns: int | None
    records: int
    errors: int
    findings: int
    layers: tuple[str, ...]


SORT_KEYS = {"start": "start_ns", "duration": "duration_ns", "errors": "errors", "findings": "findings"}


def sessions(con: duckdb.DuckDBPyConnection) -> list[SessionSummary]:
    """Every session; `findings` is 0 until the screen counts them."""
    rows = con.execute(
        "SELECT session_id, ts_start, ts_end - ts_start, records, errors, layers FROM sessions").fetchall()
    return [SessionSummary(sid, start, duration, n, errors, 0, tuple(layers or ()))
            for sid, start, duration, n, errors, layers in rows]


def sort_sessions(rows: list[SessionSummary], key: str, descending: bool) -> list[SessionSummary]:
    """Sorted by one of SORT_KEYS; unknown values (no timestamps) last either way, then by id."""
    value = attrgetter(SORT_KEYS[key])
    known = sorted((r for r in rows if value(r) is not None), key=attrgetter("session_id"))
    known.sort(key=value, reverse=descending)
    unknown = sorted((r for r in rows if value(r) is None), key=attrgetter("session_id"))
    return known + unknown


def session_records(con: duckdb.DuckDBPyConnection, session_id: str) -> dict[str, dict[str, Any]]:
    """Every column of every record of one session, by record id (the detail pane reads these,
    so moving the cursor needs no query)."""
    cur = con.execute("SELECT * FROM records WHERE session_id = ?", [session_id])
    names = [d[0] for d in cur.description]
    rows = (dict(zip(names, row)) for row in cur.fetchall())
    return {row["record_id"]: row for row in rows}


def session_of_record(con: duckdb.DuckDBPyConnection, record_ids: list[str]) -> str | None:
    """The session of the first of `record_ids` that has one (for findings with no session)."""
    for record_id in record_ids:
        row = con.execute("SELECT session_id FROM records WHERE record_id = ?", [record_id]).fetchone()
        if row and row[0]:
            return row[0]
    return None


def clock_methods(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT domain, method FROM clock_domains").fetchall())


@dataclass
class ConnectionStore:
    """A Store-shaped wrapper around a worker's cursor, for report functions that take a Store."""

    con: duckdb.DuckDBPyConnection

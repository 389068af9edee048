"""The report as a plain dict exactly as SPEC 6 defines the JSON contract, and the context
the other formats need beside it (the rules that ran, every session, the store)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from analyzer import __version__
from analyzer.ingest.runner import IngestSummary, InputProblem
from analyzer.store.db import Store

if TYPE_CHECKING:
    import duckdb

    from analyzer.engine.baseline import BaselineOutcome
    from analyzer.engine.registry import Rule

REPORT_VERSION = 1


@dataclass
class ReportContext:
    """What emitters need beyond the JSON contract: SARIF lists the rules, JUnit has a case per
    rule and session, the text report excerpts each finding's session from the store."""

    rules: list[Rule] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)
    con: duckdb.DuckDBPyConnection | None = None


def report_context(store: Store, rules: list[Rule]) -> ReportContext:
    sessions = [row[0] for row in store.con.execute("SELECT session_id FROM sessions ORDER BY session_id").fetchall()]
    return ReportContext(rules=list(rules), sessions=sessions, con=store.con)


def inputs_from_store(store: Store) -> IngestSummary:
    """What a persisted store holds, for `check --db` without new paths."""
    con = store.con
    summary = IngestSummary(
        files=con.execute("SELECT count(*) FROM files").fetchone()[0],
        records=store.count("record_store"),
    )
    for path, position, reason, kind in con.execute(
        "SELECT path, position, reason, kind FROM input_problems ORDER BY path, position"
    ).fetchall():
        (summary.skipped if kind == "skipped" else summary.errors).append(InputProblem(path, position, reason))
    return summary


def clocks(store: Store) -> list[dict[str, Any]]:
    def ms(ns: int | None) -> float | None:
        return None if ns is None else round(ns / 1e6, 3)

    rows = store.con.execute(
        "SELECT domain, is_reference, offset_ns, lower_ns, upper_ns, constraints, consistent, set_aside "
        "FROM clock_domains ORDER BY NOT is_reference, domain"
    ).fetchall()
    return [
        {"domain": d, "reference": bool(ref), "offset_ms": ms(off) or 0.0, "lower_ms": ms(lo),
         "upper_ms": ms(hi), "constraints": n or 0, "consistent": bool(ok), "set_aside": aside or 0}
        for d, ref, off, lo, hi, n, ok, aside in rows
    ]


def build_report(summary: IngestSummary, store: Store, findings: list[dict[str, Any]],
                 baseline: BaselineOutcome | None = None) -> dict[str, Any]:
    """The SPEC 6 contract; with a baseline, each finding also says whether it is `new` and the
    report gains a `baseline` object (counts of accepted, new and resolved findings)."""
    counts = {"error": 0, "warning": 0, "info": 0}
    for finding in findings:
        counts[finding["severity"]] += 1
    report = {
        "version": REPORT_VERSION,
        "tool": {"name": "seamscan", "version": __version__},
        "inputs": {
            "files": summary.files,
            "records": summary.records,
            "skipped": [p.as_dict() for p in summary.skipped],
            "errors": [p.as_dict() for p in summary.errors],
        },
        "clocks": clocks(store),
        "findings": findings,
        "summary": counts,
    }
    if baseline is not None:
        report["baseline"] = baseline.as_dict()
    return report

"""The report as a plain dict exactly as SPEC 6 defines the JSON contract."""

from __future__ import annotations

from typing import Any

from analyzer import __version__
from analyzer.ingest.runner import IngestSummary, InputProblem
from analyzer.store.db import Store

REPORT_VERSION = 1


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
        "SELECT domain, is_reference, offset_ns, lower_ns, upper_ns, constraints, consistent "
        "FROM clock_domains ORDER BY NOT is_reference, domain"
    ).fetchall()
    return [
        {"domain": d, "reference": bool(ref), "offset_ms": ms(off) or 0.0, "lower_ms": ms(lo),
         "upper_ms": ms(hi), "constraints": n or 0, "consistent": bool(ok)}
        for d, ref, off, lo, hi, n, ok in rows
    ]


def build_report(summary: IngestSummary, store: Store, findings: list[dict[str, Any]]) -> dict[str, Any]:
    counts = {"error": 0, "warning": 0, "info": 0}
    for finding in findings:
        counts[finding["severity"]] += 1
    return {
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

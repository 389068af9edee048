"""Runs selected rules against the store's views and turns their rows into findings (SPEC 6).

A rule's query returns one row per finding with the columns `session`, `trace_id`, `step`,
`subject`, `ts` (aligned ns), `message` (unless the rule has a message template) and
`evidence`: a list of structs `{record_id, what}`. The runner fills each evidence entry's
layer, source (`file:position`) and aligned time from the `records` view."""

from __future__ import annotations

import hashlib
import re
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Iterator

import duckdb

from analyzer.engine.registry import Rule
from analyzer.errors import SeamscanError

FINDING_COLUMNS = ("session", "trace_id", "step", "subject", "ts", "message", "evidence")
RULE_VIEWS = ("records", "llm_calls", "tool_calls", "harness_events", "sessions", "steps")  # SPEC 3
PLAIN_VIEWS = ("records", "llm_calls", "harness_events")
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def run_rules(con: duckdb.DuckDBPyConnection, rules: list[Rule],
              options: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Findings of every rule in `rules`, in rule order then time order. `options` overrides
    rule option defaults per code (configuration and CLI)."""
    from analyzer.engine import functions

    helpers = functions.helper_names()
    # Python helpers are registered only when a rule calls one (registering loads numpy).
    if any(re.search(rf"\b{name}\s*\(", rule.query, re.IGNORECASE) for rule in rules for name in helpers):
        functions.register(con)
    raw: list[tuple[Rule, dict[str, Any]]] = []
    with materialized_views(con, rules):
        for rule in rules:
            values = rule.option_defaults() | (options or {}).get(rule.code, {})
            for row in query_rule(con, rule, values):
                raw.append((rule, row))
        records = _evidence_records(con, [e["record_id"] for _, row in raw for e in row.get("evidence") or []])
    findings = [_finding(rule, row, records) for rule, row in raw]
    return findings


@contextmanager
def materialized_views(con: duckdb.DuckDBPyConnection, rules: list[Rule] | None = None) -> Iterator[None]:
    """The rule-facing views that `rules` read (all when None) computed once, as temporary
    tables of the same names that shadow them on this connection while the rules run (the
    rules read the views many times over; each read of a view recomputes its joins), then
    dropped. A single rule shares nothing: it reads the views themselves. Views that only
    project or filter a finalized record_store (PLAIN_VIEWS) are read as they are."""
    present = dict(con.execute(
        "SELECT view_name, sql FROM duckdb_views() WHERE NOT internal AND schema_name = 'main'").fetchall())
    # Once finalize has written the resolved columns, `records` is a projection of record_store
    # and these views plain filters of it: reading them costs a scan, copying them costs more.
    plain = PLAIN_VIEWS if "JOIN" not in (present.get("records") or "JOIN").upper() else ()
    views = [v for v in RULE_VIEWS if v in present and v not in plain and (
        rules is None or v == "records"  # records: the evidence lookup reads it too
        or any(re.search(rf"\b{v}\b", rule.query, re.IGNORECASE) for rule in rules))]
    if rules is not None and len(rules) < 2:
        views = []
    try:
        for view in views:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {view} AS SELECT * FROM main.{view}")
        yield
    finally:
        for view in reversed(views):
            con.execute(f"DROP TABLE IF EXISTS temp.{view}")


def query_rule(con: duckdb.DuckDBPyConnection, rule: Rule, values: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of one rule's query, with its options bound as `$name` parameters."""
    cursor = execute_rule(con, rule, values)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def execute_rule(con: duckdb.DuckDBPyConnection, rule: Rule, values: dict[str, Any]) -> duckdb.DuckDBPyConnection:
    """A cursor over one rule's query (its columns are known even when it has no rows)."""
    used = set(_PARAM.findall(rule.query))
    params = {name: values[name] for name in used if name in values}
    try:
        return con.execute(rule.query, params) if params else con.execute(rule.query)
    except duckdb.Error as exc:
        raise SeamscanError(f"Rule {rule.code} {rule.name} ({rule.path}) failed: {exc}",
                            hint="run with --ignore " + rule.code + " to skip it") from exc


def _evidence_records(con: duckdb.DuckDBPyConnection, record_ids: list[str]) -> dict[str, tuple]:
    if not record_ids:
        return {}
    rows = con.execute(
        "SELECT record_id, layer, source_file, source_pos, ts_start FROM records "
        "WHERE record_id IN (SELECT unnest($ids))", {"ids": sorted(set(record_ids))}
    ).fetchall()
    return {row[0]: row[1:] for row in rows}


def _finding(rule: Rule, row: dict[str, Any], records: dict[str, tuple]) -> dict[str, Any]:
    evidence = []
    for item in row.get("evidence") or []:
        layer, source_file, source_pos, ts = records.get(item["record_id"], (None, None, None, None))
        evidence.append({
            "layer": layer, "source": f"{source_file}:{source_pos}" if source_file else None,
            "record_id": item["record_id"], "ts": rfc3339(ts), "what": item.get("what"),
        })
    message = rule.message.format(**row) if rule.message else row.get("message")
    finding = {
        "code": rule.code, "name": rule.name, "severity": rule.severity,
        "session": row.get("session"), "trace_id": row.get("trace_id"),
        "step": None if row.get("step") is None else int(row["step"]),
        "subject": None if row.get("subject") is None else str(row["subject"]),
        "ts": rfc3339(row.get("ts")), "message": message, "evidence": evidence,
    }
    finding["fingerprint"] = fingerprint(finding)
    return finding


def rfc3339(ns: int | None) -> str | None:
    """Aligned epoch nanoseconds as RFC 3339 UTC with microseconds."""
    if ns is None:
        return None
    seconds, rest = divmod(int(ns), 1_000_000_000)
    stamp = datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{rest // 1000:06d}Z"


def fingerprint(finding: dict[str, Any]) -> str:
    """Stable across runs and machines on the same input: code, session, subject and the
    evidence record ids (content-addressed), never paths or run times."""
    evidence_ids = sorted(str(e.get("record_id")) for e in finding["evidence"])
    key = "|".join([finding["code"], str(finding["session"]), str(finding["subject"]), *evidence_ids])
    return hashlib.sha256(key.encode()).hexdigest()[:16]

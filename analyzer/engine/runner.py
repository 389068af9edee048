"""Runs selected rules against the store's views and returns findings as dicts (SPEC 6)."""

from __future__ import annotations

import hashlib

import duckdb

from analyzer.engine.registry import Rule

FINDING_COLUMNS = ("session", "trace_id", "step", "subject", "ts", "message", "evidence")


def run_rules(con: duckdb.DuckDBPyConnection, rules: list[Rule]) -> list[dict]:
    findings = []
    for rule in rules:
        cursor = con.execute(rule.query)
        names = [d[0] for d in cursor.description]
        for row in cursor.fetchall():
            values = dict(zip(names, row))
            finding = {"code": rule.code, "name": rule.name, "severity": rule.severity}
            finding.update({c: values.get(c) for c in FINDING_COLUMNS})
            finding["evidence"] = finding["evidence"] or []
            finding["fingerprint"] = fingerprint(finding)
            findings.append(finding)
    return findings


def fingerprint(finding: dict) -> str:
    """Stable across runs on the same input: code, session, subject and evidence record ids."""
    evidence_ids = sorted(str(e.get("record_id")) for e in finding["evidence"])
    key = "|".join([finding["code"], str(finding["session"]), str(finding["subject"]), *evidence_ids])
    return hashlib.sha256(key.encode()).hexdigest()[:16]

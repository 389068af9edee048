"""SEAM005 tail-latency-budget on its fixtures (fixtures/rules/SEAM005), the other fixtures and
real data."""

from __future__ import annotations

from functools import partial

import tomllib

import pytest

from analyzer.engine.registry import load_rules, select
from tests.conftest import FIXTURES, ingest_paths, rule_findings

RULES = select(load_rules(), ["SEAM005"], None)
CASES = FIXTURES / "rules" / "SEAM005"


findings = partial(rule_findings, RULES)


def case_options(case: str) -> dict:
    """The rule options of a case's own seamscan.toml (as `seamscan check CASE` reads them)."""
    return tomllib.loads((CASES / case / "seamscan.toml").read_text())["rules"]


def test_tail_over_budget_while_p50_sum_fits():
    (finding,) = findings(CASES / "fire-tail")
    assert (finding["session"], finding["trace_id"], finding["step"]) == (None, None, None)
    assert finding["subject"] == "trip-planner"
    assert finding["message"] == (
        "3 of 60 runs of trip-planner (5.0 %) exceeded the 8.0 s budget although the typical hops' p50 sum to "
        "3.5 s; the tail comes mostly from tool search_flights (p50 1.5 s, up to 6.7 s); "
        "P(at least one hop in its tail) = 5.0 %")
    whats = [e["what"] for e in finding["evidence"]]
    assert whats[0] == "run run-030 took 8.6 s (budget 8.0 s)"  # the slowest run first
    assert whats[1] == "tool search_flights took 6.6 s (p50 1.5 s)"
    assert len(whats) == 6 and all(e["layer"] == "harness" for e in finding["evidence"])
    assert finding["ts"] == "2026-11-27T09:09:40.000000Z"  # run-030 opened 29 x 20 s after the first


def test_root_span_latency_and_configured_budget():
    options = case_options("fire-otlp-root-span")
    assert options == {"SEAM005": {"budget_ms": 5000.0}}
    (finding,) = findings(CASES / "fire-otlp-root-span", options=options)
    assert finding["subject"] == "support-bot" and finding["session"] is None
    assert finding["message"].startswith(
        "2 of 60 runs of support-bot (3.3 %) exceeded the 5.0 s budget although the typical hops' p50 sum to 1.9 s; "
        "the tail comes mostly from tool get_order (p50 0.4 s, up to 4.3 s)")
    assert {e["layer"] for e in finding["evidence"]} == {"agent", "tool"}
    # without a budget (no deadline_ms in the traces, none configured) the rule cannot judge
    assert findings(CASES / "fire-otlp-root-span") == []


def test_options_set_the_share_and_the_minimum_runs():
    assert findings(CASES / "fire-tail", options={"SEAM005": {"max_share": 0.05}}) == []  # 5 % is not more
    assert findings(CASES / "fire-tail", options={"SEAM005": {"min_runs": 61}}) == []
    # a configured budget wins over the sessions' deadline_ms: at 9 s no run exceeds it
    assert findings(CASES / "fire-tail", options={"SEAM005": {"budget_ms": 9000.0}}) == []


@pytest.mark.parametrize("case", ["near-rare", "near-capacity"])
def test_near_misses(case):
    assert findings(CASES / case) == []


def test_capacity_chain_does_exceed_its_budget_on_most_runs():
    """near-capacity is a real over-budget chain: it is excluded for its p50 sum, not its share."""
    store, _ = ingest_paths(CASES / "near-capacity")
    try:
        over, runs = store.con.execute(
            "SELECT count(*) FILTER (WHERE closed_at - opened_at > deadline_ms * 1e6), count(*) FROM sessions"
        ).fetchone()
    finally:
        store.close()
    assert runs == 60 and over > 30


def test_other_fixtures_raise_nothing():
    for folder in ("demo", "multisource", "openai_agents", "harness", "otlp-encodings"):
        assert findings(FIXTURES / folder) == [], folder
    for case in sorted((FIXTURES / "rules").glob("SEAM0*/*")):
        if case.parent.name != "SEAM005" and case.is_dir():
            assert findings(case) == [], case


def test_realdata_has_no_tail_finding(realdata):
    for folder in sorted(p for p in realdata.iterdir() if p.is_dir()):
        assert findings(folder) == [], folder.name

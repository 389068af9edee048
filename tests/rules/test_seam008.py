"""SEAM008 prompt-cache-stampede on its fixtures (fixtures/rules/SEAM008), other inputs and real data."""

from __future__ import annotations

import hashlib

import pytest

from analyzer.engine.registry import load_rules, select
from analyzer.engine.runner import run_rules
from tests.conftest import FIXTURES, ingest_paths

RULES = select(load_rules(), ["SEAM008"], None)
CASES = FIXTURES / "rules" / "SEAM008"


def findings(*paths, options=None):
    """SEAM008 findings and the distinct system instructions of the model calls."""
    store, _ = ingest_paths(*paths)
    try:
        instructions = store.con.execute(
            "SELECT DISTINCT system_instructions FROM llm_calls WHERE system_instructions IS NOT NULL").fetchall()
        return run_rules(store.con, RULES, options), [row[0] for row in instructions]
    finally:
        store.close()


def test_scheduled_runs_each_writing_the_cache_are_one_stampede():
    (finding,), (instructions,) = findings(CASES / "fire-scheduled-runs")
    assert finding["session"] == "digest-run-01"
    assert finding["subject"] == hashlib.md5(("instructions:" + instructions).encode()).hexdigest()[:12]
    assert "6 model calls in 6 session(s)" in finding["message"]
    assert "within 0.90 s" in finding["message"]
    assert "30720 cache-write tokens wasted (36864 written" in finding["message"]
    assert len(finding["evidence"]) == 6 and {e["layer"] for e in finding["evidence"]} == {"model"}
    assert [e["ts"] for e in finding["evidence"]] == sorted(e["ts"] for e in finding["evidence"])


def test_parallel_calls_in_one_session_group_by_their_prompt_cache_key():
    (finding,), _ = findings(CASES / "fire-parallel-in-session")
    assert finding["session"] == "research-88"
    assert finding["subject"] == hashlib.md5(b"key:research-filings-v3").hexdigest()[:12]
    assert "5 model calls in 1 session(s)" in finding["message"]
    assert "12840 cache-write tokens wasted" in finding["message"]
    # the later call that read the warm cache is not part of the stampede
    assert len(finding["evidence"]) == 5
    assert all(e["what"] == "wrote 3210 prompt-cache tokens (session research-88)" for e in finding["evidence"])


def test_concurrent_pydantic_ai_runs_of_one_agent():
    (finding,), (instructions,) = findings(CASES / "fire-pydantic-ai-fanout")
    assert finding["session"] == "triage-01"
    assert finding["subject"] == hashlib.md5(("instructions:" + instructions).encode()).hexdigest()[:12]
    assert "6 model calls in 6 session(s)" in finding["message"]
    assert "10240 cache-write tokens wasted (12288 written" in finding["message"]


@pytest.mark.parametrize("case", ["near-write-then-reads", "near-spread-over-minutes", "near-different-prefixes",
                                  "near-warm-prefix-suffix-writes",
                                  "near-same-prefix-five-models"])  # one prefix, five models: five caches
def test_near_misses(case):
    assert findings(CASES / case)[0] == []


def test_options_set_the_count_and_the_window():
    assert findings(CASES / "fire-scheduled-runs", options={"SEAM008": {"min_calls": 7}})[0] == []
    # 6 writes over 0.9 s: no 0.5 s window holds 5 of them; the 5 parallel calls span 0.16 s
    assert findings(CASES / "fire-scheduled-runs", options={"SEAM008": {"window_s": 0.5}})[0] == []
    assert len(findings(CASES / "fire-parallel-in-session", options={"SEAM008": {"window_s": 0.5}})[0]) == 1


@pytest.mark.parametrize("name", ["demo", "multisource", "openai_agents", "harness", "clock-contradiction",
                                  "rules/SEAM009", "rules/SEAM010"])
def test_no_stampede_in_other_fixtures(name):
    assert findings(FIXTURES / name)[0] == []


def test_no_stampede_in_real_traces(realdata):
    # real sessions write the cache turn by turn while reading it: never a stampede
    assert findings(realdata)[0] == []


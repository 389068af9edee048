"""SEAM002 timeout-race on its fixtures (fixtures/rules/SEAM002), the other fixtures and real data."""

from __future__ import annotations

from functools import partial

import json

import pytest

from analyzer.engine.registry import load_rules, select
from tests.conftest import FIXTURES, ingest_paths, rule_findings

RULES = select(load_rules(), ["SEAM002"], None)
CASES = FIXTURES / "rules" / "SEAM002"


findings = partial(rule_findings, RULES)


def raw_and_aligned(path, tool_name: str):
    """(give-up, tool-side end) of `tool_name`'s timed-out call, on raw and on aligned clocks."""
    store, _ = ingest_paths(path)
    try:
        return store.con.execute(
            "SELECT g.ts_raw_start, t.ts_raw_end, g.ts_start, t.ts_end FROM records g, records t "
            "WHERE g.kind = 'tool.timeout' AND t.kind = 'tool_server' AND g.tool_name = $tool "
            "AND t.tool_name = $tool", {"tool": tool_name}).fetchone()
    finally:
        store.close()


def layers(finding) -> set[str]:
    return {e["layer"] for e in finding["evidence"]}


def test_harness_timeout_while_the_tool_went_on():
    (finding,) = findings(CASES / "fire-harness-timeout")
    assert (finding["session"], finding["subject"], finding["step"]) == ("conv-7001", "render_report", 2)
    assert finding["message"] == "harness gave up on render_report after 7.9 s; the tool finished 0.2 s later"
    assert {"harness", "tool", "model"} <= layers(finding)
    whats = [e["what"] for e in finding["evidence"]]
    assert "harness timed out on render_report after 7898 ms" in whats
    assert "render_report ended OK on the tool side, with a result" in whats
    assert finding["ts"] == next(e["ts"] for e in finding["evidence"] if e["layer"] == "harness")


def test_harness_cancel_while_the_tool_went_on():
    (finding,) = findings(CASES / "fire-harness-cancel")
    assert (finding["session"], finding["subject"]) == ("conv-7001", "render_report")
    assert finding["message"] == "harness cancelled render_report after 2.4 s; the tool finished 0.6 s later"
    assert {"harness", "tool"} <= layers(finding)


def test_agent_side_timeout_linked_by_trace_context_only():
    (finding,) = findings(CASES / "fire-agent-timeout")
    assert (finding["session"], finding["subject"]) == ("conv-7001", "render_report")
    assert finding["message"] == "agent gave up on render_report after 5.0 s; the tool finished 0.4 s later"
    assert layers(finding) == {"model", "tool"}
    sources = {e["source"].split("/")[-1].split(":")[0] for e in finding["evidence"]}
    assert sources == {"agent.otlp.jsonl", "tools.otlp.pb"}


def test_agent_cancel_with_an_http_client_span_between_the_sides():
    (finding,) = findings(CASES / "fire-agent-cancel-http-client")
    assert (finding["session"], finding["subject"]) == ("conv-7001", "render_report")
    assert finding["message"] == "agent cancelled render_report after 3.5 s; the tool finished 0.8 s later"
    assert layers(finding) == {"model", "tool"}


def test_retry_dispatched_while_attempt_one_still_ran():
    (finding,) = findings(CASES / "fire-retry-overlap")
    assert (finding["session"], finding["subject"]) == ("conv-7002", "search_flights")
    assert finding["message"] == (
        "harness retried search_flights (attempt 2) 1.5 s after the first dispatch while the first attempt "
        "was still running on the tool side; it finished 0.7 s after the retry")
    assert {"harness", "tool"} <= layers(finding)


def test_late_result_seen_only_by_the_gateway():
    (finding,) = findings(CASES / "fire-late-harness-result")
    assert (finding["session"], finding["subject"]) == ("conv-7001", "render_report")
    assert finding["message"] == "harness gave up on render_report after 6.0 s; the tool finished 0.5 s later"
    assert finding["evidence"][-1]["what"] == "late tool.result (ok) for render_report"
    assert layers(finding) == {"harness", "model"}


def test_race_visible_only_on_the_aligned_clock():
    give_up_raw, tool_end_raw, give_up, tool_end = raw_and_aligned(CASES / "fire-aligned-only", "render_report")
    assert tool_end_raw < give_up_raw - 2_000_000_000  # raw: the tool "ended" 2.2 s before the timeout
    assert 250_000_000 < tool_end - give_up < 350_000_000  # aligned: 0.3 s after it
    (finding,) = findings(CASES / "fire-aligned-only")
    assert finding["message"] == "harness gave up on render_report after 3.0 s; the tool finished 0.3 s later"


def test_non_race_that_looks_like_one_on_raw_clocks():
    give_up_raw, tool_end_raw, give_up, tool_end = raw_and_aligned(CASES / "near-raw-clock", "render_report")
    assert tool_end_raw > give_up_raw + 1_500_000_000  # raw: the tool "ended" 1.7 s after the timeout
    assert tool_end < give_up  # aligned: before it
    assert findings(CASES / "near-raw-clock") == []


@pytest.mark.parametrize("case", ["near-tool-cancelled", "near-no-result", "near-retry-after-failure"])
def test_near_misses(case):
    assert findings(CASES / case) == []


def test_min_overrun_option():
    assert findings(CASES / "fire-harness-timeout", options={"SEAM002": {"min_overrun_ms": 500.0}}) == []


def test_multisource_race_is_one_finding():
    truth = json.loads((FIXTURES / "multisource" / "truth.json").read_text())["timeout_race"]
    (finding,) = findings(FIXTURES / "multisource")
    assert (finding["session"], finding["subject"]) == (truth["session_id"], truth["tool"])
    assert finding["message"].startswith("harness gave up on render_report after 0.3 s; the tool finished 0.3 s later")
    assert "retry" in finding["message"]
    tool_side = [e for e in finding["evidence"] if e["source"] and "tools.otlp.pb" in e["source"]]
    assert [e["source"].rsplit("=", 1)[1] for e in tool_side] == [truth["tool_server_span_id"]]
    assert {"harness", "tool", "model"} <= layers(finding)


# Fixtures of other rules that hold a real timeout race (by their design).
KNOWN_RACES = {("SEAM012", "near-caller-gave-up"), ("SEAM006", "fire-three-attempts-no-keys")}


def test_other_fixtures_raise_only_true_races():
    for folder in ("demo", "openai_agents", "harness", "clock-outoforder", "clock-contradiction"):
        assert findings(FIXTURES / folder) == [], folder
    for case in sorted((FIXTURES / "rules").glob("SEAM0*/*")):
        if case.parent.name == "SEAM002" or not case.is_dir():
            continue
        if findings(case):
            assert (case.parent.name, case.name) in KNOWN_RACES, case


def test_realdata_has_no_race(realdata):
    for folder in sorted(p for p in realdata.iterdir() if p.is_dir()):
        assert findings(folder) == [], folder.name

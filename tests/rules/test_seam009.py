"""SEAM009 agent-deadlock on its fixtures (fixtures/rules/SEAM009), other inputs and real data."""

from __future__ import annotations

from functools import partial

import json

import pytest

from analyzer.engine.registry import load_rules, select
from tests.conftest import FIXTURES, rule_findings

RULES = select(load_rules(), ["SEAM009"], None)
CASES = FIXTURES / "rules" / "SEAM009"


findings = partial(rule_findings, RULES)


def evidence_lines(finding):
    return [(e["source"].rsplit(":", 1)[-1], e["what"]) for e in finding["evidence"]]


def test_two_agents_waiting_on_each_other_until_the_session_ended():
    (finding,) = findings(CASES / "fire-two-agent-cycle")
    assert finding["session"] == "deal-7"
    assert finding["subject"] == "planner -> reviewer -> planner"
    assert finding["message"] == ("wait-for cycle planner -> reviewer -> planner: all 2 waits were open at once "
                                  "for 34.0 s, until the session ended")
    assert finding["ts"].startswith("2026-11-27T09:00:06")
    assert evidence_lines(finding) == [("3", "planner waits on reviewer (wait.start)"),
                                       ("4", "reviewer waits on planner (wait.start)"),
                                       ("5", "session deal-7 ended with 2 wait(s) of the cycle still open")]


def test_three_agents_through_an_approval_queue_later_cancelled():
    (finding,) = findings(CASES / "fire-approval-queue-cancelled")
    # the edge that opened first is support's approval request in refund-311
    assert finding["session"] == "refund-311"
    assert finding["subject"] == "approvals:finance -> finance -> ledger -> support -> approvals:finance"
    assert "all 3 waits were open at once for 596.0 s (threshold 60.0 s)" in finding["message"]
    whats = [what for _, what in evidence_lines(finding)]
    # who serves the queue: finance granted an earlier refund of it (session refund-310)
    assert "finance serves approvals:finance (named or granting here)" in whats
    assert "support stopped waiting on approvals:finance (tool.cancel) after 600.0 s" in whats
    assert len(whats) == 7


def test_approval_and_wait_cycle_ending_in_an_approval_timeout():
    (finding,) = findings(CASES / "fire-approval-timeout")
    assert finding["session"] == "contract-55"
    assert finding["subject"] == "approvals:legal -> counsel -> drafter -> approvals:legal"
    assert "all 2 waits were open at once for 898.0 s" in finding["message"]
    assert "drafter stopped waiting on approvals:legal (approval.timeout) after 900.0 s" in [
        what for _, what in evidence_lines(finding)]


@pytest.mark.parametrize("case", ["near-wait-chain", "near-never-simultaneous", "near-brief-cycle"])
def test_near_misses(case):
    assert findings(CASES / case) == []


def test_threshold_option():
    # the brief cycle was open at once for 20 s: a deadlock only under a shorter threshold
    (finding,) = findings(CASES / "near-brief-cycle", options={"SEAM009": {"threshold_s": 10.0}})
    assert finding["subject"] == "planner -> reviewer -> planner" and "20.0 s" in finding["message"]
    assert findings(CASES / "fire-approval-timeout", options={"SEAM009": {"threshold_s": 1000.0}}) == []


def test_each_cycle_once_when_all_cases_are_read_together():
    subjects = sorted(f["subject"] for f in findings(CASES))
    assert subjects == ["approvals:finance -> finance -> ledger -> support -> approvals:finance",
                        "approvals:legal -> counsel -> drafter -> approvals:legal",
                        "courier-planner -> dispatcher -> courier-planner",
                        "planner -> reviewer -> planner"]


@pytest.mark.parametrize("name", ["demo", "multisource", "openai_agents", "harness", "rules/SEAM008",
                                  "rules/SEAM010"])
def test_no_deadlock_in_other_fixtures(name):
    assert findings(FIXTURES / name) == []


def test_no_deadlock_in_real_traces(realdata):
    assert findings(realdata) == []


def write_harness(folder, events):
    """A canonical harness log of session conv-5: (hh:mm:ss, event, agent, waiting_for) each."""
    lines = [{"ts": f"2026-11-27T{ts}.000173Z", "event": event, "session_id": "conv-5", "agent": agent,
              "waiting_for": waiting_for} for ts, event, agent, waiting_for in events]
    (folder / "gateway.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    return folder


@pytest.mark.parametrize(("first_waits_on", "cycle"), [
    ("approvals:billing", "approvals:billing -> billing -> support -> approvals:billing"),
    ("reply:billing", "billing -> support -> reply:billing -> billing"),
])
def test_a_waited_on_name_is_served_by_the_agent_it_ends_with(tmp_path, first_waits_on, cycle):
    (finding,) = findings(write_harness(tmp_path, [
        ("09:00:00", "session.open", "support", None), ("09:00:01", "wait.start", "support", first_waits_on),
        ("09:00:02", "wait.start", "billing", "agent:support"), ("09:05:00", "session.close", "support", None)]))
    assert finding["subject"] == cycle and "298.0 s, until the session ended" in finding["message"]


@pytest.mark.parametrize(("ended_by", "waiting_for"), [("planner", None), (None, "agent:reviewer")])
def test_a_wait_end_missing_a_field_still_closes_its_wait(tmp_path, ended_by, waiting_for):
    assert findings(write_harness(tmp_path, [
        ("09:00:00", "session.open", "planner", None), ("09:00:05", "wait.start", "planner", "agent:reviewer"),
        ("09:01:35", "wait.end", ended_by, waiting_for), ("09:01:40", "wait.start", "reviewer", "agent:planner"),
        ("09:06:40", "session.close", "planner", None)])) == []


def test_a_cycle_still_open_when_the_harness_log_ends():
    # neither session ever closed: both waits were still open where the harness log ends
    (finding,) = findings(CASES / "fire-cycle-never-closed")
    assert (finding["session"], finding["subject"]) == ("dsp-f009-open-a",
                                                        "courier-planner -> dispatcher -> courier-planner")
    head, _, tail = finding["message"].partition(" open at once for ")
    assert head == "wait-for cycle courier-planner -> dispatcher -> courier-planner: all 2 waits were"
    seconds, _, ending = tail.partition(" s")
    assert float(seconds) > 200 and ending == ", until the session ended"  # the log goes on ~230 s after both waits

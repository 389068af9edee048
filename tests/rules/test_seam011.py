"""SEAM011 shared-state-lost-update on its fixtures (fixtures/rules/SEAM011), the other fixtures and real data."""

from __future__ import annotations

from functools import partial

import pytest

from analyzer.engine.registry import load_rules, select
from tests.conftest import FIXTURES, rule_findings

RULES = select(load_rules(), ["SEAM011"], None)
CASES = FIXTURES / "rules" / "SEAM011"


findings = partial(rule_findings, RULES)


def test_two_sessions_interleaved():
    (finding,) = findings(CASES / "fire-two-sessions")
    assert (finding["session"], finding["subject"]) == ("s11-b", "order:1042")
    assert finding["message"] == ("session s11-b wrote order:1042 from a read 0.4 s old (version 7); session s11-a "
                                  "had written it 0.2 s earlier (version 8), and the write carried no "
                                  "expected_version: that update was lost")
    assert [e["what"] for e in finding["evidence"]] == [
        "read by s11-a/support", "read by s11-b/support, version 7", "written by s11-a/support, version 8",
        "written by s11-b/support with no expected_version"]
    assert finding["ts"] == finding["evidence"][-1]["ts"]


def test_two_agents_of_one_session_through_tool_arguments():
    (finding,) = findings(CASES / "fire-two-agents-one-session")
    assert (finding["session"], finding["subject"]) == ("fire-two-agents-one-session", "account_id=acc-7")
    assert finding["message"].startswith("agent support (session fire-two-agents-one-session) wrote account_id=acc-7 "
                                         "from a read 0.5 s old; agent billing had written it 0.2 s earlier")
    assert {e["layer"] for e in finding["evidence"]} == {"tool"}
    assert len(finding["evidence"]) == 4


def test_two_agents_of_one_session_through_state_events():
    (finding,) = findings(CASES / "fire-two-agents-state-events")
    assert (finding["session"], finding["subject"]) == ("s11-d", "invoice:INV-88")
    assert finding["message"] == ("agent collections (session s11-d) wrote invoice:INV-88 from a read 0.4 s old "
                                  "(version 12); agent billing had written it 0.2 s earlier (version 13), and the "
                                  "write carried no expected_version: that update was lost")


def test_three_readers_two_unchecked_writers_is_one_finding():
    (finding,) = findings(CASES / "fire-three-readers-two-writers")
    assert (finding["session"], finding["subject"]) == ("s11-b", "ticket:T-88")
    assert "session s11-a had written it 0.3 s earlier (version 4)" in finding["message"]


@pytest.mark.parametrize("case", ["near-sequential", "near-version-conflict"])
def test_near_misses(case):
    assert findings(CASES / case) == []


def test_write_globs_option():
    assert findings(CASES / "fire-two-agents-one-session", options={"SEAM011": {"write_globs": ["put_*"]}}) == []

"""SEAM010 clock-disagreement on its fixtures (fixtures/rules/SEAM010), the clock fixtures, other
inputs and real data."""

from __future__ import annotations

from functools import partial

import json
import re

import pytest

from analyzer.engine.registry import load_rules, select
from tests.conftest import FIXTURES, rule_findings

RULES = select(load_rules(), ["SEAM010"], None)
CASES = FIXTURES / "rules" / "SEAM010"


findings = partial(rule_findings, RULES)


def test_a_domain_whose_offset_exceeds_the_tolerance():
    (finding,) = findings(CASES / "fire-domain-offset")
    assert finding["session"] is None and finding["subject"] == "inventory-tools@tools-2"
    ahead_s = float(re.search(r"runs ([0-9.]+) s ahead of the reference", finding["message"]).group(1))
    assert 2.2 < ahead_s < 2.6  # the tool host's clock was skewed by +2.4 s
    # evidence: the domain's first and last records, each with the correction applied to it
    assert [e["what"].split(":")[0] for e in finding["evidence"]] == [
        "first record on clock inventory-tools@tools-2", "last record on clock inventory-tools@tools-2"]
    assert all(e["layer"] == "tool" and e["source"] for e in finding["evidence"])
    assert findings(CASES / "fire-domain-offset", options={"SEAM010": {"domain_tolerance_s": 3.0}}) == []


def test_a_stepped_domain_is_reported_once():
    # fixtures/clock-contradiction: the tool service's clock steps by +5 s after session 2
    (finding,) = findings(FIXTURES / "clock-contradiction")
    assert finding["session"] is None and finding["subject"] == "tool-service@tools-node"
    assert "is inconsistent" in finding["message"]
    assert [e["source"].split(":")[0].rsplit("/", 1)[-1] for e in finding["evidence"]] == ["tools.otlp.pb"] * 2


@pytest.mark.parametrize(("case", "words"), [("fire-schedule-late", "fired 450.0 s late"),
                                             ("fire-schedule-early", "fired 180.0 s early")])
def test_a_scheduled_run_fired_off_time(case, words):
    (finding,) = findings(CASES / case)
    assert finding["session"] == "nightly-digest-2026-11-27" and finding["subject"] == "digest"
    assert words in finding["message"]
    assert [e["layer"] for e in finding["evidence"]] == ["harness"]


def test_schedule_tolerance_option():
    assert findings(CASES / "fire-schedule-late", options={"SEAM010": {"schedule_tolerance_s": 500.0}}) == []


def test_a_model_asserting_the_wrong_date_for_today():
    (finding,) = findings(CASES / "fire-wrong-today")
    assert finding["session"] == "weekly-summary-47" and finding["subject"] == "2026-02-13"
    assert "claims today is 2026-02-13" in finding["message"]
    assert "the call ran on 2026-11-27" in finding["message"] and "287 days off" in finding["message"]
    # the model span, the harness model.response and response.forward all carry the claim
    assert sorted(e["layer"] for e in finding["evidence"]) == ["harness", "harness", "model"]


@pytest.mark.parametrize("case", ["near-offset-within-tolerance", "near-schedule-within-tolerance",
                                  "near-historical-date"])
def test_near_misses(case):
    assert findings(CASES / case) == []


@pytest.mark.parametrize(("name", "skewed_domain"), [("demo", "order-tools@tools-host-1"),
                                                      ("multisource", "tool-service@tools-node")])
def test_fixtures_skewed_by_design_report_their_skewed_domain(name, skewed_domain):
    # both scenarios run the tool host's clock 1.9 s ahead: beyond the 1 s tolerance
    assert [(f["session"], f["subject"]) for f in findings(FIXTURES / name)] == [(None, skewed_domain)]


@pytest.mark.parametrize("name", ["openai_agents", "harness", "rules/SEAM008", "rules/SEAM009"])
def test_no_finding_in_other_fixtures(name):
    assert findings(FIXTURES / name) == []


def test_no_finding_in_real_traces(realdata):
    # unanchored domains of single-process traces have offset 0; no date claims or schedules
    assert findings(realdata) == []


# (model text on 2026-11-27, claimed date or None when it is no claim about today)
PHRASINGS = [
    ("Today is 2026-02-13.", "2026-02-13"),
    ("The current date is 2026-02-13T08:15:00Z and the queue is empty.", "2026-02-13"),
    ("Today is February 13, 2026 (a Friday), which matters for payroll.", "2026-02-13"),
    ("Today is February 13, 2026 09:00 UTC.", "2026-02-13"),
    ("Sure! Today's date is 13 February 2026, a Friday.", "2026-02-13"),
    ("The current date is Feb. 13th, 2026; the report covers last week.", "2026-02-13"),
    ("As of today, February 13, 2026, the account has 4 open tickets.", "2026-02-13"),
    ("As of today (2025-11-27) the plan is active.", "2025-11-27"),
    ("It is now March 2 and the invoice is overdue.", "2027-03-02"),  # a year-less date: the nearest year
    ("Today is 02/13/2026.", "2026-02-13"),
    ("Today is 13.02.2026.", "2026-02-13"),
    ("Today is 11/27/2026, a Friday.", None),
    ("Today is 27/11/2026.", None),
    ("TODAY IS FRIDAY, THE 13TH OF FEBRUARY 2026.", "2026-02-13"),
    ("Today is November 27, 2026. Nothing else changed.", None),
    ("Today is November 26, so the batch ran overnight.", None),  # within a day: a time zone
    ("The contract was signed on February 13, 2019 and renewed on March 1, 2024.", None),
    ('The memo of 13 February 2019 opens with "Today is February 13, 2019, and we start over."', None),
    ("The deadline is February 13, 2027; as of today, the 2019-03-05 audit still applies.", None),
    ("Today is a good day to review the 2019-03-05 audit.", None),
]


def test_date_claims_in_model_text(tmp_path):
    lines = [{"ts": "2026-11-27T09:00:00.000173Z", "event": "model.response", "session_id": f"s{i}",
              "agent": "summary", "text": text} for i, (text, _) in enumerate(PHRASINGS)]
    (tmp_path / "gateway.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    claimed = {f["session"]: f["subject"] for f in findings(tmp_path)}
    assert claimed == {f"s{i}": date for i, (_, date) in enumerate(PHRASINGS) if date}


def test_a_current_date_followed_by_here():
    (finding,) = findings(CASES / "fire-currently-date-here")
    assert (finding["session"], finding["subject"]) == ("sup-f010-02", "2026-02-14")
    assert finding["message"].startswith('model output claims today is 2026-02-14 ("14 february 2026") but the call '
                                         "ran on 2026-11-27")

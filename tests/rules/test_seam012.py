"""SEAM012 tool-result-not-delivered on its fixtures (fixtures/rules/SEAM012), the other fixtures and real data."""

from __future__ import annotations

from functools import partial

import pytest

from analyzer.engine.functions import result_delivered
from analyzer.engine.registry import load_rules, select
from tests.conftest import FIXTURES, rule_findings

RULES = select(load_rules(), ["SEAM012"], None)
CASES = FIXTURES / "rules" / "SEAM012"


findings = partial(rule_findings, RULES)


def layers(finding) -> set[str]:
    return {e["layer"] for e in finding["evidence"]}


def test_truncation_dropped_the_latest_result():
    (finding,) = findings(CASES / "fire-truncate-dropped-latest")
    assert (finding["session"], finding["subject"], finding["step"]) == ("fire-truncate-dropped-latest", "get_invoice", 2)
    assert finding["message"] == ("the result of get_invoice (call_inv1) was missing from the next model request, "
                                  "sent 44 ms after the tool finished: context.truncate dropped it and the model went on")
    assert layers(finding) == {"harness", "model", "tool"}
    assert "context.truncate dropped call_inv1" in [e["what"] for e in finding["evidence"]]


def test_harness_never_added_the_result():
    (finding,) = findings(CASES / "fire-harness-lost-result")
    assert (finding["session"], finding["subject"]) == ("fire-harness-lost-result", "get_invoice")
    assert finding["message"].endswith("the harness never added it and the model went on")
    assert {"model", "tool"} <= layers(finding)
    request = next(e for e in finding["evidence"] if e["layer"] == "model")
    assert request["what"] == "next model request: no tool message for call_inv1"
    assert finding["ts"] == request["ts"]


def test_one_of_three_parallel_results_replaced_by_a_placeholder():
    (finding,) = findings(CASES / "fire-one-of-three-parallel")
    assert (finding["session"], finding["subject"]) == ("fire-one-of-three-parallel", "get_credit_notes")
    assert finding["message"] == (
        "the result of get_credit_notes (call_p3) was missing from the next model request, sent 12 ms after the "
        "tool finished: a different content stood in its place (\"the tool call was interrupted\") and the model "
        "went on")
    assert {"model", "tool"} <= layers(finding)


def test_pydantic_ai_history_processor_dropped_the_newest_return():
    """pydantic-ai itself puts a placeholder under the id of a tool call whose return is gone."""
    (finding,) = findings(CASES / "fire-pydantic-ai-history-trimmed")
    assert (finding["session"], finding["subject"]) == ("fire-pydantic-ai-history-trimmed", "get_payments")
    assert finding["message"] == (
        "the result of get_payments (call_pa2) was missing from the next model request, sent 24 ms after the "
        "tool finished: a different content stood in its place (\"The tool call was interrupted before a result "
        "was produced.\") and the model went on")
    assert layers(finding) == {"model", "tool"}


@pytest.mark.parametrize("case", ["near-result-reserialized", "near-truncate-dropped-old", "near-caller-gave-up",
                                  "near-pydantic-ai-parallel-delivered"])
def test_near_misses(case):
    assert findings(CASES / case) == []


@pytest.mark.parametrize("content, result, delivered", [
    ('{\n  "total": 1200.0,\n  "id": "INV-88"\n}', '{"id":"INV-88","total":1200}', True),
    ("{'id': 'INV-88', 'total': 1200}", '{"id":"INV-88","total":1200}', True),  # str() of a dict
    ('{"type": "function_result", "result": "sunny, 23\\u00b0C"}', "sunny, 23°C", True),
    ("None", "null", True),
    ("Invoice INV-88 totals 1200 EUR", '{"id":"INV-88","total":1200}', True),  # rendered
    ("the tool call was interrupted", '{"id":"INV-88","total":1200}', False),
    ('{"id":"INV-88","total":950}', '{"id":"INV-88","total":1200}', False),
    (None, '{"id":"INV-88"}', False),
])
def test_result_comparison(content, result, delivered):
    assert result_delivered(content, result) is delivered

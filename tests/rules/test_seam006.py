"""SEAM006 non-idempotent-retry on its fixtures (fixtures/rules/SEAM006), the other fixtures and real data."""

from __future__ import annotations

from functools import partial

import pytest

from analyzer.engine.registry import load_rules, select
from analyzer.engine.runner import run_rules
from tests.conftest import FIXTURES, ingest_paths, rule_findings

RULES = select(load_rules(), ["SEAM006"], None)
CASES = FIXTURES / "rules" / "SEAM006"


findings = partial(rule_findings, RULES)


def layers(finding) -> set[str]:
    return {e["layer"] for e in finding["evidence"]}


def tool_side(finding) -> list[dict]:
    return [e for e in finding["evidence"] if " ran on the tool side" in e["what"]]


def test_response_lost_and_retried_without_a_key():
    (finding,) = findings(CASES / "fire-response-lost-no-key")
    assert (finding["session"], finding["subject"], finding["step"]) == ("fire-response-lost-no-key", "refund_order", 1)
    assert finding["message"] == ("refund_order ran 2 times on the tool side for one call (call_r1) within 2.1 s, "
                                  "with no idempotency key")
    assert {"harness", "tool", "model"} <= layers(finding)
    assert [e["what"] for e in tool_side(finding)] == [
        "refund_order ran on the tool side (attempt 1) with no idempotency key, ended ok",
        "refund_order ran on the tool side (attempt 2) with no idempotency key, ended ok"]
    assert finding["ts"] == tool_side(finding)[1]["ts"]


def test_fresh_key_after_a_500_that_came_after_the_write():
    (finding,) = findings(CASES / "fire-fresh-key-after-500")
    assert (finding["session"], finding["subject"]) == ("fire-fresh-key-after-500", "charge_card")
    assert finding["message"] == ("charge_card ran 2 times on the tool side for one call (call_r1) within 0.6 s, "
                                  "under 2 different idempotency keys")
    whats = [e["what"] for e in tool_side(finding)]
    assert whats == ["charge_card ran on the tool side (attempt 1) with key idem-7f3a, ended error (HTTP 500)",
                     "charge_card ran on the tool side (attempt 2) with key idem-91c2, ended ok"]
    assert {"harness", "tool"} <= layers(finding)


def test_three_attempts_without_harness():
    (finding,) = findings(CASES / "fire-three-attempts-no-keys")
    assert (finding["session"], finding["subject"]) == ("fire-three-attempts-no-keys", "send_invoice")
    assert finding["message"] == ("send_invoice ran 3 times on the tool side for one call (call_s1) within 2.2 s, "
                                  "with no idempotency key")
    assert layers(finding) == {"model", "tool"}
    assert len(tool_side(finding)) == 3
    sources = {e["source"].rsplit("/", 1)[1].split(":")[0] for e in finding["evidence"]}
    assert sources == {"agent.otlp.jsonl", "tools.otlp.pb"}


def test_spans_that_name_no_call_are_tied_to_their_dispatch_by_tool_and_time():
    (finding,) = findings(CASES / "fire-no-key-unlinked-spans")
    assert (finding["session"], finding["subject"], finding["step"]) == ("fire-no-key-unlinked-spans", "refund_order", 1)
    assert finding["message"] == ("refund_order ran 2 times on the tool side for one call (call_r1) within 2.1 s, "
                                  "with no idempotency key")
    assert {"harness", "tool", "model"} <= layers(finding)


@pytest.mark.parametrize("case", ["near-same-key", "near-same-key-unlinked-spans", "near-one-attempt-reached-tool",
                                  "near-rate-limited-then-retried", "near-read-only-tool",
                                  "near-untraced-tool-first-result-lost"])
def test_near_misses(case):
    assert findings(CASES / case) == []


def test_side_effecting_globs_option():
    options = {"SEAM006": {"side_effecting_globs": ["get_order"], "read_only_globs": []}}
    (finding,) = findings(CASES / "near-read-only-tool", options=options)
    assert finding["subject"] == "get_order"
    assert findings(CASES / "fire-response-lost-no-key", options={"SEAM006": {"side_effecting_globs": ["charge_*"]}}) == []


def test_a_span_exported_twice_is_one_execution():
    """export.json and export.jsonl hold the same Agents SDK spans: never two runs of one call."""
    assert findings(FIXTURES / "openai_agents") == []


def test_other_fixtures_raise_none_of_seam006_007_011_012():
    """One pass for the four rules of generate_seam006_007_011_012.py (each fixture ingested once):
    on the ingest, clock and other rules' fixtures none of them fires; on each other's, only
    the fixture's own rule."""
    rules = select(load_rules(), ["SEAM006", "SEAM007", "SEAM011", "SEAM012"], None)
    folders = [FIXTURES / name for name in ("demo", "multisource", "harness", "openai_agents", "otlp-encodings",
                                            "clock-outoforder", "clock-contradiction")]
    folders += [case for case in sorted((FIXTURES / "rules").glob("SEAM0*/*")) if case.is_dir()]
    for folder in folders:
        store, _ = ingest_paths(folder)
        try:
            codes = {f["code"] for f in run_rules(store.con, rules)}
        finally:
            store.close()
        assert codes <= {folder.parent.name}, (folder, codes)


def test_realdata_raises_none_of_seam006_007_011_012(realdata):
    rules = select(load_rules(), ["SEAM006", "SEAM007", "SEAM011", "SEAM012"], None)
    for folder in sorted(p for p in realdata.iterdir() if p.is_dir()):
        store, _ = ingest_paths(folder)
        try:
            assert run_rules(store.con, rules) == [], folder.name
        finally:
            store.close()

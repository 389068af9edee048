"""SEAM003 retry-masked-caller-bug on its fixtures (fixtures/rules/SEAM003), its heuristics, the
other fixtures and real data. The sweep over the other rules' fixtures runs both SEAM001 and
SEAM003 in tests/rules/test_seam001.py (one ingest per folder)."""

from __future__ import annotations

from functools import partial

import re

import pytest

from analyzer.engine.functions import args_change, caller_error, revises_args
from analyzer.engine.registry import load_rules, select
from analyzer.engine.runner import run_rules
from tests.conftest import FIXTURES, ingest_paths, rule_findings

RULES = select(load_rules(), ["SEAM003"], None)
CASES = FIXTURES / "rules" / "SEAM003"
MESSAGE = re.compile(r"(?P<tool>\w+) rejected (?P<rejected>\d+) attempt\(s\) with (?P<error>.+?) \((?P<text>.*)\); "
                     r"(?P<delay>[\d.]+) s later a call with different arguments \((?P<change>.+)\) succeeded, "
                     r"so the run reports success")


findings = partial(rule_findings, RULES)


def parsed(finding) -> dict[str, str]:
    match = MESSAGE.fullmatch(finding["message"])
    assert match, finding["message"]
    return match.groupdict()


@pytest.mark.parametrize("case, session, tool, error, text, change, evidence_layers", [
    ("fire-http-422-then-fixed", "conv-s3-422", "refund_order", "HTTP 422", "reason is required for refunds",
     "added reason", {"tool", "harness", "model"}),
    ("fire-retry-prompt-validation", "conv-s3-validation", "book_table", "a validation error",
     "1 validation error for book_table date Input should be a valid date or datetime, invalid character in "
     "year [type=date_f\u2026", "changed date", {"tool", "harness", "model"}),
    ("fire-agents-invalid-arguments", "thread-s3-invalid-args", "lookup_invoice", "invalid arguments",
     "Error running tool (non-fatal): Invalid JSON input for tool lookup_invoice",
     "added invoice_id; removed invoice", {"tool", "harness", "model"}),
    # the SDK's default failure function withholds the error; the arguments were not valid JSON
    ("fire-agents-malformed-json", "thread-s3-malformed-json", "get_invoice", "invalid arguments",
     "Error running tool (non-fatal): Tool execution failed. Error details are redacted.",
     "valid JSON instead of malformed arguments", {"tool", "harness", "model"}),
])
def test_fires_once_on_the_masked_caller_error(case, session, tool, error, text, change, evidence_layers):
    (finding,) = findings(CASES / case)
    assert (finding["code"], finding["session"], finding["subject"], finding["step"]) == ("SEAM003", session, tool, 1)
    message = parsed(finding)
    assert (message["tool"], message["rejected"], message["error"], message["text"], message["change"]) == (
        tool, "1", error, text, change)
    assert abs(float(message["delay"]) - 0.7) <= 0.15
    assert {e["layer"] for e in finding["evidence"]} == evidence_layers
    whats = [e["what"] for e in finding["evidence"]]
    assert any(w.startswith(f"{tool} rejected with ") for w in whats)
    assert any(w.startswith(f"{tool} succeeded with arguments ") for w in whats)
    assert "model requested the call again with different arguments" in whats
    assert finding["ts"] == min(e["ts"] for e in finding["evidence"])


def test_every_layer_of_the_rejected_attempt_is_evidence():
    (finding,) = findings(CASES / "fire-http-422-then-fixed")
    rejected = {e["source"].split("/")[-1].split(":")[0]: e["what"] for e in finding["evidence"]
                if "rejected" in e["what"]}
    assert rejected == {
        "agent.otlp.jsonl": "refund_order rejected with a framework retry request: refund rejected by "
                            "booking-tools (HTTP 422): reason is required for refunds",
        "tools.otlp.pb": 'refund_order rejected with HTTP 422: {"error":"reason is required for refunds"}',
        "gateway.harness.jsonl": "refund_order rejected with HTTP 422: reason is required for refunds",
    }


@pytest.mark.parametrize("case, failed_kind", [
    ("near-503-same-arguments", "tool.result"),  # HTTP 503, then a retry with identical arguments
    ("near-timeout-same-call", "tool.timeout"),  # a timeout, then the same call again
    ("near-422-then-gave-up", "tool.result"),  # a 422 the model reported to the user: no success
])
def test_failures_without_a_masking_success_do_not_fire(case, failed_kind):
    store, _ = ingest_paths(CASES / case)
    try:
        failed = store.con.execute("SELECT count(*) FROM tool_calls WHERE kind = $kind AND status IN "
                                   "('error', 'timeout')", {"kind": failed_kind}).fetchone()[0]
        assert failed == 1  # the near miss holds the failure
        assert run_rules(store.con, RULES) == []
    finally:
        store.close()


def test_demo_and_encoding_incidents_are_found_once():
    (demo,) = findings(FIXTURES / "demo")
    assert (demo["session"], demo["subject"]) == ("conv-1002", "refund_order")
    assert (parsed(demo)["error"], parsed(demo)["change"]) == ("HTTP 422", "added reason")
    assert {e["layer"] for e in demo["evidence"]} == {"tool", "model"}
    (encodings,) = findings(FIXTURES / "otlp-encodings")
    assert (encodings["session"], parsed(encodings)["error"]) == ("conv-enc-1", "a framework retry request")


@pytest.mark.parametrize("folder", sorted(p for p in (FIXTURES / "rules" / "SEAM001").iterdir() if p.is_dir())
                         + [FIXTURES / "openai_agents"], ids=lambda p: p.name)
def test_quiet_on_null_result_incidents(folder):
    assert findings(folder) == []


def test_real_data_holds_one_masked_invalid_argument(realdata):
    """The OpenHands SWE run that asked for lines 100-150 of a shorter file: the editor tool
    rejected the `view_range`, the next call fixed it. Its other editor errors are followed by
    another operation (`command` changed), not by a corrected call, and stay quiet."""
    (finding,) = findings(realdata)
    assert (finding["session"], finding["subject"]) == ("ponylang__ponyc-4593", "str_replace_editor")
    message = parsed(finding)
    assert message["text"].startswith("ERROR: Invalid `view_range` parameter: [100, 150].")
    assert message["change"] == "changed thought, view_range"


@pytest.mark.parametrize("status, http_status, error_type, message, result, args, label", [
    ("error", 422, None, None, None, None, "HTTP 422"),
    ("error", 400, None, "Bad Request", None, None, "HTTP 400"),
    ("error", 503, None, "Service Unavailable", None, None, None),
    ("error", 429, None, "Too Many Requests", None, None, None),
    ("timeout", None, None, "no response within 2000 ms", None, None, None),
    ("error", None, "pydantic_ai.exceptions.ToolRetryError", "reason is required", None, None,
     "a framework retry request"),
    ("error", None, None, "Error running tool (non-fatal): Invalid JSON input for tool x", None, None,
     "invalid arguments"),
    ("unset", None, None, None, '{"detail": [{"loc": ["body", "reason"], "msg": "field required"}]}', None,
     "a validation error"),
    ("error", None, "RuntimeError", "orders-db: connection pool exhausted", None, None, None),
    ("error", None, None, "Error running tool (non-fatal)", None, '{"invoice_id": "INV-78"', "invalid arguments"),
    ("error", None, None, "Error running tool (non-fatal)", "An error occurred while running the tool.", None,
     "a tool error whose details the framework withheld"),
    ("ok", 200, None, None, '{"refund_id": "RF-1"}', '{"order_id": "A-1"}', None),
])
def test_caller_error(status, http_status, error_type, message, result, args, label):
    assert caller_error(status, http_status, error_type, message, result, args) == label


@pytest.mark.parametrize("before, after, revised", [
    ('{"order_id": "A-1"}', '{"order_id": "A-1", "reason": "damaged"}', True),
    ('{"date": "next Friday", "seats": 2}', '{"date": "2026-12-04", "seats": 2}', True),
    ('{"invoice": "INV-77"}', '{"invoice_id": "INV-77"}', True),
    ("{not json", '{"invoice_id": "INV-77"}', True),
    ('{"command": "str_replace", "path": "a.c", "old_str": null}', '{"command": "view", "path": "a.c"}', False),
    ('{"a": 1, "b": 2, "c": 3}', '{"a": 9, "b": 8, "c": 3}', False),
    ('{"a": 1}', "{'a': 1}", False),
    ('{"customer_id": "C-1", "vat": "NO1", "if_match": "v7"}', '{"customer_id": "C-1", "vat": "NO1", "if_match": "v8"}',
     False),  # only the version of a conditional write moved: a concurrency retry
    ('{"customer_id": "C-1", "phone": "2", "vat": "NO 1", "if_match": "v7"}',
     '{"customer_id": "C-1", "phone": "2", "vat": "NO1", "if_match": "v8"}', True),  # and a value corrected
])
def test_revises_args(before, after, revised):
    assert revises_args(before, after) is revised


def test_args_change_names_the_arguments():
    assert args_change('{"order_id": "A-1"}', '{"reason": "x", "order_id": "A-2"}') == "added reason; changed order_id"


@pytest.mark.parametrize("case, failed", [
    # a conditional write rejected (HTTP 412), re-read, and re-applied with only its version moved
    ("near-version-only-retry", "SELECT count(*) FROM tool_calls WHERE http_status = 412"),
    # the Agents SDK withheld the error's details; the gateway and the tool service saw a 503
    ("near-redacted-error-transient-at-gateway", "SELECT count(*) FROM tool_calls WHERE http_status = 503"),
])
def test_retries_that_are_not_caller_bugs_do_not_fire(case, failed):
    store, _ = ingest_paths(CASES / case)
    try:
        assert store.con.execute(failed).fetchone()[0] >= 1  # the near miss holds the failure
        assert run_rules(store.con, RULES) == []
    finally:
        store.close()

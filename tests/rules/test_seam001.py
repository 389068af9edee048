"""SEAM001 null-result-rationalized on its fixtures (fixtures/rules/SEAM001), its text heuristics,
the other fixtures and real data."""

from __future__ import annotations

from functools import partial

import re

import pytest

from analyzer.engine.functions import acknowledges_gap, payload_shape, register, unsupported_claims
from analyzer.engine.registry import load_rules, select
from analyzer.engine.runner import run_rules
from tests.conftest import FIXTURES, ingest_paths, rule_findings

RULES = select(load_rules(), ["SEAM001"], None)
CASES = FIXTURES / "rules" / "SEAM001"
MESSAGE = re.compile(r"(?P<tool>\w+) returned (?P<shape>.+?) \(status (?P<status>\w+)\); the next answer, "
                     r"(?P<delay>[\d.]+) s later, states (?P<count>\d+) specific\(s\) found in no tool result "
                     r"or user input: (?P<claims>.+)")


findings = partial(rule_findings, RULES)


def empty_payloads(path) -> list[str]:
    """The empty or error-shaped tool payloads of a fixture (so a near miss holds the trap)."""
    store, _ = ingest_paths(path)
    try:
        register(store.con)
        rows = store.con.execute(
            "SELECT DISTINCT payload_shape(result, status, error_message, attrs) FROM tool_calls "
            "WHERE payload_shape(result, status, error_message, attrs) IS NOT NULL").fetchall()
        return sorted(row[0] for row in rows)
    finally:
        store.close()


def parsed(finding) -> dict[str, str]:
    match = MESSAGE.fullmatch(finding["message"])
    assert match, finding["message"]
    return match.groupdict()


def layers(finding) -> set[str]:
    return {e["layer"] for e in finding["evidence"]}


@pytest.mark.parametrize("case, session, step, tool, shape, status, claims, delay_s, evidence_layers", [
    ("fire-none-result", "conv-s1-none", 2, "get_tracking", "null", "ok",
     "UPS, 1Z999AA10123456784, 2026-12-03, 12:00", 0.65, {"tool", "harness", "model"}),
    ("fire-empty-list", "conv-s1-empty", 2, "search_flights", "an empty list", "ok",
     "DY1302, 07:05, 10:40, 1,890, NOK", 0.65, {"tool", "harness", "model"}),
    ("fire-error-object-ok-status", "thread-s1-error-object", 2, "lookup_customer", "an error object", "ok",
     "Maria, Keller, Graz, Premium, 2019, 29.90, EUR", 0.4, {"tool", "harness", "model"}),
    # '{"result": null}' sent as JSON text; the answer comes through pydantic-ai's output tool, so
    # it is the agent run's final result (no gateway log in this deployment).
    ("fire-wrapped-null-structured-answer", "conv-s1-wrapped", 1, "get_balance", "null", "unset",
     "1,250.00, EUR, 2026-11-29, 300.00", 0.7, {"tool", "agent"}),
])
def test_fires_once_with_the_invented_specifics(case, session, step, tool, shape, status, claims, delay_s,
                                                evidence_layers):
    (finding,) = findings(CASES / case)
    assert (finding["code"], finding["session"], finding["subject"], finding["step"]) == ("SEAM001", session, tool,
                                                                                          step)
    message = parsed(finding)
    assert (message["tool"], message["shape"], message["status"], message["claims"]) == (tool, shape, status, claims)
    assert int(message["count"]) == len(claims.split(", "))
    assert abs(float(message["delay"]) - delay_s) <= 0.15
    assert layers(finding) == evidence_layers
    answers = [e for e in finding["evidence"] if e["what"].startswith("next answer states")]
    assert len(answers) == 1 and answers[0]["what"].endswith(claims)
    assert all(e["what"].startswith(f"{tool} returned {shape}") for e in finding["evidence"] if e not in answers)


@pytest.mark.parametrize("case, trap", [
    ("near-acknowledged-missing", ["null"]),
    ("near-claims-from-tool-and-user", ["an empty list"]),
    ("near-langfuse-error-acknowledged", ["an error object"]),
])
def test_near_misses_hold_an_empty_payload_but_do_not_fire(case, trap):
    assert empty_payloads(CASES / case) == trap
    assert findings(CASES / case) == []


def test_demo_and_agents_sdk_incidents_are_found_once():
    (demo,) = findings(FIXTURES / "demo")
    assert (demo["session"], demo["subject"]) == ("conv-1003", "lookup_weather")
    assert parsed(demo)["claims"] == "18"
    (agents,) = findings(FIXTURES / "openai_agents")  # export.json and export.jsonl hold the same run
    assert (agents["session"], agents["subject"]) == ("thread-s2-tool-none", "get_tracking")
    assert parsed(agents)["claims"] == "UPS, 1Z999AA10123456784, 12:00"


OTHER_RULE_CASES = sorted(p for p in (FIXTURES / "rules").glob("SEAM*/*")
                          if p.is_dir() and p.parent.name not in ("SEAM001", "SEAM003"))


@pytest.mark.parametrize("folder", OTHER_RULE_CASES + [FIXTURES / "multisource", FIXTURES / "harness"],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_quiet_on_inputs_without_either_incident(folder):
    """SEAM001 and SEAM003 together (one ingest per folder): the other rules' fixtures and the
    multi-source scenario hold neither incident."""
    store, _ = ingest_paths(folder)
    try:
        assert run_rules(store.con, select(load_rules(), ["SEAM001", "SEAM003"], None)) == []
    finally:
        store.close()


@pytest.mark.parametrize("folder", sorted(p for p in (FIXTURES / "rules" / "SEAM003").iterdir() if p.is_dir())
                         + [FIXTURES / "otlp-encodings"], ids=lambda p: p.name)
def test_quiet_on_retry_incidents(folder):
    assert findings(folder) == []


def test_quiet_on_real_framework_exports(realdata):
    """Langfuse, LangSmith, ADK, any-agent and OpenHands exports hold no such incident; the ADK
    run whose tool raised and the error observations of OpenHands must stay quiet."""
    assert findings(realdata) == []


@pytest.mark.parametrize("payload, status, shape", [
    ("null", "ok", "null"), ('""', "ok", "an empty string"), ("[]", "ok", "an empty list"),
    ("{}", "unset", "an empty object"), ('{"result": null}', "ok", "null"), ('"\\"null\\""', "ok", "null"),
    ("{'result': None}", "ok", "null"), ('{"content": [], "isError": false}', "ok", "an empty list"),
    ('{"flights": [], "count": 0}', "ok", "an empty list"),
    ('{"error": "customer C-77 not found"}', "ok", "an error object"),
    ('{"response_status": "Error", "message": "ERROR: No data found"}', "unset", "an error object"),
    ('{"content": [{"type": "text", "text": "boom"}], "isError": true}', "ok", "an error object"),
    ('{"result": "{\\"error\\": \\"quota\\"}"}', "ok", "an error object"),
    ("Order not found", "ok", "an error message"),
    ("An error occurred while running the tool. Please try again.", "error", "an error message"),
    ('{"order_id": "A-1", "status": "failed", "amount": 3}', "ok", None),
    ('{"city": "Berlin", "forecast": null}', "ok", None),
    ('{"content": [{"type": "text", "text": "Weather in Berlin: Cloudy, 59°F"}]}', "unset", None),
    ("The weather in Tokyo is sunny.", "ok", None), ("0", "ok", None), ('{"status": "ok"}', "ok", None),
])
def test_payload_shape(payload, status, shape):
    assert payload_shape(payload, status, None, None) == shape


def test_payload_shape_of_an_unrecorded_result():
    assert payload_shape(None, "ok", None, None) is None
    assert payload_shape(None, "ok", None, '{"event": "tool.result", "result": null}') == "null"
    assert payload_shape(None, "error", "ValueError: ticker not found", None) == "an error"


@pytest.mark.parametrize("text, acknowledged", [
    ("I couldn't retrieve the insights as no data was found for this period.", True),
    ("Sorry, the tracking service returned an error.", True),
    ("There is no tracking information for B-2002 yet.", True),
    ("The parcel might arrive on Thursday.", True),
    ("Your order A-1003 is out for delivery, so no weather delay is expected.", False),
    ("Flight DY1302 leaves Oslo at 07:05.", False),
    ("There are currently no flights available on that date.", True),
])
def test_acknowledges_gap(text, acknowledged):
    assert acknowledges_gap(text) is acknowledged


def test_unsupported_claims_normalize_numbers_and_compare_ids_and_names():
    known = ['{"amount": 1234.5, "currency": "EUR", "total_nok": 48210, "customer": "Nordlys AS"}',
             "Refund order A-1002 please"]
    assert unsupported_claims("I refunded $1,234.50 (about 1235 EUR) for A-1002 to Nordlys AS; 48 210 NOK.",
                              known) == []
    assert unsupported_claims("Refund RF-7781 of 1,234.50 EUR went out on 2026-12-03 at 09:30 via Stripe.",
                              known) == ["RF-7781", "2026-12-03", "09:30", "Stripe"]
    assert unsupported_claims("It ships with UPS.", known) == []  # one lone name is not enough
    assert unsupported_claims("I found 3 options for you.", known) == []  # small counts are not specifics
    assert unsupported_claims("It leaves at 7:05 and costs 49,90 EUR.", ['{"dep": "07:05", "price": 49.9}', "EUR"]) == []
    assert unsupported_claims("It leaves at 7:15 and costs 49,95 EUR.", ['{"dep": "07:05", "price": 49.9}', "EUR"]) \
        == ["7:15", "49,95"]

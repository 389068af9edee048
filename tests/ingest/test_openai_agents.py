"""OpenAI Agents SDK trace exports: fixtures made by running the real SDK offline
(fixtures/generate_openai_agents.py) ingest to the counts the generator wrote."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tests.conftest import FIXTURES, ingest_paths

AGENTS = FIXTURES / "openai_agents"
EXPECTED = json.loads((AGENTS / "expected.json").read_text())
FILES = sorted(EXPECTED["files"])


@pytest.fixture(scope="module", params=FILES)
def ingested(request):
    store, summary = ingest_paths(AGENTS / request.param)
    return request.param, store, summary


def _rows(store, where: str = "TRUE", columns: str = "*") -> list[dict]:
    cursor = store.con.execute(f"SELECT {columns} FROM records WHERE {where} ORDER BY seq")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _tool(store, name: str) -> dict:
    (row,) = _rows(store, f"kind = 'tool_call' AND tool_name = '{name}'")
    return row


def test_counts_match_the_generator(ingested):
    name, store, summary = ingested
    expected = EXPECTED["files"][name]
    assert not summary.errors and not summary.skipped
    assert summary.records == expected["items"]
    rows = _rows(store)
    spans = [json.loads(r["attrs"]) for r in rows if r["kind"] != "workflow"]
    assert len(spans) == expected["spans"]
    assert sum(r["kind"] == "workflow" for r in rows) == expected["traces"]
    assert Counter(s["span_data"]["type"] for s in spans) == expected["spans_per_type"]
    assert Counter(s["span_data"]["name"] for s in spans if s["span_data"]["type"] == "custom") == (
        expected["custom_spans_per_name"]
    )
    assert sum(r["status"] == "error" for r in rows if r["kind"] != "workflow") == expected["spans_with_error"]
    null_outputs = [s for s in spans if s["span_data"]["type"] == "function" and s["span_data"]["output"] is None]
    assert len(null_outputs) == expected["function_spans_with_null_output"]
    per_trace = Counter(r["trace_id"] for r in rows if r["kind"] != "workflow")
    assert dict(per_trace) == expected["spans_per_trace"]
    assert [r["trace_id"] for r in rows if r["kind"] == "workflow"] == expected["trace_ids"]


def test_span_kinds(ingested):
    _, store, _ = ingested
    kinds = {(json.loads(r["attrs"])["span_data"]["type"], r["kind"], r["layer"])
             for r in _rows(store, "kind <> 'workflow'", "kind, layer, attrs")}
    assert kinds == {
        ("agent", "agent_run", "agent"), ("function", "tool_call", "tool"), ("generation", "llm_call", "model"),
        ("response", "llm_call", "model"), ("handoff", "handoff", "agent"), ("guardrail", "guardrail", "agent"),
        ("custom", "task", "agent"), ("custom", "turn", "agent"), ("custom", "span", "other"),
    }


def test_every_span_inherits_its_traces_group_as_session(ingested):
    name, store, _ = ingested
    expected = EXPECTED["files"][name]
    groups = dict(zip(expected["trace_ids"], expected["group_ids"]))
    rows = _rows(store, columns="trace_id, session_id, session_own, resource_attrs")
    assert {r["session_id"] for r in rows} == set(expected["group_ids"])
    for row in rows:
        assert row["session_id"] == row["session_own"] == groups[row["trace_id"]]
        context = json.loads(row["resource_attrs"])
        assert context["group_id"] == groups[row["trace_id"]]
        assert context["workflow_name"] in expected["workflow_names"]


def test_function_spans_get_the_call_id_of_the_generation_that_asked(ingested):
    _, store, _ = ingested
    expected_ids = {
        "get_tracking": "call_s2_get_tracking_1",
        "issue_refund": "call_s3_issue_refund_1",
        "notify_customer": "call_s3_notify_customer_2",
        "lookup_invoice": "call_s4_lookup_invoice_1",
    }
    for tool, call_id in expected_ids.items():
        row = _tool(store, tool)
        assert row["tool_call_id"] == call_id
        assert "tool_call_id_inferred" in row["flags"]
        assert "tool_call_id_inferred_by_name" not in row["flags"]
    # Responses-API runs export no generation spans: there is nothing to infer from.
    assert _tool(store, "get_order")["tool_call_id"] is None
    assert _tool(store, "cancel_order")["tool_call_id"] is None
    (handoff,) = _rows(store, "kind = 'handoff'")
    assert handoff["tool_call_id"] == "call_s4_handoff_1"
    assert handoff["agent"] == "TriageAgent"


def test_inferred_ids_link_results_to_the_next_model_request(ingested):
    _, store, _ = ingested
    tool_messages = {}
    for (messages,) in store.con.execute("SELECT input_messages FROM records WHERE kind = 'llm_call'").fetchall():
        for message in json.loads(messages or "[]"):
            if message.get("role") == "tool":
                tool_messages[message["tool_call_id"]] = message.get("content")
    for tool in ("issue_refund", "notify_customer", "lookup_invoice"):
        row = _tool(store, tool)
        assert tool_messages[row["tool_call_id"]] == row["result"]


def test_generation_fields(ingested):
    _, store, _ = ingested
    (first,) = _rows(store, "kind = 'llm_call' AND trace_id = 'trace_6e9dbf0b1f4438157f1c79fce44214fb' AND step = 1")
    assert first["model"] == "scripted-gpt-4.1-mini"
    assert json.loads(first["requested_tool_calls"]) == [
        {"id": "call_s2_get_tracking_1", "name": "get_tracking", "arguments": '{"order_id": "B-2002"}'}
    ]
    assert first["system_instructions"] == "Answer tracking questions using tools."
    assert first["input_tokens"] == 101 and first["output_tokens"] == 19 and first["cache_read_tokens"] == 0
    (last,) = _rows(store, "kind = 'llm_call' AND trace_id = 'trace_5fbbc8c15cf57e11b0a2917bfe84f3c5' AND step = 3")
    assert last["text"] == EXPECTED["scenarios"]["s4_handoff_guardrail_custom"]["final_output"]
    assert last["agent"] == "BillingAgent"


def test_null_output_and_errors(ingested):
    _, store, _ = ingested
    returned_none = _tool(store, "get_tracking")
    assert (returned_none["status"], returned_none["result"], returned_none["error_message"]) == ("ok", "null", None)
    unhandled = _tool(store, "cancel_order")
    assert unhandled["status"] == "error" and unhandled["result"] is None
    assert unhandled["error_message"] == "Error running tool: order D-4004 is locked by the warehouse"
    assert unhandled["status_message"] == "Error running tool"
    handled = _tool(store, "notify_customer")
    assert handled["status"] == "error"
    assert handled["result"] == "notify_customer failed: sms gateway timed out after 30s"
    assert handled["error_message"] == "Error running tool (non-fatal): sms gateway timed out after 30s"
    ok = _tool(store, "lookup_invoice")
    assert ok["status"] == "ok" and ok["result"].startswith("{'invoice_id': 'INV-77'")  # Python str(), as written
    (tripwire,) = _rows(store, "kind = 'guardrail' AND result = '{\"triggered\":true}'")
    assert tripwire["status"] == "ok"
    (agent_run,) = _rows(store, "kind = 'agent_run' AND agent = 'CancelAgent'")
    assert agent_run["status"] == "error"


def test_times_provenance_and_tree(ingested):
    name, store, _ = ingested
    rows = _rows(store)
    spans = [r for r in rows if r["kind"] != "workflow"]
    for row in spans:
        item = json.loads(row["attrs"])
        assert row["ts_raw_text"] == item["started_at"]
        assert row["ts_raw_end"] > row["ts_raw_start"]
        assert row["clock_domain"] == name
        assert row["source_pos"].endswith(f"#span={item['id']}")
        assert row["span_id"] == item["id"] and row["parent_span_id"] == item["parent_id"]
        assert not row["flags"] or "missing_parent" not in row["flags"]
    prefix = "data[1]" if name.endswith(".json") else "2"
    assert spans[0]["source_pos"].split("#")[0] == prefix
    for workflow in (r for r in rows if r["kind"] == "workflow"):
        inside = [r for r in spans if r["trace_id"] == workflow["trace_id"]]
        assert workflow["ts_raw_start"] == min(r["ts_raw_start"] for r in inside)
        assert workflow["ts_raw_end"] == max(r["ts_raw_end"] for r in inside)
    (turn,) = _rows(store, "kind = 'turn' AND trace_id = 'trace_5fbbc8c15cf57e11b0a2917bfe84f3c5' AND name = 'turn 3'")
    assert (turn["step"], turn["agent"]) == (3, "BillingAgent")


def test_json_and_jsonl_forms_agree():
    columns = "kind, name, span_id, parent_span_id, trace_id, tool_call_id, session_id, status, ts_raw_start, agent"
    results = []
    for name in FILES:
        store, _ = ingest_paths(AGENTS / name)
        results.append(store.con.execute(f"SELECT {columns} FROM records ORDER BY seq").fetchall())
    assert results[0] == results[1]


BAD_LINES = [
    '{"object": "trace", "id": "trace_1", "workflow_name": "wf", "group_id": "g1"}',
    "[1, 2]",
    '{"object": "trace.span", "id": "span_a", "trace_id": "trace_1", "parent_id": null, '
    '"started_at": "2025-06-01T12:00:00+00:00", "ended_at": "2025-06-01T12:00:01+00:00", '
    '"span_data": {"type": "mystery_type", "name": "m"}, "error": null}',
    '{"object": "trace.span", "id": "span_b", "trace_id": "trace_1", "parent_id": "span_gone", '
    '"started_at": "yesterday", "ended_at": "2025-06-01T12:00:00.5+00:00", '
    '"span_data": {"type": "function", "name": "f", "input": "{}", "output": null}, "error": "boom"}',
    '{"object": "trace.span", "trace_id": "trace_1"}',
    "{not json",
    '{"object": "trace.span", "id": "span_c", "trace_id": "trace_1", "parent_id": "span_a", '
    '"started_at": "2025-06-01T12:00:02Z", "ended_at": "2025-06-01T12:00:01Z", '
    '"span_data": {"type": "mcp_tools", "server": "fs", "result": ["read"]}, "error": null}',
]


def test_bad_items_are_reported_and_the_rest_is_read(tmp_path):
    path = tmp_path / "agents.jsonl"
    path.write_text("\n".join(BAD_LINES) + "\n")
    store, summary = ingest_paths(path)
    problems = {(e.position, e.reason.split(" (")[0].split(":")[0]) for e in summary.errors}
    assert problems == {
        ("line 2", "not an object"),
        ("line 4#span=span_b", "unparseable started_at 'yesterday'"),
        ("line 5", "trace.span item without an id"),
        ("line 6", "malformed JSON"),
    }
    rows = {r["span_id"]: r for r in _rows(store, "kind <> 'workflow'")}
    assert set(rows) == {"span_a", "span_b", "span_c"}
    assert (rows["span_a"]["kind"], rows["span_a"]["name"]) == ("span", "m")
    assert rows["span_a"]["ts_raw_start"] == 1748779200 * 10**9  # no fraction in the time
    assert rows["span_b"]["flags"] == ["missing_parent", "bad_timestamp"]
    assert rows["span_b"]["ts_raw_text"] == "yesterday" and rows["span_b"]["ts_raw_start"] is None
    failed = rows["span_b"]
    assert (failed["status"], failed["error_message"], failed["result"]) == ("error", "boom", None)
    assert rows["span_c"]["flags"] == ["end_before_start"]
    assert (rows["span_c"]["kind"], rows["span_c"]["result"]) == ("mcp_tools", '["read"]')
    assert {r["session_id"] for r in rows.values()} == {"g1"}

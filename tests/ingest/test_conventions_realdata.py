"""Real exports written by other projects (../shared/realdata): Google ADK OTLP with GenAI log
events, any-agent AgentTrace dumps, BeeAI and Vercel AI SDK captures. Tool arguments, results,
errors and model text must come through; the copies of one call are one record."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REALDATA, ingest_paths

ADK = REALDATA / "google-adk-otlp"
ANY_AGENT = REALDATA / "any-agent-traces"


def _rows(store, where: str = "true") -> list[dict]:
    cursor = store.con.execute(f"SELECT * FROM records WHERE {where} ORDER BY seq")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _otlp_counts(doc: dict) -> tuple[list[dict], list[dict]]:
    spans = [s for r in doc.get("resourceSpans", []) for sc in r["scopeSpans"] for s in sc["spans"]]
    logs = [lr for r in doc.get("resourceLogs", []) for sc in r["scopeLogs"] for lr in sc["logRecords"]]
    return spans, logs


@pytest.mark.parametrize("name", ["v2_default_S4a.json", "v2_default_S6a.json", "v2_event_only_S1.json"])
def test_adk_one_model_call_per_call_llm_and_every_log_kept(realdata, name):
    spans, logs = _otlp_counts(json.loads((ADK / name).read_text()))
    store, summary = ingest_paths(ADK / name)
    assert not summary.errors and not summary.skipped
    copies = [s for s in spans if s["name"].startswith("generate_content")]  # ADK's second record of a call
    assert store.count("records WHERE kind <> 'log'") == len(spans) - len(copies)
    assert store.count("records WHERE kind = 'log'") == len(logs)
    calls = _rows(store, "kind = 'llm_call'")
    assert len(calls) == len([s for s in spans if s["name"] == "call_llm"]) == len(copies)
    for call in calls:
        assert call["text"] or call["requested_tool_calls"], call["name"]
        assert call["input_messages"] and call["system_instructions"]
        merged = json.loads(call["merged"])
        assert "seamscan.merged" not in json.loads(call["attrs"])  # its own attributes stay as written
        assert [m["name"] for m in merged] == ["generate_content gemini-2.5-flash"]
        assert "merged_duplicate_call" in call["flags"]
    # every log record hangs on a span that is in the store, and has no own time
    span_ids = {r["span_id"] for r in _rows(store, "kind <> 'log'")}
    for log in _rows(store, "kind = 'log'"):
        assert log["span_id"] in span_ids and log["flags"] == ["time_from_observed"]
        assert log["ts_raw_start"] is not None


def test_adk_tool_args_results_and_final_text(realdata):
    store, _ = ingest_paths(ADK / "v2_default_S4a.json")
    tools = {r["tool_name"]: r for r in _rows(store, "kind = 'tool_call'")}
    assert json.loads(tools["transfer_to_agent"]["args"]) == {"agent_name": "billing_agent"}
    assert json.loads(tools["transfer_to_agent"]["result"]) == {"result": None}
    assert json.loads(tools["issue_refund"]["args"]) == {"order_id": "42"}
    assert json.loads(tools["issue_refund"]["result"]) == {"status": "refunded", "order_id": "42"}
    calls = _rows(store, "kind = 'llm_call'")
    requested = [json.loads(c["requested_tool_calls"])[0] for c in calls if c["requested_tool_calls"]]
    assert [(r["name"], json.loads(r["arguments"])) for r in requested] == [
        ("transfer_to_agent", {"agent_name": "billing_agent"}), ("issue_refund", {"order_id": "42"})]
    assert calls[-1]["text"] == "Your refund for order 42 has been issued."
    assert {c["session_id"] for c in calls} == {"sess-S4a-v2_default"}


def test_adk_failed_tool_has_args_error_and_no_placeholder_id(realdata):
    store, _ = ingest_paths(ADK / "v2_default_S6a.json")
    (tool,) = _rows(store, "kind = 'tool_call'")
    assert json.loads(tool["args"]) == {"ticker": "XYZ"}
    assert tool["status"] == "error" and tool["error_type"] == "ValueError"
    assert tool["error_message"] == "ValueError: ticker not found: XYZ"
    assert tool["tool_call_id"] is None  # ADK writes "<not specified>"
    assert json.loads(tool["attrs"])["gen_ai.tool.call.id"] == "<not specified>"


def test_adk_event_only_log_record_carries_the_messages(realdata):
    store, _ = ingest_paths(ADK / "v2_event_only_S1.json")
    (log,) = _rows(store, "kind = 'log'")
    assert log["name"] == "gen_ai.client.inference.operation.details"
    assert json.loads(log["input_messages"]) == [{"role": "user", "content": "Hello, who are you?"}]
    assert log["text"] == "I am a helpful assistant built with ADK."
    assert log["system_instructions"].startswith("You are a helpful assistant.")
    (call,) = _rows(store, "kind = 'llm_call'")
    assert log["span_id"] == call["span_id"]  # moved from generate_content to the kept call


@pytest.mark.parametrize("framework", ["LANGCHAIN", "GOOGLE", "LLAMA_INDEX"])
def test_any_agent_one_record_per_span_with_exact_ids(realdata, framework):
    path = ANY_AGENT / f"{framework}_trace.json"
    doc = json.loads(path.read_text())
    store, summary = ingest_paths(path)
    assert not summary.errors and not summary.skipped
    rows = _rows(store)
    assert len(rows) == len(doc["spans"])
    assert {r["source_kind"] for r in rows} == {"framework"} and {r["source_format"] for r in rows} == {"any-agent"}
    for row, span in zip(rows, doc["spans"]):
        assert row["span_id"] == format(span["context"]["span_id"], "016x")
        assert row["trace_id"] == format(span["context"]["trace_id"], "032x")
        assert row["ts_raw_start"] == span["start_time"] and row["ts_raw_end"] == span["end_time"]
    final = _rows(store, "kind = 'llm_call'")[-1]
    assert final["text"] == doc["final_output"]


@pytest.mark.parametrize("framework", ["LANGCHAIN", "GOOGLE"])
def test_any_agent_tool_calls_have_args_and_results(realdata, framework):
    store, _ = ingest_paths(ANY_AGENT / f"{framework}_trace.json")
    tools = {r["tool_name"]: r for r in _rows(store, "kind = 'tool_call'")}
    assert json.loads(tools["get_current_time"]["args"]) == {"timezone": "America/New_York"}  # LangChain: a repr
    assert "America/New_York" in tools["get_current_time"]["result"]
    assert json.loads(tools["write_file"]["args"]) == {"text": "2025"}
    assert all(t["tool_call_id"].startswith("call_") for t in tools.values())
    if framework == "LANGCHAIN":
        assert tools["write_file"]["result"] == "null"  # the tool returned None, written "\"null\""


@pytest.mark.parametrize("framework", ["LANGCHAIN", "LLAMA_INDEX"])
def test_any_agent_model_calls_request_the_tools_by_id(realdata, framework):
    store, _ = ingest_paths(ANY_AGENT / f"{framework}_trace.json")
    calls = _rows(store, "kind = 'llm_call'")
    requested = [c for call in calls for c in json.loads(call["requested_tool_calls"] or "[]")]
    assert [r["name"] for r in requested] == ["get_current_time", "write_file"]
    assert all(c["text"] or c["requested_tool_calls"] for c in calls)
    tool_ids = {r["tool_call_id"] for r in _rows(store, "kind = 'tool_call'")}
    if tool_ids:  # LlamaIndex records no tool spans
        assert tool_ids == {r["id"] for r in requested}


def test_beeai_event_spans_of_one_call_are_one_record(realdata):
    path = REALDATA / "langfuse-framework-traces" / "beeai-2025-08-01.trace.json"
    observations = json.loads(path.read_text())["observations"]
    store, summary = ingest_paths(path)
    assert not summary.errors
    # start-16/success-16/finish-16 and the tool's start-12/success-12/finish-12: 4 copies merged
    assert store.count("records") == len(observations) - 4
    (tool,) = _rows(store, "kind = 'tool_call'")
    assert json.loads(tool["args"]) == {"query": "Tourism in Barcelona", "full_text": False}
    assert "Barcelona" in tool["result"]
    assert tool["ts_raw_end"] > tool["ts_raw_start"]  # ends when the success event was written
    calls = {r["name"]: r for r in _rows(store, "kind = 'llm_call'")}
    assert set(calls) == {"backend.openai.chat.start-14", "backend.openai.chat.start-15", "backend.openai.chat.start-16"}
    answered = calls["backend.openai.chat.start-16"]
    assert answered["input_messages"] and "Magic" in answered["text"]


def test_vercel_provider_calls_are_the_model_calls(realdata):
    path = REALDATA / "openinference-fixtures" / "vercel-ai-sdk-v6" / "all-spans.json"
    spans = json.loads(path.read_text())
    store, _ = ingest_paths(path)
    assert store.count("records") == len(spans)
    calls = _rows(store, "kind = 'llm_call'")
    assert sorted(c["name"] for c in calls) == sorted(s["name"] for s in spans if ".do" in s["name"] and "embed" not in s["name"].lower())
    for call in calls:
        assert call["text"] and call["input_messages"], call["name"]
    (recipe,) = [c for c in calls if c["name"] == "ai.generateObject.doGenerate"]
    assert json.loads(recipe["text"])["name"] == "Scrambled Eggs"
    assert store.count("records WHERE kind = 'embedding'") == 1
    assert store.count("records WHERE name = 'ai.generateText' AND kind = 'span' AND text IS NOT NULL") == 2

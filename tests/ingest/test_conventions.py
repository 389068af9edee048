"""Vendor conventions on small hand-written inputs: Bedrock/Strands content blocks (OTLP span
events and Langfuse observations), GenAI log events in another file than their span, any-agent
dumps with bad spans, and the documented key table against the mapping code."""

from __future__ import annotations

import json
import re
from pathlib import Path

from analyzer.ingest.normalize.conventions import ATTRIBUTE_KEYS, documented_rows
from analyzer.ingest.normalize.messages import canonical_messages
from analyzer.ingest.normalize.semconv import normalize
from tests.conftest import ROOT, ingest_paths

TRACE = "0af7651916cd43dd8448eb211c80319c"


def _rows(store, where: str = "true") -> list[dict]:
    cursor = store.con.execute(f"SELECT * FROM records WHERE {where} ORDER BY seq")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _kv(attrs: dict) -> list[dict]:
    return [{"key": k, "value": {"stringValue": v} if isinstance(v, str) else {"intValue": str(v)}}
            for k, v in attrs.items()]


def _span(span_id: str, name: str, attrs: dict, events: list | None = None, parent: str | None = None) -> dict:
    span = {"traceId": TRACE, "spanId": span_id, "name": name, "kind": 1,
            "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000001000000000",
            "attributes": _kv(attrs), "events": events or []}
    if parent:
        span["parentSpanId"] = parent
    return span


def _write(path: Path, spans: list | None = None, logs: list | None = None) -> Path:
    doc = {}
    if spans:
        doc["resourceSpans"] = [{"resource": {"attributes": _kv({"service.name": "agent"})},
                                 "scopeSpans": [{"scope": {"name": "strands.telemetry.tracer"}, "spans": spans}]}]
    if logs:
        doc["resourceLogs"] = [{"resource": {"attributes": _kv({"service.name": "agent"})},
                                "scopeLogs": [{"scope": {"name": "genai"}, "logRecords": logs}]}]
    path.write_text(json.dumps(doc))
    return path


def _event(name: str, attrs: dict) -> dict:
    return {"timeUnixNano": "1700000000500000000", "name": name, "attributes": _kv(attrs)}


def test_content_blocks_in_span_events_fill_model_and_tool_columns(tmp_path):
    """Strands' default events: content blocks as JSON text in `content` / `message`."""
    tool_use = {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Oslo"}}}
    model = _span("00f067aa0ba902b7", "chat", {"gen_ai.operation.name": "chat", "gen_ai.system": "strands-agents"}, [
        _event("gen_ai.system.message", {"content": json.dumps([{"text": "Be brief."}])}),
        _event("gen_ai.user.message", {"content": json.dumps([{"text": "Weather in Oslo?"}])}),
        _event("gen_ai.choice", {"message": json.dumps([{"text": "Let me check."}, tool_use]),
                                 "finish_reason": "tool_use"}),
    ])
    tool = _span("10f067aa0ba902b7", "execute_tool get_weather", {
        "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather", "gen_ai.tool.call.id": "tooluse_1",
    }, [
        _event("gen_ai.tool.message", {"role": "tool", "content": json.dumps({"city": "Oslo"}), "id": "tooluse_1"}),
        _event("gen_ai.choice", {"message": json.dumps([{"text": "4 °C, rain"}]), "id": "tooluse_1"}),
    ])
    store, summary = ingest_paths(_write(tmp_path / "strands.json", [model, tool]))
    assert not summary.errors
    (call,) = _rows(store, "kind = 'llm_call'")
    assert call["text"] == "Let me check." and call["system_instructions"] == "Be brief."
    assert json.loads(call["requested_tool_calls"]) == [
        {"id": "tooluse_1", "name": "get_weather", "arguments": '{"city":"Oslo"}'}]
    assert json.loads(call["input_messages"])[1] == {"role": "user", "content": "Weather in Oslo?"}
    (executed,) = _rows(store, "kind = 'tool_call'")
    assert json.loads(executed["args"]) == {"city": "Oslo"} and executed["result"] == "4 °C, rain"


def test_bedrock_tool_result_block_keeps_its_id_and_error_status():
    messages = canonical_messages([
        {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t1", "name": "lookup", "input": {"q": 1}}}]},
        {"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "status": "error",
                                                     "content": [{"text": "not found"}]}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t2", "is_error": True, "content": "boom"}]},
    ])
    assert messages[1] == {"role": "tool", "tool_call_id": "t1", "content": "not found", "status": "error"}
    assert messages[2] == {"role": "tool", "tool_call_id": "t2", "content": "boom", "status": "error"}


def test_prose_that_looks_like_json_is_not_read_as_blocks():
    (message,) = canonical_messages({"role": "user", "content": '[1, 2, "three"]'})
    assert message["content"] == '[1, 2, "three"]'


def test_langfuse_strands_generation_and_tool(tmp_path):
    """Langfuse shows Strands' choice event as `{"message": "<blocks>", "finish_reason"}` and the
    tool message event as a one-message input list."""
    def observation(obs_id, obs_type, name, inputs, output, parent=None):
        return {"id": obs_id, "traceId": TRACE, "parentObservationId": parent, "type": obs_type, "name": name,
                "startTime": "2025-09-01T10:00:00.000Z", "endTime": "2025-09-01T10:00:01.000Z",
                "input": json.dumps(inputs), "output": json.dumps(output), "level": "DEFAULT", "metadata": "{}"}
    blocks = [{"text": "Checking."}, {"toolUse": {"toolUseId": "tooluse_9", "name": "add", "input": {"a": 1, "b": 2}}}]
    export = {"trace": {"id": TRACE, "name": "strands"}, "observations": [
        observation("a0f067aa0ba902b7", "GENERATION", "chat",
                    [{"role": "user", "content": json.dumps([{"text": "1+2?"}])}],
                    {"message": json.dumps(blocks), "finish_reason": "tool_use"}),
        observation("b0f067aa0ba902b7", "TOOL", "execute_tool add",
                    [{"role": "tool", "content": json.dumps({"a": 1, "b": 2}), "id": "tooluse_9"}],
                    {"message": json.dumps([{"text": "3"}]), "id": "tooluse_9"}, "a0f067aa0ba902b7"),
    ]}
    path = tmp_path / "strands.trace.json"
    path.write_text(json.dumps(export))
    store, summary = ingest_paths(path)
    assert not summary.errors
    (call,) = _rows(store, "kind = 'llm_call'")
    assert call["text"] == "Checking."
    assert json.loads(call["requested_tool_calls"])[0]["id"] == "tooluse_9"
    assert json.loads(call["input_messages"]) == [{"role": "user", "content": "1+2?"}]
    (tool,) = _rows(store, "kind = 'tool_call'")
    assert json.loads(tool["args"]) == {"a": 1, "b": 2} and tool["result"] == "3"


def test_log_events_in_another_file_fill_their_span(tmp_path):
    span = _span("20f067aa0ba902b7", "chat gpt-4o", {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"})
    logs = [
        {"observedTimeUnixNano": "1700000000200000000", "traceId": TRACE, "spanId": "20f067aa0ba902b7",
         "eventName": "gen_ai.user.message", "body": {"kvlistValue": {"values": [
             {"key": "content", "value": {"stringValue": "hi"}}]}}},
        {"timeUnixNano": "1700000000900000000", "traceId": TRACE, "spanId": "20f067aa0ba902b7",
         "eventName": "gen_ai.choice", "body": {"kvlistValue": {"values": [
             {"key": "index", "value": {"intValue": "0"}},
             {"key": "message", "value": {"kvlistValue": {"values": [
                 {"key": "content", "value": {"stringValue": "hello"}}]}}}]}}},
    ]
    spans_file = _write(tmp_path / "spans.json", spans=[span])
    logs_file = _write(tmp_path / "logs.json", logs=logs)
    store, summary = ingest_paths(spans_file, logs_file)
    assert not summary.errors
    (call,) = _rows(store, "kind = 'llm_call'")
    assert json.loads(call["input_messages"]) == [{"role": "user", "content": "hi"}]
    assert json.loads(call["output_messages"]) == [{"role": "assistant", "content": "hello"}]
    assert call["text"] == "hello"
    records = _rows(store, "kind = 'log'")
    assert [r["flags"] for r in records] == [["time_from_observed"], None]
    assert records[0]["ts_raw_start"] == 1700000000200000000


def test_a_span_with_its_own_messages_keeps_them(tmp_path):
    own = json.dumps([{"role": "user", "parts": [{"type": "text", "content": "own words"}]}])
    span = _span("30f067aa0ba902b7", "chat", {"gen_ai.operation.name": "chat", "gen_ai.input.messages": own})
    log = {"timeUnixNano": "1700000000200000000", "traceId": TRACE, "spanId": "30f067aa0ba902b7",
           "eventName": "gen_ai.user.message", "body": {"kvlistValue": {"values": [
               {"key": "content", "value": {"stringValue": "from the log"}}]}}}
    store, _ = ingest_paths(_write(tmp_path / "both.json", spans=[span], logs=[log]))
    (call,) = _rows(store, "kind = 'llm_call'")
    assert json.loads(call["input_messages"]) == [{"role": "user", "content": "own words"}]


def test_any_agent_bad_spans_are_reported_and_the_rest_kept(tmp_path):
    good = {"name": "execute_tool add", "kind": "internal", "context": {"trace_id": 2**127 + 5, "span_id": 2**63 + 7},
            "parent": {"trace_id": None, "span_id": None}, "start_time": 1747826264951717355,
            "end_time": 1747826264952288810, "status": {"status_code": "error", "description": "boom"},
            "attributes": {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "add",
                           "gen_ai.tool.args": "{'a': 1, 'b': (2, 3)}"},
            "events": [], "links": [], "resource": {"attributes": {"service.name": "any_agent"}}}
    path = tmp_path / "trace.json"
    path.write_text(json.dumps({"spans": [good, {"name": "no context"}, "text"], "final_output": None}, indent=1))
    store, summary = ingest_paths(path)
    assert sorted(e.position for e in summary.errors) == ["spans[1]", "spans[2]"]
    (row,) = _rows(store)
    assert row["trace_id"] == format(2**127 + 5, "032x") and row["span_id"] == format(2**63 + 7, "016x")
    assert row["status"] == "error" and row["error_message"] == "boom"
    assert json.loads(row["args"]) == {"a": 1, "b": [2, 3]}  # a Python literal, read safely


def test_python_literal_args_never_run_code():
    fields = normalize({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "x",
                        "gen_ai.tool.args": "{'a': __import__('os').getcwd()}"}, "execute_tool x")
    assert fields["args"] == "{'a': __import__('os').getcwd()}"


def test_docs_table_lists_exactly_the_mapped_keys():
    """docs/conventions.md's key table is the mapping code's table."""
    text = (ROOT / "docs" / "conventions.md").read_text()
    rows = set()
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            key = re.fullmatch(r"`([^`]+)`", cells[0])
            target = re.fullmatch(r"`([^`]+)`", cells[1])
            if key and target:
                rows.add((key.group(1), target.group(1)))
    assert rows == documented_rows()
    assert all(entries for entries in ATTRIBUTE_KEYS.values())


def test_a_tool_call_without_payloads_takes_them_from_the_model_messages(tmp_path):
    """A .NET agent's Langfuse TOOL observation holds neither input nor output; the generations
    around it hold the call (GenAI parts) and the tool's answer, under the same call id."""
    def observation(obs_id, obs_type, name, start, inputs=None, output=None, attrs=None):
        return {"id": obs_id, "traceId": TRACE, "parentObservationId": None, "type": obs_type, "name": name,
                "startTime": start, "endTime": start, "level": "DEFAULT",
                "input": None if inputs is None else json.dumps(inputs),
                "output": None if output is None else json.dumps(output),
                "metadata": json.dumps({"attributes": attrs or {}})}
    question = {"role": "user", "parts": [{"type": "text", "content": "report?"}]}
    request = {"role": "assistant", "parts": [
        {"type": "tool_call", "id": "get_report", "name": "get_report", "arguments": {"month": "2025-12"}},
        {"type": "Microsoft.Extensions.AI.TextReasoningContent", "content": {"text": "", "protectedData": "x"}}]}
    answer = {"role": "tool", "parts": [{"type": "tool_call_response", "id": "get_report",
                                         "response": {"status": "Error", "message": "no data"}}]}
    export = {"trace": {"id": TRACE}, "observations": [
        observation("c0f067aa0ba902b7", "GENERATION", "chat", "2026-03-09T12:25:54.654Z", [question], [request]),
        observation("d0f067aa0ba902b7", "TOOL", "get_report", "2026-03-09T12:26:00.805Z",
                    attrs={"gen_ai.tool.call.id": "get_report"}),
        observation("e0f067aa0ba902b7", "GENERATION", "chat", "2026-03-09T12:26:03.164Z", [question, request, answer],
                    [{"role": "assistant", "parts": [{"type": "text", "content": "No data."}]}]),
    ]}
    path = tmp_path / "dotnet.trace.json"
    path.write_text(json.dumps(export))
    store, summary = ingest_paths(path)
    assert not summary.errors
    (tool,) = _rows(store, "kind = 'tool_call'")
    assert json.loads(tool["args"]) == {"month": "2025-12"}
    assert json.loads(tool["result"]) == {"status": "Error", "message": "no data"}
    assert tool["flags"] == ["args_from_model_request", "result_from_model_input"]
    first, second = _rows(store, "kind = 'llm_call'")
    assert first["text"] is None and second["text"] == "No data."  # the reasoning part is not text

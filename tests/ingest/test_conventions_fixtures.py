"""Fixtures written by the real frameworks (fixtures/generate_conventions.py): Strands with
span events and with the latest GenAI attributes, the OTel OpenAI instrumentation's GenAI log
events in a file of their own, pydantic-ai, OpenInference's flattened message attributes, Google
ADK's call_llm spans around generate_content. One question, a tool that answers, one that
raises."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FIXTURES, ingest_paths

CONVENTIONS = FIXTURES / "conventions"
ANSWER = "Oslo has 4 °C and rain. I could not find a price for XYZ."


def _rows(store, where: str) -> list[dict]:
    cursor = store.con.execute(f"SELECT * FROM records WHERE {where} ORDER BY seq")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _spans(path) -> list[dict]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    return [s for r in doc["resourceSpans"] for sc in r["scopeSpans"] for s in sc["spans"]]


@pytest.mark.parametrize("name", ["strands-events.otlp.json", "strands-latest.otlp.json"])
def test_strands_tool_calls_and_model_turns(name):
    path = CONVENTIONS / name
    store, summary = ingest_paths(path)
    assert not summary.errors
    assert store.count("records") == len(_spans(path))  # no copies to merge: the cycle is not a model call
    tools = {r["tool_name"]: r for r in _rows(store, "kind = 'tool_call'")}
    assert json.loads(tools["get_weather"]["args"]) == {"city": "Oslo"}
    assert tools["get_weather"]["result"] == "4 °C and rain in Oslo"
    assert tools["get_weather"]["tool_call_id"] == "tooluse_weather_1"
    failed = tools["lookup_stock"]
    assert json.loads(failed["args"]) == {"ticker": "XYZ"}
    assert failed["status"] == "error" and "ticker not found: XYZ" in failed["error_message"]
    calls = _rows(store, "kind = 'llm_call'")
    assert [c["name"] for c in calls] == ["chat"] * 3
    requested = [json.loads(c["requested_tool_calls"] or "[]") for c in calls]
    assert [[r["id"] for r in calls_of_turn] for calls_of_turn in requested] == [
        ["tooluse_weather_1"], ["tooluse_stock_2"], []]
    assert calls[0]["text"] == "Let me look both up." and calls[-1]["text"] == ANSWER
    assert calls[1]["text"] is None  # only a tool call: no words
    steps = _rows(store, "name = 'execute_event_loop_cycle'")
    assert len(steps) == 3 and {s["kind"] for s in steps} == {"span"} and {s["layer"] for s in steps} == {"agent"}


def test_openai_v2_log_events_fill_spans_from_another_file():
    spans_file = CONVENTIONS / "openai-v2.spans.otlp.json"
    logs_file = CONVENTIONS / "openai-v2.logs.otlp.json"
    logs = [lr for r in json.loads(logs_file.read_text(encoding="utf-8"))["resourceLogs"]
            for sc in r["scopeLogs"] for lr in sc["logRecords"]]
    store, summary = ingest_paths(spans_file, logs_file)
    assert not summary.errors
    assert store.count("records WHERE kind = 'log'") == len(logs)
    first, second = _rows(store, "kind = 'llm_call'")
    assert json.loads(first["input_messages"])[1] == {
        "role": "user", "content": "What is the weather in Oslo, and the price of XYZ?"}
    assert first["system_instructions"] == "You answer with tools."
    (request,) = json.loads(first["requested_tool_calls"])
    assert request["id"] == "call_weather_1" and json.loads(request["arguments"]) == {"city": "Oslo"}
    assert first["text"] is None and second["text"] == ANSWER
    tool_result = [m for m in json.loads(second["input_messages"]) if m["role"] == "tool"]
    assert tool_result == [{"role": "tool", "content": "4 °C and rain in Oslo", "tool_call_id": "call_weather_1"}]
    span_ids = {first["span_id"], second["span_id"]}
    assert {r["span_id"] for r in _rows(store, "kind = 'log'")} == span_ids


def test_pydantic_ai_genai_attributes():
    store, summary = ingest_paths(CONVENTIONS / "pydantic-ai.otlp.json")
    assert not summary.errors
    (tool,) = _rows(store, "kind = 'tool_call'")
    assert json.loads(tool["args"]) == {"city": "Oslo"} and tool["result"] == "4 °C and rain in Oslo"
    first, second = _rows(store, "kind = 'llm_call'")
    assert json.loads(first["requested_tool_calls"])[0]["id"] == tool["tool_call_id"] == "pyd_call_1"
    assert second["text"] == ANSWER


def test_openinference_flattened_message_attributes():
    """OpenInference's OpenAI instrumentation: two LLM spans (llm.input_messages.<i>.message.*),
    a TOOL and an AGENT span from its tracer decorators."""
    path = CONVENTIONS / "openinference.otlp.json"
    store, summary = ingest_paths(path)
    assert not summary.errors
    assert store.count("records") == len(_spans(path)) == 4
    first, second = _rows(store, "kind = 'llm_call'")
    assert first["system_instructions"] == "You answer with tools."
    assert json.loads(first["input_messages"])[1] == {
        "role": "user", "content": "What is the weather in Oslo, and the price of XYZ?"}
    (request,) = json.loads(first["requested_tool_calls"])
    assert request["id"] == "call_weather_1" and request["name"] == "get_weather"
    assert json.loads(request["arguments"]) == {"city": "Oslo"}
    assert first["text"] is None and second["text"] == ANSWER
    history = json.loads(second["input_messages"])
    assert [m["role"] for m in history] == ["system", "user", "assistant", "tool"]
    assert history[2]["tool_calls"][0]["id"] == "call_weather_1"
    assert history[3] == {"role": "tool", "content": "4 °C and rain in Oslo", "tool_call_id": "call_weather_1"}
    (tool,) = _rows(store, "kind = 'tool_call'")
    assert tool["tool_name"] == "get_weather" and json.loads(tool["args"]) == {"city": "Oslo"}
    assert tool["result"] == "4 °C and rain in Oslo"
    (agent,) = _rows(store, "kind = 'agent_run'")
    assert agent["name"] == "weather_agent" and agent["text"] == ANSWER and agent["parent_span_id"] is None
    assert {first["parent_span_id"], second["parent_span_id"], tool["parent_span_id"]} == {agent["span_id"]}


def test_google_adk_call_llm_and_generate_content_one_model_call():
    """Google ADK's own tracing (telemetry schema 1): each model call as `call_llm` (the Gemini
    request and response as JSON) around `generate_content` (its messages as log records, content
    elided), read as one model call; `execute_tool` spans; a coordinator that transfers to a
    sub-agent. The tool that raises ends ADK's run: a second run in the session answers."""
    spans_file, logs_file = CONVENTIONS / "google-adk.otlp.json", CONVENTIONS / "google-adk.logs.otlp.json"
    spans = _spans(spans_file)
    logs = [lr for r in json.loads(logs_file.read_text(encoding="utf-8"))["resourceLogs"]
            for sc in r["scopeLogs"] for lr in sc["logRecords"]]
    store, summary = ingest_paths(spans_file, logs_file)
    assert not summary.errors and not summary.skipped
    copies = [s for s in spans if s["name"] == "generate_content gemini-2.5-flash"]
    assert len(copies) == len([s for s in spans if s["name"] == "call_llm"]) == 4
    assert store.count("records WHERE kind <> 'log'") == len(spans) - len(copies)
    assert store.count("records WHERE kind = 'log'") == len(logs)

    calls = _rows(store, "kind = 'llm_call'")
    assert [c["name"] for c in calls] == ["call_llm"] * 4
    assert [c["agent"] for c in calls] == ["coordinator"] + ["weather_agent"] * 3
    for call in calls:  # generate_content merged into its call_llm, its log records moved to it
        assert [m["name"] for m in json.loads(call["merged"])] == [copies[0]["name"]]
        assert "merged_duplicate_call" in call["flags"]
        assert call["model"] == "gemini-2.5-flash" and (call["input_tokens"], call["output_tokens"]) == (40, 12)
    assert {r["span_id"] for r in _rows(store, "kind = 'log'")} == {c["span_id"] for c in calls}
    route, weather, stock, answer = calls
    assert route["system_instructions"].startswith("Route every question to weather_agent.")
    assert weather["system_instructions"].startswith("You answer with tools.")
    assert json.loads(route["input_messages"]) == [
        {"role": "user", "content": "What is the weather in Oslo, and the price of XYZ?"}]
    requested = [json.loads(c["requested_tool_calls"] or "[]") for c in calls]
    assert [[(r["name"], json.loads(r["arguments"])) for r in of_call] for of_call in requested] == [
        [("transfer_to_agent", {"agent_name": "weather_agent"})], [("get_weather", {"city": "Oslo"})],
        [("lookup_stock", {"ticker": "XYZ"})], []]
    assert json.loads(weather["output_messages"]) == [{"role": "assistant", "content": "Let me look both up.",
                                                       "tool_calls": requested[1]}]
    assert [route["text"], weather["text"], stock["text"], answer["text"]] == [
        None, "Let me look both up.", None, ANSWER]
    history = json.loads(stock["input_messages"])
    assert history[-1]["role"] == "tool"
    assert json.loads(history[-1]["content"]) == {"result": "4 °C and rain in Oslo"}
    assert json.loads(answer["input_messages"])[-1] == {"role": "user", "content": "Answer with what you found."}
    assert json.loads(answer["output_messages"]) == [{"role": "assistant", "content": ANSWER}]

    tools = {r["tool_name"]: r for r in _rows(store, "kind = 'tool_call'")}
    assert json.loads(tools["transfer_to_agent"]["args"]) == {"agent_name": "weather_agent"}
    assert json.loads(tools["get_weather"]["args"]) == {"city": "Oslo"}
    assert json.loads(tools["get_weather"]["result"]) == {"result": "4 °C and rain in Oslo"}
    assert tools["get_weather"]["tool_call_id"].startswith("adk-")  # ADK's own id: the model sent none
    failed = tools["lookup_stock"]
    assert json.loads(failed["args"]) == {"ticker": "XYZ"} and failed["tool_call_id"] is None  # "<not specified>"
    assert failed["status"] == "error" and failed["error_type"] == "ValueError"
    assert "ticker not found: XYZ" in failed["error_message"]

    runs = _rows(store, "kind = 'agent_run'")
    assert [(r["name"], r["status"]) for r in runs] == [
        ("invoke_agent coordinator", "unset"), ("invoke_agent weather_agent", "error"),
        ("invoke_agent weather_agent", "unset")]
    roots = _rows(store, "kind <> 'log' AND parent_span_id IS NULL")
    assert [(r["name"], r["status"]) for r in roots] == [("invocation", "error"), ("invocation", "unset")]
    assert {r["parent_span_id"] for r in runs} == {r["span_id"] for r in roots}
    coordinator, failed_run, answering_run = runs
    assert route["parent_span_id"] == tools["transfer_to_agent"]["parent_span_id"] == coordinator["span_id"]
    assert {weather["parent_span_id"], stock["parent_span_id"], failed["parent_span_id"]} == {failed_run["span_id"]}
    assert answer["parent_span_id"] == answering_run["span_id"]
    session = {a["value"]["stringValue"] for s in spans for a in s.get("attributes", [])
               if a["key"] == "gen_ai.conversation.id"}
    assert len(session) == 1 and {r["session_id"] for r in _rows(store, "true")} == session  # 2 runs, 1 session


def test_otel_sdk_span_dicts_read_like_the_otlp_export():
    """The same Strands run, as `span.to_json()` dicts ("0x" hex ids, ISO times)."""
    from_sdk, summary = ingest_paths(CONVENTIONS / "strands-events.sdk-spans.json")
    assert not summary.errors and not summary.skipped
    from_otlp, _ = ingest_paths(CONVENTIONS / "strands-events.otlp.json")
    columns = "trace_id, span_id, parent_span_id, kind, name, tool_call_id, args, result, text, status, requested_tool_calls"
    query = f"SELECT {columns} FROM records ORDER BY span_id"
    assert from_sdk.con.execute(query).fetchall() == from_otlp.con.execute(query).fetchall()
    starts = "SELECT span_id, ts_raw_start FROM records ORDER BY span_id"
    for (sdk_id, sdk_ns), (otlp_id, otlp_ns) in zip(from_sdk.con.execute(starts).fetchall(),
                                                    from_otlp.con.execute(starts).fetchall()):
        assert sdk_id == otlp_id and abs(sdk_ns - otlp_ns) <= 1000  # the ISO text keeps µs, rounded


def test_mlflow_trace_json():
    doc = json.loads((CONVENTIONS / "mlflow.trace.json").read_text(encoding="utf-8"))
    store, summary = ingest_paths(CONVENTIONS / "mlflow.trace.json")
    assert not summary.errors
    assert store.count("records") == len(doc["data"]["spans"])
    assert {r["source_format"] for r in _rows(store, "true")} == {"mlflow"}
    tools = {r["tool_name"]: r for r in _rows(store, "kind = 'tool_call'")}
    assert json.loads(tools["get_weather"]["args"]) == {"city": "Oslo"}
    assert tools["get_weather"]["result"] == "4 °C and rain in Oslo"
    failed = tools["lookup_stock"]
    assert json.loads(failed["args"]) == {"ticker": "XYZ"}
    assert failed["status"] == "error" and failed["error_type"] == "ValueError"
    first, second = _rows(store, "kind = 'llm_call'")
    assert json.loads(first["requested_tool_calls"])[0]["name"] == "get_weather"
    assert second["text"] == ANSWER
    (agent,) = _rows(store, "kind = 'agent_run'")
    assert agent["text"] == ANSWER and agent["parent_span_id"] is None


def test_console_exporter_output_pretty_spans_one_after_another(tmp_path):
    """ConsoleSpanExporter prints each `span.to_json()` (indented) after the last: no array."""
    spans = json.loads((CONVENTIONS / "strands-events.sdk-spans.json").read_text(encoding="utf-8"))
    console = tmp_path / "console.log"
    console.write_text("".join(json.dumps(span, indent=4) + "\n" for span in spans), encoding="utf-8")
    store, summary = ingest_paths(console)
    assert not summary.errors and not summary.skipped
    assert store.count("records") == len(spans)
    assert store.count("records WHERE kind = 'tool_call' AND args IS NOT NULL") == 2
    truncated = tmp_path / "truncated.log"
    truncated.write_text(console.read_text(encoding="utf-8")[:-40], encoding="utf-8")
    _, summary = ingest_paths(truncated)
    [error] = summary.errors
    assert error.reason.startswith("invalid JSON") and error.position.startswith("line ")

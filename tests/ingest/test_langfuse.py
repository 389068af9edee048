"""Langfuse trace exports of 19 agent frameworks: one record per observation, the original OTel
attributes normalized like OTLP ones, the observation's own fields filling the gaps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ingest_paths

REALDATA = (Path(__file__).parents[2] / ".." / "shared" / "realdata").resolve()
TRACES = REALDATA / "langfuse-framework-traces"


def _rows(store, where: str = "TRUE") -> list[dict]:
    cursor = store.con.execute(f"SELECT * FROM records WHERE {where} ORDER BY seq")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def exports():
    if not TRACES.is_dir():
        pytest.skip("../shared/realdata is not present")
    store, summary = ingest_paths(TRACES)
    return store, summary, sorted(TRACES.glob("*.trace.json"))


def _file(store, name: str, where: str = "TRUE") -> list[dict]:
    return _rows(store, f"source_file LIKE '%/{name}' AND ({where})")


def test_one_record_per_observation_and_no_problems(exports):
    store, summary, files = exports
    assert len(files) == 19
    assert not summary.errors
    assert [s.path for s in summary.skipped] == [str(TRACES / "README.md")]
    for path in files:
        doc = json.loads(path.read_text())
        observations = doc["observations"]
        rows = _file(store, path.name)
        # trace.observations repeats them: not counted twice; the copies of one call are one record
        merged_into = {m["span_id"]: r["span_id"] for r in rows for m in json.loads(r["merged"] or "[]")}
        kept = [o for o in observations if o["id"] not in merged_into]
        assert [r["span_id"] for r in rows] == [o["id"] for o in kept], path.name
        for row, obs in zip(rows, kept):
            parent = merged_into.get(obs["parentObservationId"], obs["parentObservationId"])
            assert row["source_format"] == "langfuse"
            assert row["clock_domain"] == path.parent.name  # files of one format in one folder: one writer
            assert row["trace_id"] == obs["traceId"] and row["parent_span_id"] == parent
            assert row["ts_raw_text"] == obs["startTime"] and row["ts_raw_start"] is not None
            assert row["source_pos"].startswith("observations[") and row["source_pos"].endswith(f"#span={obs['id']}")
            attrs = json.loads(row["attrs"])
            assert attrs["id"] == obs["id"] and attrs["input"] == obs["input"]
            assert isinstance(attrs["metadata"], dict)  # the metadata JSON string, decoded
            assert attrs["trace"]["id"] == doc["trace"]["id"]


def test_kinds_follow_the_observation_type(exports):
    store, _, _ = exports
    pairs = {(json.loads(r["attrs"])["type"], r["kind"]) for r in _rows(store)}
    for obs_type, kind in pairs:
        expected = {"GENERATION": {"llm_call"}, "TOOL": {"tool_call"}, "AGENT": {"agent_run"}, "CHAIN": {"span"},
                    "SPAN": {"span", "agent_run", "tool_call"}}[obs_type]
        assert kind in expected, (obs_type, kind)
    # a LangChain tool run typed SPAN: its output is a ToolMessage, which names the call
    (tool,) = _file(store, "langgraph-js-2025-10-30.trace.json", "name = 'get_weather'")
    assert (tool["kind"], tool["tool_call_id"], tool["result"]) == (
        "tool_call", "call_VEZJgIQLgzcb80IIyQJm7JCi", "It's always sunny in San Francisco!")
    # a SPAN whose only model hint is gen_ai.system stays a span
    (root,) = _file(store, "claude-agent-2025-12-22.trace.json", "parent_span_id IS NULL")
    assert root["kind"] == "span"


def test_sessions(exports):
    store, _, _ = exports
    expected = {
        "autogen-2025-06-06.trace.json": ("session_abc", 2),  # trace.sessionId
        "google-adk-2025-08-28.trace.json": ("demo-session", 2),  # session.id attribute
        "langgraph-python-2025-08-22.trace.json": ("demo-thread-1", 4),  # LangChain thread_id metadata
        # langsmith.metadata.session_id on the root span
        "claude-agent-2025-12-22.trace.json": ("6fb9b4b8-dd4d-4d41-8d4f-c0c0799a6559", 4),
    }
    for name, (session, rank) in expected.items():
        rows = _file(store, name)
        assert {r["session_id"] for r in rows} == {session}, name
        assert {r["session_own"] for r in rows if r["session_own"]} == {session}
        own = store.con.execute(
            "SELECT DISTINCT session_rank FROM record_store WHERE source_file LIKE ? AND session_own IS NOT NULL",
            [f"%/{name}"],
        ).fetchall()
        assert own == [(rank,)], name
    for row in _file(store, "vertex-ai-2025-08-01.trace.json"):
        assert row["session_id"] == row["trace_id"]  # nothing better than the trace


def test_tool_calls_and_their_ids(exports):
    store, _, _ = exports
    (tool,) = _file(store, "microsoft-agent-2025-12-17.trace.json", "kind = 'tool_call'")
    assert (tool["tool_name"], tool["tool_call_id"]) == ("get_weather", "call_CwaJHuXTm9dmHFQPlVbqyzJ0")
    assert tool["args"] == '{"location":"Tokyo, Japan"}'
    assert tool["result"] == "The weather in Tokyo, Japan is stormy with a high of 23\u00b0C."  # JSON string unwrapped
    assert not tool["flags"]
    # OpenInference tool spans carry no id: it comes from the generation that requested the call
    (tool,) = _file(store, "openai-agents-2025-09-30.trace.json", "kind = 'tool_call'")
    assert tool["tool_call_id"] == "call_Kud0j0DxWSmLzv9W5m6qVqXn" and tool["flags"] == ["tool_call_id_inferred"]
    # Claude Agent SDK: the generation's toolCalls; two calls of one tool told apart by their arguments
    tools = {json.loads(r["args"])["input"]["city"]: r
             for r in _file(store, "claude-agent-2025-12-22.trace.json", "kind = 'tool_call'")}
    assert tools["Berlin"]["tool_call_id"] == "toolu_01TKoqQLvY2UWuC49qnD48y7"
    assert tools["New York"]["tool_call_id"] == "toolu_01NtVat4vJLFfVd5TqdLHcA7"
    requested = [json.loads(r["requested_tool_calls"])
                 for r in _file(store, "claude-agent-2025-12-22.trace.json", "requested_tool_calls IS NOT NULL")]
    assert {"id": "toolu_01TKoqQLvY2UWuC49qnD48y7", "name": "mcp__weather__get_weather",
            "arguments": '{"city":"Berlin"}'} in [c for calls in requested for c in calls]


def test_generations(exports):
    store, _, _ = exports
    (first, second) = _file(store, "microsoft-agent-2025-12-17.trace.json", "kind = 'llm_call'")
    assert json.loads(first["requested_tool_calls"])[0]["id"] == "call_CwaJHuXTm9dmHFQPlVbqyzJ0"
    assert second["text"] == "Current conditions in Tokyo, Japan: stormy, high around 23\u00b0C."
    (gen,) = _file(store, "langgraph-js-2025-10-30.trace.json", "kind = 'llm_call' AND text IS NOT NULL")
    assert gen["model"] == "gpt-5-mini-2025-08-07" and gen["step"] == 3  # step from the LangChain metadata
    tool_messages = [m for m in json.loads(gen["input_messages"]) if m["role"] == "tool"]
    assert tool_messages == [{"role": "tool", "content": "It's always sunny in San Francisco!",
                              "tool_call_id": "call_VEZJgIQLgzcb80IIyQJm7JCi"}]
    (agno,) = _file(store, "agno-2025-06-11.trace.json", "name = 'OpenAIChat.invoke' AND requested_tool_calls IS NULL")
    assert agno["text"].startswith("To find out what's currently trending")  # not the raw completion object
    assert (agno["input_tokens"], agno["output_tokens"]) == (1568, 423)
    (crew,) = _file(store, "crewai-2025-07-11.trace.json", "kind = 'llm_call'")
    assert crew["cache_read_tokens"] == 0 and crew["model"] == "gpt-4o-mini"


def _export(observations, trace=None, nested=None) -> dict:
    trace = {"id": "t" * 32, "name": "demo", "sessionId": None, "userId": "u1", **(trace or {})}
    if nested is not None:
        trace["observations"] = nested
    return {"trace": trace, "observations": observations}


def _obs(obs_id: str, **fields) -> dict:
    base = {"id": obs_id, "traceId": "t" * 32, "parentObservationId": None, "type": "SPAN", "name": obs_id,
            "level": "DEFAULT", "statusMessage": None, "startTime": "2025-01-01T00:00:00.000Z",
            "endTime": "2025-01-01T00:00:01.000Z", "input": None, "output": None, "metadata": None}
    return {**base, **fields}


def test_levels_bad_items_and_nested_observations(tmp_path):
    observations = [
        _obs("a" * 16, type="TOOL", name="fetch", level="ERROR", statusMessage="HTTP 503",
             input='{"url":"x"}', output=None),
        _obs("b" * 16, level="WARNING", statusMessage="slow", parentObservationId="a" * 16),
        _obs("c" * 16, metadata="{not json", parentObservationId="f" * 16),
        _obs("d" * 16, startTime="soon"),
        "junk",
        {"traceId": "t" * 32, "type": "SPAN", "startTime": "2025-01-01T00:00:00Z"},
    ]
    nested = [observations[0], _obs("e" * 16, type="EVENT")]  # one repeated, one only here
    path = tmp_path / "export.json"
    path.write_text(json.dumps(_export(observations, {"sessionId": "sess-1"}, nested), indent=1))
    store, summary = ingest_paths(path)
    assert {(e.position, e.reason.split(":")[0].split(" (")[0]) for e in summary.errors} == {
        (f"observations[2]#span={'c' * 16}", "metadata is not valid JSON"),
        (f"observations[3]#span={'d' * 16}", "unparseable startTime 'soon'"),
        ("observations[4]", "not an object"),
        ("observations[5]", "observation without an id"),
    }
    rows = {r["span_id"][0]: r for r in _rows(store)}
    assert set(rows) == {"a", "b", "c", "d", "e"}
    assert rows["e"]["source_pos"] == f"trace.observations[1]#span={'e' * 16}" and rows["e"]["kind"] == "event"
    failed = rows["a"]
    assert (failed["kind"], failed["status"], failed["error_message"], failed["tool_name"]) == (
        "tool_call", "error", "HTTP 503", "fetch")
    assert failed["result"] is None and failed["args"] == '{"url":"x"}'
    warned = rows["b"]
    assert (warned["status"], warned["status_message"], warned["flags"]) == ("unset", "slow", ["level_warning"])
    assert rows["c"]["flags"] == ["bad_metadata_json", "missing_parent"]
    assert json.loads(rows["c"]["attrs"])["metadata"] == "{not json"  # kept as written
    assert rows["d"]["flags"] == ["bad_timestamp"] and rows["d"]["ts_raw_text"] == "soon"
    assert {r["session_id"] for r in rows.values()} == {"sess-1"}
    assert json.loads(rows["a"]["attrs"])["trace"]["userId"] == "u1"

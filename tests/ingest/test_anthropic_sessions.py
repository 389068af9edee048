"""Recorded Anthropic managed-agent sessions (`[method, payload]` lines): one record per event,
the session id from the create response, tool use paired with its result by id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ingest_paths

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"
SESSIONS = REALDATA / "langsmith-runs" / "anthropic-managed-agent-sessions"


def _rows(store, where: str = "TRUE") -> list[dict]:
    cursor = store.con.execute(f"SELECT * FROM records WHERE {where} ORDER BY seq")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _lines(path: Path) -> list[tuple[int, list]]:
    return [(n, json.loads(t)) for n, t in enumerate(path.read_text().splitlines(), 1) if t.strip()]


def _expected_records(path: Path) -> int:
    """Independent count: one per line, except a send, which is one per event it sent."""
    return sum(len(payload[1]["events"]) if method.endswith(".events.send") else 1
               for _, (method, payload) in _lines(path))


@pytest.fixture(scope="module")
def recordings():
    if not SESSIONS.is_dir():
        pytest.skip("../shared/realdata is not present")
    files = sorted(SESSIONS.glob("*.jsonl"))
    store, summary = ingest_paths(*files)
    return store, summary, files


def test_every_recording_ingests_with_no_problem_and_one_record_per_event(recordings):
    store, summary, files = recordings
    assert files
    assert not summary.errors and not summary.skipped
    for path in files:
        rows = _rows(store, f"source_file = '{path}'")
        assert len(rows) == _expected_records(path), path.name
        assert {(r["source_kind"], r["source_format"], r["layer"]) for r in rows} == {
            ("harness", "anthropic-sessions", "harness")}


def test_blank_lines_are_skipped_and_positions_are_line_numbers(recordings):
    store, _, _ = recordings
    rows = _rows(store, "source_file LIKE '%anthropic_managed_builtin_tools.jsonl'")
    assert rows[0]["source_pos"] == "2"  # line 1 is blank
    assert rows[0]["kind"] == "session.open"


def test_session_id_comes_from_the_create_response(recordings):
    store, _, files = recordings
    for path in files:
        created = next(payload for _, (method, payload) in _lines(path) if method.endswith("sessions.create"))
        rows = _rows(store, f"source_file = '{path}'")
        assert {r["session_id"] for r in rows} == {created["id"]}
        assert {r["session_own"] for r in rows} == {created["id"]}
        assert rows[0]["ts_raw_text"] == created["created_at"]


def test_tool_use_and_result_pair_by_id(recordings):
    store, _, files = recordings
    uses = [p["id"] for path in files for _, (m, p) in _lines(path)
            if isinstance(p, dict) and str(p.get("type")).endswith("tool_use")]
    dispatches = {r["tool_call_id"]: r for r in _rows(store, "kind = 'tool.dispatch'")}
    results = _rows(store, "kind = 'tool.result'")
    assert sorted(dispatches) == sorted(uses)
    assert len(results) == len(uses) == 5
    for result in results:
        dispatch = dispatches[result["tool_call_id"]]
        assert result["tool_name"] == dispatch["tool_name"]
        assert result["session_id"] == dispatch["session_id"]
        assert result["ts_raw_start"] > dispatch["ts_raw_start"]
    assert {d["tool_name"] for d in dispatches.values()} == {"bash", "get_weather", "web_search_exa", "web_fetch"}
    weather = next(r for r in results if r["tool_name"] == "get_weather")
    assert weather["result"] == "It's 23°C and sunny in Prague."
    assert json.loads(dispatches[weather["tool_call_id"]]["args"]) == {"location": "Prague"}


def test_is_error_and_denied_approval(recordings):
    store, _, _ = recordings
    rows = _rows(store, "source_file LIKE '%anthropic_managed_mcp_tools_reject.jsonl'")
    rejected = next(r for r in rows if r["name"] == "agent.mcp_tool_result")
    assert (rejected["kind"], rejected["status"]) == ("tool.result", "error")
    assert rejected["error_message"].startswith("Permission to use mcp__exa__web_search_exa has been rejected")
    request = next(r for r in rows if r["kind"] == "approval.request")
    grant = next(r for r in rows if r["kind"] == "approval.grant")
    assert request["tool_call_id"] == grant["tool_call_id"] == rejected["tool_call_id"]
    assert (grant["status"], grant["error_message"]) == ("error", "This tool is not allowed in this demo.")
    ok = [r for r in _rows(store, "kind = 'tool.result'") if r is not rejected and r["record_id"] != rejected["record_id"]]
    assert all(r["status"] == "ok" for r in ok)


def test_model_requests_and_responses(recordings):
    store, _, files = recordings
    for path in files:
        spans = [p["type"] for _, (m, p) in _lines(path) if isinstance(p, dict) and p.get("type", "").startswith("span.")]
        rows = _rows(store, f"source_file = '{path}'")
        assert sum(r["kind"] == "model.request" for r in rows) == spans.count("span.model_request_start")
        assert sum(r["kind"] == "model.response" for r in rows) == spans.count("span.model_request_end")
    custom = _rows(store, "source_file LIKE '%custom_tools.jsonl' AND kind = 'model.response'")
    assert custom[0]["cache_read_tokens"] == 7201 and custom[0]["output_tokens"] == 50
    assert json.loads(custom[0]["requested_tool_calls"])[0]["name"] == "get_weather"
    assert custom[1]["text"].startswith("It's currently **23°C and sunny**")
    waits = [r["kind"] for r in _rows(store, "source_file LIKE '%custom_tools.jsonl'") if r["kind"].startswith("wait.")]
    assert waits == ["wait.start", "wait.end"]


def test_a_small_recording_without_realdata(tmp_path):
    lines = [
        ["client.beta.sessions.create", {"id": "sesn_1", "created_at": "2026-07-06T14:16:29Z",
                                         "agent": {"name": "A", "model": {"id": "m"}}}],
        ["client.beta.sessions.events.send", ["sesn_1", {"events": [{"type": "user.message",
                                                                     "content": [{"type": "text", "text": "hi"}]}]}]],
        ["client.beta.sessions.events.stream", {"id": "e1", "type": "span.model_request_start",
                                                "processed_at": "2026-07-06T14:16:30Z"}],
        ["client.beta.sessions.events.stream", {"id": "e2", "type": "agent.tool_use", "name": "bash",
                                                "input": {"command": "date"}, "processed_at": "2026-07-06T14:16:31Z"}],
        ["client.beta.sessions.events.stream", {"id": "e3", "type": "agent.tool_result", "tool_use_id": "e2",
                                                "is_error": True, "content": [{"type": "text", "text": "boom"}],
                                                "processed_at": "2026-07-06T14:16:32Z"}],
    ]
    path = tmp_path / "rec.jsonl"
    path.write_text("\n" + "\n\n".join(json.dumps(line) for line in lines) + "\n")
    store, summary = ingest_paths(path)
    assert not summary.errors
    rows = _rows(store)
    assert [r["kind"] for r in rows] == ["session.open", "other", "model.request", "tool.dispatch", "tool.result"]
    assert rows[1]["flags"] == ["no_timestamp"] and rows[1]["text"] == "hi"
    assert (rows[4]["tool_name"], rows[4]["tool_call_id"], rows[4]["status"], rows[4]["error_message"]) == (
        "bash", "e2", "error", "boom")
    assert {r["session_id"] for r in rows} == {"sesn_1"}

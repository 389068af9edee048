"""OpenHands event streams: every real sample ingests with no problem and one record per event,
actions and observations map onto the harness vocabulary, sessions are named as documented."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.conftest import ingest_paths

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"
OPENHANDS = REALDATA / "openhands-trajectories"


def _rows(store, where: str = "TRUE") -> list[dict]:
    cursor = store.con.execute(f"SELECT * FROM records WHERE {where} ORDER BY seq")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _expected_records(path: Path) -> int:
    """Independent count: one per event, plus one per eval record (its outcome)."""
    if path.suffix == ".json":
        return len(json.loads(path.read_text()))
    records = [json.loads(t) for t in path.read_text().splitlines() if t.strip()]
    return sum(len(r["history"]) for r in records) + len(records)


@pytest.fixture(scope="module")
def samples():
    if not OPENHANDS.is_dir():
        pytest.skip("../shared/realdata is not present")
    files = sorted(p for p in OPENHANDS.iterdir() if p.suffix in (".json", ".jsonl"))
    store, summary = ingest_paths(*files)
    return store, summary, files


def test_every_sample_ingests_with_no_problem_and_one_record_per_event(samples):
    store, summary, files = samples
    assert files
    assert not summary.errors and not summary.skipped
    for path in files:
        rows = _rows(store, f"source_file = '{path}'")
        assert len(rows) == _expected_records(path), path.name
        assert {(r["source_kind"], r["source_format"], r["layer"]) for r in rows} == {("harness", "openhands", "harness")}
        assert {r["clock_domain"] for r in rows} == {path.parent.name}  # one folder of one harness: one writer


def test_session_ids(samples):
    store, _, files = samples
    by_file = {}
    for path in files:
        by_file[path.name] = {r["session_id"] for r in _rows(store, f"source_file = '{path}'")}
    evals = [json.loads(t) for t in (OPENHANDS / "multi_swe_bench_output.jsonl").read_text().splitlines() if t.strip()]
    assert by_file["multi_swe_bench_output.jsonl"] == {r["instance_id"] for r in evals}
    assert by_file["traj_basic.json"] == {"traj_basic"}
    resolver = [json.loads(t) for t in (OPENHANDS / "resolver_mock_output.jsonl").read_text().splitlines() if t.strip()]
    issues = [r["issue"] for r in resolver]
    assert by_file["resolver_mock_output.jsonl"] == {f"{i['owner']}/{i['repo']}#{i['number']}" for i in issues}


def test_tool_calls_pair_by_cause_and_carry_status(samples):
    store, _, _ = samples
    rows = _rows(store, "source_file LIKE '%traj_wrong_initial_state.json'")
    kinds = [(r["source_pos"], r["kind"], r["tool_name"], r["tool_call_id"], r["status"]) for r in rows]
    assert kinds == [
        ("[0]", "session.open", None, None, None),
        ("[1]", "tool.dispatch", "str_replace_editor", "toolu_01USom24cuiyvAembLhEryrn", None),
        ("[2]", "tool.result", "str_replace_editor", "toolu_01USom24cuiyvAembLhEryrn", "ok"),
        ("[3]", "tool.dispatch", "execute_bash", "toolu_01PuY3mXrE6fm3j52GscR4rj", None),
        ("[4]", "tool.result", "execute_bash", "toolu_01PuY3mXrE6fm3j52GscR4rj", "ok"),
        ("[5]", "tool.dispatch", "str_replace_editor", "toolu_01DodVjoeVmEY3gU5ALbqmGj", None),
        ("[6]", "tool.result", "str_replace_editor", "toolu_01DodVjoeVmEY3gU5ALbqmGj", "ok"),
        ("[7]", "session.close", None, None, None),
    ]
    assert json.loads(rows[3]["args"])["command"] == "mv /workspace/game_2048.py /workspace/2048.py"
    assert rows[4]["result"] == json.loads((OPENHANDS / "traj_wrong_initial_state.json").read_text())[4]["content"]
    assert rows[0]["text"] == "Please rename game_2048.py to 2048.py"
    assert rows[1]["model"].startswith("claude") and rows[1]["input_tokens"] > 0
    assert [r["step"] for r in rows] == [0, 1, 1, 2, 2, 3, 3, 4]


def test_failures_timeouts_and_error_observations(samples):
    store, _, _ = samples
    gui = {r["source_pos"]: r for r in _rows(store, "source_file LIKE '%traj_basic_gui_mode.json'")}
    assert gui["[14]"]["status"] == "timeout"  # exit code -1: OpenHands stopped waiting
    assert gui["[15]"]["kind"] == "response.forward" and gui["[15]"]["text"].startswith("I've created")

    evals = _rows(store, "source_file LIKE '%multi_swe_bench_output.jsonl'")
    errors = [r for r in evals if r["name"] == "observation.error"]
    assert len(errors) == 2
    assert all(r["kind"] == "tool.result" and r["status"] == "error" and r["tool_call_id"] is None for r in errors)
    assert errors[0]["error_message"].startswith("Parameter 'command' is expected")
    failed = [r for r in evals if r["name"] == "observation.run" and r["status"] == "error"]
    assert failed and all("exit code" in r["error_message"] for r in failed)
    outcome = [r for r in evals if r["name"] == "eval.result"]
    assert len(outcome) == 3
    assert [r["status"] for r in outcome] == ["ok", "ok", "error"]
    assert "maximum iteration" in outcome[2]["error_message"]


def test_older_schema_keeps_records_with_null_times(samples):
    store, _, _ = samples
    rows = _rows(store, "source_file LIKE '%resolver_mock_output.jsonl'")
    assert rows and all(r["ts_raw_start"] is None and r["flags"] == ["no_timestamp"] for r in rows)
    run = [r for r in rows if r["name"] == "observation.run"]
    assert run and all(r["kind"] == "tool.result" and r["tool_name"] == "run" and r["status"] == "ok" for r in run)


def test_timestamps_without_offset_are_utc(samples):
    store, _, _ = samples
    first = _rows(store, "source_file LIKE '%traj_basic.json'")[0]
    assert first["ts_raw_text"] == "2025-01-27T22:44:56.900854"
    expected = datetime(2025, 1, 27, 22, 44, 56, tzinfo=timezone.utc)
    assert first["ts_raw_start"] == int(expected.timestamp()) * 10**9 + 900854000


def test_a_small_trajectory_without_realdata(tmp_path):
    events = [
        {"id": 0, "timestamp": "2025-01-01T00:00:00", "source": "user", "message": "hi", "action": "message",
         "args": {"content": "list files"}},
        {"id": 1, "timestamp": "2025-01-01T00:00:01", "source": "agent", "message": "Running command: ls",
         "action": "run", "tool_call_metadata": {"function_name": "execute_bash", "tool_call_id": "c1",
                                                 "model_response": {"id": "r1", "model": "m"}},
         "args": {"command": "ls"}},
        {"id": 2, "timestamp": "2025-01-01T00:00:02", "source": "agent", "cause": 1, "observation": "run",
         "message": "Command `ls` executed with exit code 2.", "content": "ls: no such dir",
         "extras": {"metadata": {"exit_code": 2}}},
        {"id": 3, "timestamp": "2025-01-01T00:00:03", "source": "agent", "observation": "error",
         "message": "bad call", "content": "bad call", "extras": {"error_id": ""}},
        {"id": 4, "timestamp": "2025-01-01T00:00:04", "source": "agent", "message": "done", "action": "finish",
         "args": {"final_thought": "done"}},
    ]
    path = tmp_path / "traj_tiny.json"
    path.write_text(json.dumps(events))
    store, summary = ingest_paths(path)
    assert not summary.errors
    rows = _rows(store)
    assert [(r["kind"], r["status"]) for r in rows] == [
        ("session.open", None), ("tool.dispatch", None), ("tool.result", "error"), ("tool.result", "error"),
        ("session.close", None)]
    assert rows[2]["tool_call_id"] == "c1" and rows[2]["tool_name"] == "execute_bash"
    assert {r["session_id"] for r in rows} == {"traj_tiny"}
    assert rows[4]["text"] == "done"


def test_structured_model_and_response_id_do_not_break_the_batch(tmp_path):
    """Untrusted values where strings are expected: kept as JSON text, nothing crashes."""
    import json as _json

    from tests.conftest import ingest_paths

    events = [
        {"id": 0, "timestamp": "2025-04-30T16:32:57.000001", "source": "agent", "action": "system",
         "message": "start", "args": {}},
        {"id": 1, "timestamp": "2025-04-30T16:32:58.000001", "source": "agent", "action": "run",
         "message": "run ls", "args": {"command": "ls"},
         "tool_call_metadata": {"function_name": "execute_bash", "tool_call_id": "toolu_x",
                                "model_response": {"id": {"nested": 1}, "model": ["not", "a", "string"],
                                                   "usage": {"prompt_tokens": 3}}}},
    ]
    path = tmp_path / "traj_weird.json"
    path.write_text(_json.dumps(events))
    store, summary = ingest_paths(path)
    assert not summary.errors
    assert store.count("records") >= 2

"""LangSmith / LangChain runs: the SDKs' real run-ingest payloads, plus run trees written the
ways LangSmith exports them (arrays, JSON Lines, one run), with LangChain message shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ingest_paths

REALDATA = (Path(__file__).parents[2] / ".." / "shared" / "realdata").resolve()
PAYLOADS = REALDATA / "langsmith-runs" / "run-ingest-payloads"


def _rows(store, where: str = "TRUE") -> list[dict]:
    cursor = store.con.execute(f"SELECT * FROM records WHERE {where} ORDER BY seq")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def payloads():
    if not PAYLOADS.is_dir():
        pytest.skip("../shared/realdata is not present")
    store, summary = ingest_paths(PAYLOADS)
    return store, summary, sorted(PAYLOADS.glob("*.json"))


def test_every_payload_ingests_one_record_per_run(payloads):
    store, summary, files = payloads
    assert not summary.errors and not summary.skipped
    assert files
    for path in files:
        payload = json.loads(path.read_text())
        runs = {item["dotted_order"] for key in ("post", "patch") for item in payload.get(key, [])}
        rows = _rows(store, f"source_file = '{path}'")
        assert len(rows) == len(runs), path.name
        assert {r["source_format"] for r in rows} == {"langsmith"}
        for row in rows:
            attrs = json.loads(row["attrs"])
            assert row["span_id"] == attrs["id"] and row["trace_id"] == attrs["trace_id"]
            assert row["ts_raw_start"] and row["ts_raw_end"] > row["ts_raw_start"]  # post and patch merged
            assert row["clock_domain"] == path.parent.name  # files of one format in one folder: one writer
            assert row["source_pos"] == f"post[0]+patch[0]#span={attrs['id']}"


def test_llm_runs(payloads):
    store, _, _ = payloads
    rows = _rows(store)
    assert {(r["kind"], r["layer"], r["status"]) for r in rows} == {("llm_call", "model", "ok")}
    (js,) = _rows(store, "source_file LIKE '%langsmith_js_wrap_openai_default.json'")
    assert js["ts_raw_start"] == 1728803137170 * 10**6 and js["ts_raw_text"] == "1728803137170"  # epoch ms
    assert js["ts_raw_end"] == 1728803138285 * 10**6
    assert js["text"] == "Howdy! How can I assist you today?"
    assert (js["input_tokens"], js["output_tokens"], js["cache_read_tokens"]) == (9, 9, 0)
    assert js["model"] == "gpt-4o-mini"
    assert json.loads(js["input_messages"]) == [{"role": "user", "content": "howdy"}]
    (py,) = _rows(store, "source_file LIKE '%langsmith_py_wrap_openai_.json'")
    assert py["ts_raw_text"] == "2024-10-11T20:58:23.298773+00:00"
    assert py["ts_raw_end"] - py["ts_raw_start"] == 1_118_333_000  # microseconds kept
    assert py["session_id"] == py["trace_id"]  # no thread id: the trace is the session
    (no_usage,) = _rows(store, "source_file LIKE '%langsmith_py_wrap_openai_stream_no_usage.json'")
    assert no_usage["input_tokens"] is None and no_usage["text"] == "Howdy! How can I assist you today?"


def _lc(cls: str, **kwargs) -> dict:
    return {"lc": 1, "type": "constructor", "id": ["langchain", "schema", "messages", cls], "kwargs": kwargs}


ROOT = "20241013T070537170000Zr1"
RUNS = [
    {"id": "r1", "run_type": "chain", "name": "AgentExecutor", "trace_id": "r1", "dotted_order": ROOT,
     "start_time": 1728803137170, "end_time": 1728803139000, "inputs": {"input": "weather in Paris?"},
     "outputs": {"output": "It is sunny."}, "extra": {"metadata": {"thread_id": "thread-7"}}},
    {"id": "r2", "run_type": "llm", "name": "ChatOpenAI", "trace_id": "r1",
     "dotted_order": f"{ROOT}.20241013T070537200000Zr2",
     "start_time": "2024-10-13T07:05:37.200Z", "end_time": "2024-10-13T07:05:38Z",
     "inputs": {"messages": [[_lc("SystemMessage", content="Be brief."),
                              _lc("HumanMessage", content="weather in Paris?")]]},
     "outputs": {"generations": [[{"text": "", "message": _lc(
         "AIMessage", content="",
         tool_calls=[{"name": "weather", "args": {"city": "Paris"}, "id": "call_w1", "type": "tool_call"},
                     {"name": "weather", "args": {"city": "Lyon"}, "id": "call_w2", "type": "tool_call"}],
         additional_kwargs={"tool_calls": [
             {"id": "call_w1", "type": "function",
              "function": {"name": "weather", "arguments": "{\"city\": \"Paris\"}"}},
             {"id": "call_w2", "type": "function",
              "function": {"name": "weather", "arguments": "{\"city\": \"Lyon\"}"}}]},
         usage_metadata={"input_tokens": 50, "output_tokens": 12,
                         "input_token_details": {"cache_read": 30, "cache_creation": 5}})}]],
         "llm_output": {"model_name": "gpt-4o"}}},
    # no parent_run_id: the parent comes from dotted_order; no call id: inferred from r2 (Lyon, not Paris)
    {"id": "r3", "run_type": "tool", "name": "weather", "trace_id": "r1",
     "dotted_order": f"{ROOT}.20241013T070538100000Zr3",
     "start_time": "2024-10-13T07:05:38.100Z", "end_time": "2024-10-13T07:05:38.200Z",
     "inputs": {"input": "{'city': 'Lyon'}"}, "outputs": {"output": "cloudy"}},
    # a ToolMessage output carries the id
    {"id": "r4", "run_type": "tool", "name": "weather", "trace_id": "r1", "parent_run_id": "r1",
     "dotted_order": f"{ROOT}.20241013T070538300000Zr4",
     "start_time": "2024-10-13T07:05:38.300Z", "end_time": "2024-10-13T07:05:38.400Z",
     "inputs": {"input": "{'city': 'Paris'}"},
     "outputs": {"output": _lc("ToolMessage", content="sunny", tool_call_id="call_w1", name="weather",
                               status="success")}},
    {"id": "r5", "run_type": "tool", "name": "lookup", "trace_id": "r1", "parent_run_id": "r1",
     "dotted_order": f"{ROOT}.20241013T070538500000Zr5", "start_time": "2024-10-13T07:05:38.500Z",
     "end_time": "2024-10-13T07:05:38.600Z", "inputs": {"input": "x"}, "outputs": None,
     "error": "ValueError('lookup failed')\n\nTraceback (most recent call last): ..."},
]


def _check_tree(store) -> None:
    rows = {r["span_id"]: r for r in _rows(store)}
    assert set(rows) == {"r1", "r2", "r3", "r4", "r5"}
    assert {r["session_id"] for r in rows.values()} == {"thread-7"}
    assert rows["r1"]["session_own"] == "thread-7"
    assert (rows["r1"]["kind"], rows["r1"]["agent"], rows["r1"]["text"], rows["r1"]["args"]) == (
        "agent_run", "AgentExecutor", "It is sunny.", "weather in Paris?")
    llm = rows["r2"]
    assert (llm["kind"], llm["parent_span_id"], llm["model"], llm["agent"]) == (
        "llm_call", "r1", "gpt-4o", "AgentExecutor")
    assert json.loads(llm["requested_tool_calls"]) == [
        {"id": "call_w1", "name": "weather", "arguments": '{"city": "Paris"}'},
        {"id": "call_w2", "name": "weather", "arguments": '{"city": "Lyon"}'},
    ]
    assert json.loads(llm["input_messages"]) == [{"role": "system", "content": "Be brief."},
                                                 {"role": "user", "content": "weather in Paris?"}]
    assert llm["system_instructions"] == "Be brief."
    tokens = (llm["input_tokens"], llm["output_tokens"], llm["cache_read_tokens"], llm["cache_write_tokens"])
    assert tokens == (50, 12, 30, 5)
    assert "parent_from_dotted_order" in llm["flags"]
    inferred = rows["r3"]
    assert (inferred["parent_span_id"], inferred["tool_call_id"], inferred["result"]) == ("r1", "call_w2", "cloudy")
    assert "tool_call_id_inferred" in inferred["flags"]
    assert (rows["r4"]["tool_call_id"], rows["r4"]["result"], rows["r4"]["status"]) == ("call_w1", "sunny", "ok")
    failed = rows["r5"]
    assert (failed["status"], failed["error_type"], failed["result"]) == ("error", "ValueError", None)
    assert failed["error_message"].startswith("ValueError('lookup failed')")


def test_run_array(tmp_path):
    path = tmp_path / "runs.json"
    path.write_text(json.dumps(RUNS, indent=1))
    store, summary = ingest_paths(path)
    assert not summary.errors and not summary.skipped
    _check_tree(store)
    assert _rows(store, "span_id = 'r3'")[0]["source_pos"] == "[2]#span=r3"


def test_run_lines_with_creates_and_updates(tmp_path):
    """JSON Lines: each run written when created and again when it ended (later lines win)."""
    lines = []
    for run in RUNS:
        start = {k: v for k, v in run.items() if k not in ("end_time", "outputs", "error")}
        end = {"id": run["id"], "end_time": run["end_time"], "outputs": run["outputs"], "error": run.get("error")}
        lines += [json.dumps(start), json.dumps(end)]
    path = tmp_path / "runs.jsonl"
    path.write_text("\n".join(lines) + "\n")
    store, summary = ingest_paths(path)
    assert not summary.errors
    _check_tree(store)
    assert _rows(store, "span_id = 'r1'")[0]["source_pos"] == "1+2#span=r1"


def test_post_patch_payload_without_patch_ids(tmp_path):
    posts = [{k: v for k, v in run.items() if k not in ("end_time", "outputs", "error")} for run in RUNS]
    patches = [{"trace_id": run["trace_id"], "dotted_order": run["dotted_order"], "end_time": run["end_time"],
                "outputs": run["outputs"], "error": run.get("error")} for run in reversed(RUNS)]
    path = tmp_path / "payload.json"
    path.write_text(json.dumps({"post": posts, "patch": patches}, indent=1))
    store, summary = ingest_paths(path)
    assert not summary.errors
    _check_tree(store)
    assert _rows(store, "span_id = 'r1'")[0]["source_pos"] == "post[0]+patch[4]#span=r1"
    # one payload per line, as a request log writes them
    lines = tmp_path / "payloads.jsonl"
    lines.write_text(json.dumps({"post": posts[:2]}) + "\n" + json.dumps({"post": posts[2:], "patch": patches}) + "\n")
    store, summary = ingest_paths(lines)
    assert not summary.errors
    _check_tree(store)
    assert _rows(store, "span_id = 'r1'")[0]["source_pos"] == "1:post[0]+2:patch[4]#span=r1"


def test_single_run_and_bad_runs(tmp_path):
    single = tmp_path / "one.json"
    single.write_text(json.dumps(RUNS[0]))
    store, summary = ingest_paths(single)
    assert not summary.errors and store.count("records") == 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([RUNS[0], "junk", {"run_type": "tool", "trace_id": "t"},
                               {**RUNS[4], "start_time": "not a time"}]))
    store, summary = ingest_paths(bad)
    assert {(e.position, e.reason.split(" (")[0].split(":")[0]) for e in summary.errors} == {
        ("[1]", "not a run object"),
        ("[2]", "run without id or dotted_order"),
        ("[3]#span=r5", "unparseable start_time 'not a time'"),
    }
    (kept,) = _rows(store, "span_id = 'r5'")
    assert kept["ts_raw_text"] == "not a time"
    assert kept["flags"] == ["bad_timestamp", "start_from_dotted_order"]  # the run's dotted_order has its start
    assert kept["ts_raw_start"] == 1728803138500000000


def test_run_tree_posted_whole(tmp_path):
    """An older client posts a run with its `child_runs` nested: each child is a record too."""
    tree = {**RUNS[0], "child_runs": [{**RUNS[1], "child_runs": []}, {**RUNS[2], "child_runs": []}]}
    path = tmp_path / "tree.json"
    path.write_text(json.dumps(tree, indent=1))
    store, summary = ingest_paths(path)
    assert not summary.errors
    rows = {r["span_id"]: r for r in _rows(store)}
    assert set(rows) == {"r1", "r2", "r3"}
    assert rows["r3"]["source_pos"] == "child_runs[1]#span=r3"
    assert rows["r3"]["parent_span_id"] == "r1" and rows["r3"]["tool_call_id"] == "call_w2"
    assert "child_runs" not in json.loads(rows["r1"]["attrs"])

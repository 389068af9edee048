"""Harness logs read through a TOML mapping: the documented example runs as documented, and a
bad mapping is a usage error that names the file and the problem."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from analyzer.errors import UsageError
from analyzer.ingest.harness.mapping import load_mapping, parse_path, time_reader
from analyzer.ingest.runner import ingest
from analyzer.store.db import Store
from tests.conftest import FIXTURES, ROOT

EXAMPLES = ROOT / "docs" / "examples"


def _ingest(*paths: Path, mappings=()):
    store = Store()
    summary = ingest(list(paths), store, extra_ingesters=list(mappings))
    return store, summary


def _rows(store, where: str = "TRUE") -> list[dict]:
    cursor = store.con.execute(f"SELECT * FROM records WHERE {where} ORDER BY seq")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _utc_ns(*parts: int, micro: int = 0) -> int:
    return int(datetime(*parts, tzinfo=timezone.utc).timestamp()) * 1_000_000_000 + micro * 1_000


def test_the_documented_example(tmp_path):
    mapping = load_mapping(EXAMPLES / "gateway-mapping.toml")
    assert mapping.name == "acme-gateway"
    log = EXAMPLES / "acme-gateway.jsonl"
    store, summary = _ingest(log, mappings=[mapping])
    assert not summary.errors and not summary.skipped
    lines = [json.loads(t) for t in log.read_text().splitlines() if t.strip()]
    rows = {row["source_pos"]: row for row in _rows(store)}
    assert len(rows) == len(lines)
    assert {row["source_format"] for row in rows.values()} == {"harness-mapping:acme-gateway"}
    assert {row["source_kind"] for row in rows.values()} == {"harness"}
    assert {row["session_id"] for row in rows.values()} == {"c-7"}
    assert {row["clock_domain"] for row in rows.values()} == {"acme-gw"}
    assert [row["kind"] for row in rows.values()] == [
        "session.open", "model.request", "model.response", "tool.dispatch", "tool.timeout",
        "tool.dispatch", "tool.result", "context.truncate", "response.forward", "other", "session.close"]

    # the table in docs/harness-mapping.md
    dispatch, timeout, forward = rows["4"], rows["5"], rows["9"]
    assert (dispatch["name"], dispatch["tool_name"], dispatch["tool_call_id"], dispatch["attempt"]) == (
        "call.out", "get_invoice", "t-1", 1)
    assert dispatch["timeout_ms"] == 1500.0 and dispatch["idempotency_key"] == "inv-9-read"
    assert json.loads(dispatch["args"]) == {"id": "INV-9"}
    assert (timeout["name"], timeout["status"], timeout["error_message"]) == (
        "call.deadline", "timeout", "gave up after 1500 ms")
    assert (forward["name"], forward["text"]) == ("answer.sent", "Invoice INV-9 totals 120.50 EUR.")
    assert (rows["10"]["kind"], rows["10"]["name"]) == ("other", "gw.metrics")

    result = rows["7"]
    assert (result["status"], result["http_status"]) == ("ok", 200)
    assert json.loads(result["result"]) == {"invoice": "INV-9", "total": 120.5}
    assert json.loads(rows["8"]["args"]) == ["t-1"]
    assert rows["3"]["text"] == "Checking invoice INV-9."
    assert rows["1"]["deadline_ms"] == 20000.0 and rows["1"]["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert rows["1"]["ts_raw_start"] == _utc_ns(2026, 11, 27, 9, 0, 0)
    assert rows["4"]["ts_raw_text"] == "2026-11-27 09:00:01.000 +0000"
    assert json.loads(rows["4"]["attrs"]) == lines[3]


def test_a_file_the_mapping_does_not_match_falls_through_to_the_built_in_readers():
    mapping = load_mapping(EXAMPLES / "gateway-mapping.toml")
    store, summary = _ingest(FIXTURES / "harness" / "gateway.jsonl", mappings=[mapping])
    assert not summary.errors
    assert {r["source_format"] for r in _rows(store)} == {"harness-jsonl"}


def test_joined_event_name_status_values_epoch_time_and_field_labels(tmp_path):
    (tmp_path / "loop.toml").write_text(
        '[timestamp]\nfield = "time"\nformat = "epoch_ms"\n'
        '[fields]\nevent = ["kind", "phase"]\nsession_id = "run.id"\nattempt = "n"\nstatus = "res"\n'
        'tool = ["k8s.pod"]\n'
        '[events]\ntool.start = "tool.dispatch"\n"tool.end" = "tool.result"\n'
        '[status]\nsuccess = "ok"\n'
    )
    (tmp_path / "loop.jsonl").write_text("\n".join(json.dumps(line) for line in [
        {"time": 1795770000000, "kind": "tool", "phase": "start", "run": {"id": "r1"}, "n": 1},
        {"time": "1795770000250", "kind": "tool", "phase": "end", "run": {"id": "r1"}, "n": 1, "res": "success"},
        {"time": 1795770000500, "kind": "tool", "phase": "end", "run": {"id": "r1"}, "n": 0, "res": "weird"},
        {"time": "later", "kind": "tool", "run": {"id": "r1"}},
    ]) + "\n")
    mapping = load_mapping(tmp_path / "loop.toml")
    store, summary = _ingest(tmp_path / "loop.jsonl", mappings=[mapping])
    rows = _rows(store)
    assert [(r["kind"], r["name"]) for r in rows] == [
        ("tool.dispatch", "tool.start"), ("tool.result", "tool.end"), ("tool.result", "tool.end"), ("other", "tool")]
    assert [r["ts_raw_start"] for r in rows[:3]] == [1795770000000 * 10**6, 1795770000250 * 10**6,
                                                     1795770000500 * 10**6]
    assert rows[1]["status"] == "ok" and rows[1]["session_id"] == "r1"
    problems = {p.position: p.reason for p in summary.errors}
    assert set(problems) == {"line 3", "line 4"}
    assert "field 'attempt (from n)'" in problems["line 3"]
    assert "field 'status (from res)'" not in problems["line 3"]  # an unknown status is flagged, not an error
    assert "unknown_status" in rows[2]["flags"]
    assert "field 'ts (from time)'" in problems["line 4"] and "later" in problems["line 4"]
    assert rows[3]["flags"] == ["bad_timestamp"] and rows[3]["ts_raw_start"] is None


def test_the_mapping_rule_decides_which_files_it_reads(tmp_path):
    (tmp_path / "m.toml").write_text('[match]\nequals = { "meta.app" = "loop", ok = true }\n'
                                     '[timestamp]\nfield = "t"\n[fields]\nevent = "e"\n')
    mapping = load_mapping(tmp_path / "m.toml")
    assert mapping.sniff({"meta": {"app": "loop"}, "ok": True, "t": 1, "e": "x"}, True)
    assert not mapping.sniff({"meta": {"app": "loop"}, "ok": 1, "t": 1, "e": "x"}, True)
    assert not mapping.sniff({"meta": {"app": "other"}, "ok": True}, True)
    assert not mapping.sniff({"meta": {"app": "loop"}, "ok": True}, False)  # JSON Lines only
    default = load_mapping(EXAMPLES / "gateway-mapping.toml")
    assert not default.sniff({"@t": "x", "evt": "y", "svc": "other"}, True)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[timestamp\n", "is not valid TOML"),
        ('[fields]\nevent = "e"\n', "[timestamp] needs `field`"),
        ('[timestamp]\nfield = "t"\n', "no event field"),
        ('[timestamp]\nfield = "t"\nformat = "epoch_minutes"\n[fields]\nevent = "e"\n', "'epoch_minutes' is not a time format"),
        ('[timestamp]\nfield = "t"\n[fields]\nevent = "e"\nsesion_id = "s"\n', "unknown canonical field 'sesion_id'"),
        ('[timestamp]\nfield = "t"\n[fields]\nevent = "e"\nts = "t"\n', "cannot map `ts`"),
        ('[timestamp]\nfield = "t"\n[fields]\nevent = "a..b"\n', "bad field path 'a..b' at character 3"),
        ('[timestamp]\nfield = "t"\n[fields]\nevent = "e"\n[events]\n"x" = "tool.called"\n', "not in the vocabulary"),
        ('[timestamp]\nfield = "t"\n[fields]\nevent = "e"\n[status]\nOK = "fine"\n', "[status] maps 'OK' to 'fine'"),
        ('[timestamp]\nfield = "t"\n[fields]\nevent = "e"\n[match]\nrequired = []\n', "would accept every JSON Lines file"),
        ('[timestamp]\nfield = "t"\n[fields]\nevent = "e"\n[feilds]\n', "unknown key 'feilds'"),
        ('[timestamp]\nfield = "t"\n[fields]\nevent = "e"\ntool = ["a", "b"]\n', "[fields] tool: expected a path"),
    ],
)
def test_a_bad_mapping_is_a_usage_error_naming_file_and_problem(tmp_path, text, problem):
    path = tmp_path / "bad-mapping.toml"
    path.write_text(text)
    with pytest.raises(UsageError) as raised:
        load_mapping(path)
    assert str(path) in raised.value.message
    assert problem in raised.value.message
    assert raised.value.exit_code == 2


def test_a_missing_mapping_file(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        load_mapping(tmp_path / "nope.toml")


def test_paths():
    assert parse_path("a.b[0].c") == ("a", "b", 0, "c")
    assert parse_path("items[-1]") == ("items", -1)
    assert parse_path('["k8s.pod"].name') == ("k8s.pod", "name")
    assert parse_path("@timestamp") == ("@timestamp",)
    for bad in ("", ".a", "a[x]", 'a"b', "a[0]b"):
        with pytest.raises(ValueError):
            parse_path(bad)


def test_time_formats():
    moment = _utc_ns(2026, 11, 27, 9, 0, 0, micro=123_456)
    assert time_reader("iso")("2026-11-27T09:00:00.123456Z") == moment
    assert time_reader("auto")("2026-11-27T10:00:00.123456+01:00") == moment
    assert time_reader("epoch_s")(1795770000.123456) == moment
    assert time_reader("epoch_us")("1795770000123456") == moment
    assert time_reader("epoch_ns")(1795770000123456000) == moment
    assert time_reader("%d/%m/%Y %H:%M:%S.%f")("27/11/2026 09:00:00.123456") == moment  # no offset: UTC
    assert time_reader("%d/%m/%Y %H:%M:%S.%f%z")("27/11/2026 10:00:00.123456+0100") == moment
    with pytest.raises(ValueError):
        time_reader("iso")(1795770000)

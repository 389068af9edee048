"""The canonical harness JSON Lines (SPEC 2.3): every event of the vocabulary, every timestamp
form, every column, and the schema's verdict on bad lines, through the real ingest pipeline."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from analyzer.ingest.harness.canonical import VOCABULARY, canonical_validator, load_schema
from tests.conftest import FIXTURES, ingest_paths

GATEWAY = FIXTURES / "harness" / "gateway.jsonl"
INVALID = FIXTURES / "harness" / "invalid.jsonl"


def _rows(store, where: str = "TRUE") -> list[dict]:
    cursor = store.con.execute(f"SELECT * FROM records WHERE {where} ORDER BY seq")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _lines(path: Path) -> dict[str, dict]:
    """Independent reading of a fixture: line number → parsed object, blank lines skipped."""
    out = {}
    for number, text in enumerate(path.read_text().splitlines(), 1):
        if text.strip():
            out[str(number)] = json.loads(text)
    return out


def _utc_ns(*parts: int, micro: int = 0) -> int:
    moment = datetime(*parts, tzinfo=timezone.utc)
    return int(moment.timestamp()) * 1_000_000_000 + micro * 1_000


@pytest.fixture(scope="module")
def gateway():
    store, summary = ingest_paths(GATEWAY)
    return store, summary, {row["source_pos"]: row for row in _rows(store)}


def test_every_line_is_one_record_with_no_problem(gateway):
    store, summary, rows = gateway
    assert not summary.errors and not summary.skipped
    lines = _lines(GATEWAY)
    assert set(rows) == set(lines)  # the blank line 10 is no record
    for pos, row in rows.items():
        assert row["source_kind"] == "harness" and row["layer"] == "harness"
        assert row["source_format"] == "harness-jsonl"
        assert row["name"] == lines[pos]["event"]
        assert row["flags"] is None
        assert json.loads(row["attrs"]) == lines[pos], "attrs keeps the whole line"


def test_every_vocabulary_event_becomes_its_kind(gateway):
    _, _, rows = gateway
    kinds = {row["kind"] for row in rows.values()}
    assert kinds == set(VOCABULARY) | {"other"}
    unknown = rows["27"]
    assert (unknown["kind"], unknown["name"]) == ("other", "cache.stats")
    assert json.loads(unknown["attrs"])["hit_ratio"] == 0.82  # extra fields are kept


@pytest.mark.parametrize(
    ("pos", "expected_ns"),
    [
        ("1", _utc_ns(2026, 11, 27, 9, 0, 0)),  # RFC 3339, Z
        ("2", _utc_ns(2026, 11, 27, 9, 0, 0, micro=250_000)),  # milliseconds fraction
        ("3", _utc_ns(2026, 11, 27, 9, 0, 0, micro=500_000)),  # +01:00 offset, microseconds
        ("4", _utc_ns(2026, 11, 27, 9, 0, 1, micro=750_000)),  # nanoseconds fraction
        ("5", 1795770002 * 10**9),  # epoch seconds
        ("6", 1795770004_500_000_000),  # epoch seconds with a fraction
        ("7", 1795770004_600 * 10**6),  # epoch milliseconds
        ("8", 1795770004_700_000 * 10**3),  # epoch microseconds
        ("9", 1795770005123456789),  # epoch nanoseconds, exact
        ("11", _utc_ns(2026, 11, 27, 9, 0, 5, micro=600_000)),  # space separator, -00:00
        ("12", _utc_ns(2026, 11, 27, 9, 0, 6, micro=100_000)),  # -05:00 offset
    ],
)
def test_every_timestamp_form(gateway, pos, expected_ns):
    _, _, rows = gateway
    row = rows[pos]
    assert row["ts_raw_start"] == row["ts_raw_end"] == expected_ns
    written = _lines(GATEWAY)[pos]["ts"]
    assert row["ts_raw_text"] == (written if isinstance(written, str) else json.dumps(written))


def test_tool_call_columns(gateway):
    _, _, rows = gateway
    dispatch, timeout, result = rows["5"], rows["6"], rows["9"]
    assert dispatch["kind"] == "tool.dispatch"
    assert (dispatch["tool_name"], dispatch["tool_call_id"], dispatch["attempt"]) == ("get_order", "call_1", 1)
    assert dispatch["timeout_ms"] == 2000.0 and dispatch["idempotency_key"] == "idem-1042"
    assert json.loads(dispatch["args"]) == {"order_id": 1042}
    assert dispatch["agent"] == "support" and dispatch["step"] == 1
    assert (timeout["status"], timeout["error_message"]) == ("timeout", "no response after 2000 ms")
    assert (result["status"], result["http_status"], result["attempt"]) == ("ok", 200, 2)
    assert json.loads(result["result"]) == {"order_id": 1042, "state": "shipped"}
    assert rows["12"]["status"] == "cancelled"


def test_other_canonical_columns(gateway):
    _, _, rows = gateway
    assert rows["1"]["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"  # lowercased
    assert rows["3"]["span_id"] == "00f067aa0ba902b7"
    assert rows["1"]["deadline_ms"] == 30000.0
    assert rows["4"]["text"] == "Let me look up order 1042."
    assert (rows["14"]["job_id"], rows["14"]["http_status"]) == ("job-7", 202)
    truncate = rows["18"]
    assert json.loads(truncate["args"]) == ["call_1", "call_2"]
    assert json.loads(truncate["attrs"])["dropped_tool_call_ids"] == ["call_1", "call_2"]
    assert rows["19"]["waiting_for"] == "approvals:finance"
    assert (rows["25"]["resource"], rows["25"]["version"]) == ("order:1042", "7")
    write = rows["26"]
    assert (write["version"], write["expected_version"]) == ("8", "7")
    fire = rows["30"]
    assert fire["scheduled_for_ns"] == _utc_ns(2026, 11, 27, 9, 1, 0)
    assert fire["ts_raw_start"] == _utc_ns(2026, 11, 27, 9, 1, 30)


def test_clock_domain_is_the_label_else_the_file(gateway):
    _, _, rows = gateway
    assert rows["16"]["clock_domain"] == "webhook-receiver"
    assert rows["30"]["clock_domain"] == "scheduler"
    assert rows["5"]["clock_domain"] == "gateway.jsonl"


def test_session_ids(gateway):
    store, _, rows = gateway
    assert {row["session_own"] for row in rows.values()} == {"conv-42", "nightly-digest"}
    assert {row["session_id"] for row in rows.values()} == {"conv-42", "nightly-digest"}
    opened, closed = store.con.execute(
        "SELECT opened_at, closed_at FROM sessions WHERE session_id = 'conv-42'").fetchone()
    assert opened is not None and closed is not None


def test_invalid_lines_are_reported_by_line_and_field_and_valid_lines_kept():
    store, summary = ingest_paths(INVALID)
    problems = {p.position: p.reason for p in summary.errors}
    assert set(problems) == {"line 2", "line 3", "line 4", "line 6", "line 7", "line 8", "line 10"}
    assert "missing required field 'ts'" in problems["line 2"]
    assert "field 'attempt'" in problems["line 3"] and "field 'status'" not in problems["line 3"]
    assert "field 'ts'" in problems["line 4"] and problems["line 4"].count("field 'ts'") == 1
    assert "field 'trace_id'" in problems["line 6"] and "field 'http_status'" in problems["line 6"]
    assert "malformed JSON" in problems["line 7"]
    assert "expected a JSON object" in problems["line 8"]
    assert "field 'ts'" in problems["line 10"]  # no UTC offset

    rows = {row["source_pos"]: row for row in _rows(store)}
    assert set(rows) == {"1", "2", "3", "4", "6", "9", "10"}  # every object line is kept
    assert rows["1"]["flags"] is None and rows["9"]["flags"] is None
    for pos in ("2", "3", "4", "6", "10"):
        assert "schema_invalid" in rows[pos]["flags"]
    assert "unknown_status" in rows["3"]["flags"] and rows["3"]["status"] == "done"  # kept, flagged
    assert "no_timestamp" in rows["2"]["flags"] and rows["2"]["ts_raw_start"] is None
    assert "bad_timestamp" in rows["4"]["flags"]
    assert rows["10"]["ts_raw_start"] == _utc_ns(2026, 11, 27, 9, 0, 5)  # still read, as UTC


def test_schema_is_shipped_and_valid_2020_12():
    text = resources.files("analyzer").joinpath("schemas/harness.schema.json").read_text()
    schema = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"].endswith("2020-12/schema")
    assert schema["required"] == ["ts", "event"]


EDGE_CASES = [
    {"ts": 1, "event": "x"},
    {"ts": True, "event": "x"},
    {"ts": -1, "event": "x"},
    {"ts": 1.5e18, "event": "x"},
    {"ts": 1e19, "event": "x"},
    {"ts": "2026-11-27T09:00:00+0100", "event": "x"},
    {"ts": "2026-11-27t09:00:00z", "event": "x"},
    {"ts": 1, "event": ""},
    {"ts": 1, "event": 3},
    {"ts": 1, "event": "x", "attempt": 2.0},
    {"ts": 1, "event": "x", "attempt": 2.5},
    {"ts": 1, "event": "x", "attempt": True},
    {"ts": 1, "event": "x", "step": None, "status": None, "clock": None},
    {"ts": 1, "event": "x", "status": False},
    {"ts": 1, "event": "x", "clock": ""},
    {"ts": 1, "event": "x", "timeout_ms": -1},
    {"ts": 1, "event": "x", "http_status": 600},
    {"ts": 1, "event": "x", "version": 3, "expected_version": "2"},
    {"ts": 1, "event": "x", "version": 3.5},
    {"ts": 1, "event": "x", "dropped_tool_call_ids": ["a", 1]},
    {"ts": 1, "event": "x", "error": {"type": "E"}, "args": [1], "result": None},
    {"ts": 1, "event": "x", "error": 5},
    {"ts": 1, "event": "x", "scheduled_for": None},
    {"ts": 1, "event": "x", "scheduled_for": "soon"},
    {"ts": 1, "event": "x", "span_id": "ABCDEF0123456789", "trace_id": "0" * 31},
    {"event": "x"},
    [],
    "text",
]


def test_compiled_validator_agrees_with_jsonschema():
    validator = canonical_validator()
    assert validator.compiled, "the fast path must cover every keyword the schema uses"
    reference = jsonschema.Draft202012Validator(load_schema())
    corpus = list(_lines(GATEWAY).values()) + [json.loads(t) for t in INVALID.read_text().splitlines()
                                               if t.strip().endswith("}")] + EDGE_CASES
    for line in corpus:
        assert validator.is_valid(line) == reference.is_valid(line), line
        assert (validator.errors(line) == []) == reference.is_valid(line), line


def test_an_array_of_events_is_read_too(tmp_path):
    path = tmp_path / "events.json"
    path.write_text(json.dumps([
        {"ts": "2026-11-27T09:00:00Z", "event": "session.open", "session_id": "s"},
        {"ts": "2026-11-27T09:00:01Z", "event": "session.close", "session_id": "s"},
    ], indent=2))
    store, summary = ingest_paths(path)
    assert not summary.errors
    assert [(r["source_pos"], r["kind"]) for r in _rows(store)] == [("[0]", "session.open"), ("[1]", "session.close")]

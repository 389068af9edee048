"""Every OTLP encoding of the same request ingests to the same records."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FIXTURES, ingest_paths

ENCODINGS = FIXTURES / "otlp-encodings"
EXPECTED = json.loads((ENCODINGS / "expected.json").read_text())
COMPARED = ("span_id", "parent_span_id", "trace_id", "name", "kind", "layer", "span_kind", "status",
            "ts_raw_start", "ts_raw_end", "attrs", "events", "links", "tool_call_id", "text", "session_id",
            "clock_domain", "error_type", "error_message")


def _rows(name: str, skip: tuple[str, ...] = ()):
    store, summary = ingest_paths(ENCODINGS / name)
    assert not summary.errors, summary.errors
    assert not summary.skipped, summary.skipped
    columns = ", ".join(c for c in COMPARED if c not in skip)
    return store.con.execute(f"SELECT {columns} FROM records ORDER BY span_id, ts_raw_start, text").fetchall()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts_and_ids_match_the_generator(name):
    store, summary = ingest_paths(ENCODINGS / name)
    expected = EXPECTED[name]
    assert not summary.errors
    assert store.count("records WHERE kind <> 'log'") == expected["spans"]
    assert store.count("records WHERE kind = 'log'") == expected["log_records"]
    span_ids = [r[0] for r in store.con.execute("SELECT span_id FROM records WHERE kind <> 'log' ORDER BY 1").fetchall()]
    assert span_ids == expected["span_ids"]


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if n.startswith("traces.") and n != "traces.binpb"))
def test_trace_encodings_round_trip_to_the_protobuf_records(name):
    # The loose variant omits kind and status on purpose: everything else must match.
    skip = ("span_kind", "status", "error_message") if "loose" in name else ()
    assert _rows(name, skip) == _rows("traces.binpb", skip)


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if n.startswith("logs.") and n != "logs.binpb"))
def test_log_encodings_round_trip_to_the_protobuf_records(name):
    assert _rows(name) == _rows("logs.binpb")


def test_every_anyvalue_type_is_kept():
    store, _ = ingest_paths(ENCODINGS / "traces.binpb")
    attrs = [json.loads(a) for (a,) in store.con.execute("SELECT attrs FROM records WHERE attrs IS NOT NULL").fetchall()]
    kinds = {type(v).__name__ for a in attrs for v in a.values()}
    assert {"str", "int", "float", "bool", "list", "dict"} <= kinds


def test_span_events_and_links_stay_on_their_span():
    store, _ = ingest_paths(ENCODINGS / "traces.json")
    exception = store.con.execute(
        "SELECT error_type, events FROM records WHERE events LIKE '%exception%'"
    ).fetchone()
    assert exception is not None and exception[0]
    assert store.count("records WHERE links IS NOT NULL") >= 1


def test_a_json_array_of_requests(tmp_path):
    lines = (ENCODINGS / "traces.jsonl").read_text().splitlines()
    requests = [json.loads(line) for line in lines]
    (tmp_path / "batch.json").write_text(json.dumps(requests, indent=1))
    store, summary = ingest_paths(tmp_path / "batch.json")
    assert not summary.errors and not summary.skipped
    assert store.count("records") == EXPECTED["traces.jsonl"]["spans"]
    assert store.count("records WHERE source_pos LIKE '[%]#span=%'") == EXPECTED["traces.jsonl"]["spans"]

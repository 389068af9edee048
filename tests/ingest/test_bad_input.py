"""SPEC 10: a bad file is named with the position where reading failed, everything else is
still ingested, and the CLI exits 3 unless --allow-bad-input."""

from __future__ import annotations

import gzip
import json
import shutil

import pytest

from analyzer.ingest import source
from tests.conftest import FIXTURES, ingest_paths, run_cli

ENCODINGS = FIXTURES / "otlp-encodings"
GOOD_SPANS = 8


@pytest.fixture
def folder(tmp_path):
    """A directory with one good trace file; tests add one bad file each."""
    shutil.copy(ENCODINGS / "traces.json", tmp_path / "good.json")
    return tmp_path


def _single_error(folder):
    store, summary = ingest_paths(folder)
    assert len(summary.errors) == 1, summary.errors
    return store, summary.errors[0]


def test_truncated_protobuf_message(folder):
    data = (ENCODINGS / "traces.binpb").read_bytes()
    (folder / "cut.binpb").write_bytes(data[: len(data) * 2 // 3])
    store, error = _single_error(folder)
    assert error.path.endswith("cut.binpb") and error.position.startswith("byte ")
    assert store.count("records WHERE source_file LIKE '%good.json'") == GOOD_SPANS


def test_truncated_protobuf_stream_keeps_complete_messages(folder):
    data = (ENCODINGS / "traces.pb").read_bytes()
    first_length = int.from_bytes(data[:4], "big")
    (folder / "cut.pb").write_bytes(data[: 4 + first_length + 10])
    store, error = _single_error(folder)
    assert error.position == f"byte {4 + first_length}"
    assert store.count("records WHERE source_file LIKE '%cut.pb'") >= 1


def test_corrupt_gzip(folder):
    data = bytearray((ENCODINGS / "traces.json.gz").read_bytes())
    middle = len(data) // 2
    data[middle:middle + 16] = b"\xff" * 16
    (folder / "bad.json.gz").write_bytes(bytes(data))
    store, error = _single_error(folder)
    assert error.path.endswith("bad.json.gz")
    assert "corrupt" in error.reason or "invalid" in error.reason.lower()
    assert error.position
    assert store.count("records WHERE source_file LIKE '%good.json'") == GOOD_SPANS


def test_malformed_line_in_the_middle_of_json_lines(folder):
    lines = (ENCODINGS / "traces.jsonl").read_text().splitlines()
    assert len(lines) >= 3
    lines.insert(1, '{"resourceSpans": [ this is not json')
    (folder / "mixed.jsonl").write_text("\n".join(lines) + "\n")
    store, error = _single_error(folder)
    assert error.position == "line 2" and "malformed JSON" in error.reason
    assert store.count("records WHERE source_file LIKE '%mixed.jsonl'") == GOOD_SPANS


def test_empty_file(folder):
    (folder / "empty.json").write_bytes(b"")
    _, error = _single_error(folder)
    assert error.path.endswith("empty.json") and error.position == "byte 0"


def test_unknown_format_is_skipped_with_a_reason(folder):
    (folder / "notes.txt").write_text("nothing to see here\n")
    (folder / "blob.bin").write_bytes(bytes(range(256)) * 4)
    store, summary = ingest_paths(folder)
    assert not summary.errors
    reasons = {s.path.rsplit("/", 1)[-1]: s.reason for s in summary.skipped}
    assert set(reasons) == {"notes.txt", "blob.bin"}
    assert all(reasons.values())


def test_ids_of_wrong_length_are_kept_and_flagged(folder):
    doc = json.loads((ENCODINGS / "traces.json").read_text())
    spans = doc["resourceSpans"][0]["scopeSpans"][0]["spans"]
    spans[0]["traceId"] = "abcd"
    spans[1]["spanId"] = "0123456789abcdef00"
    (folder / "short-ids.json").write_text(json.dumps(doc))
    store, summary = ingest_paths(folder)
    positions = sorted(e.position for e in summary.errors)
    assert len(positions) == 2 and all("#span=" in p for p in positions)
    assert store.count("records WHERE source_file LIKE '%short-ids.json'") == GOOD_SPANS
    flags = store.con.execute("SELECT flags FROM records WHERE flags IS NOT NULL AND source_file LIKE '%short-ids.json'").fetchall()
    assert sorted(f[0][0] for f in flags) == ["bad_span_id_length", "bad_trace_id_length"]


def test_decompression_bomb_is_bounded(folder, monkeypatch):
    monkeypatch.setattr(source, "MIN_EXPANSION_ALLOWANCE", 1 << 20)
    monkeypatch.setattr(source, "MAX_EXPANSION_RATIO", 10)
    with gzip.open(folder / "bomb.jsonl.gz", "wb") as fh:
        line = (ENCODINGS / "traces.jsonl").read_text().splitlines()[0] + "\n"
        fh.write(line.encode() * 4000)
    store, error = _single_error(folder)
    assert "decompression bomb" in error.reason and error.position.startswith("decompressed byte")
    assert store.count("records WHERE source_file LIKE '%good.json'") == GOOD_SPANS


def test_end_before_start_is_flagged_not_fatal(folder):
    doc = json.loads((ENCODINGS / "traces.json").read_text())
    span = doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    span["endTimeUnixNano"], span["startTimeUnixNano"] = span["startTimeUnixNano"], span["endTimeUnixNano"]
    (folder / "backwards.json").write_text(json.dumps(doc))
    store, summary = ingest_paths(folder)
    assert not summary.errors
    assert store.count("records WHERE list_contains(flags, 'end_before_start')") == 1


def test_cli_exit_3_names_file_and_position_unless_allowed(folder):
    (folder / "empty.json").write_bytes(b"")
    result = run_cli("check", str(folder), "--format", "json")
    assert result.returncode == 3, result.stderr
    report = json.loads(result.stdout)
    assert report["inputs"]["records"] == GOOD_SPANS
    [error] = report["inputs"]["errors"]
    assert error["path"].endswith("empty.json") and error["position"] == "byte 0"
    allowed = run_cli("check", str(folder), "--format", "json", "--allow-bad-input", "--exit-zero")
    assert allowed.returncode == 0  # --exit-zero only forgives findings: bad input alone would still exit 3


def test_values_of_the_wrong_type_never_break_a_batch(tmp_path):
    """An ingester passing untrusted values through: text columns keep them as JSON text,
    numeric columns drop what does not fit; the file is still read whole."""
    from analyzer.ingest.sink import RecordSink
    from analyzer.ingest.source import describe
    from analyzer.store.db import Store

    path = tmp_path / "x.jsonl"
    path.write_text("{}\n")
    store = Store()
    sink = RecordSink(describe(path, "x.jsonl"), "harness", "test", store.load)
    sink.add("1", kind="other", model={"nested": ["model"]}, attempt="three", input_tokens=2**70, step=4)
    sink.add("2", kind="other", model="plain", attempt=2)
    sink.flush()
    rows = store.con.execute("SELECT model, attempt, input_tokens, step FROM record_store ORDER BY seq").fetchall()
    assert rows == [('{"nested":["model"]}', None, None, 4), ("plain", 2, None, None)]

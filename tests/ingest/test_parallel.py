"""Parallel ingest of large files (threshold lowered): the same rows, record ids and problems
as the serial path, a failing worker reported rather than crashing the run, and no worker
process for small inputs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from analyzer.ingest import parallel
from analyzer.ingest.base import json_lines
from analyzer.ingest.source import describe
from analyzer.store.schema import COLUMN_INDEX
from tests.conftest import FIXTURES
from tests.ingest.protobuf_files import requests

ENCODINGS = FIXTURES / "otlp-encodings"
SERIAL = 1 << 62


def _ingest(paths: list[Path], monkeypatch, min_bytes: int, part_bytes: int = 1 << 20, extra=()):
    """(store, summary, parts read in parallel) for one ingest run with these settings."""
    from analyzer.ingest.runner import ingest
    from analyzer.store.db import Store

    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", min_bytes)
    monkeypatch.setattr(parallel, "PART_BYTES", part_bytes)
    monkeypatch.setattr(parallel, "JSONL_PART_BYTES", part_bytes)
    monkeypatch.setattr(parallel, "WORKERS", 2)
    monkeypatch.setattr(parallel, "PROTOBUF_IN_PARTS", True)  # the machinery, tested on both formats
    parts: list = []
    split = parallel.split

    def counting_split(src, mode, part_bytes=None):
        for part in split(src, mode, part_bytes):
            parts.append(part)
            yield part

    monkeypatch.setattr(parallel, "split", counting_split)
    store = Store()
    summary = ingest(paths, store, extra_ingesters=extra)
    return store, summary, len(parts)


def _contents(store) -> dict[str, list]:
    query = store.con.execute
    return {
        "record_store": query("SELECT * FROM record_store ORDER BY seq").fetchall(),
        "records": query("SELECT * FROM records ORDER BY record_id").fetchall(),
        "problems": query("SELECT * FROM input_problems").fetchall(),
        "files": query("SELECT file_id, path, records FROM files ORDER BY path").fetchall(),
    }


def _serial_and_parallel(path: Path, monkeypatch, part_bytes: int):
    serial_store, _, serial_parts = _ingest([path], monkeypatch, SERIAL)
    parallel_store, _, parallel_parts = _ingest([path], monkeypatch, 1, part_bytes)
    assert serial_parts == 0 and parallel_parts > 2
    return _contents(serial_store), _contents(parallel_store)


def _messages(path: Path) -> list[bytes]:
    return [data for data, _ in requests(path, "proto-stream")]


@pytest.mark.parametrize("part_bytes", [1, 20_000])
def test_protobuf_stream_in_parallel_equals_serial(tmp_path, monkeypatch, part_bytes):
    messages = _messages(ENCODINGS / "traces.pb") * 8
    middle = len(messages) // 2
    corrupt = bytearray(messages[middle])
    corrupt[len(corrupt) // 2:len(corrupt) // 2 + 8] = b"\xff" * 8
    messages[middle] = bytes(corrupt)
    stream = b"".join(len(m).to_bytes(4, "big") + m for m in messages)
    cut_at = len(stream)
    stream += len(messages[0]).to_bytes(4, "big") + messages[0][: len(messages[0]) // 2]
    (tmp_path / "spans.pb").write_bytes(stream)

    serial, in_parallel = _serial_and_parallel(tmp_path / "spans.pb", monkeypatch, part_bytes)
    assert in_parallel == serial
    positions = [problem[1] for problem in serial["problems"]]
    assert f"byte {cut_at}" in positions  # the truncated last message, once
    assert any("corrupt" in problem[2] for problem in serial["problems"])
    assert len(serial["record_store"]) > 50


@pytest.mark.parametrize("part_bytes", [5_000, 30_000])  # 5 kB: every line is longer than a part
def test_json_lines_in_parallel_equal_serial(tmp_path, monkeypatch, part_bytes):
    lines = (ENCODINGS / "traces.jsonl").read_text().splitlines() * 8
    lines.insert(5, "")
    lines.insert(12, '{"resourceSpans": [ this is not json')
    lines.insert(17, '{"hello": "not an OTLP request"}')
    (tmp_path / "spans.jsonl").write_text("\n".join(lines) + "\n")

    serial, in_parallel = _serial_and_parallel(tmp_path / "spans.jsonl", monkeypatch, part_bytes)
    assert in_parallel == serial
    problems = {position: reason for _, position, reason, _ in serial["problems"]}
    assert "malformed JSON" in problems["line 13"]
    assert "not an OTLP request" in problems["line 18"]
    lines_with_records = {row[COLUMN_INDEX["source_pos"]].split("#")[0] for row in serial["record_store"]}
    assert lines_with_records >= {"1", "14", str(len(lines))}


@pytest.mark.parametrize("mode, name", [("jsonl", "traces.jsonl"), ("proto-stream", "traces.pb")])
@pytest.mark.parametrize("part_bytes", [1, 3_000, 9_000, 1 << 20])
def test_parts_cover_the_file_at_boundaries(tmp_path, mode, name, part_bytes):
    data = (ENCODINGS / name).read_bytes() * 3
    (tmp_path / name).write_bytes(data)
    parts = list(parallel.split(describe(tmp_path / name, name), mode, part_bytes))
    assert b"".join(data[p.start:p.end] for p in parts) == data
    for part in parts:
        if mode == "jsonl":
            assert part.first_line == data.count(b"\n", 0, part.start) + 1
            assert part.start == 0 or data[part.start - 1:part.start] == b"\n"
        else:
            assert part.start in {0, *(p.end for p in parts)}


class ScriptedIngester:
    """JSON Lines of {"scripted": ...}: one record a line; "do": "raise" raises in the reader,
    "do": "exit" ends the worker process abruptly."""

    source_kind = "harness"
    source_format = "scripted"
    independent_lines = True

    def sniff(self, sample, as_line):
        return as_line and isinstance(sample, dict) and "scripted" in sample

    def read_lines(self, src, sink):
        for number, obj in json_lines(src, sink):
            if obj.get("do") == "exit":
                os._exit(1)
            if obj.get("do") == "raise":
                raise RuntimeError(f"scripted failure on line {number}")
            sink.add(str(number), kind="scripted", name=str(obj["scripted"]))

    def read_document(self, doc, src, sink):
        raise NotImplementedError


@pytest.mark.parametrize("do", ["raise", "exit"])
def test_a_failing_worker_is_reported_not_a_crash(tmp_path, monkeypatch, do):
    line = '{"scripted": %d, "pad": "%s"}\n'
    lines = [line % (n, "x" * 100) for n in range(200)]
    lines[150] = '{"scripted": 150, "do": "%s"}\n' % do
    (tmp_path / "a-fails.jsonl").write_text("".join(lines))
    (tmp_path / "b-fine.jsonl").write_text("".join(lines[:150] + lines[151:]))
    monkeypatch.setattr(parallel, "PARENT_READS", False)  # "exit" would end the test's own process

    store, summary, parts = _ingest([tmp_path], monkeypatch, 1, 2_000, extra=[ScriptedIngester()])
    assert parts > 10
    [error] = summary.errors
    assert error.path.endswith("a-fails.jsonl") and "worker failed" in error.reason
    first_line = int(error.position.removeprefix("line "))
    assert 130 < first_line <= 151  # the start of the part that holds line 151
    kept = store.count("record_store WHERE source_file LIKE '%a-fails.jsonl'")
    # a raising reader keeps what it read before, as on the serial path; a dead worker loses its part
    assert kept == (150 if do == "raise" else first_line - 1)
    assert store.count("record_store WHERE source_file LIKE '%b-fine.jsonl'") == 199  # a new pool read it


def test_the_parent_reads_parts_while_the_workers_do(tmp_path, monkeypatch):
    """Rather than wait for the part due next, the parent reads a later one itself; parts given to
    a worker are read there. Both kinds are loaded in file order (the equality tests above)."""
    from analyzer.ingest.otlp import proto_reader

    read_here = []
    read_stream = proto_reader.read_stream

    def counting(src, *args):  # patched in this process only: workers are spawned afresh
        read_here.append(src.start)
        return read_stream(src, *args)

    monkeypatch.setattr(proto_reader, "read_stream", counting)
    (tmp_path / "spans.pb").write_bytes((ENCODINGS / "traces.pb").read_bytes() * 20)
    store, summary, parts = _ingest([tmp_path / "spans.pb"], monkeypatch, 1, 2_000)
    assert not summary.errors and summary.records
    assert 1 <= len(read_here) < parts


def test_small_inputs_start_no_worker(monkeypatch):
    import concurrent.futures

    def no_pool(*args, **kwargs):
        raise AssertionError("a worker pool was started for small inputs")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", no_pool)
    from tests.conftest import ingest_paths

    _, summary = ingest_paths(ENCODINGS)
    assert summary.records and not summary.errors


def test_workers_import_only_what_their_parts_need(tmp_path):
    from analyzer.ingest.registry import plan
    from analyzer.ingest.sink import RecordSink

    src = describe(ENCODINGS / "traces.jsonl", "traces.jsonl")
    how = plan(src)
    sink = RecordSink(src, how.source_kind, how.source_format, lambda table: None)
    with parallel.ParallelReader(workers=1) as reader:
        reader.read(src, how, sink)
        modules = reader._executor.submit(eval, "sorted(__import__('sys').modules)").result()
    assert sink.records
    heavy = {"duckdb", "analyzer.store.db", "analyzer.ingest.registry", "analyzer.ingest.runner", "google.protobuf",
             "jsonschema", "textual"}
    assert heavy.isdisjoint(modules)



def test_canonical_harness_log_in_parallel_equals_serial(tmp_path, monkeypatch):
    """The canonical harness reader keeps no state across lines, so it may be read in parts."""
    from tests.conftest import FIXTURES

    lines = [line for line in (FIXTURES / "harness" / "gateway.jsonl").read_text().splitlines() if line.strip()]
    (tmp_path / "gateway.jsonl").write_text("\n".join(lines * 20) + "\n")
    serial, in_parallel = _serial_and_parallel(tmp_path / "gateway.jsonl", monkeypatch, 4_000)
    assert serial == in_parallel


@pytest.mark.parametrize("name, mode", [
    ("traces.pb", "proto-stream"),     # a Collector stream of requests
    ("traces.binpb", "proto-stream"),  # one request: it begins with 0x0A, which is also a newline
    ("logs.pb", None),                 # log records: no compiled reader to load ahead
    ("logs.binpb", None),
    ("traces.jsonl", "jsonl"),
    ("traces.json", "jsonl"),
])
def test_a_large_file_s_readers_are_loaded_ahead_as_its_first_bytes_say(name, mode):
    from analyzer.ingest.runner import _likely_mode

    assert _likely_mode(ENCODINGS / name) == mode

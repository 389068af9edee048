"""OTLP JSON Lines through the columnar path (DuckDB's JSON reader → SpanBatch →
normalize_batch) give the same store rows and problems as the line-by-line reader, on every
fixture and on damaged copies (which the columnar reader declines, so the line reader reports
them with their line numbers and reads the rest)."""

from __future__ import annotations

import orjson

from analyzer.ingest.otlp import json_reader
from analyzer.ingest.registry import plan
from analyzer.ingest.source import describe
from tests.conftest import FIXTURES, store_contents


def _jsonl_traces() -> list:
    out = []
    for path in sorted(FIXTURES.rglob("*")):
        if not path.is_file() or path.suffix in (".gz", ".zst"):
            continue
        how = plan(describe(path, str(path)), ())
        if how.mode == "jsonl" and isinstance(how.ingester, json_reader.OtlpJsonIngester) \
                and b"resourceSpans" in path.read_bytes()[:4096]:
            out.append(path)
    return out


def _store(paths, min_bytes, monkeypatch):
    monkeypatch.setattr(json_reader, "COLUMNAR_MIN_BYTES", min_bytes)
    return store_contents(*paths)


def test_columnar_and_line_readers_give_identical_records_and_problems(monkeypatch, tmp_path):
    paths = _jsonl_traces()
    assert len(paths) >= 20
    lines = paths[0].read_bytes().splitlines(keepends=True)
    (tmp_path / "damaged.otlp.jsonl").write_bytes(b"".join(lines) + b'{"resourceSpans": [\n' + b"".join(lines))
    paths.append(tmp_path / "damaged.otlp.jsonl")
    read = []
    real = json_reader._read_columnar
    monkeypatch.setattr(json_reader, "_read_columnar", lambda src, sink: read.append(real(src, sink)) or read[-1])
    reference = _store(paths, None, monkeypatch)
    assert not read
    columnar = _store(paths, 0, monkeypatch)
    assert sum(read) >= 20 and read[-1] is False  # most files went columnar; the damaged one did not
    assert columnar[2] == reference[2] > 100
    assert columnar[1] == reference[1] and any("damaged" in row[0] and "line" in row[1] for row in reference[1])
    assert columnar[0] == reference[0]


def test_a_file_larger_than_one_columnar_read_is_cut_at_lines(monkeypatch, tmp_path):
    """Cut into parts of at most COLUMNAR_MAX_BYTES; a damaged part alone is read line by line."""
    paths = _jsonl_traces()
    body = b"".join(p.read_bytes() if p.read_bytes().endswith(b"\n") else p.read_bytes() + b"\n" for p in paths[:6])
    (tmp_path / "big.otlp.jsonl").write_bytes(body + b"{broken\n" + body)
    monkeypatch.setattr(json_reader, "COLUMNAR_MAX_BYTES", len(body) // 3)
    reference = _store([tmp_path / "big.otlp.jsonl"], None, monkeypatch)
    columnar = _store([tmp_path / "big.otlp.jsonl"], 0, monkeypatch)
    assert columnar == reference and reference[2] > 50
    assert any(row[1].startswith("line ") for row in reference[1])


def test_a_collector_file_whose_lines_are_longer_than_the_sniffed_head_is_json_lines(tmp_path):
    """A whole batch of spans on each line (over 1 MB) is still JSON Lines, not one document."""
    from analyzer.ingest import registry

    line = _jsonl_traces()[0].read_bytes().splitlines()[0]
    request = orjson.loads(line)
    spans = request["resourceSpans"][0]["scopeSpans"][0]["spans"]
    while len(orjson.dumps(request)) <= registry.HEAD_BYTES:
        spans.extend(spans[:50])
    text = orjson.dumps(request) + b"\n"
    (tmp_path / "batch.otlp.jsonl").write_bytes(text * 3)
    (tmp_path / "single.otlp.json").write_bytes(text)
    assert plan(describe(tmp_path / "batch.otlp.jsonl", "b"), ()).mode == "jsonl"
    assert plan(describe(tmp_path / "single.otlp.json", "s"), ()).mode in ("jsonl", "json")

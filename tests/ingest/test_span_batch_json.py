"""The DuckDB columnar reader of OTLP/JSON Lines traces (`json_columnar.span_batch_jsonl`) gives
the reference SpanBatch (what `json_reader` hands `emit_span`), or None for a file it does not
reproduce exactly (then the reference reader reads it and reports the problems)."""

from __future__ import annotations

import base64
import gzip
import json
import math
from pathlib import Path

import orjson
import pytest

from analyzer.ingest.otlp.json_columnar import span_batch_jsonl
from analyzer.ingest.otlp.span_batch import SPAN_SCHEMA
from analyzer.ingest.registry import plan
from analyzer.ingest.source import describe
from tests.conftest import FIXTURES
from tests.ingest.span_batch_ref import deduped_attrs, reference_batch


def _is_otlp_jsonl(path: Path) -> bool:
    try:
        how = plan(describe(path, str(path)))
    except Exception:
        return False
    return how.mode == "jsonl" and how.source_format == "otlp-json"


def _otlp_jsonl_files(root: Path) -> list[Path]:
    return [p for p in sorted(root.rglob("*")) if p.is_file() and _is_otlp_jsonl(p)]


def _holds_logs(path: Path) -> bool:
    """Documented as unsupported: a file with log records (not part of a SpanBatch)."""
    text = gzip.decompress(path.read_bytes()) if path.read_bytes()[:2] == b"\x1f\x8b" else path.read_bytes()
    for line in text.splitlines():
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(obj, dict) and (obj.get("resourceLogs") or obj.get("resource_logs")):
            return True
    return False


def _nan_safe(rows):
    return [(span, key, (vtype, "NaN" if isinstance(v, float) and math.isnan(v) else v))
            for span, key, (vtype, v) in rows]


def assert_same(got, ref) -> None:
    for column in SPAN_SCHEMA.names:
        assert got.spans.column(column).to_pylist() == ref.spans.column(column).to_pylist(), column
    assert got.spans.schema == ref.spans.schema
    assert got.attrs.schema == ref.attrs.schema
    assert _nan_safe(deduped_attrs(got)) == _nan_safe(deduped_attrs(ref))
    assert got.resources == ref.resources


def check_file(path: Path, monkeypatch) -> bool:
    """True if the columnar batch equals the reference; False if the reader declined (None),
    which is allowed only where the reference reports a problem or the file holds logs."""
    ref, problems = reference_batch(path, monkeypatch)
    got = span_batch_jsonl(path, path.name)
    if got is None:
        assert problems or _holds_logs(path), f"{path}: declined, but the reference reads it cleanly"
        return False
    assert_same(got, ref)
    return True


FIXTURE_FILES = _otlp_jsonl_files(FIXTURES)


def test_fixtures_found():
    assert len(FIXTURE_FILES) > 20
    assert FIXTURES / "otlp-encodings" / "traces.upper-hex.json" in FIXTURE_FILES


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=[str(p.relative_to(FIXTURES)) for p in FIXTURE_FILES])
def test_fixture_equals_reference(path: Path, monkeypatch):
    read = check_file(path, monkeypatch)
    assert read or _holds_logs(path)


def test_realdata_equals_reference(realdata: Path, monkeypatch):
    files = _otlp_jsonl_files(realdata)
    for path in files:
        check_file(path, monkeypatch)


# ---- hand-made lines ----------------------------------------------------------------------

def _kv(key, value):
    return {"key": key, "value": value}


def _request(spans, resource=None, scope=None, snake=False):
    res = {"attributes": resource if resource is not None else [_kv("service.name", {"stringValue": "svc"})]}
    req = {"resourceSpans": [{"resource": res, "scopeSpans": [{"scope": scope or {"name": "lib"}, "spans": spans}]}]}
    return req


TRACE = "5B8EFFF798038103D269B633813FC60C"
SPAN = "EEE19B7EC3C1B174"
STRANGE = "quote\" backslash\\ slash/ tab\t nl\n cr\r nul\u0000 unit\u001f del\u007f é € 😀 \u2028 \ufeff"


def _spans():
    return [
        {  # upper-case hex ids, enum names, times as strings, every AnyValue type
            "traceId": TRACE, "spanId": SPAN, "parentSpanId": "", "name": "chat gpt-4o",
            "kind": "SPAN_KIND_SERVER", "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000000500000000",
            "status": {"code": "STATUS_CODE_ERROR", "message": "boom"},
            "attributes": [
                _kv("s", {"stringValue": STRANGE}),
                _kv("i", {"intValue": "-9007199254740993"}),
                _kv("i2", {"intValue": 42}),
                _kv("b", {"boolValue": True}),
                _kv("f", {"boolValue": False}),
                _kv("d", {"doubleValue": 1.5}),
                _kv("d_int", {"doubleValue": 3}),
                _kv("d_big", {"doubleValue": 1e20}),
                _kv("d_small", {"doubleValue": 1.5e-7}),
                _kv("d_nan", {"doubleValue": "NaN"}),
                _kv("d_inf", {"doubleValue": "Infinity"}),
                _kv("d_ninf", {"doubleValue": "-Infinity"}),
                _kv("d_str", {"doubleValue": "2.25"}),
                _kv("arr", {"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": "7"},
                                                      {"arrayValue": {"values": [{"boolValue": True}]}},
                                                      {"kvlistValue": {"values": [_kv("x", {"doubleValue": 0.5})]}}]}}),
                _kv("kvl", {"kvlistValue": {"values": [_kv("k\"q", {"stringValue": STRANGE}),
                                                       _kv("n", {"kvlistValue": {"values": [_kv("deep", {"intValue": 1})]}})]}}),
                _kv("empty_arr", {"arrayValue": {}}),
                _kv("bytes", {"bytesValue": base64.b64encode(b"\x00\x01binary").decode()}),
                _kv("unset", {}),
                _kv("repeated", {"stringValue": "first"}),
                _kv("key \"with\" \\ ü \u0007", {"stringValue": "k"}),
                _kv("repeated", {"intValue": 2}),
            ],
            "events": [
                {"name": "exception", "timeUnixNano": 1700000000100000000,
                 "attributes": [_kv("exception.type", {"stringValue": "ValueError"}),
                                _kv("exception.message", {"stringValue": STRANGE})]},
                {"name": "bare", "timeUnixNano": "0"},
            ],
            "links": [{"traceId": TRACE.lower(), "spanId": "0102030405060708",
                       "attributes": [_kv("l", {"intValue": 1}), _kv("l", {"intValue": 2})]},
                      {"traceId": "short", "spanId": ""}],
        },
        {  # base64 ids, enums as numbers, times as numbers
            "traceId": base64.b64encode(bytes.fromhex(TRACE)).decode(),
            "spanId": base64.b64encode(bytes.fromhex("00000000000000ff")).decode(),
            "parentSpanId": base64.b64encode(bytes.fromhex(SPAN)).decode(),
            "name": "tool", "kind": 3, "startTimeUnixNano": 1700000000000000001, "endTimeUnixNano": 1700000000000000000,
            "status": {"code": 1}, "attributes": [_kv("gen_ai.operation.name", {"stringValue": "execute_tool"})],
        },
        {  # all-zero and wrong-length ids, kind as a digit string, no status, no attributes
            "traceId": "0" * 32, "spanId": "AAAAAAAAAAA=", "parentSpanId": "abc",
            "kind": "2", "status": {}, "attributes": [],
        },
        {"traceId": "zz" * 16, "spanId": "Zm9vYmFyYmF6", "name": "", "kind": "SPAN_KIND_BOGUS", "status": {"code": "2"}},
    ]


def _write(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


def test_hand_made_lines(tmp_path, monkeypatch):
    spans = _spans()
    lines = [
        orjson.dumps(_request(spans[:2])),
        b"",  # a blank line: counted, skipped
        json.dumps(_request(spans[2:]), ensure_ascii=True).encode(),  # \uXXXX escapes, surrogate pairs
        orjson.dumps({"resourceSpans": [{"resource": {"attributes": [_kv("service.name", {"stringValue": "other"}),
                                                                      _kv("host.name", {"stringValue": "h1"})]},
                                         "instrumentationLibrarySpans": [{"instrumentationLibrary": {"name": "old"},
                                                                          "spans": [spans[1]]}]},
                                        {"scopeSpans": [{"scope": {}, "spans": [spans[3]]}]}]}),
        orjson.dumps({"resourceSpans": []}),
        orjson.dumps(_request([{**spans[1], "traceId": TRACE.lower()}])),  # the first resource again
    ]
    path = _write(tmp_path / "hand.otlp.jsonl", lines)
    ref, problems = reference_batch(path, monkeypatch)
    assert ref.count == 7 and [p for p in problems if "ids" not in p[1]] == []
    got = span_batch_jsonl(path, path.name)
    assert got is not None
    assert_same(got, ref)
    assert got.spans.column("pos").to_pylist()[2] == "3"
    assert got.spans.column("bad_ids").to_pylist()[2] == ["parent_span"]
    attrs = {a[1]: a[2] for a in deduped_attrs(got) if a[0] == 0}
    assert attrs["s"] == (1, STRANGE) and attrs["repeated"] == (3, 2) and attrs["unset"] == (0, None)
    assert math.isnan(got.attrs.to_pylist()[9]["num"])


def test_rows_out_of_order_take_the_sorting_path(tmp_path, monkeypatch):
    from analyzer.ingest.otlp import json_columnar

    path = _write(tmp_path / "order.otlp.jsonl", [orjson.dumps(_request(_spans()))] * 2)
    ref, _ = reference_batch(path, monkeypatch)
    in_order = span_batch_jsonl(path, path.name)
    monkeypatch.setattr(json_columnar, "_in_wire_order", lambda *args: False)
    got = span_batch_jsonl(path, path.name)
    assert got is not None
    assert_same(got, ref)
    assert repr(got.attrs.to_pylist()) == repr(in_order.attrs.to_pylist())  # (NaN != NaN for equals)
    assert got.spans.equals(in_order.spans)


def test_snake_case_lines(tmp_path, monkeypatch):
    def snake(obj):
        if isinstance(obj, dict):
            out = {}
            for key, value in obj.items():
                name = "".join("_" + c.lower() if c.isupper() else c for c in key) if key not in ("key", "value") else key
                out[name] = snake(value)
            return out
        return [snake(v) for v in obj] if isinstance(obj, list) else obj

    spans = _spans()
    lines = [orjson.dumps(snake(_request(spans))), orjson.dumps(_request(spans[1:2]))]
    path = _write(tmp_path / "snake.otlp.jsonl", lines)
    ref, _ = reference_batch(path, monkeypatch)
    got = span_batch_jsonl(path, path.name)
    assert got is not None and got.count == 5
    assert_same(got, ref)


def test_byte_ranges_give_true_line_numbers(tmp_path):
    spans = _spans()
    lines = [orjson.dumps(_request([s])) for s in spans] + [b"", orjson.dumps(_request(spans[:1]))]
    path = _write(tmp_path / "parts.otlp.jsonl", lines)
    whole = span_batch_jsonl(path, path.name)
    size = path.stat().st_size
    middle = sum(len(line) + 1 for line in lines[:3])
    first, second = span_batch_jsonl(path, path.name, 0, middle), span_batch_jsonl(path, path.name, middle, size)
    assert second.spans.column("pos").to_pylist() == ["4", "6"]
    for column in ("pos", "trace_id", "span_id", "attrs_json", "events_json", "links_json"):
        assert (first.spans.column(column).to_pylist() + second.spans.column(column).to_pylist()
                == whole.spans.column(column).to_pylist())


@pytest.mark.parametrize("bad", [
    b'{"resourceSpans": [}',  # malformed
    b'{"resourceSpans": [],}',  # trailing comma: DuckDB would accept it, orjson does not
    b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"attributes": [{"key": "x", "value": {"doubleValue": NaN}}]}]}]}]}',
    b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"startTimeUnixNano": 1e999}]}]}]}',
    b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "\\ud800"}]}]}]}',  # lone surrogate
    b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "\xff"}]}]}]}',  # not UTF-8
    b'[1, 2]',  # not an object
    b'{"something": "else"}',  # not an OTLP request
    b'{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"body": {"stringValue": "x"}}]}]}]}',  # logs
    b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"attributes": [{"key": "x", "value": {"intValue": "1.5"}}]}]}]}]}',
    b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"attributes": [{"key": 5, "value": {"intValue": 1}}]}]}]}]}',
    b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"attributes": [{"key": "a", "value": {"arrayValue": [1]}}]}]}]}]}',
    '{"resourceSpans": [{"scopeSpans": [{"spans": [{"kind": "\u00b2"}]}]}]}'.encode(),  # isdigit(), but int() fails
    # json_transform would read these as absent; the reference fails on them
    b'{"resourceSpans": [{"scopeSpans": [{"spans": {"a": {"name": "x"}}}]}]}',
    b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"status": "error"}]}]}]}',
    b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"attributes": [{"key": "x", "value": {"intValue": null}}]}]}]}]}',
])
def test_declines_what_it_does_not_reproduce(tmp_path, monkeypatch, bad):
    good = orjson.dumps(_request(_spans()[1:2]))
    path = _write(tmp_path / "bad.otlp.jsonl", [good, bad, good])
    assert span_batch_jsonl(path, path.name) is None
    _, problems = reference_batch(path, monkeypatch)
    assert problems or b"resourceLogs" in bad


@pytest.mark.parametrize("line", [
    # the reference passes the number on to emit_span (its batch cannot even hold it)
    b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": 5}]}]}]}',
    # the reference reads a number where a string belongs as a number: declined
    b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"attributes": [{"key": "x", "value": {"stringValue": 5}}]}]}]}]}',
    b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": 12345}]}]}]}',
])
def test_declines_a_value_that_is_not_text(tmp_path, line):
    path = _write(tmp_path / "name.otlp.jsonl", [orjson.dumps(_request(_spans()[1:2])), line])
    assert span_batch_jsonl(path, path.name) is None


def test_malformed_line_declines_and_reference_reports_it(tmp_path, monkeypatch):
    good = orjson.dumps(_request(_spans()[1:2]))
    path = _write(tmp_path / "broken.otlp.jsonl", [good, good[:-5], good])
    assert span_batch_jsonl(path, path.name) is None
    ref, problems = reference_batch(path, monkeypatch)
    assert ref.count == 2 and any(pos == "line 2" and "malformed" in why for pos, why in problems)


def test_gzip_and_empty(tmp_path, monkeypatch):
    path = tmp_path / "z.otlp.jsonl.gz"
    path.write_bytes(gzip.compress(orjson.dumps(_request(_spans())) + b"\n"))
    ref, _ = reference_batch(path, monkeypatch)
    got = span_batch_jsonl(path, path.name)
    assert got is not None
    assert_same(got, ref)
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"\n\n")
    assert span_batch_jsonl(empty, empty.name).count == 0


def test_crlf_lines_and_leading_space(tmp_path, monkeypatch):
    spans = _spans()
    lines = [orjson.dumps(_request(spans[:2])) + b"\r", b"  " + orjson.dumps(_request(spans[2:])) + b"\r", b" \t\r"]
    path = _write(tmp_path / "crlf.otlp.jsonl", lines)
    ref, _ = reference_batch(path, monkeypatch)
    got = span_batch_jsonl(path, path.name)
    assert got is not None and got.count == 4
    assert_same(got, ref)

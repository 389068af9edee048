"""The protobuf SpanBatch producer (`scanned.span_batch`: wire scanner + compiled JSON
rendering) gives the reference batch (the library path's `emit_span` arguments) on every
protobuf traces fixture and real export, on thousands of random attribute sets, and never
crashes on corrupt bytes."""

from __future__ import annotations

import math
import random
import struct
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pytest

pytest.importorskip("numba")

from google.protobuf.message import DecodeError  # noqa: E402
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest  # noqa: E402

from analyzer.ingest.otlp import json_render, proto_reader, scanned, wire_scan  # noqa: E402
from analyzer.ingest.otlp.span_batch import (  # noqa: E402
    ATTR_SCHEMA, EVENT_ATTR_SCHEMA, EVENT_SCHEMA, SPAN_SCHEMA, V_BYTES, V_STRING, SpanBatch, event_tables,
)
from analyzer.ingest.sink import RecordSink  # noqa: E402
from analyzer.ingest.source import SourceFile  # noqa: E402
from tests.ingest.damage import cut_or_flip  # noqa: E402
from tests.ingest.without_jit import run_without_jit  # noqa: E402
from tests.ingest.protobuf_files import protobuf_inputs, requests  # noqa: E402
from tests.conftest import FIXTURES  # noqa: E402
from tests.ingest.span_batch_ref import _Capture, deduped_attrs, reference_batch  # noqa: E402


def _trace_inputs(root: Path) -> list[tuple[Path, str]]:
    """(path, mode) of every OTLP protobuf traces file under `root`."""
    return [(path, mode) for path, mode, kind in protobuf_inputs(root) if kind == "traces"]


def _library_batch(data: bytes, pos_prefix: str, fallback: str, monkeypatch) -> SpanBatch:
    """The batch of one request read by the protobuf library (what a caller does when the
    scanner leaves the message to it)."""
    capture = _Capture()
    with monkeypatch.context() as patch:
        patch.setattr(proto_reader, "emit_span", capture.emit_span)
        src = SourceFile(Path(fallback), fallback, len(data), file_id="t")
        proto_reader._parse_message(data, "traces", RecordSink(src, "otlp", "otlp-proto", lambda t: None), 0,
                                    pos_prefix, report=False)
    return SpanBatch(pa.Table.from_pylist(capture.spans, schema=SPAN_SCHEMA),
                     pa.Table.from_pylist(capture.attrs, schema=ATTR_SCHEMA), capture.resources)


def _file_batch(path: Path, mode: str, monkeypatch) -> tuple[SpanBatch, int]:
    """(batch of every request of the file, number of requests the scanner read)."""
    batches, scanned_count = [], 0
    for data, pos_prefix in requests(path, mode):
        tables = wire_scan.scan(data)
        batch = None
        if tables is not None:
            try:
                batch = scanned.span_batch(data, tables, pos_prefix, path.name)
                scanned_count += 1
            except (DecodeError, UnicodeDecodeError):
                batch = None
        batches.append(batch or _library_batch(data, pos_prefix, path.name, monkeypatch))
    return _concat(batches), scanned_count


def _concat(batches: list[SpanBatch]) -> SpanBatch:
    """One batch of several, equal resource contexts merged (first seen first) as the reference
    capture merges them."""
    contexts: dict = {}
    spans, attrs, events, event_attrs = [], [], [], []
    offset = event_offset = 0
    for batch in batches:
        if batch.events is None:  # read by the library: the tables normalization would make
            batch.events, batch.event_attrs = event_tables(batch.spans.column("events_json"))
        events.append(batch.events.set_column(0, "span", pa.array(
            (batch.events.column("span").to_numpy() + offset).astype(np.int32))))
        event_attrs.append(batch.event_attrs.set_column(0, "event", pa.array(
            (batch.event_attrs.column("event").to_numpy() + event_offset).astype(np.int32))))
        event_offset += batch.events.num_rows
        remap = np.array([contexts.setdefault(res, len(contexts)) for res in batch.resources] or [0], np.int32)
        table = batch.spans
        if table.num_rows:
            resource = pa.array(remap[table.column("resource").to_numpy()])
            table = table.set_column(SPAN_SCHEMA.get_field_index("resource"), "resource", resource)
        spans.append(table)
        span_col = (batch.attrs.column("span").to_numpy() + offset).astype(np.int32)
        attrs.append(batch.attrs.set_column(0, "span", pa.array(span_col)))
        offset += batch.count
    return SpanBatch(pa.concat_tables(spans), pa.concat_tables(attrs), list(contexts),
                     pa.concat_tables(events), pa.concat_tables(event_attrs))


def _same_value(a: Any, b: Any) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


def assert_same_batch(got: SpanBatch, want: SpanBatch) -> None:
    assert got.spans.schema == SPAN_SCHEMA and got.attrs.schema == ATTR_SCHEMA
    assert got.count == want.count
    for name in SPAN_SCHEMA.names:
        assert got.spans.column(name).to_pylist() == want.spans.column(name).to_pylist(), name
    got_attrs, want_attrs = deduped_attrs(got), deduped_attrs(want)
    assert len(got_attrs) == len(want_attrs)
    for (g_span, g_key, (g_type, g_value)), (w_span, w_key, (w_type, w_value)) in zip(got_attrs, want_attrs):
        assert (g_span, g_key, g_type) == (w_span, w_key, w_type)
        assert _same_value(g_value, w_value), (g_key, g_value, w_value)
    assert got.resources == want.resources
    # the event tables: those normalization would make from the reference's events_json
    want_events, want_event_attrs = event_tables(want.spans.column("events_json"))
    assert got.events.schema == EVENT_SCHEMA and got.event_attrs.schema == EVENT_ATTR_SCHEMA
    assert got.events.to_pylist() == want_events.to_pylist()
    def read(table: pa.Table) -> list[tuple]:  # what normalization reads: is a value text, and which
        return [(row["event"], row["key"], row["vtype"] in (V_STRING, V_BYTES), row["str"]) for row in table.to_pylist()]

    assert read(got.event_attrs) == read(want_event_attrs)


FIXTURE_INPUTS = _trace_inputs(FIXTURES)


def test_fixture_inputs_found():
    assert len(FIXTURE_INPUTS) >= 10
    assert any(path.suffix == ".gz" for path, _ in FIXTURE_INPUTS)


@pytest.mark.parametrize("path,mode", FIXTURE_INPUTS, ids=[str(p.relative_to(FIXTURES)) for p, _ in FIXTURE_INPUTS])
def test_fixture_batch_equals_reference(path, mode, monkeypatch):
    want, _problems = reference_batch(path, monkeypatch)
    got, scanned_count = _file_batch(path, mode, monkeypatch)
    assert scanned_count > 0
    assert_same_batch(got, want)


def test_realdata_batches_equal_reference(realdata, monkeypatch):
    inputs = _trace_inputs(realdata)
    if not inputs:
        pytest.skip("no protobuf traces in ../shared/realdata")
    for path, mode in inputs:
        want, _problems = reference_batch(path, monkeypatch)
        got, _ = _file_batch(path, mode, monkeypatch)
        assert_same_batch(got, want)


# --- random attribute sets --------------------------------------------------------------------

_KEYS = ["k", "gen_ai.prompt", "a\"b", "back\\slash", "ctl\x01\x1f\x7f", "é", "😀", "", "k2", "line\nbreak"]
_TEXT_PARTS = ["plain", "\"", "\\", "\n", "\r", "\t", "\b", "\f", "\x00", "\x01", "\x1b", "\x1f", "\x7f", "é",
               "\u2028", "\u2029", "😀", "中文", "", " ", "/", "</script>", "\ud7ff", "\ue000", "\U0010ffff"]
_DOUBLES = [0.1, 1e300, -0.0, 0.0, float("nan"), float("inf"), float("-inf"), 1.0, -2.5, 5e-324, 1e16, 1e-7,
            123456789.123, 2.0 ** 63, 1 / 3]
_INTS = [0, 1, -1, 2 ** 63 - 1, -2 ** 63, 2 ** 31, -2 ** 31 - 1, 10 ** 18, 42]


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(_TEXT_PARTS) for _ in range(rng.randint(0, 5)))


def _set_value(value, rng: random.Random, depth: int = 0) -> None:
    """A random AnyValue (nested arrays / kvlists up to two levels)."""
    which = rng.randrange(10 if depth < 2 else 7)
    if which == 0:
        value.string_value = _text(rng)
    elif which == 1:
        value.int_value = rng.choice(_INTS) if rng.random() < 0.5 else rng.randint(-10 ** 6, 10 ** 6)
    elif which == 2:
        value.bool_value = rng.random() < 0.5
    elif which == 3:
        value.double_value = rng.choice(_DOUBLES) if rng.random() < 0.6 else rng.uniform(-1e6, 1e6)
    elif which == 4:
        value.bytes_value = bytes(rng.randrange(256) for _ in range(rng.randint(0, 9)))
    elif which == 5:
        pass  # no value at all
    elif which == 6:
        value.string_value = rng.choice(["", "x", "😀"])
    elif which in (7, 8):
        array = value.array_value
        for _ in range(rng.randint(0, 3)):
            _set_value(array.values.add(), rng, depth + 1)
    else:
        kvlist = value.kvlist_value
        for _ in range(rng.randint(0, 3)):
            _set_value(kvlist.values.add(key=rng.choice(_KEYS)).value, rng, depth + 1)


def _add_attrs(attributes, rng: random.Random, most: int) -> None:
    for _ in range(rng.randint(0, most)):
        kv = attributes.add(key=rng.choice(_KEYS) if rng.random() < 0.7 else _text(rng))
        if rng.random() < 0.95:
            _set_value(kv.value, rng)


def _random_request(rng: random.Random) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    for _ in range(rng.randint(1, 3)):
        resource_spans = request.resource_spans.add()
        _add_attrs(resource_spans.resource.attributes, rng, 3)
        if rng.random() < 0.5:
            resource_spans.resource.attributes.add(key="service.name").value.string_value = rng.choice(["svc", ""])
        for _ in range(rng.randint(0, 2)):
            scope_spans = resource_spans.scope_spans.add()
            scope_spans.scope.name = rng.choice(["", "scope", "é\""])
            for _ in range(rng.randint(0, 3)):
                span = scope_spans.spans.add()
                span.trace_id = rng.choice([b"", bytes(16), rng.randbytes(16), rng.randbytes(5)])
                span.span_id = rng.choice([b"", bytes(8), rng.randbytes(8), rng.randbytes(9)])
                span.parent_span_id = rng.choice([b"", bytes(8), rng.randbytes(8), rng.randbytes(3)])
                span.name = _text(rng)
                span.kind = rng.randrange(6)
                span.start_time_unix_nano = rng.choice([0, 1, 2 ** 62, rng.randrange(2 ** 62)])
                span.end_time_unix_nano = rng.choice([0, rng.randrange(2 ** 62)])
                span.status.code = rng.randrange(3)
                span.status.message = rng.choice(["", _text(rng)])
                _add_attrs(span.attributes, rng, 20 if rng.random() < 0.1 else 6)
                for _ in range(rng.randint(0, 2)):
                    name = rng.choice([_text(rng), "exception", "gen_ai.client.inference.operation.details"])
                    event = span.events.add(name=name, time_unix_nano=rng.choice([0, 2 ** 64 - 1, 12345]))
                    _add_attrs(event.attributes, rng, 3)
                for _ in range(rng.randint(0, 2)):
                    link = span.links.add(trace_id=rng.choice([b"", bytes(16), rng.randbytes(16)]),
                                          span_id=rng.choice([b"", rng.randbytes(8), rng.randbytes(2)]))
                    _add_attrs(link.attributes, rng, 3)
    return request


def test_random_attribute_sets_equal_reference(monkeypatch):
    rng = random.Random(20261129)
    scanned_count = 0
    nested = {True: 0, False: 0}  # arrays / kvlists rendered by the kernel / left to Python
    render_nested = json_render.render_nested

    def counted(*args):
        offsets, text, ok = render_nested(*args)
        nested[True] += int(ok.sum())
        nested[False] += int((~ok).sum())
        return offsets, text, ok

    monkeypatch.setattr(json_render, "render_nested", counted)
    for case in range(3000):
        data = _random_request(rng).SerializeToString()
        want = _library_batch(data, "@7", "fuzz.pb", monkeypatch)
        tables = wire_scan.scan(data)
        assert tables is not None, case
        got = _concat([scanned.span_batch(data, tables, "@7", "fuzz.pb")])
        assert_same_batch(got, want)
        scanned_count += got.count
    assert scanned_count > 3000
    assert nested[True] > 1000 and nested[False] > 1000


def test_repeated_keys_keep_first_place_and_last_value(monkeypatch):
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add(name="s")
    for index, key in enumerate(["a", "b", "a", "c", "b", "a"]):
        span.attributes.add(key=key).value.int_value = index
    wide = request.resource_spans[0].scope_spans[0].spans.add(name="wide")  # past the pairwise check
    for index in range(40):
        wide.attributes.add(key=f"k{index % 25}").value.double_value = index / 10
    data = request.SerializeToString()
    batch = scanned.span_batch(data, wire_scan.scan(data), "@0", "x")
    assert batch.spans.column("attrs_json").to_pylist()[0] == '{"a":5,"b":4,"c":3}'
    assert batch.attrs.num_rows == 46  # the long table keeps every wire row
    assert_same_batch(_concat([batch]), _library_batch(data, "@0", "x", monkeypatch))


def test_double_and_string_rendering_matches_orjson():
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add(name="s")
    values = {f"d{i}": d for i, d in enumerate(_DOUBLES)}
    for key, value in values.items():
        span.attributes.add(key=key).value.double_value = value
    text = "".join(chr(c) for c in range(0x80)) + "é\u2028😀"
    span.attributes.add(key=text).value.string_value = text
    data = request.SerializeToString()
    got = scanned.span_batch(data, wire_scan.scan(data), "@0", "x").spans.column("attrs_json")[0].as_py()
    assert got == orjson.dumps({**values, text: text}).decode()


@pytest.mark.parametrize("owner", ["scope", "span", "resource"])
def test_nested_value_the_library_rejects_is_rejected(owner):
    """The scanner leaves arrays and kvlists undecoded; span_batch decodes them with the library
    and raises its DecodeError (the caller then reads the request with the library), also for a
    scope attribute, which no column uses."""
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    scope_spans = resource_spans.scope_spans.add()
    span = scope_spans.spans.add(name="s")
    attributes = {"scope": scope_spans.scope.attributes, "span": span.attributes,
                  "resource": resource_spans.resource.attributes}[owner]
    attributes.add(key="k").value.kvlist_value.values.add(key="x").value.string_value = "MARK"
    data = request.SerializeToString().replace(b"MARK", b"\xff\xfe\xfd\xfc")
    with pytest.raises(DecodeError):
        ExportTraceServiceRequest.FromString(data)
    tables = wire_scan.scan(data)
    assert tables is not None
    with pytest.raises(DecodeError):
        scanned.span_batch(data, tables, "@0", "x")


def corrupt_cases(count: int, seed: int) -> list[bytes]:
    """Random requests and fixture messages, truncated, bit-flipped or with a byte rewritten."""
    rng = random.Random(seed)
    seeds = [_random_request(rng).SerializeToString() for _ in range(60)]
    seeds += [data for path, mode in FIXTURE_INPUTS for data, _ in requests(path, mode)][:40]
    seeds = [s for s in seeds if s]
    cases = []
    for index in range(count):
        data = bytearray(rng.choice(seeds))
        how = index % 3
        if how < 2:
            data = cut_or_flip(data, rng, how)
        else:
            at = rng.randrange(len(data))
            data[at:at + 1] = struct.pack("B", rng.randrange(256))
        cases.append(bytes(data))
    return cases


def batches_of(cases: list[bytes]):
    """(case, batch) of each case the scanner and span_batch accept."""
    for data in cases:
        tables = wire_scan.scan(data)
        if tables is None:
            continue
        try:
            yield data, scanned.span_batch(data, tables, "@0", "fuzz.pb")
        except (DecodeError, UnicodeDecodeError):
            continue  # a nested value the library rejects: the caller reads it with the library


def test_corrupt_messages_never_crash(monkeypatch):
    accepted = 0
    for index, (data, batch) in enumerate(batches_of(corrupt_cases(3000, seed=99))):
        accepted += 1
        batch.spans.validate(full=True)
        batch.attrs.validate(full=True)
        if index % 10 == 0:  # accepted bytes are read as the library reads them
            assert_same_batch(_concat([batch]), _library_batch(data, "@0", "fuzz.pb", monkeypatch))
    assert accepted > 100


def test_kernels_never_read_past_the_buffer():
    """The scanner and the kernels run as plain Python over numpy arrays (NUMBA_DISABLE_JIT):
    an index past the end of any array raises there instead of reading memory."""
    script = (
        "from tests.ingest.test_span_batch_proto import batches_of, corrupt_cases\n"
        "print(sum(1 for _ in batches_of(corrupt_cases(300, seed=5))))\n"
    )
    assert int(run_without_jit(script, timeout=600)) > 10

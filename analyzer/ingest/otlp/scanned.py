"""Spans of a large OTLP protobuf input read through the compiled scanner (`wire_scan`)
instead of the protobuf library's message objects, as one columnar `SpanBatch` (`span_batch`)
whose text columns are made by compiled kernels (`json_render`) without a Python object per
span or attribute."""

from __future__ import annotations

import base64
import struct
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

import orjson

from analyzer.ingest.otlp import json_render as jr
from analyzer.ingest.otlp import wire_scan as ws
from analyzer.ingest.otlp.records import ResourceContext, resource_context
from analyzer.ingest.otlp.span_batch import (
    ATTR_SCHEMA, EVENT_ATTR_SCHEMA, EVENT_SCHEMA, EVENTS_READ, SPAN_SCHEMA, SpanBatch,
)


def _nested(value_bytes: bytes) -> Any:
    """An array or kvlist AnyValue, decoded by the protobuf library (rare, and nested)."""
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue

    from analyzer.ingest.otlp.proto_reader import any_value

    return any_value(AnyValue.FromString(value_bytes))


# --- the columnar form: one SpanBatch per request --------------------------------------------

_INT32_MAX = 0x7FFFFFFF
_ID_NAMES = ("trace", "span", "parent_span")


def span_batch(data: bytes, tables: ws.Tables, pos_prefix: str | list[tuple[str, int]],
               fallback_domain: str) -> SpanBatch:
    """The spans of one scanned ExportTraceServiceRequest (`tables = wire_scan.scan(data)`) as
    a `SpanBatch` (the contract: span_batch.py), equal to what the library path gives
    `emit_span`. Requests of a stream scanned together (their concatenation is one request)
    give `pos_prefix` as (position prefix, number of resources) of each, in order. Columns are
    built from the scanner's tables by compiled kernels (ids, strings, the JSON of attributes,
    events and links) and numpy; Python objects are made only per
    resource attribute and per double / array / kvlist / bytes value (their JSON text, by
    orjson). `resources` holds the distinct contexts of the resources that have spans, in wire
    order. Raises DecodeError / UnicodeDecodeError when a nested array or kvlist value is one
    the protobuf library rejects (read the request with the library instead), OverflowError
    when a text column would pass 2 GiB."""
    buf = np.frombuffer(data, np.uint8)
    attrs, spans = tables.attrs, tables.spans
    count = len(spans)
    kind = attrs[:, ws.AT_OWNER_KIND]

    res_of_span = tables.scopes[spans[:, ws.SP_SCOPE].astype(np.int64), ws.SC_RESOURCE].astype(np.int64)
    resources, res_index = _resource_index(data, tables, kind, res_of_span, fallback_domain)

    ext, ext_a, ext_b = _ext_texts(data, attrs, kind >= ws.OWNER_SPAN)
    vtype = attrs[:, ws.AT_TYPE]
    for row in np.flatnonzero((kind == ws.OWNER_SCOPE) & ((vtype == ws.V_ARRAY) | (vtype == ws.V_KVLIST))).tolist():
        _nested(data[attrs[row, ws.AT_VAL_A]:attrs[row, ws.AT_VAL_B]])  # unused, but the library rejects what it does
    span_rows, span_groups = _owner_rows(attrs, kind, ws.OWNER_SPAN, count)
    event_rows, event_groups = _owner_rows(attrs, kind, ws.OWNER_EVENT, len(tables.events))
    link_rows, link_groups = _owner_rows(attrs, kind, ws.OWNER_LINK, len(tables.links))
    skip = np.zeros(len(attrs), np.bool_)
    value_row = np.arange(len(attrs), dtype=np.int64)
    for rows, groups in ((span_rows, span_groups), (event_rows, event_groups), (link_rows, link_groups)):
        if len(rows) > 1:
            jr.dedupe(buf, attrs, rows, groups, skip, value_row)
    room = len(data) + len(ext) + 24 * len(attrs)  # a first guess; the kernels grow their output
    common = (buf, ext, attrs, ext_a, ext_b)
    attrs_json = _strings(*jr.render_attrs(*common, span_rows, span_groups, skip, value_row, room))
    events_json = _strings(*jr.render_events(
        *common, event_rows, event_groups, skip, value_row, tables.events,
        _span_bounds(tables.events[:, ws.EV_SPAN], count), 128 * len(tables.events) + 4096))
    links_json = _strings(*jr.render_links(
        *common, link_rows, link_groups, skip, value_row, tables.links,
        _span_bounds(tables.links[:, ws.LK_SPAN], count), 128 * len(tables.links) + 4096))

    ids, bad = [], []
    for col_a, col_b, nbytes in ((ws.SP_TRACE_A, ws.SP_TRACE_B, 16), (ws.SP_SPAN_A, ws.SP_SPAN_B, 8),
                                 (ws.SP_PARENT_A, ws.SP_PARENT_B, 8)):
        offsets, text, valid, wrong = jr.hex_ids(buf, spans[:, col_a], spans[:, col_b], nbytes)
        ids.append(_strings(offsets, text, valid))
        bad.append(wrong)
    scope_names = _texts_array(buf, ext, tables.scopes[:, ws.SC_NAME_A], tables.scopes[:, ws.SC_NAME_B], nullable=True)
    start, end = spans[:, ws.SP_START].view(np.int64), spans[:, ws.SP_END].view(np.int64)
    columns = [
        _repeat(pos_prefix, count) if isinstance(pos_prefix, str) else _positions(pos_prefix, res_of_span),
        *ids,
        _bad_ids(np.stack(bad, axis=1) if count else np.zeros((0, 3), np.bool_)),
        _texts_array(buf, ext, spans[:, ws.SP_NAME_A], spans[:, ws.SP_NAME_B]),
        _numbers(spans[:, ws.SP_KIND].astype(np.int8), None, pa.int8()),
        _numbers(start, start != 0, pa.int64()),
        _numbers(end, end != 0, pa.int64()),
        _numbers(spans[:, ws.SP_STATUS_CODE].astype(np.int8), None, pa.int8()),
        _texts_array(buf, ext, spans[:, ws.SP_STATUS_MSG_A], spans[:, ws.SP_STATUS_MSG_B], nullable=True),
        _numbers(res_index[res_of_span].astype(np.int32), None, pa.int32()),
        scope_names.take(pa.array(spans[:, ws.SP_SCOPE].astype(np.int64))),
        attrs_json, events_json, links_json,
    ]
    events, event_attrs = _event_tables(buf, ext, attrs, ext_a, ext_b, tables.events, event_rows, skip, value_row)
    return SpanBatch(pa.Table.from_arrays(columns, schema=SPAN_SCHEMA),
                     _long_attrs(buf, ext, attrs, ext_a, ext_b, span_rows), resources, events, event_attrs)


def _event_tables(buf: np.ndarray, ext: np.ndarray, attrs: np.ndarray, ext_a: np.ndarray, ext_b: np.ndarray,
                  events: np.ndarray, event_rows: np.ndarray, skip: np.ndarray,
                  value_row: np.ndarray) -> tuple[pa.Table, pa.Table]:
    """EVENT_SCHEMA of the request's events and EVENT_ATTR_SCHEMA of the attributes of those
    normalization reads (a repeated key once, with its last value, as events_json has it)."""
    names = _texts_array(buf, ext, events[:, ws.EV_NAME_A], events[:, ws.EV_NAME_B])
    event_table = pa.Table.from_arrays([_numbers(events[:, ws.EV_SPAN].astype(np.int32), None, pa.int32()), names],
                                       schema=EVENT_SCHEMA)
    read = np.zeros(len(events), np.bool_)
    if len(events):
        read = pc.is_in(names, pa.array(sorted(EVENTS_READ))).to_numpy(zero_copy_only=False)
    rows = event_rows[~skip[event_rows]]
    rows = value_row[rows[read[attrs[rows, ws.AT_OWNER].astype(np.int64)]]]
    long = _long_attrs(buf, ext, attrs, ext_a, ext_b, rows)
    return event_table, pa.Table.from_arrays([long.column("span"), long.column("key"), long.column("vtype"),
                                              long.column("str")], schema=EVENT_ATTR_SCHEMA)


def _resource_index(data: bytes, t: ws.Tables, kind: np.ndarray, res_of_span: np.ndarray,
                    fallback_domain: str) -> tuple[list[ResourceContext], np.ndarray]:
    """(distinct contexts of the resources that have spans, in wire order; the index of each
    resource's context in it, -1 for resources without spans). Resources are few: Python."""
    dicts: list[dict[str, Any]] = [{} for _ in range(t.resources)]
    for owner, key_a, key_b, vtype, val_a, val_b, scalar in t.attrs[kind == ws.OWNER_RESOURCE][
            :, [ws.AT_OWNER, ws.AT_KEY_A, ws.AT_KEY_B, ws.AT_TYPE, ws.AT_VAL_A, ws.AT_VAL_B, ws.AT_SCALAR]].tolist():
        dicts[owner][data[key_a:key_b].decode()] = _value(data, vtype, val_a, val_b, scalar)
    index = np.full(t.resources, -1, np.int64)
    contexts: dict[ResourceContext, int] = {}
    for resource in np.unique(res_of_span).tolist():
        index[resource] = contexts.setdefault(resource_context(dicts[resource], fallback_domain), len(contexts))
    return list(contexts), index


def _value(data: bytes, vtype: int, val_a: int, val_b: int, scalar: int) -> Any:
    """The Python value of one attribute (as the library path makes it) from its table row."""
    if vtype == ws.V_STRING:
        return data[val_a:val_b].decode()
    if vtype == ws.V_INT:
        return scalar - (1 << 64) if scalar >= 1 << 63 else scalar
    if vtype == ws.V_BOOL:
        return scalar != 0
    if vtype == ws.V_DOUBLE:
        return struct.unpack("<d", scalar.to_bytes(8, "little"))[0]
    if vtype == ws.V_BYTES:
        return base64.b64encode(data[val_a:val_b]).decode()
    if vtype in (ws.V_ARRAY, ws.V_KVLIST):
        return _nested(data[val_a:val_b])
    return None


def _owner_rows(attrs: np.ndarray, kind: np.ndarray, owner_kind: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """(attribute rows of `owner_kind`, grouped by owner in wire order; bounds of owner g's
    group). The scanner writes them in owner order already; sorted (stably) if not."""
    rows = np.flatnonzero(kind == owner_kind)
    owners = attrs[rows, ws.AT_OWNER]
    if len(owners) > 1 and (owners[1:] < owners[:-1]).any():
        order = np.argsort(owners, kind="stable")
        rows, owners = rows[order], owners[order]
    return rows.astype(np.int64), np.searchsorted(owners, np.arange(count + 1, dtype=np.uint64)).astype(np.int64)


def _span_bounds(span_of_row: np.ndarray, count: int) -> np.ndarray:
    """Bounds of each span's events (or links), which the scanner writes in span order."""
    if len(span_of_row) > 1 and (span_of_row[1:] < span_of_row[:-1]).any():
        raise AssertionError("scanner rows out of span order")
    return np.searchsorted(span_of_row, np.arange(count + 1, dtype=np.uint64)).astype(np.int64)


def _ext_texts(data: bytes, attrs: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ext, ext_a, ext_b): the JSON text of the `wanted` attribute rows whose value the kernels
    do not write themselves (double, array, kvlist, bytes) at ext[ext_a[row]:ext_b[row]]. All
    doubles go through one orjson call (its number formatting), split at the commas."""
    vtype = attrs[:, ws.AT_TYPE]
    ext_a = np.zeros(len(attrs), np.int64)
    ext_b = np.zeros(len(attrs), np.int64)
    pieces: list[bytes] = []
    size = 0
    doubles = np.flatnonzero(wanted & (vtype == ws.V_DOUBLE))
    if len(doubles):
        text = orjson.dumps(attrs[doubles, ws.AT_SCALAR].view(np.float64).tolist())
        commas = np.flatnonzero(np.frombuffer(text, np.uint8) == ord(","))
        ext_a[doubles] = np.concatenate(([1], commas + 1))
        ext_b[doubles] = np.concatenate((commas, [len(text) - 1]))
        pieces.append(text)
        size = len(text)
    nested = np.flatnonzero(wanted & ((vtype == ws.V_ARRAY) | (vtype == ws.V_KVLIST)))
    others = np.flatnonzero(wanted & (vtype == ws.V_BYTES))
    if len(nested):  # the plain ones rendered by a kernel, the others below
        offsets, text, ok = jr.render_nested(np.frombuffer(data, np.uint8), attrs[nested, ws.AT_VAL_A].astype(np.int64),
                                             attrs[nested, ws.AT_VAL_B].astype(np.int64))
        ext_a[nested] = size + offsets[:-1]
        ext_b[nested] = size + offsets[1:]
        pieces.append(text.tobytes())
        size += len(text)
        others = np.concatenate((others, nested[~ok]))
    for row in others.tolist():
        raw = data[attrs[row, ws.AT_VAL_A]:attrs[row, ws.AT_VAL_B]]
        if vtype[row] == ws.V_BYTES:
            text = b'"' + base64.b64encode(raw) + b'"'
        else:
            text = orjson.dumps(_nested(raw), default=str)
        pieces.append(text)
        ext_a[row] = size
        size += len(text)
        ext_b[row] = size
    return np.frombuffer(b"".join(pieces), np.uint8), ext_a, ext_b


def _long_attrs(buf: np.ndarray, ext: np.ndarray, attrs: np.ndarray, ext_a: np.ndarray, ext_b: np.ndarray,
                rows: np.ndarray) -> pa.Table:
    """ATTR_SCHEMA of the span attribute rows `rows` (wire order, repeats kept)."""
    owner, vtype, scalar, is_int, is_double, ranges, is_text, is_bytes, is_json = jr.long_columns(
        attrs, ext_a, ext_b, rows)
    columns = [
        _numbers(owner, None, pa.int32()),
        _strings(*jr.gather(buf, ext, np.zeros(len(rows), np.bool_), ranges[0], ranges[1])),
        _numbers(vtype, None, pa.int8()),
        _strings(*jr.gather(buf, ext, is_bytes, ranges[2], ranges[3]), is_text),
        _numbers(scalar.view(np.int64), is_int, pa.int64()),
        _numbers(scalar.view(np.float64), is_double, pa.float64()),
        _strings(*jr.gather(buf, ext, is_json, ranges[4], ranges[5]), is_json),
    ]
    return pa.Table.from_arrays(columns, schema=ATTR_SCHEMA)


def _validity(valid: np.ndarray | None, count: int) -> tuple[pa.Buffer | None, int]:
    if valid is None:
        return None, 0
    nulls = count - int(np.count_nonzero(valid))
    return (pa.py_buffer(np.packbits(valid, bitorder="little")) if nulls else None), nulls


def _strings(offsets: np.ndarray, text: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """A pa.string() array from int64 offsets and the bytes (null where not `valid`)."""
    count = len(offsets) - 1
    if offsets[-1] > _INT32_MAX:
        raise OverflowError("a text column of this request passes 2 GiB")
    validity, nulls = _validity(valid, count)
    return pa.Array.from_buffers(pa.string(), count, [validity, pa.py_buffer(offsets.astype(np.int32)),
                                                      pa.py_buffer(text)], null_count=nulls)


def _texts_array(buf: np.ndarray, ext: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                 nullable: bool = False) -> pa.Array:
    """The strings at byte ranges of the message (null when empty if `nullable`)."""
    return _text_views(buf, ext, np.zeros(len(starts), np.bool_), starts, ends, ends > starts if nullable else None)


def _text_views(buf: np.ndarray, ext: np.ndarray, in_ext: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                valid: np.ndarray | None) -> pa.Array:
    """pa.string() of the byte ranges of `buf` (or of `ext` where in_ext), null where not
    `valid` (copied end to end by a kernel: as fast as Arrow's cast of views, fewer buffers)."""
    starts, ends = (np.ascontiguousarray(x, np.int64) for x in (starts, ends))  # one compiled signature
    return _strings(*jr.gather(buf, ext, in_ext, starts, ends), valid)


def _numbers(values: np.ndarray, valid: np.ndarray | None, arrow_type: pa.DataType) -> pa.Array:
    validity, nulls = _validity(valid, len(values))
    return pa.Array.from_buffers(arrow_type, len(values), [validity, pa.py_buffer(np.ascontiguousarray(values))],
                                 null_count=nulls)


def _positions(requests: list[tuple[str, int]], res_of_span: np.ndarray) -> pa.Array:
    """Each span's position prefix: that of the request its resource is in."""
    ends = np.cumsum([resources for _, resources in requests])
    request = np.searchsorted(ends, res_of_span, side="right")
    return pa.array([prefix for prefix, _ in requests], pa.string()).take(pa.array(request))


def _repeat(text: str, count: int) -> pa.Array:
    raw = text.encode()
    offsets = np.arange(count + 1, dtype=np.int64) * len(raw)
    return _strings(offsets, np.frombuffer(raw * count, np.uint8))


def _bad_ids(bad: np.ndarray) -> pa.Array:
    """bad_ids: the names of each span's ids of wrong length, in order; null when none."""
    list_type = SPAN_SCHEMA.field("bad_ids").type
    if not bad.any():
        return pa.nulls(len(bad), list_type)
    offsets = np.zeros(len(bad) + 1, np.int32)
    np.cumsum(bad.sum(axis=1), out=offsets[1:])
    names = pa.array(_ID_NAMES).take(pa.array(np.nonzero(bad)[1]))
    return pa.ListArray.from_arrays(pa.array(offsets), names, type=list_type, mask=pa.array(~bad.any(axis=1)))


def warm() -> None:
    """Compile every kernel into numba's on-disk cache (the first compile takes ~25 s; later
    processes load it in well under a second): run once after install by the Makefile."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.add(key="service.name").value.string_value = "warm"
    scope = resource_spans.scope_spans.add()
    scope.scope.name = "warm"
    scope.scope.attributes.add(key="s").value.string_value = "x"
    span = scope.spans.add(trace_id=b"\1" * 16, span_id=b"\2" * 8, parent_span_id=b"\3" * 8, name="warm \"\n",
                           kind=1, start_time_unix_nano=1, end_time_unix_nano=2)
    span.status.code = 2
    span.status.message = "m"
    values = span.attributes
    values.add(key="s").value.string_value = "a\"\\\x01é"
    values.add(key="i").value.int_value = -3
    values.add(key="d").value.double_value = 0.5
    values.add(key="b").value.bool_value = True
    values.add(key="y").value.bytes_value = b"\0"
    array = values.add(key="a").value.array_value
    array.values.add().string_value = "x"
    array.values.add().double_value = 1.5
    values.add(key="k").value.kvlist_value.values.add(key="n").value.int_value = 1
    values.add(key="s").value.string_value = "again"
    event = span.events.add(name="exception", time_unix_nano=1)
    event.attributes.add(key="exception.type").value.string_value = "E"
    link = span.links.add(trace_id=b"\4" * 16, span_id=b"\5" * 8)
    link.attributes.add(key="l").value.int_value = 1
    data = request.SerializeToString()
    tables = ws.scan(data)
    assert tables is not None
    span_batch(data, tables, "@0", "warm")


if __name__ == "__main__":  # the Makefile's compile step: this module's kernels and normalization's
    from analyzer.ingest.normalize import block_kernel, flat_kernel, gemini_kernel, genai_kernel

    warm()
    genai_kernel.warm()
    flat_kernel.warm()
    block_kernel.warm()
    gemini_kernel.warm()

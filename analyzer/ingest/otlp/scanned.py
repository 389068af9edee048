"""Spans of a large OTLP protobuf input read through the compiled scanner (`wire_scan`)
instead of the protobuf library's message objects; the records go through the same
`emit_span` as the library path, so both give identical rows and problems."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import pyarrow as pa
from google.protobuf.message import DecodeError

from analyzer.ingest.otlp import wire_scan as ws
from analyzer.ingest.otlp.records import emit_span, resource_context
from analyzer.ingest.sink import RecordSink


def emit_request(data: bytes, sink: RecordSink, pos_prefix: str) -> bool:
    """Emit the spans of one ExportTraceServiceRequest; False (nothing emitted) when the
    scanner leaves the message to the protobuf library (corrupt or unusual encoding)."""
    tables = ws.scan(data)
    if tables is None:
        return False
    try:
        spans = _gather(data, tables, sink.src.path.name)
    except (UnicodeDecodeError, DecodeError):  # a nested value the library rejects
        return False
    for args in spans:
        emit_span(sink, pos_prefix, *args)
    return True


def _gather(data: bytes, t: ws.Tables, fallback_domain: str) -> list[tuple[Any, ...]]:
    """emit_span's arguments for every span of the request, in wire order. Strings are made
    column by column by Arrow from views into `data` (UTF-8 already checked by the scanner)."""
    buf = np.frombuffer(data, np.uint8)
    attrs = t.attrs
    keys = _arrow_views(pa.string_view(), buf, data, attrs[:, ws.AT_KEY_A], attrs[:, ws.AT_KEY_B])
    values = _values(buf, data, attrs)
    owner_kind, owner = attrs[:, ws.AT_OWNER_KIND], attrs[:, ws.AT_OWNER]
    resources = [resource_context(res_attrs, fallback_domain)
                 for res_attrs in _dicts(keys, values, owner_kind, owner, ws.OWNER_RESOURCE, t.resources)]
    scope_names = _texts(buf, data, t.scopes[:, ws.SC_NAME_A], t.scopes[:, ws.SC_NAME_B])
    scopes = [(resources[res], name or None) for res, name in zip(t.scopes[:, ws.SC_RESOURCE].tolist(), scope_names)]
    spans = t.spans
    events: list[list[dict[str, Any]]] = [[] for _ in range(len(spans))]
    event_attrs = _dicts(keys, values, owner_kind, owner, ws.OWNER_EVENT, len(t.events))
    event_names = _texts(buf, data, t.events[:, ws.EV_NAME_A], t.events[:, ws.EV_NAME_B])
    for span, time_ns, name, event_attr in zip(t.events[:, ws.EV_SPAN].tolist(), t.events[:, ws.EV_TIME].tolist(),
                                               event_names, event_attrs):
        events[span].append({"name": name, "ts": time_ns or None, "attrs": event_attr})
    links: list[list[dict[str, Any]]] = [[] for _ in range(len(spans))]
    link_attrs = _dicts(keys, values, owner_kind, owner, ws.OWNER_LINK, len(t.links))
    for (span, trace_a, trace_b, span_a, span_b), link_attr in zip(t.links.tolist(), link_attrs):
        links[span].append({"trace_id": data[trace_a:trace_b].hex() or None,
                            "span_id": data[span_a:span_b].hex() or None, "attrs": link_attr})
    columns = zip(
        spans[:, ws.SP_SCOPE].tolist(),
        _blobs(buf, data, spans[:, ws.SP_TRACE_A], spans[:, ws.SP_TRACE_B]),
        _blobs(buf, data, spans[:, ws.SP_SPAN_A], spans[:, ws.SP_SPAN_B]),
        _blobs(buf, data, spans[:, ws.SP_PARENT_A], spans[:, ws.SP_PARENT_B]),
        _texts(buf, data, spans[:, ws.SP_NAME_A], spans[:, ws.SP_NAME_B]),
        spans[:, ws.SP_KIND].tolist(), spans[:, ws.SP_START].tolist(), spans[:, ws.SP_END].tolist(),
        spans[:, ws.SP_STATUS_CODE].tolist(),
        _texts(buf, data, spans[:, ws.SP_STATUS_MSG_A], spans[:, ws.SP_STATUS_MSG_B]),
        _dicts(keys, values, owner_kind, owner, ws.OWNER_SPAN, len(spans)),
        events, links,
    )
    return [
        (*scopes[scope], trace_id, span_id, parent_id, name, kind, start or None, end or None,
         code, message, span_attrs, span_events or None, span_links or None)
        for (scope, trace_id, span_id, parent_id, name, kind, start, end, code, message, span_attrs,
             span_events, span_links) in columns
    ]


def _arrow_views(arrow_type: pa.DataType, buf: np.ndarray, data: bytes, starts, ends) -> np.ndarray:
    views = ws.byte_views(starts, ends, buf)
    array = pa.Array.from_buffers(arrow_type, len(starts), [None, pa.py_buffer(views), pa.py_buffer(data)])
    return array.cast(pa.string() if arrow_type == pa.string_view() else pa.binary()).to_numpy(zero_copy_only=False)


def _texts(buf, data, starts, ends) -> list[str]:
    return _arrow_views(pa.string_view(), buf, data, starts, ends).tolist() if len(starts) else []


def _blobs(buf, data, starts, ends) -> list[bytes]:
    return _arrow_views(pa.binary_view(), buf, data, starts, ends).tolist() if len(starts) else []


def _values(buf: np.ndarray, data: bytes, attrs: np.ndarray) -> np.ndarray:
    """Python value of every attribute (as the library path makes them), as an object array."""
    vtype, scalar = attrs[:, ws.AT_TYPE], attrs[:, ws.AT_SCALAR]
    values = np.full(len(attrs), None, dtype=object)
    strings = vtype == ws.V_STRING
    if strings.any():
        values[strings] = _arrow_views(pa.string_view(), buf, data, attrs[strings, ws.AT_VAL_A],
                                       attrs[strings, ws.AT_VAL_B])
    for which, make in ((ws.V_INT, lambda bits: bits.view(np.int64).tolist()),
                        (ws.V_DOUBLE, lambda bits: bits.view(np.float64).tolist()),
                        (ws.V_BOOL, lambda bits: (bits != 0).tolist())):
        mask = vtype == which
        if mask.any():
            values[mask] = _as_objects(make(scalar[mask]))
    for row in np.flatnonzero((vtype == ws.V_BYTES) | (vtype == ws.V_ARRAY) | (vtype == ws.V_KVLIST)).tolist():
        raw = data[attrs[row, ws.AT_VAL_A]:attrs[row, ws.AT_VAL_B]]
        values[row] = base64.b64encode(raw).decode() if vtype[row] == ws.V_BYTES else _nested(raw)
    return values


def _as_objects(items: list[Any]) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _dicts(keys: np.ndarray, values: np.ndarray, owner_kind: np.ndarray, owner: np.ndarray, kind: int,
           count: int) -> list[dict[str, Any]]:
    """The attribute dict of each of `count` owners of `kind`, keys in wire order (a repeated
    key keeps its first place and its last value, as the library path's dict does)."""
    rows = np.flatnonzero(owner_kind == kind)
    if not len(rows):
        return [{} for _ in range(count)]
    rows = rows[np.argsort(owner[rows], kind="stable")]
    bounds = np.searchsorted(owner[rows], np.arange(count + 1, dtype=np.uint64)).tolist()
    key_list = keys[rows].tolist()
    value_list = values[rows].tolist()
    return [dict(zip(key_list[bounds[i]:bounds[i + 1]], value_list[bounds[i]:bounds[i + 1]])) for i in range(count)]


def _nested(value_bytes: bytes) -> Any:
    """An array or kvlist AnyValue, decoded by the protobuf library (rare, and nested)."""
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue

    from analyzer.ingest.otlp.proto_reader import any_value

    return any_value(AnyValue.FromString(value_bytes))

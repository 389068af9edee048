"""The reference `SpanBatch` of an OTLP file: the reference readers run as they do in `seamscan
ingest`, and every `emit_span` call they make is captured and turned into the batch columns the
contract (analyzer/ingest/otlp/span_batch.py) asks for. Columnar readers and the vectorized
normalization are tested against it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from analyzer.ingest.otlp import json_reader, proto_reader, records
from analyzer.ingest.otlp.span_batch import (
    ATTR_SCHEMA, SPAN_SCHEMA, V_ARRAY, V_BOOL, V_DOUBLE, V_INT, V_KVLIST, V_NONE, V_STRING, SpanBatch,
)


class _Capture:
    def __init__(self) -> None:
        self.spans: list[dict[str, Any]] = []
        self.attrs: list[dict[str, Any]] = []
        self.resources: list[records.ResourceContext] = []
        self._resource_index: dict[records.ResourceContext, int] = {}

    def emit_span(self, sink, pos, res, scope, trace_id, span_id, parent_span_id, name, span_kind, start_ns,
                  end_ns, status_code, status_message, attrs, events, links) -> None:
        flags: list[str] = []
        trace_hex, span_hex, parent_hex = records.checked_ids(
            flags, trace=trace_id, span=span_id, parent_span=parent_span_id)
        if res not in self._resource_index:
            self._resource_index[res] = len(self.resources)
            self.resources.append(res)
        row = len(self.spans)
        self.spans.append({
            "pos": pos, "trace_id": trace_hex, "span_id": span_hex, "parent_span_id": parent_hex,
            "bad_ids": [f.removeprefix("bad_").removesuffix("_id_length") for f in flags] or None,
            "name": name, "span_kind": span_kind, "start_ns": start_ns, "end_ns": end_ns,
            "status_code": status_code, "status_message": status_message or None,
            "resource": self._resource_index[res], "scope": scope,
            "attrs_json": orjson.dumps(attrs, default=str).decode() if attrs else None,
            "events_json": orjson.dumps(events, default=str).decode() if events else None,
            "links_json": orjson.dumps(links, default=str).decode() if links else None,
        })
        for key, value in attrs.items():
            self.attrs.append({"span": row, "key": key, **typed_value(value)})


def typed_value(value: Any) -> dict[str, Any]:
    """The long table's typed columns for one Python attribute value."""
    if value is None:  # an AnyValue with no value set
        return {"vtype": V_NONE}
    if isinstance(value, str):
        return {"vtype": V_STRING, "str": value}
    if isinstance(value, bool):
        return {"vtype": V_BOOL, "int": int(value)}
    if isinstance(value, int):
        return {"vtype": V_INT, "int": value}
    if isinstance(value, float):
        return {"vtype": V_DOUBLE, "num": value}
    return {"vtype": V_ARRAY if isinstance(value, list) else V_KVLIST,
            "json": orjson.dumps(value, default=str).decode()}


def reference_batch(path: Path, monkeypatch) -> tuple[SpanBatch, list[tuple[str, str]]]:
    """(batch of every span the reference readers emit for `path`, problems they report).
    Log records are not part of a SpanBatch and are left out."""
    from analyzer.ingest import parallel
    from analyzer.ingest.framework import span_dicts
    from analyzer.ingest.runner import ingest
    from analyzer.store.db import Store

    capture = _Capture()
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 1 << 62)
    monkeypatch.setattr(proto_reader, "SCAN_MIN_BYTES", None)
    monkeypatch.setattr(proto_reader, "emit_span", capture.emit_span)
    monkeypatch.setattr(json_reader, "emit_span", capture.emit_span)
    monkeypatch.setattr(span_dicts, "emit_span", capture.emit_span)
    summary = ingest([path], Store())
    problems = [(p.position, p.reason) for p in summary.errors]
    batch = SpanBatch(pa.Table.from_pylist(capture.spans, schema=SPAN_SCHEMA),
                      pa.Table.from_pylist(capture.attrs, schema=ATTR_SCHEMA), capture.resources)
    return batch, problems


def deduped_attrs(batch: SpanBatch) -> list[tuple[int, str, Any]]:
    """(span, key, value) with a repeated key of one span kept once: its first place, its last
    value (the reference dict's semantics); bytes and strings compare alike (both are text)."""
    out: dict[tuple[int, str], Any] = {}
    for row in batch.attrs.to_pylist():
        vtype = V_STRING if row["vtype"] == 7 else row["vtype"]
        value = None if vtype == V_NONE else row["json"] if vtype in (V_ARRAY, V_KVLIST) else row["str"] if vtype == V_STRING else (
            row["num"] if vtype == V_DOUBLE else row["int"])
        out[(row["span"], row["key"])] = (vtype, value)
    return [(span, key, value) for (span, key), value in out.items()]

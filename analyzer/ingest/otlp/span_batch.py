"""The columnar form of OTLP spans: what a columnar reader (the protobuf wire scanner, DuckDB's
JSON reader) hands to the vectorized normalization pass, instead of one `emit_span` call per
span with Python dicts. One `SpanBatch` holds the spans of one request or of many.

The contract is the reference path's: for every span, the columns hold exactly what
`records.emit_span` would be given (after its id checks), so the store rows come out identical.

`spans` (one row per span, in wire order), SPAN_SCHEMA:
- `pos`: the position prefix the reference reader passes to `emit_span` (`@<byte offset>` of
  the message in a protobuf stream, the line number `N` in JSON Lines, ...).
- `trace_id`, `span_id`, `parent_span_id`: lowercase hex, null when absent or all zero;
  `bad_ids`: the names ("trace", "span", "parent_span") whose length was wrong, in that order,
  null when none (`records.checked_ids`; the id is then kept as given, lowercased).
- `name`, `span_kind` (OTLP number 0-5), `start_ns` / `end_ns` (null when 0 or absent),
  `status_code` (0-2), `status_message` (null when empty).
- `resource`: index into `SpanBatch.resources`; `scope`: the scope name as the reference reader
  passes it (protobuf: null when empty; JSON: as written).
- `attrs_json`: `orjson.dumps(attributes)` of the span's attribute dict (keys in first-seen order,
  a repeated key keeping its last value), null when it has none; `events_json` /
  `links_json`: `orjson.dumps` of the reference `events` / `links` lists, null when empty.

`attrs` (the long attribute table: one row per span attribute, in wire order), ATTR_SCHEMA:
- `span`: row of the owning span in `spans`; `key`.
- `vtype`: V_STRING ... V_BYTES below (the numbers `wire_scan` writes).
- `str`: the value of a string (bytes: its base64 text, as the reference path makes it);
  `int`: an int or a bool (0/1); `num`: a double; `json`: the JSON text of an array or kvlist
  value (`orjson.dumps` of the reference Python value). The others null; an AnyValue with no
  value set is V_NONE with all four null.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from analyzer.ingest.otlp.records import ResourceContext

# attribute value types (wire_scan writes the same numbers; no numba import here)
V_NONE, V_STRING, V_BOOL, V_INT, V_DOUBLE, V_ARRAY, V_KVLIST, V_BYTES = range(8)

SPAN_SCHEMA = pa.schema([
    ("pos", pa.string()),
    ("trace_id", pa.string()),
    ("span_id", pa.string()),
    ("parent_span_id", pa.string()),
    ("bad_ids", pa.list_(pa.string())),
    ("name", pa.string()),
    ("span_kind", pa.int8()),
    ("start_ns", pa.int64()),
    ("end_ns", pa.int64()),
    ("status_code", pa.int8()),
    ("status_message", pa.string()),
    ("resource", pa.int32()),
    ("scope", pa.string()),
    ("attrs_json", pa.string()),
    ("events_json", pa.string()),
    ("links_json", pa.string()),
])

ATTR_SCHEMA = pa.schema([
    ("span", pa.int32()),
    ("key", pa.string()),
    ("vtype", pa.int8()),
    ("str", pa.string()),
    ("int", pa.int64()),
    ("num", pa.float64()),
    ("json", pa.string()),
])


@dataclass
class SpanBatch:
    spans: pa.Table
    attrs: pa.Table
    resources: list[ResourceContext] = field(default_factory=list)

    @property
    def count(self) -> int:
        return self.spans.num_rows


def concat(batches: list[SpanBatch]) -> SpanBatch:
    """One batch of the spans of several, in order (attribute rows and resource indexes moved up)."""
    if len(batches) == 1:
        return batches[0]
    import pyarrow.compute as pc

    spans, attrs, resources = [], [], []
    span_base = 0
    for batch in batches:
        table = batch.spans
        if resources:
            table = table.set_column(table.schema.get_field_index("resource"), "resource",
                                     pc.add(table.column("resource"), len(resources)).cast(pa.int32()))
        spans.append(table)
        rows = batch.attrs
        if span_base:
            rows = rows.set_column(0, "span", pc.add(rows.column("span"), span_base).cast(pa.int32()))
        attrs.append(rows)
        resources.extend(batch.resources)
        span_base += batch.count
    return SpanBatch(pa.concat_tables(spans), pa.concat_tables(attrs), resources)


class Pending:
    """Span batches gathered until there are enough spans to normalize at once (the pass has a
    fixed cost per call); `flush` before anything else is appended to the sink keeps file order."""

    def __init__(self, sink, min_spans: int = 16_384) -> None:
        self.sink = sink
        self.min_spans = min_spans
        self.batches: list[SpanBatch] = []
        self.spans = 0

    def add(self, batch: SpanBatch) -> None:
        self.batches.append(batch)
        self.spans += batch.count
        if self.spans >= self.min_spans:
            self.flush()

    def flush(self) -> None:
        if self.batches:
            batch = concat(self.batches)
            self.batches, self.spans = [], 0
            emit(batch, self.sink)


def emit(batch: SpanBatch, sink) -> None:
    """Normalize a batch and append its records and problems to `sink`."""
    from analyzer.ingest.normalize.columnar import normalize_batch

    columns, problems = normalize_batch(batch)
    for position, reason in problems:
        sink.problem(position, reason)
    sink.add_columns(columns, batch.count)

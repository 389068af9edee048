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

`events` and `event_attrs` (optional: a reader that does not make them leaves them None, and
normalization makes them from `events_json` with `event_tables`): the spans' events in a form
the pass reads without a Python object per span.
- `events`, EVENT_SCHEMA: one row per span event, in wire order: `span` (row in `spans`),
  `name` (null when not a string).
- `event_attrs`, EVENT_ATTR_SCHEMA: the attributes of the events normalization reads
  (`EVENTS_READ`: GenAI and exception events), a repeated key once with its last value (as in
  `events_json`), in event order: `event` (row in `events`), `key`, `vtype` (as above, but
  normalization reads only whether a value is text: V_STRING or V_BYTES; attributes that
  `events_json` holds as something other than a map are one row, key null, V_UNREADABLE),
  `str` (the text of a string or bytes value, else null).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import orjson
import pyarrow as pa

from analyzer.ingest.normalize.genai_events import EVENT_NAMES
from analyzer.ingest.otlp.records import ResourceContext

# attribute value types (wire_scan writes the same numbers; no numba import here)
V_NONE, V_STRING, V_BOOL, V_INT, V_DOUBLE, V_ARRAY, V_KVLIST, V_BYTES = range(8)
V_UNREADABLE = -1  # event_attrs only: attributes events_json holds as something other than a map

# the span events normalization reads (records.genai_event_fields, exception_fields)
EVENTS_READ = frozenset(EVENT_NAMES) | {"exception"}

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

EVENT_SCHEMA = pa.schema([("span", pa.int32()), ("name", pa.string())])

EVENT_ATTR_SCHEMA = pa.schema([
    ("event", pa.int32()),
    ("key", pa.string()),
    ("vtype", pa.int8()),
    ("str", pa.string()),
])


@dataclass
class SpanBatch:
    spans: pa.Table
    attrs: pa.Table
    resources: list[ResourceContext] = field(default_factory=list)
    events: pa.Table | None = None
    event_attrs: pa.Table | None = None

    @property
    def count(self) -> int:
        return self.spans.num_rows


def concat(batches: list[SpanBatch]) -> SpanBatch:
    """One batch of the spans of several, in order (attribute rows and resource indexes moved up)."""
    if len(batches) == 1:
        return batches[0]
    spans, attrs, resources, events, event_attrs = [], [], [], [], []
    span_base = event_base = 0
    with_events = all(batch.events is not None for batch in batches)
    for batch in batches:
        spans.append(_shifted(batch.spans, "resource", len(resources)))
        attrs.append(_shifted(batch.attrs, "span", span_base))
        resources.extend(batch.resources)
        if with_events:
            events.append(_shifted(batch.events, "span", span_base))
            event_attrs.append(_shifted(batch.event_attrs, "event", event_base))
            event_base += batch.events.num_rows
        span_base += batch.count
    if not with_events:
        return SpanBatch(pa.concat_tables(spans), pa.concat_tables(attrs), resources)
    return SpanBatch(pa.concat_tables(spans), pa.concat_tables(attrs), resources,
                     pa.concat_tables(events), pa.concat_tables(event_attrs))


def _shifted(table: pa.Table, column: str, base: int) -> pa.Table:
    """`table` with `base` added to its row-number (int32) `column`."""
    if not base:
        return table
    import pyarrow.compute as pc

    at = table.schema.get_field_index(column)
    return table.set_column(at, column, pc.add(table.column(column), base).cast(pa.int32()))


# Python type of a value in events_json -> its value type (bool before int: a bool is an int)
_VTYPES = ((str, V_STRING), (bool, V_BOOL), (int, V_INT), (float, V_DOUBLE), (list, V_ARRAY), (dict, V_KVLIST))


def _vtype(value: Any) -> int:
    """The value type of an attribute value as events_json holds it."""
    return next((vtype for python_type, vtype in _VTYPES if isinstance(value, python_type)), V_NONE)


def event_tables(events_json: pa.Array | pa.ChunkedArray) -> tuple[pa.Table, pa.Table]:
    """(events, event_attrs) of a batch from its `events_json` column, for the readers that do
    not make them (one orjson parse a span that has events)."""
    valid = events_json.is_valid()
    rows = np.flatnonzero(valid.to_numpy(zero_copy_only=False))
    texts = events_json.filter(valid).to_pylist()
    span_of, names = [], []
    owner, keys, vtypes, strs = [], [], [], []
    for span, text in zip(rows.tolist(), texts):
        for event in orjson.loads(text):
            name = event.get("name")
            name = name if isinstance(name, str) else None
            if name in EVENTS_READ:
                attrs = event.get("attrs") or {}
                if not isinstance(attrs, dict):
                    attrs = {None: attrs}
                for key, value in attrs.items():
                    vtype = _vtype(value) if isinstance(key, str) else V_UNREADABLE
                    owner.append(len(span_of))
                    keys.append(key)
                    vtypes.append(vtype)
                    strs.append(value if vtype == V_STRING else None)
            span_of.append(span)
            names.append(name)
    events = pa.table([pa.array(span_of, pa.int32()), pa.array(names, pa.string())], schema=EVENT_SCHEMA)
    event_attrs = pa.table([pa.array(owner, pa.int32()), pa.array(keys, pa.string()), pa.array(vtypes, pa.int8()),
                            pa.array(strs, pa.string())], schema=EVENT_ATTR_SCHEMA)
    return events, event_attrs


class Pending:
    """Span batches gathered until there are enough spans to normalize at once (the pass has a
    fixed cost per call); `flush` before anything else is appended to a sink keeps file order.
    Each batch goes to `sink`, or to its own: the run gathers the requests of a folder of request
    files, one sink a file, and `then` defers each file's accounting until its records are in."""

    def __init__(self, sink=None, min_spans: int = 16_384) -> None:
        self.sink = sink
        self.min_spans = min_spans
        self.items: list[tuple[SpanBatch, Any]] = []
        self.spans = 0
        self._then: list[Callable[[], None]] = []

    def add(self, batch: SpanBatch, sink=None) -> None:
        self.items.append((batch, sink if sink is not None else self.sink))
        self.spans += batch.count
        if self.spans >= self.min_spans:
            self.flush()

    def then(self, done: Callable[[], None]) -> None:
        """Call `done` once every batch added so far has been emitted (now, if it has)."""
        if self.items:
            self._then.append(done)
        else:
            done()

    def flush(self) -> None:
        if self.items:
            items, self.items, self.spans = self.items, [], 0
            emit(items)
        then, self._then = self._then, []
        for done in then:
            done()


def emit(items: list[tuple[SpanBatch, Any]]) -> None:
    """Normalize (batch, sink) pairs in one pass and append to each sink its records and
    problems, in order."""
    from analyzer.ingest.normalize.columnar import normalize_batch

    batch = concat([batch for batch, _ in items])
    columns, problems = normalize_batch(batch)
    runs: list[list[Any]] = []  # [sink, first row, rows] of each run of batches of one sink
    start = 0
    for part, sink in items:
        if runs and runs[-1][0] is sink:
            runs[-1][2] += part.count
        else:
            runs.append([sink, start, part.count])
        start += part.count
    for sink, start, count in runs:
        for row, position, reason in problems:
            if start <= row < start + count:
                sink.problem(position, reason)
        sink.add_columns(columns if count == batch.count else
                         {name: column.slice(start, count) for name, column in columns.items()}, count)

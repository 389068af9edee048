"""Convention normalization of a whole `SpanBatch` at once: the vectorized form of
`records.emit_span` + `semconv.normalize`, giving the same store columns.

The long attribute table is pivoted once (numpy: for every attribute key that
`conventions.py` names, each span's row of it, a repeated key keeping its last value), then
each target column is filled key by key in the table's order of preference. Values go through
Arrow kernels where the decoder is plain (text, ids, payloads, integers: the common case);
message lists given as text (GenAI, flattened OpenInference and deprecated GenAI, Google ADK's
Gemini requests and responses) and completion texts through compiled kernels, which take the
shapes they can prove equal to the reference; anything else (the rows the kernels leave,
content blocks, Python literals, values of an unusual type) goes through semconv's own
decoder, value by value, so both paths share one definition of every convention.
Classification runs once per distinct combination of the attributes it reads, through
`semconv.classify` itself."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.ingest.normalize import semconv, span_events
from analyzer.ingest.normalize.conventions import ATTRIBUTE_KEYS, KIND_KEYS, PLACEHOLDER_IDS, SESSION_RANKS
from analyzer.ingest.otlp.records import bad_ids_reason
from analyzer.ingest.otlp.span_batch import (
    V_ARRAY, V_BOOL, V_BYTES, V_DOUBLE, V_INT, V_KVLIST, V_STRING, SpanBatch,
)
from analyzer.store.schema import ARROW_SCHEMA

SPAN_KIND_NAMES = [None, "internal", "server", "client", "producer", "consumer"]
STATUS_NAMES = ["unset", "ok", "error"]

# keys classify() reads: by value (a string naming the kind) or by presence
_VALUE_KEYS = ("gen_ai.operation.name", *(key for key, _, _ in KIND_KEYS))
_PRESENCE_KEYS = ("gen_ai.tool.name", "ai.toolCall.name", "gen_ai.system", "gen_ai.request.model",
                  "gen_ai.provider.name", "ai.model.id", "llm.model_name", "agent_name")
_TRUTH_KEY = "gen_ai.agent.name"  # classify reads both its presence and its truth
_FLAT = {"openinference_flat", "genai_flat"}
_SESSION_KEYS = tuple(key for key, _, _ in ATTRIBUTE_KEYS["any.session_own"])
KNOWN_KEYS = tuple(dict.fromkeys([
    *_VALUE_KEYS, *_PRESENCE_KEYS, _TRUTH_KEY, "error.type", *_SESSION_KEYS,
    *(key for entries in ATTRIBUTE_KEYS.values() for key, decoder, _ in entries if decoder not in _FLAT),
]))
_FLAT_PREFIXES = tuple(dict.fromkeys(
    key + "." for entries in ATTRIBUTE_KEYS.values() for key, decoder, _ in entries if decoder in _FLAT))
_TEXTUAL = (V_STRING, V_BYTES)  # both reach decoders as text


class _Attrs:
    """The long attribute table, pivoted: for each known key, the spans that have it and the
    row of its (last) value."""

    def __init__(self, batch: SpanBatch) -> None:
        # the value columns in one chunk: Arrow's take on a column of many chunks (one a request)
        # concatenates them all first, for every take (28 ms vs 0.2 ms for 5k rows of 41 chunks);
        # the keys are only dictionary-encoded, chunk by chunk
        attrs = batch.attrs
        table = pa.table({name: attrs.column(name) if name == "key" else attrs.column(name).combine_chunks()
                          for name in attrs.column_names})
        self.n = batch.count
        self.table = table
        self.vtype = table.column("vtype").to_numpy(zero_copy_only=False).astype(np.int8)
        encoded = pc.dictionary_encode(table.column("key")).combine_chunks() if table.num_rows else None
        self.slots: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.flat_rows: dict[str, np.ndarray] = {}  # flat-message prefix -> attribute rows
        self.names: list[str] = []  # the key dictionary, and each attribute row's code in it
        self.codes = np.zeros(0, np.int64)
        if encoded is None or not len(encoded):
            return
        names = self.names = encoded.dictionary.to_pylist()
        codes = self.codes = encoded.indices.to_numpy(zero_copy_only=False)
        slot_of = {key: i for i, key in enumerate(KNOWN_KEYS)}
        code_slot = np.array([slot_of.get(name, -1) for name in names], dtype=np.int64)
        slot = code_slot[codes]
        rows = np.flatnonzero(slot >= 0)
        spans = table.column("span").to_numpy(zero_copy_only=False).astype(np.int64)
        if len(rows):
            combined = slot[rows] * (self.n + 1) + spans[rows]
            order = np.argsort(combined, kind="stable")  # wire order kept inside each (key, span)
            combined, rows = combined[order], rows[order]
            last = np.ones(len(rows), bool)
            last[:-1] = combined[1:] != combined[:-1]  # the last value of a repeated key wins
            combined, rows = combined[last], rows[last]
            slot_sorted = combined // (self.n + 1)
            bounds = np.searchsorted(slot_sorted, np.arange(len(KNOWN_KEYS) + 1))
            for i, key in enumerate(KNOWN_KEYS):
                a, b = bounds[i], bounds[i + 1]
                if a < b:
                    self.slots[key] = (combined[a:b] % (self.n + 1), rows[a:b])
        for prefix in _FLAT_PREFIXES:
            hit = np.array([name.startswith(prefix) for name in names], dtype=bool)
            if hit.any():
                self.flat_rows[prefix] = np.flatnonzero(hit[codes])
        self.spans = spans

    def py_values(self, rows: np.ndarray) -> list[Any]:
        """The reference path's Python value of each attribute row."""
        vt = self.vtype[rows]
        if len(rows) and np.isin(vt, _TEXTUAL).all():
            return self.table.column("str").take(rows).to_pylist()
        take = pa.array(rows)
        strs = self.table.column("str").take(take).to_pylist()
        ints = self.table.column("int").take(take).to_pylist()
        nums = self.table.column("num").take(take).to_pylist()
        jsons = self.table.column("json").take(take).to_pylist()
        out: list[Any] = []
        for t, s, i, d, j in zip(vt.tolist(), strs, ints, nums, jsons):
            if t in _TEXTUAL:
                out.append(s)
            elif t == V_INT:
                out.append(i)
            elif t == V_BOOL:
                out.append(bool(i))
            elif t == V_DOUBLE:
                out.append(d)
            elif t in (V_ARRAY, V_KVLIST):
                out.append(orjson.loads(j))
            else:
                out.append(None)
        return out

    def get(self, key: str) -> tuple[np.ndarray, np.ndarray] | None:
        return self.slots.get(key)

    def flat_dicts(self, prefix: str, spans: np.ndarray) -> dict[int, dict[str, Any]]:
        """{span: {key: value}} of the `prefix`ed attributes of `spans` (flat message lists)."""
        rows = self.flat_rows.get(prefix)
        if rows is None:
            return {}
        rows = rows[np.isin(self.spans[rows], spans)]
        keys = self.table.column("key").take(rows).to_pylist()
        out: dict[int, dict[str, Any]] = {}
        for span, key, value in zip(self.spans[rows].tolist(), keys, self.py_values(rows)):
            out.setdefault(span, {})[key] = value
        return out


class _Column:
    """A store column under construction: for each span, an index into pieces of values."""

    def __init__(self, n: int, arrow_type: pa.DataType) -> None:
        self.idx = np.full(n, -1, np.int64)
        self.pieces: list[pa.Array] = []
        self.size = 0
        self.type = arrow_type

    def put(self, spans: np.ndarray, values: pa.Array | list[Any]) -> None:
        """Set these spans' values (non-null values only)."""
        if not len(spans):
            return
        if not isinstance(values, (pa.Array, pa.ChunkedArray)):
            values = _to_arrow(values, self.type)
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        if values.null_count:
            valid = values.is_valid().to_numpy(zero_copy_only=False)
            spans, values = spans[valid], values.filter(pa.array(valid))
        if values.type != self.type:
            try:
                values = values.cast(self.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # out of range: as the row path does
                values = _to_arrow(values.to_pylist(), self.type)
        self.idx[spans] = self.size + np.arange(len(values))
        self.pieces.append(values)
        self.size += len(values)

    def missing(self) -> np.ndarray:
        return self.idx < 0

    def _at(self, idx: np.ndarray) -> pa.Array:
        data = pa.concat_arrays(self.pieces) if len(self.pieces) > 1 else self.pieces[0]
        return data.take(pa.array(idx, mask=idx < 0))

    def array(self) -> pa.Array:
        if not self.pieces:
            return pa.nulls(len(self.idx), self.type)
        if self.type == pa.string():
            data = pa.concat_arrays(self.pieces) if len(self.pieces) > 1 else self.pieces[0]
            spread = _spread(data, self.idx)
            if spread is not None:
                return spread
        return self._at(self.idx)

    def values_at(self, spans: np.ndarray) -> list[Any]:
        return self.values_at_arrow(spans).to_pylist()

    def values_at_arrow(self, spans: np.ndarray) -> pa.Array:
        if not self.pieces or not len(spans):
            return pa.nulls(len(spans), self.type)
        return self._at(self.idx[spans])


def _spread(values: pa.Array, idx: np.ndarray) -> pa.Array | None:
    """`values` (strings, no nulls) at the rows whose `idx` is >= 0, nulls elsewhere, when those
    rows take every value once and in order (a column filled span by span, as most are): new
    offsets and a validity bitmap around the same character data, where Arrow's take copies every
    character (0.18 s of 132 MB for 200k rich spans). None when the rows are not that."""
    valid = idx >= 0
    count = int(np.count_nonzero(valid))
    if count != len(values) or values.null_count or not (idx[valid] == np.arange(count)).all():
        return None
    offsets = np.frombuffer(values.buffers()[1], np.int32, count + 1, values.offset * 4)
    lengths = np.zeros(len(idx), np.int32)
    lengths[valid] = np.diff(offsets)
    spread = np.empty(len(idx) + 1, np.int32)
    spread[0] = offsets[0]
    np.cumsum(lengths, out=spread[1:])
    spread[1:] += offsets[0]
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.StringArray.from_buffers(len(idx), pa.py_buffer(spread), values.buffers()[2], bitmap,
                                       len(idx) - count)


def _to_arrow(values: list[Any], arrow_type: pa.DataType) -> pa.Array:
    try:
        return pa.array(values, type=arrow_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        from analyzer.ingest.sink import _array  # the row path's rule for a value of the wrong type

        return _array(tuple(values), pa.field("x", arrow_type))


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


# GenAI message lists in one batch from which the compiled kernel is worth its loading
KERNEL_MIN_ROWS = 256


def compiled(name: str):
    """The compiled kernel module `name` of this package (`genai_kernel`, `flat_kernel`,
    `gemini_kernel`, `block_kernel`: importing one imports numba), or None without numba."""
    try:
        return importlib.import_module(f"analyzer.ingest.normalize.{name}")
    except ImportError:
        return None


def _messages_reader(key: str, decoder: str):
    """The compiled reading of message-list attribute `key` given as text ((values, rows) →
    `genai_kernel.GenaiColumns`, the strings read in place), or None without numba or kernel:
    GenAI message lists, ADK's model requests and responses. Of the attributes the generic
    `messages` decoder reads, ADK's responses only: the others hold shapes the kernel would
    parse only to refuse."""
    if decoder == "genai_messages":
        kernel = compiled("genai_kernel")
        return None if kernel is None else kernel.canonical_genai
    if decoder == "gemini_request" or (decoder == "messages" and key == "gcp.vertex.agent.llm_response"):
        kernel = compiled("gemini_kernel")
        if kernel is not None:
            return kernel.canonical_request if decoder == "gemini_request" else kernel.canonical_response
    return None


def _text_reader(decoder: str):
    """The compiled reading of a text decoder ((values, rows) → (ok, texts), the strings read
    in place), or None without numba or kernel: completions, ADK's system instructions."""
    if decoder == "completion_text":
        kernel = compiled("genai_kernel")
        return None if kernel is None else kernel.completion_texts
    if decoder == "gemini_system":
        kernel = compiled("gemini_kernel")
        return None if kernel is None else kernel.system_texts
    return None


def _decode_each(decoder: str, key: str, values: list[Any]) -> list[Any]:
    """semconv's decoding of each value of attribute `key`, None where it gives an empty value;
    a text seen before (a repeated prompt, system instructions) is decoded once."""
    seen: dict[str, Any] = {}
    out = []
    for value in values:
        decoded = seen.get(value, seen) if isinstance(value, str) else seen
        if decoded is seen:
            decoded = semconv._decode(decoder, value, {}, key)
            decoded = None if _empty(decoded) else decoded
            if isinstance(value, str):
                seen[value] = decoded
        out.append(decoded)
    return out


def _message_fields(values: list[Any]) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:
    """(JSON, system text, words, requested calls as JSON) of decoded message lists, as the
    row path writes them."""
    calls = [semconv._requested_calls(v) for v in values]
    return (pa.array(_texts(values), pa.string()),
            pa.array([semconv.system_of(v) for v in values], pa.string()),
            pa.array([semconv._messages_text(v) for v in values], pa.string()),
            pa.array([None if c is None else semconv.json_text(c) for c in calls], pa.string()))


def genai_message_texts(values: pa.Array, key: str) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:
    """(JSON, system text, words, requested calls) of each GenAI message-list text of `values`
    (attribute `key` decoded as `genai_messages`), all null where it decodes to nothing: the
    compiled kernel when there are enough rows, semconv's decoder for the rows it leaves."""
    kernel = compiled("genai_kernel")
    count = len(values)
    if kernel is not None and count >= KERNEL_MIN_ROWS:
        fast = kernel.canonical_genai(values)
        out = [fast.messages.cast(pa.string()), fast.system.cast(pa.string()), fast.text.cast(pa.string()),
               fast.calls.cast(pa.string())]
        rest = np.flatnonzero(~fast.ok)
        if not len(rest):
            return tuple(out)
    else:
        out, rest = None, np.arange(count)
    fields = _message_fields(_decode_each("genai_messages", key, values.take(pa.array(rest)).to_pylist()))
    if out is None:
        return fields
    mask = np.zeros(count, bool)
    mask[rest] = True
    mask = pa.array(mask)
    return tuple(pc.replace_with_mask(column, mask, field) for column, field in zip(out, fields))


@dataclass
class _Messages:
    """A message-list target decoded for some spans: each span's canonical list as JSON, its
    system text (semconv.system_of), its text (semconv._messages_text) and the calls it
    requests (JSON of semconv._requested_calls)."""

    spans: np.ndarray
    json: pa.Array
    system: pa.Array
    text: pa.Array
    calls: pa.Array

    @staticmethod
    def concat(parts: list[_Messages]) -> _Messages:
        if not parts:
            empty = pa.array([], pa.string())
            return _Messages(np.zeros(0, np.int64), empty, empty, empty, empty)
        if len(parts) == 1:
            return parts[0]
        return _Messages(np.concatenate([p.spans for p in parts]),
                         *(pa.concat_arrays([getattr(p, name).cast(pa.string()) for p in parts])
                           for name in ("json", "system", "text", "calls")))


class _Normalizer:
    def __init__(self, batch: SpanBatch) -> None:
        self.batch = batch
        self.n = batch.count
        self.attrs = _Attrs(batch)
        self.str_col = self.attrs.table.column("str")
        self.int_col = self.attrs.table.column("int")

    # -- decoding -------------------------------------------------------------------------
    def _decoded(self, decoder: str, key: str, rows: np.ndarray) -> pa.Array | list[Any]:
        """The decoded value of each row (null where the decoder gives an empty value)."""
        vt = self.attrs.vtype[rows]
        if decoder in ("text", "call_id", "payload", "tool_result") and np.isin(vt, _TEXTUAL).all():
            values = _take(self.str_col, rows)
            odd = None
            if decoder == "payload":
                odd = pc.starts_with(values, '"')
            elif decoder == "tool_result":
                odd = pc.or_(pc.starts_with(pc.utf8_ltrim_whitespace(values), "["), pc.starts_with(values, '"'))
            if odd is not None and pc.any(odd).as_py():
                values = self._python_rows(decoder, key, values, odd)
            blank = pc.equal(values, "")
            if decoder == "call_id":
                blank = pc.or_(blank, pc.is_in(values, pa.array(sorted(PLACEHOLDER_IDS))))
            return pc.if_else(blank, pa.scalar(None, pa.string()), values)
        if decoder == "int" and (vt == V_INT).all():
            return _take(self.int_col, rows)
        if len(rows) >= KERNEL_MIN_ROWS and (vt == V_STRING).all() and (read := _text_reader(decoder)) is not None:
            ok, texts = read(self.str_col, rows)
            if not ok.all():
                rest = _decode_each(decoder, key, self.attrs.py_values(rows[~ok]))
                texts = pc.replace_with_mask(texts, pa.array(~ok), pa.array(rest, pa.string()))
            return texts
        return _decode_each(decoder, key, self.attrs.py_values(rows))

    def _python_rows(self, decoder: str, key: str, values: pa.Array, odd: pa.Array) -> pa.Array:
        """Replace the rows `odd` marks with semconv's decoding of them."""
        decoded = [semconv._decode(decoder, v, {}, key) for v in values.filter(odd).to_pylist()]
        texts = [v if isinstance(v, str) or v is None else semconv.json_text(v) for v in decoded]
        return pc.replace_with_mask(values, odd, pa.array(texts, pa.string()))

    def lookup(self, target: str, mask: np.ndarray, arrow_type: pa.DataType, into: _Column | None = None) -> _Column:
        """semconv.lookup for the spans in `mask`, as a column (or into a column that other
        spans already filled)."""
        col = into if into is not None else _Column(self.n, arrow_type)
        for key, decoder, _ in ATTRIBUTE_KEYS[target]:
            if decoder in _FLAT:
                found = self._flat(key, decoder, np.flatnonzero(mask & col.missing()))
                if found:
                    col.put(np.array(list(found), np.int64), [semconv.json_text(v) for v in found.values()])
                continue
            found = self.attrs.get(key)
            if found is None:
                continue
            spans, rows = found
            sel = mask[spans] & (col.idx[spans] < 0)
            if sel.any():
                col.put(spans[sel], self._decoded(decoder, key, rows[sel]))
        return col

    def lookup_messages(self, target: str, mask: np.ndarray) -> _Messages:
        """A message-list target for the spans in `mask`: semconv.lookup's canonical list as
        JSON, with its system text, words and requested calls. GenAI message lists and ADK's
        model requests and responses given as text go through the compiled kernels
        (`_messages_reader`) when there are enough of them; the rows they leave, and every
        other convention, through semconv's decoders."""
        parts: list[_Messages] = []
        done = np.zeros(self.n, bool)
        python: dict[int, Any] = {}
        for key, decoder, _ in ATTRIBUTE_KEYS[target]:
            if decoder in _FLAT:
                candidates = np.flatnonzero(mask & ~done)
                flats = self._flat_columns(key, decoder, candidates)
                if flats is not None:
                    parts.append(_Messages(flats.spans, flats.messages, flats.system, flats.text, flats.calls))
                    done[flats.spans] = True
                    candidates = flats.rest
                for span, value in self._flat(key, decoder, candidates).items():
                    python[span] = value
                    done[span] = True
                continue
            found = self.attrs.get(key)
            if found is None:
                continue
            spans, rows = found
            sel = mask[spans] & ~done[spans]
            spans, rows = spans[sel], rows[sel]
            if not len(spans):
                continue
            if len(spans) >= KERNEL_MIN_ROWS and (read := _messages_reader(key, decoder)) is not None:
                ok = np.zeros(len(spans), bool)
                for chunk, at, local in self._chunk_rows(rows, self.attrs.vtype[rows] == V_STRING):
                    fast = read(chunk, local)  # read in place
                    ok[at] = fast.ok
                    has = fast.ok & fast.messages.is_valid().to_numpy(zero_copy_only=False)
                    if has.all():  # (the common case: no copy)
                        parts.append(_Messages(spans[at], fast.messages, fast.system, fast.text, fast.calls))
                    elif has.any():
                        keep = pa.array(has)
                        parts.append(_Messages(spans[at[has]], fast.messages.filter(keep), fast.system.filter(keep),
                                               fast.text.filter(keep), fast.calls.filter(keep)))
                    done[spans[at[has]]] = True
                spans, rows = spans[~ok], rows[~ok]  # the rest: semconv's decoder
            for span, decoded in zip(spans.tolist(), _decode_each(decoder, key, self.attrs.py_values(rows))):
                if decoded is not None:
                    python[span] = decoded
                    done[span] = True
        if python:
            parts.append(_Messages(np.array(list(python), np.int64), *_message_fields(list(python.values()))))
        return _Messages.concat(parts)

    def _chunk_rows(self, rows: np.ndarray, select: np.ndarray):
        """(chunk of the `str` column, positions in `rows`, rows within the chunk) for the
        selected attribute rows, chunk by chunk."""
        chunks = self.str_col.chunks if isinstance(self.str_col, pa.ChunkedArray) else [self.str_col]
        bounds = np.cumsum([0] + [len(chunk) for chunk in chunks])
        which = np.searchsorted(bounds, rows, side="right") - 1
        for i, chunk in enumerate(chunks):
            at = np.flatnonzero(select & (which == i))
            if len(at):
                yield chunk, at, rows[at] - bounds[i]

    def _flat_columns(self, key: str, decoder: str, candidates: np.ndarray):
        """The flattened message lists of `candidates` through the compiled kernel
        (`flat_kernel.SpanFlats`, whose `rest` are for `_flat`), when there are enough spans
        to be worth its loading; else None."""
        rows = self.attrs.flat_rows.get(key + ".")
        if rows is None:
            return None
        rows = rows[np.isin(self.attrs.spans[rows], candidates)]
        if len(np.unique(self.attrs.spans[rows])) < KERNEL_MIN_ROWS or (kernel := compiled("flat_kernel")) is None:
            return None
        return kernel.flat_messages(self.attrs.names, self.attrs.codes, self.attrs.spans, self.attrs.vtype,
                                    self.str_col, rows, key + ".", "oi" if decoder == "openinference_flat" else "genai")

    def _flat(self, key: str, decoder: str, candidates: np.ndarray) -> dict[int, Any]:
        """{span: messages} of a flattened message list (OpenInference, deprecated GenAI)."""
        style = "oi" if decoder == "openinference_flat" else "genai"
        return {span: v for span, fields in self.attrs.flat_dicts(key + ".", candidates).items()
                if not _empty(v := semconv._flat_messages(fields, key + ".", style))}

    # -- classification ---------------------------------------------------------------------
    def classify(self) -> tuple[np.ndarray, list[str], list[str], list[str | None]]:
        """(signature of each span, kind, layer, operation of each signature)."""
        n = self.n
        parts = []
        for key in _VALUE_KEYS:
            code = np.zeros(n, np.int64)
            found = self.attrs.get(key)
            if found is not None:
                spans, rows = found
                textual = np.isin(self.attrs.vtype[rows], _TEXTUAL)
                values = pc.dictionary_encode(_take(self.str_col, rows))
                codes = pc.fill_null(values.indices, 0).to_numpy(zero_copy_only=False).astype(np.int64) + 2
                code[spans] = np.where(textual, codes, 1)  # 1: present, not a string
            parts.append(code)
        for key in _PRESENCE_KEYS:
            code = np.zeros(n, np.int64)
            found = self.attrs.get(key)
            if found is not None:
                code[found[0]] = 1
            parts.append(code)
        code = np.zeros(n, np.int64)
        found = self.attrs.get(_TRUTH_KEY)
        if found is not None:
            code[found[0]] = [2 if v else 1 for v in self.attrs.py_values(found[1])]
        parts.append(code)
        first, inverse = _distinct_rows(parts)
        inverse = inverse.reshape(-1)
        kinds, layers, operations = [], [], []
        for span in first.tolist():
            kind, layer, operation = semconv.classify(self._classify_dict(span), "")
            kinds.append(kind)
            layers.append(layer)
            operations.append(operation)
        return inverse, kinds, layers, operations

    def _classify_dict(self, span: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in (*_VALUE_KEYS, *_PRESENCE_KEYS, _TRUTH_KEY):
            found = self.attrs.get(key)
            if found is None:
                continue
            spans, rows = found  # sorted by span (the pivot sorts by key, then span)
            at = np.searchsorted(spans, span)
            if at < len(spans) and spans[at] == span:
                out[key] = self.attrs.py_values(rows[at:at + 1])[0]
        return out


def _take(column: pa.ChunkedArray | pa.Array, rows: np.ndarray) -> pa.Array:
    taken = column.take(rows)
    return taken.combine_chunks() if isinstance(taken, pa.ChunkedArray) else taken


def _distinct_rows(parts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(first row of each distinct combination, combination of each row) of equal-length code
    columns: one integer key per row when the codes fit in 62 bits."""
    key = np.zeros(len(parts[0]), np.int64)
    room = 1
    for code in parts:
        width = int(code.max()) + 1 if len(code) else 1
        room *= width
        if room >= 1 << 62:
            _, first, inverse = np.unique(np.stack(parts, axis=1), axis=0, return_index=True, return_inverse=True)
            return first, inverse.reshape(-1)
        key = key * width + code
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return first, inverse


def normalize_batch(batch: SpanBatch) -> tuple[dict[str, pa.Array], list[tuple[int, str, str]]]:
    """The store columns of every span of `batch` (all but the provenance ones the sink sets:
    record_id, file_id, seq, source_kind, source_format, source_file) and the problems to
    report, as (row, position, reason)."""
    n = batch.count
    if not n:
        return {}, []
    norm = _Normalizer(batch)
    spans = batch.spans
    types = {field.name: field.type for field in ARROW_SCHEMA}
    cols: dict[str, _Column] = {}

    inverse, kinds, layers, operations = norm.classify()
    kind_arr = np.array(kinds, dtype=object)[inverse]
    is_tool = kind_arr == "tool_call"
    is_llm = kind_arr == "llm_call"
    is_other = ~(is_tool | is_llm)
    everyone = np.ones(n, bool)

    # session: the first key with a non-empty value, as text, with its SPEC 3 rank
    session, rank = _Column(n, pa.string()), _Column(n, pa.int8())
    for key in _SESSION_KEYS:
        found = norm.attrs.get(key)
        if found is None:
            continue
        span_ids, rows = found
        sel = session.missing()[span_ids]
        if not sel.any():
            continue
        span_ids, rows = span_ids[sel], rows[sel]
        if np.isin(norm.attrs.vtype[rows], _TEXTUAL).all():
            texts = _take(norm.str_col, rows)
            values = pc.if_else(pc.equal(texts, ""), pa.scalar(None, pa.string()), texts)
        else:
            values = [None if v is None or v == "" else str(v) for v in norm.attrs.py_values(rows)]
        before = session.missing().copy()
        session.put(span_ids, values)
        now = before & ~session.missing()
        rank.put(np.flatnonzero(now), pa.array(np.full(int(now.sum()), SESSION_RANKS[key], np.int8)))
    cols["session_own"], cols["session_rank"] = session, rank
    cols["agent"] = norm.lookup("any.agent", everyone, types["agent"])
    cols["model"] = norm.lookup("any.model", everyone, types["model"])
    cols["http_status"] = norm.lookup("any.http_status", everyone, types["http_status"])
    error_type = _Column(n, pa.string())
    found = norm.attrs.get("error.type")
    if found is not None:
        span_ids, rows = found
        values = norm.attrs.py_values(rows)
        error_type.put(span_ids, [None if v is None else str(v) for v in values])
    cols["error_type"] = error_type

    for column in ("tool_name", "tool_call_id", "args", "result"):
        cols[column] = norm.lookup(f"tool_call.{column}", is_tool, types[column])
    for column in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"):
        cols[column] = norm.lookup(f"llm_call.{column}", is_llm, types[column])
    norm.lookup("agent_run.args", is_other, types["args"], into=cols["args"])
    text = norm.lookup("agent_run.text", is_other, types["text"])
    _llm_fields(norm, is_llm, cols, text, types)
    cols["text"] = text

    # GenAI events on spans fill what the attributes left empty; exception events the error
    events_json = spans.column("events_json")
    error_message = _Column(n, pa.string())
    status_code = spans.column("status_code").to_numpy(zero_copy_only=False).astype(np.int64)
    status_message = spans.column("status_message")
    error_message.put(np.arange(n), status_message)
    if events_json.null_count < n:
        span_events.fill(batch, kind_arr, lambda key: cols.get(key) or cols.setdefault(key, _Column(n, types[key])),
                         error_type, error_message, genai_message_texts)
    errs = (status_code == 2) | ~error_type.missing()
    final_error = _Column(n, pa.string())
    which = np.flatnonzero(errs)
    final_error.put(which, error_message.values_at(which))

    span_kind = spans.column("span_kind").to_numpy(zero_copy_only=False).astype(np.int64)
    served = is_tool & ((span_kind == 2) | (span_kind == 5))
    out: dict[str, pa.Array] = {name: col.array() for name, col in cols.items()}
    signature = pa.array(inverse)
    out["kind"] = pc.if_else(pa.array(served), "tool_server", pa.array(kinds, pa.string()).take(signature))
    out["layer"] = pa.array(layers, pa.string()).take(signature)
    out["operation"] = pa.array(operations, pa.string()).take(signature)
    out["error_message"] = final_error.array()
    out["name"] = spans.column("name")
    for column in ("trace_id", "span_id", "parent_span_id", "status_message"):
        out[column] = spans.column(column)
    out["span_kind"] = pa.array([SPAN_KIND_NAMES[k] if 0 <= k < 6 else None for k in range(6)],
                                pa.string()).take(pa.array(np.clip(span_kind, 0, 5)))
    known_kind = (span_kind >= 0) & (span_kind <= 5)
    if not known_kind.all():
        out["span_kind"] = pc.if_else(pa.array(known_kind), out["span_kind"], pa.scalar(None, pa.string()))
    status = np.where((status_code >= 0) & (status_code <= 2), status_code, 0)
    out["status"] = pa.array(STATUS_NAMES).take(pa.array(status))
    res = batch.resources
    resource = spans.column("resource")
    out["clock_domain"] = pa.array([r.clock_domain for r in res], pa.string()).take(resource)
    out["resource_attrs"] = pa.array([r.resource_json for r in res], pa.string()).take(resource)
    out["ts_raw_start"], out["ts_raw_end"] = spans.column("start_ns"), spans.column("end_ns")
    out["attrs"], out["scope"] = spans.column("attrs_json"), spans.column("scope")
    out["events"], out["links"] = spans.column("events_json"), spans.column("links_json")
    position = pc.binary_join_element_wise(spans.column("pos"), pc.fill_null(spans.column("span_id"), "None"),
                                           "#span=")
    out["source_pos"] = position
    flags, problems = _flags(spans, position)
    out["flags"] = flags
    return out, problems


def _llm_fields(norm: _Normalizer, is_llm: np.ndarray, cols: dict[str, _Column], text: _Column,
                types: dict[str, pa.DataType]) -> None:
    """semconv.normalize's model-call part: message lists, the calls the model asked for, the
    system instructions, and the words it wrote."""
    n = norm.n
    inputs = norm.lookup_messages("llm_call.input_messages", is_llm)
    outputs = norm.lookup_messages("llm_call.output_messages", is_llm)
    system = norm.lookup("llm_call.system_instructions", is_llm, types["system_instructions"])
    llm_text = norm.lookup("llm_call.text", is_llm, types["text"])
    for name in ("input_messages", "output_messages", "requested_tool_calls"):
        cols[name] = _Column(n, types[name])
    if len(inputs.spans):
        cols["input_messages"].put(inputs.spans, inputs.json)
        unstated = system.missing()[inputs.spans]
        system.put(inputs.spans[unstated], inputs.system.filter(pa.array(unstated)))
    cols["system_instructions"] = system
    if len(outputs.spans):
        cols["output_messages"].put(outputs.spans, outputs.json)
        cols["requested_tool_calls"].put(outputs.spans, outputs.calls)
        text.put(outputs.spans, _model_words(outputs.text, llm_text.values_at_arrow(outputs.spans)))
    without_outputs = is_llm.copy()
    without_outputs[outputs.spans] = False
    rest = np.flatnonzero(without_outputs & ~llm_text.missing())  # model_words(None, stated) is stated
    if len(rest):
        text.put(rest, llm_text.values_at(rest))


def _model_words(messages_text: pa.Array, stated: pa.Array) -> pa.Array:
    """semconv.model_words for spans that have output messages: their text, else the stated
    text, unless that is the raw output itself (JSON of a structure)."""
    words = pc.coalesce(messages_text, stated)
    raw = pc.fill_null(pc.or_(pc.starts_with(words, "["), pc.starts_with(words, "{")), False)
    if pc.any(raw).as_py():
        which = np.flatnonzero(raw.to_numpy(zero_copy_only=False))
        values = words.take(pa.array(which)).to_pylist()
        keep = [None if isinstance(semconv._loads(v), (dict, list)) else v for v in values]
        words = pc.replace_with_mask(words, raw, pa.array(keep, pa.string()))
    return words


def _texts(values) -> list[str | None]:
    """json_text of each value; a value shared by several spans (decoded once) is written once."""
    memo: dict[int, str | None] = {}
    out = []
    for value in values:
        text = memo.get(id(value))
        if text is None:
            text = memo[id(value)] = semconv.json_text(value)
        out.append(text)
    return out


def _flags(spans: pa.Table, position: pa.Array) -> tuple[pa.Array, list[tuple[int, str, str]]]:
    """Data-quality flags (ids of the wrong length, an end before the start) and the problems
    the wrong ids are reported as."""
    bad = spans.column("bad_ids")
    backwards = pc.fill_null(pc.less(spans.column("end_ns"), spans.column("start_ns")), False)
    backwards = backwards.to_numpy(zero_copy_only=False)
    if bad.null_count == len(bad) and not backwards.any():
        return pa.nulls(len(bad), pa.list_(pa.string())), []
    bad_list = bad.to_pylist()
    which = [i for i, b in enumerate(bad_list) if b] + np.flatnonzero(backwards).tolist()
    flags: list[Any] = [None] * len(bad_list)
    problems = []
    positions = position.to_pylist()
    for i in sorted(set(which)):
        names = bad_list[i] or []
        row = [f"bad_{name}_id_length" for name in names]
        if names:
            problems.append((i, positions[i], bad_ids_reason(row)))
        if backwards[i]:
            row.append("end_before_start")
        flags[i] = row
    return pa.array(flags, pa.list_(pa.string())), problems

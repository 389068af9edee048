"""Span events → the columns they fill, for a whole `SpanBatch` at once: the vectorized form of
`records.genai_event_fields` and `records.exception_fields` (what `emit_span` reads from a
span's events; each fills only what the span's attributes left empty).

The shapes instrumentation writes today go through Arrow and the message kernel, without a
Python object per model call: GenAI `gen_ai.client.inference.operation.details` events whose
message lists and system instructions are text (Strands, OTel's GenAI utilities), and exception
events whose type and message are text; a tool call's arguments and result from such events
take one small Python step on the kernel's canonical messages. One-message-an-event GenAI
events (`gen_ai.user.message`, `gen_ai.choice`, ...: Strands' default) with string attributes
are read once per distinct event: by the block kernel (plain text and the common Bedrock
Converse content blocks, when a batch has enough distinct events), else by the reference's own
`_message`; each span's columns are joined from its events' parts. A span with anything else
among the events read (content events, both conventions at once, an attribute the reference's
lookups would read another way or of another type) goes through the reference functions
themselves, span by span, so both paths share one definition of every convention."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.ingest.normalize import semconv
from analyzer.ingest.normalize.conventions import ATTRIBUTE_KEYS
from analyzer.ingest.normalize import genai_events, messages
from analyzer.ingest.normalize.genai_events import CONTENT_EVENTS, DETAILS_EVENT, MESSAGE_EVENTS, tool_text
from analyzer.ingest.otlp.records import exception_fields, genai_event_fields
from analyzer.ingest.otlp.span_batch import V_BYTES, V_STRING, SpanBatch, event_tables

_FLAT = ("openinference_flat", "genai_flat")
# what a details event's lookups read first (genai_events.read_events): each target's first key
_TARGETS = ("llm_call.input_messages", "llm_call.output_messages", "llm_call.system_instructions")
INPUT, OUTPUT, SYSTEM = (ATTRIBUTE_KEYS[target][0][0] for target in _TARGETS)
assert [ATTRIBUTE_KEYS[target][0][1] for target in _TARGETS] == ["genai_messages", "genai_messages", "content_text"]
# ... and what they would read when that decodes to nothing: an event with any of these is the reference's
_OTHER_KEYS = frozenset(key for target in _TARGETS for key, decoder, _ in ATTRIBUTE_KEYS[target][1:]
                        if decoder not in _FLAT)
_OTHER_PREFIXES = tuple(key + "." for target in _TARGETS for key, decoder, _ in ATTRIBUTE_KEYS[target]
                        if decoder in _FLAT)
EXCEPTION_TYPE, EXCEPTION_MESSAGE = "exception.type", "exception.message"
# attribute key classes
(_HARMLESS, _INPUT, _OUTPUT, _SYSTEM, _OTHER, _EXC_TYPE, _EXC_MESSAGE, _UNREADABLE) = range(8)
_CLASS = {INPUT: _INPUT, OUTPUT: _OUTPUT, SYSTEM: _SYSTEM, EXCEPTION_TYPE: _EXC_TYPE, EXCEPTION_MESSAGE: _EXC_MESSAGE}
# in canonical message JSON (compact orjson), a message of a role the model's words and
# requested calls leave out (messages.messages_text, requested_calls) but the kernel's keep
_ROLES_LEFT_OUT = ('"role":"tool"', '"role":"user"', '"role":"system"')

Decode = Callable[[pa.Array, str], tuple[pa.Array, pa.Array, pa.Array, pa.Array]]


def fill(batch: SpanBatch, kind: np.ndarray, column: Callable[[str], Any], error_type: Any, error_message: Any,
         decode: Decode) -> None:
    """Fill the columns (`column(name)`: the `_Column` of a store column) that the spans'
    events give, where still empty. `kind`: each span's record kind; `decode`: (JSON, system,
    words, calls) of GenAI message-list texts (columnar.genai_message_texts)."""
    events, attrs = batch.events, batch.event_attrs
    if events is None:
        events, attrs = event_tables(batch.spans.column("events_json"))
    if not events.num_rows:
        return
    n = batch.count
    ev_span = _ints(events.column("span"))
    names = events.column("name")
    is_details = _flags(pc.equal(names, DETAILS_EVENT))
    is_exception = _flags(pc.equal(names, "exception"))
    is_message = _flags(pc.is_in(names, pa.array(sorted(MESSAGE_EVENTS))))
    reference = np.zeros(n, bool)  # spans whose events the reference functions read
    reference[ev_span[_flags(pc.is_in(names, pa.array(sorted(CONTENT_EVENTS))))]] = True
    has_details = np.zeros(n, bool)
    has_details[ev_span[is_details]] = True
    reference[ev_span[is_message & has_details[ev_span]]] = True  # both conventions: read in event order

    a_event = _ints(attrs.column("event"))
    a_span = ev_span[a_event]
    a_class = _key_classes(attrs.column("key"))
    a_vtype = _ints(attrs.column("vtype"))
    a_read = _flags(pc.is_in(attrs.column("key"), pa.array(_MESSAGE_KEYS)))  # what a message event's reading reads
    a_text = np.isin(a_vtype, (V_STRING, V_BYTES))
    details, exception = is_details[a_event], is_exception[a_event]
    messages = (a_class == _INPUT) | (a_class == _OUTPUT) | (a_class == _SYSTEM)
    odd = (details & ((messages & ~a_text) | (a_class == _OTHER) | (a_class == _UNREADABLE))) | (
        exception & ((((a_class == _EXC_TYPE) | (a_class == _EXC_MESSAGE)) & ~a_text) | (a_class == _UNREADABLE))) | (
        is_message[a_event] & ((a_read & (a_vtype != V_STRING)) | (a_class == _UNREADABLE)))
    reference[a_span[odd]] = True
    is_tool = kind == "tool_call"
    filled = is_tool & ~column("args").missing() & ~column("result").missing()  # nothing left to give

    texts = attrs.column("str").combine_chunks()  # (a take on many chunks concatenates them first)
    rows = np.flatnonzero(details & messages & ~reference[a_span] & ~filled[a_span])
    if len(rows):
        reference |= _details(rows, a_span, a_class, texts, is_tool, column, decode, n)
    at = np.flatnonzero(is_message & ~reference[ev_span])
    if len(at):
        _message_events(at, ev_span, names, attrs, a_event, a_read, kind, column, len(events))
    rows = np.flatnonzero(exception & a_text & ~reference[a_span])
    if len(rows):
        for cls, target in ((_EXC_TYPE, error_type), (_EXC_MESSAGE, error_message)):
            at = rows[a_class[rows] == cls]
            values = _take(texts, at)
            stated = _flags(pc.not_equal(values, ""))  # the reference takes the first truthy one
            _put_first(target, a_span[at[stated]], values.filter(pa.array(stated)))
    if reference.any():
        _reference(batch, np.flatnonzero(reference), kind, column, error_type, error_message)


def _details(rows: np.ndarray, a_span: np.ndarray, a_class: np.ndarray, texts: pa.Array, is_tool: np.ndarray,
             column: Callable[[str], Any], decode: Decode, n: int) -> np.ndarray:
    """Fill the columns of spans from their details events' message attributes `rows` (in
    event order), as genai_events.call_fields does; returns the spans found to need the
    reference functions after all (output messages of a role the kernel's words and calls do
    not leave out)."""
    decoded: dict[int, tuple[np.ndarray, tuple[pa.Array, ...]]] = {}
    tool: dict[int, tuple[np.ndarray, pa.Array]] = {}
    for cls, key in ((_INPUT, INPUT), (_OUTPUT, OUTPUT)):
        at = rows[a_class[rows] == cls]
        spans, fields = a_span[at], decode(_take(texts, at), key)
        calls = is_tool[spans]
        if calls.any():
            tool[cls] = (spans[calls], fields[0].filter(pa.array(calls)))
            spans, fields = spans[~calls], tuple(field.filter(pa.array(~calls)) for field in fields)
        decoded[cls] = (spans, fields)
    for cls, name in ((_INPUT, "args"), (_OUTPUT, "result")):
        if cls in tool:
            spans, joined = _grouped(*tool[cls], ",", lists=True)
            _put_missing(column(name), spans, pa.array([tool_text_of(v) for v in joined.to_pylist()], pa.string()))
    rows = rows[~is_tool[a_span[rows]]]
    out_spans, (out_json, _, _, _) = decoded[_OUTPUT]
    later = np.zeros(n, bool)
    if len(out_spans):
        left_out = np.zeros(len(out_spans), bool)
        for role in _ROLES_LEFT_OUT:
            left_out |= _flags(pc.match_substring(out_json, role))
        later[out_spans[left_out]] = True
    keep = {cls: ~later[spans] for cls, (spans, _) in decoded.items()}

    def per_span(cls: int, field: int, separator: str, lists: bool = False) -> tuple[np.ndarray, pa.Array]:
        spans, fields = decoded[cls]
        return _grouped(spans[keep[cls]], fields[field].filter(pa.array(keep[cls])), separator, lists)

    in_spans, in_json = per_span(_INPUT, 0, ",", lists=True)
    _put_missing(column("input_messages"), in_spans, in_json)
    out_spans, out_json = per_span(_OUTPUT, 0, ",", lists=True)
    _put_missing(column("output_messages"), out_spans, out_json)
    _put_missing(column("text"), *per_span(_OUTPUT, 2, "\n"))
    _put_missing(column("requested_tool_calls"), *per_span(_OUTPUT, 3, ",", lists=True))
    # system instructions: the first the events state, else the input messages' system text
    system = np.zeros(n, bool)
    stated: dict[int, str] = {}
    at = rows[(a_class[rows] == _SYSTEM) & ~later[a_span[rows]]]
    seen: dict[str, Any] = {}
    for span, value in zip(a_span[at].tolist(), _take(texts, at).to_pylist()):
        if span in stated:
            continue
        text = seen.get(value, seen)
        if text is seen:
            text = seen[value] = semconv._decode("content_text", value, {}, SYSTEM)
        if text:
            stated[span] = text
    target = column("system_instructions")
    if stated:
        spans = np.fromiter(stated, np.int64, len(stated))
        _put_missing(target, spans, pa.array(list(stated.values()), pa.string()))
        system[spans] = True
    in_spans, in_system = per_span(_INPUT, 1, "\n")
    unstated = ~system[in_spans]
    _put_missing(target, in_spans[unstated], in_system.filter(pa.array(unstated)))
    return later


# what one event's messages give a span, once per distinct event (genai_events.call_fields,
# decomposed: each is the join over the span's events in order)
_M_JSON, _M_SYSTEM, _M_WORDS, _M_CALLS, _M_TOOL_TEXT, _M_TOOL_ARGS = range(6)
# the payload keys genai_events._message reads: other attributes of a message event change nothing
_MESSAGE_KEYS = sorted(("message", "content", "role", "tool_calls", "id"))
_OUTPUT_EVENTS = sorted(name for name, (direction, _) in MESSAGE_EVENTS.items() if direction == "output")


def _message_events(at: np.ndarray, ev_span: np.ndarray, names: pa.ChunkedArray, attrs: pa.Table,
                    a_event: np.ndarray, a_read: np.ndarray, kind: np.ndarray, column: Callable[[str], Any],
                    n_events: int) -> None:
    """Fill the columns of spans from their one-message-an-event GenAI events `at` (event
    rows, in order; the attributes `a_read` marks are strings), as genai_events.call_fields
    does. A conversation repeats its history as events on every later call: each distinct
    event (name and the attributes its reading reads) is read once, by the block kernel
    (`block_kernel`: plain text and the common Bedrock Converse content blocks) when there are
    enough of them, else (and for the events the kernel does not take) by the reference's own
    `_message`; a span's columns are the joins of its events' parts."""
    from analyzer.ingest.normalize.columnar import KERNEL_MIN_ROWS, compiled  # (columnar imports this module)

    position = np.full(n_events, -1, np.int64)
    position[at] = np.arange(len(at))
    rows = np.flatnonzero((position[a_event] >= 0) & a_read)
    rows = rows[np.argsort(position[a_event[rows]], kind="stable")]
    counts = np.bincount(position[a_event[rows]], minlength=len(at))
    offsets = np.concatenate(([0], np.cumsum(counts)))
    keys, texts = _take(attrs.column("key"), rows), _take(attrs.column("str"), rows)
    # each attribute as "len:key:len:text": the lengths make the signature of different
    # attributes different, whatever characters their texts hold
    pieces = pc.binary_join_element_wise(pc.cast(pc.binary_length(keys), pa.string()), keys,
                                         pc.cast(pc.binary_length(texts), pa.string()), texts, ":")
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pieces), ":")
    event_names = _take(names, at)  # (one of MESSAGE_EVENTS: no ":")
    encoded = pc.dictionary_encode(pc.binary_join_element_wise(event_names, joined, ":"))
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    _, first = np.unique(codes, return_index=True)  # a representative event of each distinct one
    lengths = counts[first]
    bounds, rep = _ranges(offsets[first], lengths)  # the representatives' attribute rows
    first_names = event_names.take(pa.array(first))
    spans = ev_span[at]
    tool = kind[spans] == "tool_call"
    for_tools = np.zeros(len(first), bool)  # which parts each distinct event is read for
    for_tools[codes[tool]] = True
    for_others = np.zeros(len(first), bool)
    for_others[codes[~tool]] = True
    kernel = compiled("block_kernel") if len(first) >= KERNEL_MIN_ROWS else None
    if kernel is not None:
        ok, done = _kernel_parts(kernel, first_names, keys, texts, rep, bounds)
    else:
        ok, done = np.zeros(len(first), bool), [pa.nulls(len(first), pa.string())] * 6
    rest = np.flatnonzero(~ok)
    rest_bounds, rest_rows = _ranges(bounds[rest], lengths[rest])
    rest_rows = pa.array(rep[rest_rows])
    key_list, text_list = keys.take(rest_rows).to_pylist(), texts.take(rest_rows).to_pylist()
    parts: list[list[Any]] = [[] for _ in range(6)]
    for name, a, b, tools, others in zip(first_names.take(pa.array(rest)).to_pylist(), rest_bounds[:-1].tolist(),
                                         rest_bounds[1:].tolist(), for_tools[rest].tolist(),
                                         for_others[rest].tolist()):
        msgs = genai_events._message(MESSAGE_EVENTS[name][1],
                                     genai_events._payload(None, dict(zip(key_list[a:b], text_list[a:b]))))
        if others:
            parts[_M_JSON].append(semconv.json_text(msgs or None))
            parts[_M_SYSTEM].append(messages.system_text(msgs))
            parts[_M_WORDS].append(messages.messages_text(msgs))
            parts[_M_CALLS].append(semconv.json_text(messages.requested_calls(msgs)))
        else:
            for slot in (_M_JSON, _M_SYSTEM, _M_WORDS, _M_CALLS):
                parts[slot].append(None)
        if tools:
            contents, arguments = genai_events.tool_parts(msgs)
            parts[_M_TOOL_TEXT].append("\n".join(contents) if contents else None)
            parts[_M_TOOL_ARGS].append(arguments[0] if arguments else None)
        else:
            parts[_M_TOOL_TEXT].append(None)
            parts[_M_TOOL_ARGS].append(None)
    index = np.arange(len(first))  # each distinct event's parts: the kernel's, then the reference's
    index[rest] = len(first) + np.arange(len(rest))
    take = pa.array(index[codes])
    per_event = [pa.concat_arrays([kernel_part, pa.array(values, kernel_part.type)]).take(take)
                 for kernel_part, values in zip(done, parts)]
    output = _flags(pc.is_in(event_names, pa.array(_OUTPUT_EVENTS)))
    for direction, sel in (("input", ~output), ("output", output)):
        for is_tool in (True, False):
            which = sel & (tool == is_tool)
            if not which.any():
                continue
            mask = pa.array(which)
            span_of = spans[which]
            part = [values.filter(mask) for values in per_event]
            if is_tool:
                target = column("args" if direction == "input" else "result")
                _put_missing(target, *_grouped(span_of, part[_M_TOOL_TEXT], "\n"))
                _put_missing(target, *_grouped(span_of, part[_M_TOOL_ARGS], None))
                continue
            if direction == "input":
                _put_missing(column("input_messages"), *_grouped(span_of, part[_M_JSON], ",", lists=True))
                _put_missing(column("system_instructions"), *_grouped(span_of, part[_M_SYSTEM], "\n"))
            else:
                _put_missing(column("output_messages"), *_grouped(span_of, part[_M_JSON], ",", lists=True))
                _put_missing(column("text"), *_grouped(span_of, part[_M_WORDS], "\n"))
                _put_missing(column("requested_tool_calls"), *_grouped(span_of, part[_M_CALLS], ",", lists=True))


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(bounds, rows): the ranges [starts[i], starts[i] + lengths[i]) one after the other in
    `rows`, range i at rows[bounds[i]:bounds[i + 1]]."""
    bounds = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    return bounds, np.repeat(starts - bounds[:-1], lengths) + np.arange(bounds[-1])


def _kernel_parts(kernel: Any, names: pa.Array, keys: pa.Array, texts: pa.Array, rows: np.ndarray,
                  bounds: np.ndarray) -> tuple[np.ndarray, list[pa.Array]]:
    """(ok, the six parts) of distinct message events by the block kernel: event i, named
    names[i], has the attributes keys / texts at rows[bounds[i]:bounds[i + 1]]. What
    genai_events._message decides before reading the content is decided here, by Arrow and
    numpy: the content (`content`, else `message`), the role (a `role` attribute's, else the
    event name's; messages.ROLE_ALIASES applied) and the tool call id (`id`, when the role
    before aliasing is "tool"). An event with a `tool_calls` attribute, an attribute twice or
    a role other than the standard four is left to the reference (role -1)."""
    count = len(names)
    event = np.repeat(np.arange(count), np.diff(bounds))
    field = _ints(pc.index_in(keys, pa.array(_MESSAGE_KEYS)))[rows]  # (every row is one of them)
    slot = np.full((count, len(_MESSAGE_KEYS)), -1, np.int64)
    slot[event, field] = rows
    twice = np.bincount(event * len(_MESSAGE_KEYS) + field, minlength=count * len(_MESSAGE_KEYS)) > 1
    content, call_id, message, role, tool_calls = (slot[:, _MESSAGE_KEYS.index(key)] for key in
                                                    ("content", "id", "message", "role", "tool_calls"))

    def role_codes(values: pa.Array, role_of: Callable[[str], str]) -> tuple[np.ndarray, np.ndarray]:
        """(kernel role code, whether the role is "tool" before aliasing) of each value, whose
        role is role_of(value); one Python step per distinct value."""
        encoded = pc.dictionary_encode(values)
        roles = [role_of(value) for value in encoded.dictionary.to_pylist()]
        aliased = [messages.ROLE_ALIASES.get(role, role) for role in roles]
        code = np.array([kernel.ROLES.index(role) if role in kernel.ROLES else -1 for role in aliased] + [-1])
        is_tool = np.array([role == "tool" for role in roles] + [False])
        indices = _ints(pc.fill_null(encoded.indices, len(roles)))  # (a null: not for the kernel)
        return code[indices], is_tool[indices]

    code, is_tool = role_codes(names, lambda name: MESSAGE_EVENTS[name][1])
    stated = role >= 0
    if stated.any():
        code[stated], is_tool[stated] = role_codes(texts.take(pa.array(role[stated])), lambda value: value)
    code[twice.reshape(count, -1).any(axis=1) | (tool_calls >= 0)] = -1
    return kernel.message_parts(texts, np.where(content >= 0, content, message), np.where(is_tool, call_id, -1),
                                code)


def _grouped(spans: np.ndarray, values: pa.Array, separator: str | None,
             lists: bool = False) -> tuple[np.ndarray, pa.Array]:
    """(spans, one value a span) of values in span order: the non-null values of each span
    joined with `separator` (None: the first one); when `lists`, compact JSON lists (orjson's
    form: no spaces) concatenated into one."""
    valid = _flags(values.is_valid())
    spans, values = spans[valid], values.filter(pa.array(valid))
    if not len(spans):
        return spans, values
    starts = np.flatnonzero(np.concatenate(([True], spans[1:] != spans[:-1])))
    if separator is None:
        return spans[starts], values.take(pa.array(starts))
    if lists:
        values = pc.utf8_slice_codeunits(values, 1, -1)  # "[a,b]" -> "a,b"
    offsets = pa.array(np.append(starts, len(spans)), pa.int32())
    joined = pc.binary_join(pa.ListArray.from_arrays(offsets, values), separator)
    if lists:
        joined = pc.binary_join_element_wise("[", joined, "]", "")
    return spans[starts], joined


def _reference(batch: SpanBatch, spans: np.ndarray, kind: np.ndarray, column: Callable[[str], Any],
               error_type: Any, error_message: Any) -> None:
    """The reference functions on these spans' events, span by span."""
    texts = batch.spans.column("events_json").take(pa.array(spans)).to_pylist()
    fills: dict[str, dict[int, Any]] = {}
    targets = {"error_type": error_type, "error_message": error_message}
    for span, text in zip(spans.tolist(), texts):
        events = orjson.loads(text)
        for key, value in genai_event_fields(kind[span], events).items():
            if value is not None and column(key).idx[span] < 0:
                fills.setdefault(key, {})[span] = value
        exception_type, exception_message = exception_fields(events)
        if exception_type is not None and error_type.idx[span] < 0:
            fills.setdefault("error_type", {})[span] = exception_type
        if exception_message is not None and error_message.idx[span] < 0:
            fills.setdefault("error_message", {})[span] = exception_message
    for key, values in fills.items():
        (targets.get(key) or column(key)).put(np.array(list(values), np.int64), list(values.values()))


def _key_classes(keys: pa.ChunkedArray) -> np.ndarray:
    """The class of each attribute key (one Python step per distinct key)."""
    encoded = pc.dictionary_encode(keys).combine_chunks() if len(keys) else None
    if encoded is None:
        return np.zeros(0, np.int8)
    classes = np.array([_key_class(key) for key in encoded.dictionary.to_pylist()] or [0], np.int8)
    codes = encoded.indices
    out = classes[pc.fill_null(codes, 0).to_numpy(zero_copy_only=False)]
    if codes.null_count:  # a null key: attributes events_json holds as something other than a map
        out[_flags(codes.is_null())] = _UNREADABLE
    return out


def _key_class(key: str) -> int:
    found = _CLASS.get(key)
    if found is not None:
        return found
    return _OTHER if key in _OTHER_KEYS or key.startswith(_OTHER_PREFIXES) else _HARMLESS


def tool_text_of(messages_json: str) -> str | None:
    """genai_events.tool_text of canonical messages given as their JSON."""
    return tool_text(orjson.loads(messages_json))


def _put_missing(target: Any, spans: np.ndarray, values: pa.Array) -> None:
    missing = target.missing()[spans]
    if missing.any():
        target.put(spans[missing], values.filter(pa.array(missing)))


def _put_first(target: Any, spans: np.ndarray, values: pa.Array) -> None:
    """Each span's first value (spans in order), where the target is still empty."""
    if not len(spans):
        return
    first = np.concatenate(([True], spans[1:] != spans[:-1]))
    _put_missing(target, spans[first], values.filter(pa.array(first)))


def _take(column: pa.Array, rows: np.ndarray) -> pa.Array:
    taken = column.take(pa.array(rows, pa.int64()))
    return taken.combine_chunks() if isinstance(taken, pa.ChunkedArray) else taken


def _ints(values: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return values.to_numpy().astype(np.int64) if len(values) else np.zeros(0, np.int64)


def _flags(values: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return pc.fill_null(values, False).to_numpy(zero_copy_only=False).astype(bool) if len(values) else np.zeros(0, bool)

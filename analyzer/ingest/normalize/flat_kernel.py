"""Flattened message lists read column by column: OpenInference's
`llm.input_messages.N.message.role` / `.content` / `.contents.K.message_content.text` /
`.tool_call_id` / `.tool_calls.M.tool_call.{id,function.name,function.arguments}` and
deprecated GenAI's `gen_ai.prompt.N.role` / `.content` / ... For every span of a batch at
once: the canonical message list's JSON text (`semconv.json_text(semconv._flat_messages(...))`),
its system text (`messages.system_text`), its text (`semconv._messages_text`) and its
requested calls (`semconv._requested_calls`), byte for byte as the Python reference writes
them. That reference builds a dict per message from every attribute key, span by span: on
OpenInference spans, most of ingest's CPU.

Each distinct attribute key is parsed once (the batch's keys are dictionary-encoded); the
rows are then sorted by span, message, call and field with numpy, and one compiled pass
writes the four columns. The common shape only: string values, a key once per span, at most
one content part, a call's fields in the order id, name, arguments, indices written as
Python's `int` reads them back. A span with anything else (`SpanFlats.rest`) is for the
Python reference."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numba import njit

from analyzer.ingest.normalize.genai_kernel import _eq_bytes, _lit, _put_literal, _string_array, string_rows
from analyzer.ingest.otlp.json_render import _copy, _put_string
from analyzer.ingest.otlp.wire_scan import V_STRING

__all__ = ["SpanFlats", "flat_messages", "warm"]

# what a key (after `prefix.N.`) is to the reference: a message field, a call field, or a key
# that only makes its message (or call) exist
ROLE, CONTENT, PART, TOOL_CALL_ID, OTHER, CALL, CALL_ID, CALL_NAME, CALL_ARGS = range(9)
_READ = (ROLE, CONTENT, PART, TOOL_CALL_ID, CALL_ID, CALL_NAME, CALL_ARGS)  # codes whose value is read
_SKIP, _FALLBACK = -1, -2  # not an indexed key (the reference ignores it); a span for the reference


def _index(text: str) -> int | None:
    """`text` as the message or call index the reference reads (`int(text)` of a digit
    string), when writing it back gives `text`; None otherwise (leading zeros, other
    digits than ASCII, very long)."""
    if text.isascii() and text.isdigit() and len(text) <= 9 and (text == "0" or text[0] != "0"):
        return int(text)
    return None


def parse_key(rest: str, style: str) -> tuple[int, int, int]:
    """(field code, message index, call index) of a key after its list prefix; the field code
    is _SKIP for a key the reference ignores and _FALLBACK for one only the reference reads."""
    index_text, _, field = rest.partition(".")
    if not index_text.isdigit():
        return _SKIP, -1, -1
    index = _index(index_text)
    if index is None:
        return _FALLBACK, -1, -1
    mp = "message." if style == "oi" else ""
    if field == mp + "role":
        return ROLE, index, -1
    if field == mp + "content":
        return CONTENT, index, -1
    if field.startswith(mp + "contents.") and field.endswith(".text"):
        return PART, index, -1
    if field == mp + "tool_call_id":
        return TOOL_CALL_ID, index, -1
    call_prefix = mp + "tool_calls."
    if field.startswith(call_prefix):
        call_text, _, sub = field[len(call_prefix):].partition(".")
        if not call_text.isdigit():
            return OTHER, index, -1
        call = _index(call_text)
        if call is None:
            return _FALLBACK, -1, -1
        sub = sub.removeprefix("tool_call.")
        if sub == "id":
            return CALL_ID, index, call
        if sub in ("function.name", "name"):
            return CALL_NAME, index, call
        if sub in ("function.arguments", "arguments"):
            return CALL_ARGS, index, call
        return CALL, index, call
    return OTHER, index, -1


@dataclass
class SpanFlats:
    """The flattened lists of `spans` (span order) as the four columns, and the spans left to
    the Python reference."""

    spans: np.ndarray
    messages: pa.Array
    system: pa.Array
    text: pa.Array
    calls: pa.Array
    rest: np.ndarray


def flat_messages(names: list[str], codes: np.ndarray, spans: np.ndarray, vtype: np.ndarray, values: pa.Array,
                  rows: np.ndarray, prefix: str, style: str) -> SpanFlats:
    """The flattened message lists under `prefix` ('llm.input_messages.', 'gen_ai.prompt.')
    of the attribute rows `rows` (all of that prefix, for the spans wanted): `names` is the
    key dictionary, `codes` each attribute row's key code, `spans` its span, `vtype` its value
    type, `values` the string value column (one array). `style`: 'oi' or 'genai'."""
    parsed = np.array([parse_key(name[len(prefix):], style) if name.startswith(prefix) else (_SKIP, -1, -1)
                       for name in names], np.int64).reshape(-1, 3)
    key = codes[rows]
    field, index, call = parsed[key, 0], parsed[key, 1], parsed[key, 2]
    keep = field != _SKIP
    rows, key, field, index, call = rows[keep], key[keep], field[keep], index[keep], call[keep]
    span = spans[rows]
    odd = (field == _FALLBACK) | (np.isin(field, _READ) & (vtype[rows] != V_STRING))
    # a key twice in a span (the last value wins, in the first one's place), two content
    # parts, or a call's fields out of the order id, name, arguments: the reference
    order = np.lexsort((rows, key, span))
    same = (span[order][1:] == span[order][:-1]) & (key[order][1:] == key[order][:-1])
    odd[order[1:][same]] = True
    order = np.lexsort((rows, field, call, index, span))
    s, i, c, f = span[order], index[order], call[order], field[order]
    group = (s[1:] == s[:-1]) & (i[1:] == i[:-1]) & (c[1:] == c[:-1])
    parts = group & (f[1:] == PART) & (f[:-1] == PART)
    called = group & (c[1:] >= 0) & (f[1:] >= CALL_ID) & (f[:-1] >= CALL_ID)
    swapped = called & ((f[1:] == f[:-1]) | (rows[order][1:] < rows[order][:-1]))
    odd[order[1:][parts | swapped]] = True
    rest = np.unique(span[odd])
    if len(rest):
        keep = ~np.isin(span, rest)
        order = order[keep[order]]
    row, span = rows[order], span[order]
    out = np.unique(span)
    data, starts, ends, _ = string_rows(values, row, "flat_messages")
    ok_m, off, valid, out_m, out_s, out_t, out_c = _write(
        data, starts, ends, span, index[order], call[order], field[order].astype(np.int8), len(out))
    if not ok_m:
        raise AssertionError("flat_kernel: a value outside its buffer, or a span left unwritten")
    return SpanFlats(out, _string_array(off[0], out_m, valid[0]), _string_array(off[1], out_s, valid[1]),
                     _string_array(off[2], out_t, valid[2]), _string_array(off[3], out_c, valid[3]), rest)


_W_ROLE, _W_NULL_ROLE = _lit('{"role":'), _lit('{"role":null')
_W_CONTENT, _W_CALL_ID = _lit(',"content":'), _lit(',"tool_call_id":')
_W_CALLS = _lit(',"tool_calls":[')
_W_ID, _W_NAME, _W_ARGS = _lit('"id":'), _lit('"name":'), _lit('"arguments":')
_SYSTEM, _TOOL = _lit("system"), _lit("tool")


@njit(cache=True, nogil=True, inline="always")
def _is(data, a, b, word):
    """data[a:b] is `word`."""
    return b - a == word.shape[0] and _eq_bytes(data, a, word, 0, word.shape[0])


@njit(cache=True, nogil=True, inline="always")
def _line(data, a, b, out, pos, first):
    """Append data[a:b] to a text joined with newlines."""
    if not first:
        out[pos] = 0x0A
        pos += 1
    _copy(out, np.int64(pos), data, np.int64(a), np.int64(b - a))
    return pos + (b - a)


@njit(cache=True, nogil=True)
def _write(data, starts, ends, span, index, call, field, count):
    """The four columns of the sorted rows (span, message index, call index, field), one
    entry a span. Returns ok (every value inside `data`, every span written), offsets,
    validity and the four buffers."""
    n = span.shape[0]
    text_bytes = 0
    for r in range(n):
        if ends[r] < starts[r] or ends[r] > data.shape[0] or starts[r] < 0:
            return False, np.zeros((4, count + 1), np.int64), np.zeros((4, count), np.bool_), \
                np.zeros(0, np.uint8), np.zeros(0, np.uint8), np.zeros(0, np.uint8), np.zeros(0, np.uint8)
        text_bytes += ends[r] - starts[r]
    json_bound = 6 * text_bytes + 48 * n + 2 * count + 16
    out_m = np.empty(json_bound, np.uint8)
    out_c = np.empty(json_bound, np.uint8)
    out_s = np.empty(text_bytes + n + 1, np.uint8)
    out_t = np.empty(text_bytes + n + 1, np.uint8)
    off = np.zeros((4, count + 1), np.int64)
    valid = np.zeros((4, count), np.bool_)
    pm = ps = pt = pc = 0
    r = 0
    o = 0
    while r < n:
        s = span[r]
        off[0, o], off[1, o], off[2, o], off[3, o] = pm, ps, pt, pc
        ns = nt = nc = 0
        out_m[pm] = 0x5B
        pm += 1
        first_message = True
        while r < n and span[r] == s:
            m = index[r]
            role = content = part = call_id = -1
            while r < n and span[r] == s and index[r] == m and call[r] < 0:
                f = field[r]
                if f == ROLE:
                    role = r
                elif f == CONTENT:
                    content = r
                elif f == PART:
                    part = r
                elif f == TOOL_CALL_ID:
                    call_id = r
                r += 1
            if content < 0:
                content = part
            if not first_message:
                out_m[pm] = 0x2C
                pm += 1
            first_message = False
            if role >= 0:
                pm = _put_literal(_W_ROLE, out_m, pm)
                pm = _put_string(data, starts[role], ends[role], out_m, pm)
            else:
                pm = _put_literal(_W_NULL_ROLE, out_m, pm)
            if content >= 0:
                pm = _put_literal(_W_CONTENT, out_m, pm)
                pm = _put_string(data, starts[content], ends[content], out_m, pm)
            if call_id >= 0:
                pm = _put_literal(_W_CALL_ID, out_m, pm)
                pm = _put_string(data, starts[call_id], ends[call_id], out_m, pm)
            if r < n and span[r] == s and index[r] == m:  # its calls (rows with a call index)
                pm = _put_literal(_W_CALLS, out_m, pm)
                first_call = True
                while r < n and span[r] == s and index[r] == m:
                    k = call[r]
                    if not first_call:
                        out_m[pm] = 0x2C
                        pm += 1
                    first_call = False
                    begin = pm
                    out_m[pm] = 0x7B
                    pm += 1
                    first_field = True
                    while r < n and span[r] == s and index[r] == m and call[r] == k:
                        f = field[r]
                        if f >= CALL_ID:
                            if not first_field:
                                out_m[pm] = 0x2C
                                pm += 1
                            first_field = False
                            if f == CALL_ID:
                                pm = _put_literal(_W_ID, out_m, pm)
                            elif f == CALL_NAME:
                                pm = _put_literal(_W_NAME, out_m, pm)
                            else:
                                pm = _put_literal(_W_ARGS, out_m, pm)
                            pm = _put_string(data, starts[r], ends[r], out_m, pm)
                        r += 1
                    out_m[pm] = 0x7D
                    pm += 1
                    out_c[pc] = 0x2C if nc else 0x5B
                    pc += 1
                    _copy(out_c, np.int64(pc), out_m, np.int64(begin), np.int64(pm - begin))
                    pc += pm - begin
                    nc += 1
                out_m[pm] = 0x5D
                pm += 1
            out_m[pm] = 0x7D
            pm += 1
            if content >= 0 and ends[content] > starts[content]:
                a, b = starts[content], ends[content]
                if role >= 0 and _is(data, starts[role], ends[role], _SYSTEM):
                    ps = _line(data, a, b, out_s, ps, ns == 0)
                    ns += 1
                if not (role >= 0 and _is(data, starts[role], ends[role], _TOOL)):
                    pt = _line(data, a, b, out_t, pt, nt == 0)
                    nt += 1
        out_m[pm] = 0x5D
        pm += 1
        if nc:
            out_c[pc] = 0x5D
            pc += 1
        valid[0, o], valid[1, o], valid[2, o], valid[3, o] = True, ns > 0, nt > 0, nc > 0
        o += 1
    off[0, o], off[1, o], off[2, o], off[3, o] = pm, ps, pt, pc
    return o == count, off, valid, out_m[:pm], out_s[:ps], out_t[:pt], out_c[:pc]


def warm() -> None:
    """Compile the kernel (numba's on-disk cache keeps it for the next process)."""
    names = ["llm.input_messages.0.message.role", "llm.input_messages.0.message.content",
             "llm.input_messages.1.message.tool_calls.0.tool_call.id"]
    values = pa.array(["system", 'Be "brief"\n', "c1"], pa.string())
    codes = np.arange(3, dtype=np.int64)
    flat_messages(names, codes, np.zeros(3, np.int64), np.full(3, V_STRING, np.int8), values, codes,
                  "llm.input_messages.", "oi")

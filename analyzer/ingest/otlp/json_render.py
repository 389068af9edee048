"""Compiled (numba) builders of Arrow string columns from the wire scanner's tables
(`wire_scan`): lowercase hex ids, plain strings gathered out of the message buffer, and the
JSON text of attribute dicts, event lists and link lists written byte for byte as
`orjson.dumps` writes the reference Python values — without a Python object per span or per
attribute.

Every kernel returns Arrow-ready buffers: int64 offsets (the caller checks they fit int32)
and the data bytes. The byte ranges come from the scanner, which checked them against the
buffer; the kernels still clamp every range they read to the buffer they read it from.

JSON text the kernels do not make themselves (doubles, arrays, kvlists, bytes: rarer, and
with orjson's own formatting rules) is made in Python beforehand into an `ext` buffer, with
each attribute row's range in `ext_a` / `ext_b`; the kernels copy it in."""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic, overload

from analyzer.ingest.otlp.wire_scan import (
    AT_KEY_A, AT_KEY_B, AT_OWNER, AT_SCALAR, AT_TYPE, AT_VAL_A, AT_VAL_B, EV_NAME_A, EV_NAME_B, EV_TIME, LK_SPAN_A,
    LK_SPAN_B, LK_TRACE_A, LK_TRACE_B, V_ARRAY, V_BOOL, V_BYTES, V_DOUBLE, V_INT, V_KVLIST, V_NONE, V_STRING, load8,
)
from analyzer.ingest.otlp.wire_scan import _field as ws_field
from analyzer.ingest.otlp.wire_scan import _utf8_ok as ws_utf8_ok

_HEX = np.frombuffer(b"0123456789abcdef", np.uint8).copy()
# orjson's escaping: '"' and '\\' as \" \\, \b \t \n \f \r, other bytes < 0x20 as \u00XX
_ESCAPE = np.zeros(256, np.uint8)  # 0: as is; 1: \u00XX; else the letter after the backslash
for _byte in range(0x20):
    _ESCAPE[_byte] = 1
for _byte, _letter in ((0x08, "b"), (0x09, "t"), (0x0A, "n"), (0x0C, "f"), (0x0D, "r"), (0x22, '"'),
                       (0x5C, "\\")):
    _ESCAPE[_byte] = ord(_letter)

_QUOTE, _COMMA, _COLON, _LBRACE, _RBRACE, _LBRACKET, _RBRACKET = 0x22, 0x2C, 0x3A, 0x7B, 0x7D, 0x5B, 0x5D
_NULL = np.frombuffer(b"null", np.uint8).copy()
_TRUE = np.frombuffer(b"true", np.uint8).copy()
_FALSE = np.frombuffer(b"false", np.uint8).copy()
_EV_NAME = np.frombuffer(b'{"name":', np.uint8).copy()
_EV_TS = np.frombuffer(b',"ts":', np.uint8).copy()
_ATTRS = np.frombuffer(b',"attrs":', np.uint8).copy()
_LK_TRACE = np.frombuffer(b'{"trace_id":', np.uint8).copy()
_LK_SPAN = np.frombuffer(b',"span_id":', np.uint8).copy()


def _copy(dst, dst_pos, src, src_pos, count):
    """dst[dst_pos:dst_pos + count] = src[src_pos:src_pos + count]. Compiled: one memcpy (a
    slice assignment costs an array view per call); as plain Python (NUMBA_DISABLE_JIT) a range
    past either end raises."""
    if min(dst_pos, src_pos, count) < 0 or dst_pos + count > dst.shape[0] or src_pos + count > src.shape[0]:
        raise IndexError("copy past the end of an array")
    dst[dst_pos:dst_pos + count] = src[src_pos:src_pos + count]


@intrinsic
def _copy_intrinsic(typingctx, dst, dst_pos, src, src_pos, count):
    sig = types.void(dst, types.int64, src, types.int64, types.int64)

    def codegen(context, builder, signature, args):
        dst_arr = context.make_array(signature.args[0])(context, builder, args[0])
        src_arr = context.make_array(signature.args[2])(context, builder, args[2])
        cgutils.raw_memcpy(builder, builder.gep(dst_arr.data, [args[1]]), builder.gep(src_arr.data, [args[3]]),
                           args[4], 1)
        return context.get_dummy_value()

    return sig, codegen


@overload(_copy)
def _copy_compiled(dst, dst_pos, src, src_pos, count):
    return lambda dst, dst_pos, src, src_pos, count: _copy_intrinsic(dst, dst_pos, src, src_pos, count)


_ONES = np.uint64(0x0101010101010101)
_HIGHS = np.uint64(0x8080808080808080)
_BELOW_SPACE = np.uint64(0x2020202020202020)
_QUOTES = np.uint64(0x2222222222222222)
_BACKSLASHES = np.uint64(0x5C5C5C5C5C5C5C5C)


@njit(cache=True, nogil=True, inline="always")
def _escape_bits(word):
    """The high bit of each byte of `word` that may need escaping (< 0x20, '"' or '\\'): the
    lowest set bit marks exactly the first such byte (borrows only run upwards); 0 when none."""
    quotes = word ^ _QUOTES
    backslashes = word ^ _BACKSLASHES
    found = ((word - _BELOW_SPACE) & ~word) | ((quotes - _ONES) & ~quotes) | ((backslashes - _ONES) & ~backslashes)
    return found & _HIGHS


def _first_byte(bits):
    """Index of the byte of the lowest set bit of a nonzero uint64 (compiled: count trailing zeros)."""
    bits = int(bits)
    return ((bits & -bits).bit_length() - 1) >> 3


@intrinsic
def _first_byte_intrinsic(typingctx, bits):
    sig = types.int64(types.uint64)

    def codegen(context, builder, signature, args):
        zeros = builder.cttz(args[0], ir.Constant(ir.IntType(1), 1))
        return builder.lshr(zeros, ir.Constant(ir.IntType(64), 3))

    return sig, codegen


@overload(_first_byte)
def _first_byte_compiled(bits):
    return lambda bits: _first_byte_intrinsic(bits)


@njit(cache=True, nogil=True, inline="always")
def _clamp(src, a, b):
    """[a, b) cut to the bounds of `src` (never wider than the scanner made it)."""
    size = np.int64(src.shape[0])
    a = np.int64(a)
    b = np.int64(b)
    if b > size:
        b = size
    if a < 0:
        a = np.int64(0)
    if a > b:
        a = b
    return a, b


@njit(cache=True, nogil=True)
def _grow(out, pos, need):
    """`out` with room for `need` more bytes at `pos` (doubled when short). Only the top-level
    loops grow, by an upper bound of what one owner's text can take; the writers below then
    write into room already made and return only the new position."""
    if pos + need <= out.shape[0]:
        return out
    size = max(out.shape[0] * 2, pos + need + 4096)
    bigger = np.empty(size, np.uint8)
    bigger[:pos] = out[:pos]
    return bigger


@njit(cache=True, nogil=True, inline="always")
def _put_bytes(src, a, b, out, pos):
    """Copy src[a:b]."""
    _copy(out, np.int64(pos), src, np.int64(a), np.int64(b - a))
    return pos + (b - a)


@njit(cache=True, nogil=True, inline="always")
def _put_literal(text, out, pos):
    for i in range(text.shape[0]):
        out[pos + i] = text[i]
    return pos + text.shape[0]


@njit(cache=True, nogil=True)
def _string_bound(src, a, b):
    a, b = _clamp(src, a, b)
    return 6 * (b - a) + 2


@njit(cache=True, nogil=True, inline="always")
def put_escaped(src, a, b, out, pos):
    """src[a:b] (valid UTF-8) as the text of a JSON string, escaped as orjson escapes, without
    the quotes (a range past `src` is not read: the caller clamps it)."""
    run = a  # start of the bytes not yet copied (they need no escape)
    i = a
    while i < b:
        if i + 8 <= b:
            bits = _escape_bits(load8(src, np.int64(i)))
            if bits == 0:
                i += 8
                continue
            i += _first_byte(bits)  # the bytes before it need no escape
        c = src[i]
        esc = _ESCAPE[c]
        if esc != 0:
            pos = _put_bytes(src, run, i, out, pos)
            run = i + 1
            out[pos] = 0x5C
            if esc == 1:
                out[pos + 1] = 0x75  # u
                out[pos + 2] = 0x30
                out[pos + 3] = 0x30
                out[pos + 4] = _HEX[c >> 4]
                out[pos + 5] = _HEX[c & 15]
                pos += 6
            else:
                out[pos + 1] = esc
                pos += 2
        i += 1
    return _put_bytes(src, run, b, out, pos)


@njit(cache=True, nogil=True, inline="always")
def _put_string(src, a, b, out, pos):
    """src[a:b] (valid UTF-8) as a JSON string, quotes included, escaped as orjson does."""
    a, b = _clamp(src, a, b)
    out[pos] = _QUOTE
    pos = put_escaped(src, a, b, out, pos + 1)
    out[pos] = _QUOTE
    return pos + 1


@njit(cache=True, nogil=True, inline="always")
def _put_u64(value, out, pos):
    """Decimal digits of an unsigned 64-bit value (at most 20)."""
    count = 1
    rest = np.uint64(value) // np.uint64(10)
    while rest != np.uint64(0):
        count += 1
        rest = rest // np.uint64(10)
    value = np.uint64(value)
    for i in range(count - 1, -1, -1):
        out[pos + i] = np.uint8(48 + np.int64(value % np.uint64(10)))
        value = value // np.uint64(10)
    return pos + count


@njit(cache=True, nogil=True, inline="always")
def _put_i64(bits, out, pos):
    """Decimal text of the two's-complement int64 in the uint64 `bits` (at most 20 bytes)."""
    bits = np.uint64(bits)
    if bits >= np.uint64(0x8000000000000000):
        out[pos] = 0x2D  # -
        return _put_u64(~bits + np.uint64(1), out, pos + 1)  # |value| (also for INT64_MIN)
    return _put_u64(bits, out, pos)


@njit(cache=True, nogil=True)
def _value_bound(buf, ext, attrs, ext_a, ext_b, row):
    vtype = attrs[row, AT_TYPE]
    if vtype == V_STRING:
        return _string_bound(buf, attrs[row, AT_VAL_A], attrs[row, AT_VAL_B])
    if vtype == V_INT or vtype == V_BOOL or vtype == V_NONE:
        return 20
    a, b = _clamp(ext, ext_a[row], ext_b[row])
    return b - a


@njit(cache=True, nogil=True, inline="always")
def _put_value(buf, ext, attrs, ext_a, ext_b, row, out, pos):
    """The JSON text of attribute `row`'s value."""
    vtype = attrs[row, AT_TYPE]
    if vtype == V_STRING:
        return _put_string(buf, attrs[row, AT_VAL_A], attrs[row, AT_VAL_B], out, pos)
    if vtype == V_INT:
        return _put_i64(attrs[row, AT_SCALAR], out, pos)
    if vtype == V_BOOL:
        return _put_literal(_TRUE if attrs[row, AT_SCALAR] != 0 else _FALSE, out, pos)
    if vtype == V_NONE:
        return _put_literal(_NULL, out, pos)
    a, b = _clamp(ext, ext_a[row], ext_b[row])  # double, array, kvlist, bytes: made in Python
    return _put_bytes(ext, a, b, out, pos)


@njit(cache=True, nogil=True, inline="always")
def _length(src, a, b):
    """An upper bound of the length of [a, b) cut to `src` (as `_clamp` cuts it)."""
    a = np.int64(a)
    length = np.int64(b) - a
    if a < 0 or length > src.shape[0]:
        return np.int64(src.shape[0])
    return max(length, np.int64(0))


@njit(cache=True, nogil=True, inline="always")
def _object_bound(buf, ext, attrs, ext_a, ext_b, rows, lo, hi, value_row):
    """At most how many bytes `_put_object` writes for rows[lo:hi]: 6 per key or string byte
    (the widest escape), the other values' text, 28 for quotes, colon, comma and numbers."""
    need = 2
    for k in range(lo, hi):
        row = rows[k]
        value = value_row[row]
        length = _length(buf, attrs[row, AT_KEY_A], attrs[row, AT_KEY_B])
        if attrs[value, AT_TYPE] == V_STRING:
            length += _length(buf, attrs[value, AT_VAL_A], attrs[value, AT_VAL_B])
        need += 6 * length + 28 + _length(ext, ext_a[value], ext_b[value])
    return need


@njit(cache=True, nogil=True, inline="always")
def _put_object(buf, ext, attrs, ext_a, ext_b, rows, lo, hi, skip, value_row, out, pos):
    """The attribute dict of attribute rows rows[lo:hi] (one owner, wire order): a repeated key
    keeps its first place and its last value (`skip` / `value_row` from `dedupe`)."""
    out[pos] = _LBRACE
    pos += 1
    first = True
    for k in range(lo, hi):
        row = rows[k]
        if skip[row]:
            continue
        if not first:
            out[pos] = _COMMA
            pos += 1
        first = False
        pos = _put_string(buf, attrs[row, AT_KEY_A], attrs[row, AT_KEY_B], out, pos)
        out[pos] = _COLON
        pos += 1
        pos = _put_value(buf, ext, attrs, ext_a, ext_b, value_row[row], out, pos)
    out[pos] = _RBRACE
    return pos + 1


@njit(cache=True, nogil=True)
def _same_key(buf, attrs, r1, r2):
    a1, b1 = _clamp(buf, attrs[r1, AT_KEY_A], attrs[r1, AT_KEY_B])
    a2, b2 = _clamp(buf, attrs[r2, AT_KEY_A], attrs[r2, AT_KEY_B])
    if b1 - a1 != b2 - a2:
        return False
    for i in range(b1 - a1):
        if buf[a1 + i] != buf[a2 + i]:
            return False
    return True


@njit(cache=True, nogil=True)
def dedupe(buf, attrs, rows, bounds, skip, value_row):
    """Repeated keys within each owner (attribute rows rows[bounds[g]:bounds[g+1]]): a later
    row with a key already seen gets skip=True, and the first row's value_row points at the
    last such row (dict semantics). `skip` / `value_row` are indexed by attribute row. Returns
    the number of repeats."""
    groups = bounds.shape[0] - 1
    widest = 0
    for g in range(groups):
        widest = max(widest, bounds[g + 1] - bounds[g])
    size = 1
    while size < 2 * widest:
        size *= 2
    slot_row = np.zeros(size, np.int64)
    slot_stamp = np.zeros(size, np.int64)
    lengths = np.zeros(16, np.int64)
    heads = np.zeros(16, np.uint64)
    tails = np.zeros(16, np.uint64)
    repeats = 0
    for g in range(groups):
        lo = bounds[g]
        hi = bounds[g + 1]
        if hi - lo < 2:
            continue
        if hi - lo <= 16:  # few keys: compare every pair, by length and first / last 8 bytes first
            for j in range(lo, hi):
                a, b = _clamp(buf, attrs[rows[j], AT_KEY_A], attrs[rows[j], AT_KEY_B])
                lengths[j - lo] = b - a
                if b - a >= 8:
                    heads[j - lo] = load8(buf, a)
                    tails[j - lo] = load8(buf, b - 8)
                else:
                    word = np.uint64(0)
                    for i in range(a, b):
                        word = (word << np.uint64(8)) | np.uint64(buf[i])
                    heads[j - lo] = word
                    tails[j - lo] = 0
            for j in range(lo + 1, hi):
                rj = rows[j]
                for i in range(lo, j):
                    ri = rows[i]
                    if (lengths[i - lo] == lengths[j - lo] and heads[i - lo] == heads[j - lo]
                            and tails[i - lo] == tails[j - lo] and not skip[ri] and _same_key(buf, attrs, ri, rj)):
                        skip[rj] = True
                        value_row[ri] = rj
                        repeats += 1
                        break
            continue
        stamp = g + 1
        for j in range(lo, hi):
            rj = rows[j]
            a, b = _clamp(buf, attrs[rj, AT_KEY_A], attrs[rj, AT_KEY_B])
            h = np.uint64(14695981039346656037)
            for i in range(a, b):
                h = (h ^ np.uint64(buf[i])) * np.uint64(1099511628211)
            slot = np.int64(h & np.uint64(size - 1))
            while True:
                if slot_stamp[slot] != stamp:
                    slot_stamp[slot] = stamp
                    slot_row[slot] = rj
                    break
                ri = slot_row[slot]
                if _same_key(buf, attrs, ri, rj):
                    skip[rj] = True
                    value_row[ri] = rj
                    repeats += 1
                    break
                slot = (slot + 1) & (size - 1)
    return repeats


@njit(cache=True, nogil=True)
def render_attrs(buf, ext, attrs, ext_a, ext_b, rows, bounds, skip, value_row, capacity):
    """attrs_json of each owner g (rows[bounds[g]:bounds[g+1]]), null (valid False) when it has
    none: (offsets, data, valid)."""
    count = bounds.shape[0] - 1
    offsets = np.zeros(count + 1, np.int64)
    valid = np.zeros(count, np.bool_)
    out = np.empty(max(capacity, 16), np.uint8)
    pos = 0
    for g in range(count):
        offsets[g] = pos
        lo, hi = bounds[g], bounds[g + 1]
        if hi > lo:
            valid[g] = True
            out = _grow(out, pos, _object_bound(buf, ext, attrs, ext_a, ext_b, rows, lo, hi, value_row))
            pos = _put_object(buf, ext, attrs, ext_a, ext_b, rows, lo, hi, skip, value_row, out, pos)
    offsets[count] = pos
    return offsets, out[:pos], valid


@njit(cache=True, nogil=True)
def render_events(buf, ext, attrs, ext_a, ext_b, rows, bounds, skip, value_row, events, span_bounds, capacity):
    """events_json of each span s (events[span_bounds[s]:span_bounds[s+1]], their attributes
    rows[bounds[e]:bounds[e+1]]): [{"name":..,"ts":..|null,"attrs":{..}}, ..], null when none."""
    count = span_bounds.shape[0] - 1
    offsets = np.zeros(count + 1, np.int64)
    valid = np.zeros(count, np.bool_)
    out = np.empty(max(capacity, 16), np.uint8)
    pos = 0
    for s in range(count):
        offsets[s] = pos
        if span_bounds[s + 1] == span_bounds[s]:
            continue
        valid[s] = True
        for e in range(span_bounds[s], span_bounds[s + 1]):
            need = 64 + _string_bound(buf, events[e, EV_NAME_A], events[e, EV_NAME_B]) + _object_bound(
                buf, ext, attrs, ext_a, ext_b, rows, bounds[e], bounds[e + 1], value_row)
            out = _grow(out, pos, need)
            out[pos] = _COMMA if e > span_bounds[s] else _LBRACKET
            pos += 1
            pos = _put_literal(_EV_NAME, out, pos)
            pos = _put_string(buf, events[e, EV_NAME_A], events[e, EV_NAME_B], out, pos)
            pos = _put_literal(_EV_TS, out, pos)
            if events[e, EV_TIME] == 0:
                pos = _put_literal(_NULL, out, pos)
            else:
                pos = _put_u64(events[e, EV_TIME], out, pos)
            pos = _put_literal(_ATTRS, out, pos)
            pos = _put_object(buf, ext, attrs, ext_a, ext_b, rows, bounds[e], bounds[e + 1], skip, value_row, out,
                              pos)
            out[pos] = _RBRACE
            pos += 1
        out[pos] = _RBRACKET  # room: the 64 of the last event
        pos += 1
    offsets[count] = pos
    return offsets, out[:pos], valid


@njit(cache=True, nogil=True)
def _put_hex_or_null(buf, a, b, out, pos):
    """"<hex>" of buf[a:b], or null when empty (`bytes.hex() or None`); at most 2 (b - a) + 4."""
    a, b = _clamp(buf, a, b)
    if a == b:
        return _put_literal(_NULL, out, pos)
    out[pos] = _QUOTE
    pos += 1
    for i in range(a, b):
        out[pos] = _HEX[buf[i] >> 4]
        out[pos + 1] = _HEX[buf[i] & 15]
        pos += 2
    out[pos] = _QUOTE
    return pos + 1


@njit(cache=True, nogil=True)
def render_links(buf, ext, attrs, ext_a, ext_b, rows, bounds, skip, value_row, links, span_bounds, capacity):
    """links_json of each span: [{"trace_id":..,"span_id":..,"attrs":{..}}, ..], null when none."""
    count = span_bounds.shape[0] - 1
    offsets = np.zeros(count + 1, np.int64)
    valid = np.zeros(count, np.bool_)
    out = np.empty(max(capacity, 16), np.uint8)
    pos = 0
    for s in range(count):
        offsets[s] = pos
        if span_bounds[s + 1] == span_bounds[s]:
            continue
        valid[s] = True
        for k in range(span_bounds[s], span_bounds[s + 1]):
            ta, tb = _clamp(buf, links[k, LK_TRACE_A], links[k, LK_TRACE_B])
            sa, sb = _clamp(buf, links[k, LK_SPAN_A], links[k, LK_SPAN_B])
            need = 64 + 2 * (tb - ta) + 2 * (sb - sa) + _object_bound(
                buf, ext, attrs, ext_a, ext_b, rows, bounds[k], bounds[k + 1], value_row)
            out = _grow(out, pos, need)
            out[pos] = _COMMA if k > span_bounds[s] else _LBRACKET
            pos += 1
            pos = _put_literal(_LK_TRACE, out, pos)
            pos = _put_hex_or_null(buf, ta, tb, out, pos)
            pos = _put_literal(_LK_SPAN, out, pos)
            pos = _put_hex_or_null(buf, sa, sb, out, pos)
            pos = _put_literal(_ATTRS, out, pos)
            pos = _put_object(buf, ext, attrs, ext_a, ext_b, rows, bounds[k], bounds[k + 1], skip, value_row, out,
                              pos)
            out[pos] = _RBRACE
            pos += 1
        out[pos] = _RBRACKET
        pos += 1
    offsets[count] = pos
    return offsets, out[:pos], valid


@njit(cache=True, nogil=True)
def hex_ids(buf, starts, ends, nbytes):
    """Ids as `records.checked_ids` makes them from bytes: (offsets, data, valid, bad). Null
    (valid False) when empty or all zero; `bad` when the length is not `nbytes` (the hex of the
    bytes given is kept)."""
    count = starts.shape[0]
    offsets = np.zeros(count + 1, np.int64)
    valid = np.zeros(count, np.bool_)
    bad = np.zeros(count, np.bool_)
    total = 0
    for i in range(count):
        a, b = _clamp(buf, starts[i], ends[i])
        nonzero = False
        for j in range(a, b):
            if buf[j] != 0:
                nonzero = True
                break
        if nonzero:
            valid[i] = True
            bad[i] = b - a != nbytes
            total += 2 * (b - a)
    out = np.empty(total, np.uint8)
    pos = 0
    for i in range(count):
        offsets[i] = pos
        if valid[i]:
            a, b = _clamp(buf, starts[i], ends[i])
            for j in range(a, b):
                out[pos] = _HEX[buf[j] >> 4]
                out[pos + 1] = _HEX[buf[j] & 15]
                pos += 2
    offsets[count] = pos
    return offsets, out, valid, bad


@njit(cache=True, nogil=True)
def gather(buf, ext, in_ext, starts, ends):
    """The byte ranges [starts, ends) of `buf` (or of `ext` where in_ext) end to end, for a
    pa.string() array: (offsets, data)."""
    count = starts.shape[0]
    offsets = np.zeros(count + 1, np.int64)
    total = 0
    for i in range(count):
        a, b = _clamp(ext if in_ext[i] else buf, starts[i], ends[i])
        total += b - a
    out = np.empty(total, np.uint8)
    pos = 0
    for i in range(count):
        offsets[i] = pos
        if in_ext[i]:
            a, b = _clamp(ext, starts[i], ends[i])
            pos = _put_bytes(ext, a, b, out, pos)
        else:
            a, b = _clamp(buf, starts[i], ends[i])
            pos = _put_bytes(buf, a, b, out, pos)
    offsets[count] = pos
    return offsets, out


@njit(cache=True, nogil=True)
def long_columns(attrs, ext_a, ext_b, rows):
    """The long attribute table's columns for attribute rows `rows`, but its texts as byte
    ranges for `gather`: owner, vtype, scalar bits, is int or bool, is double; the key range;
    the string range (a string's bytes in the message; a bytes value's base64 text in ext),
    whether it is in ext and whether there is one; the JSON range (in ext) and whether there
    is one (arrays and kvlists)."""
    count = rows.shape[0]
    owner = np.empty(count, np.int32)
    vtypes = np.empty(count, np.int8)
    scalar = np.empty(count, np.uint64)
    is_int = np.empty(count, np.bool_)
    is_double = np.empty(count, np.bool_)
    ranges = np.empty((6, count), np.int64)  # key a, b; string a, b; JSON a, b (np.empty: no fresh
    is_text = np.empty(count, np.bool_)      # zeroed pages per call, as np.zeros of this size gets)
    is_bytes = np.empty(count, np.bool_)
    is_json = np.empty(count, np.bool_)
    for k in range(count):
        row = rows[k]
        vtype = attrs[row, AT_TYPE]
        for col in range(2, 6):
            ranges[col, k] = 0
        is_text[k] = False
        is_bytes[k] = False
        is_json[k] = False
        owner[k] = attrs[row, AT_OWNER]
        vtypes[k] = vtype
        scalar[k] = attrs[row, AT_SCALAR]
        is_int[k] = vtype == V_INT or vtype == V_BOOL
        is_double[k] = vtype == V_DOUBLE
        ranges[0, k] = attrs[row, AT_KEY_A]
        ranges[1, k] = attrs[row, AT_KEY_B]
        if vtype == V_STRING:
            is_text[k] = True
            ranges[2, k] = attrs[row, AT_VAL_A]
            ranges[3, k] = attrs[row, AT_VAL_B]
        elif vtype == V_BYTES:
            is_text[k] = True
            is_bytes[k] = True
            ranges[2, k] = ext_a[row] + 1  # the base64 text without its quotes
            ranges[3, k] = ext_b[row] - 1
        elif vtype == V_ARRAY or vtype == V_KVLIST:
            is_json[k] = True
            ranges[4, k] = ext_a[row]
            ranges[5, k] = ext_b[row]
    return owner, vtypes, scalar, is_int, is_double, ranges, is_text, is_bytes, is_json


_MAX_DEPTH = 16  # nesting the kernel renders; deeper values go to Python
_MAX_KEYS = 64  # keys of the open kvlists, for the repeated-key check


@njit(cache=True, nogil=True)
def _put_nested(buf, start, end, out, pos, frame_kind, frame_cur, frame_end, frame_count, frame_keys, key_a, key_b):
    """The JSON of the array or kvlist AnyValue at [start, end) as `proto_reader.any_value` +
    orjson make it, for the plain cases: strings, ints, bools, empty values, arrays and kvlists
    of them. -1 for anything else (a double, bytes, a repeated kvlist key, two fields in one
    value, unknown fields, bad UTF-8, deep nesting): Python renders that value instead. `out`
    has room for 12 (end - start) + 16 bytes."""
    depth = 0
    keys = 0
    value_a = start
    value_b = end
    while True:
        # one AnyValue [value_a, value_b): at most one field, which must fill it
        if value_a == value_b:
            pos = _put_literal(_NULL, out, pos)
        else:
            field, wire, a, b, scalar, after = ws_field(buf, value_a, value_b)
            if after != value_b:
                return -1
            if field == 1 and wire == 2:
                if not ws_utf8_ok(buf, a, b):
                    return -1
                pos = _put_string(buf, a, b, out, pos)
            elif field == 2 and wire == 0:
                pos = _put_literal(_TRUE if scalar != 0 else _FALSE, out, pos)
            elif field == 3 and wire == 0:
                pos = _put_i64(scalar, out, pos)
            elif (field == 5 or field == 6) and wire == 2:
                if depth == _MAX_DEPTH:
                    return -1
                frame_kind[depth] = field
                frame_cur[depth] = a
                frame_end[depth] = b
                frame_count[depth] = 0
                frame_keys[depth] = keys
                depth += 1
                out[pos] = _LBRACKET if field == 5 else _LBRACE
                pos += 1
            else:
                return -1
        # the next element of the innermost open array / kvlist, closing the finished ones
        while depth > 0:
            f = depth - 1
            if frame_cur[f] >= frame_end[f]:
                out[pos] = _RBRACKET if frame_kind[f] == 5 else _RBRACE
                pos += 1
                keys = frame_keys[f]
                depth -= 1
                continue
            field, wire, a, b, scalar, after = ws_field(buf, frame_cur[f], frame_end[f])
            if after < 0 or field != 1 or wire != 2:
                return -1
            frame_cur[f] = after
            if frame_count[f] > 0:
                out[pos] = _COMMA
                pos += 1
            frame_count[f] += 1
            if frame_kind[f] == 5:
                value_a = a
                value_b = b
                break
            # a KeyValue: key (1) then value (2), each at most once and in that order
            ka = a
            kb = a
            value_a = b
            value_b = b
            cur = a
            seen = 0
            while cur < b:
                kfield, kwire, fa, fb, kscalar, cur = ws_field(buf, cur, b)
                if cur < 0 or kwire != 2 or kfield <= seen or kfield > 2:
                    return -1
                seen = kfield
                if kfield == 1:
                    ka = fa
                    kb = fb
                else:
                    value_a = fa
                    value_b = fb
            if not ws_utf8_ok(buf, ka, kb) or keys == _MAX_KEYS:
                return -1
            for k in range(frame_keys[f], keys):  # a repeated key: dict semantics, left to Python
                if key_b[k] - key_a[k] == kb - ka:
                    same = True
                    for i in range(kb - ka):
                        if buf[key_a[k] + i] != buf[ka + i]:
                            same = False
                            break
                    if same:
                        return -1
            key_a[keys] = ka
            key_b[keys] = kb
            keys += 1
            pos = _put_string(buf, ka, kb, out, pos)
            out[pos] = _COLON
            pos += 1
            break
        if depth == 0:
            return pos


@njit(cache=True, nogil=True)
def render_nested(buf, starts, ends):
    """The JSON text of the array / kvlist AnyValues at [starts, ends) (`_put_nested`):
    (offsets, data, ok); a value not ok is empty, for Python to render."""
    count = starts.shape[0]
    offsets = np.zeros(count + 1, np.int64)
    ok = np.zeros(count, np.bool_)
    frame_kind = np.zeros(_MAX_DEPTH, np.int64)
    frame_cur = np.zeros(_MAX_DEPTH, np.int64)
    frame_end = np.zeros(_MAX_DEPTH, np.int64)
    frame_count = np.zeros(_MAX_DEPTH, np.int64)
    frame_keys = np.zeros(_MAX_DEPTH, np.int64)
    key_a = np.zeros(_MAX_KEYS, np.int64)
    key_b = np.zeros(_MAX_KEYS, np.int64)
    out = np.empty(4096, np.uint8)
    pos = 0
    for i in range(count):
        offsets[i] = pos
        a, b = _clamp(buf, starts[i], ends[i])
        out = _grow(out, pos, 12 * (b - a) + 16)
        done = _put_nested(buf, a, b, out, pos, frame_kind, frame_cur, frame_end, frame_count, frame_keys,
                           key_a, key_b)
        if done >= 0:
            ok[i] = True
            pos = done
    offsets[count] = pos
    return offsets, out[:pos], ok

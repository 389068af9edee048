"""A compiled scanner of the OTLP traces wire format (numba): one pass over an
`ExportTraceServiceRequest` that writes byte offsets and scalars into numpy tables (scopes,
spans, events, links, and a long attribute table: owner, key range, typed value), without a
Python object per field. Imported only for large inputs (numba's import and JIT cost).

The scanner reads untrusted bytes: every length is checked against the end of its enclosing
message before use, and anything it does not fully understand (a malformed field, a wire type
other than the schema's, a field outside the schema it knows, bad UTF-8, an enum wider than 32
bits) makes it answer FALLBACK: the caller then reads that message with the protobuf library,
which also reports a corrupt message with its byte offset. So the scanner accepts only messages
the library reads the same way."""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic, overload

OK = 0
FALLBACK = 1

# counts[...] / table widths
N_RESOURCES, N_SCOPES, N_SPANS, N_EVENTS, N_LINKS, N_ATTRS = range(6)

# scope columns
SC_RESOURCE, SC_NAME_A, SC_NAME_B = range(3)
SCOPE_COLS = 3
# span columns (a/b: byte range [a, b) of a bytes or string field; empty when absent)
(SP_SCOPE, SP_TRACE_A, SP_TRACE_B, SP_SPAN_A, SP_SPAN_B, SP_PARENT_A, SP_PARENT_B, SP_NAME_A, SP_NAME_B,
 SP_KIND, SP_START, SP_END, SP_STATUS_CODE, SP_STATUS_MSG_A, SP_STATUS_MSG_B) = range(15)
SPAN_COLS = 15
# event columns
EV_SPAN, EV_TIME, EV_NAME_A, EV_NAME_B = range(4)
EVENT_COLS = 4
# link columns
LK_SPAN, LK_TRACE_A, LK_TRACE_B, LK_SPAN_A, LK_SPAN_B = range(5)
LINK_COLS = 5
# attribute columns: owner kind and index, key range, value type, value range, scalar bits
AT_OWNER_KIND, AT_OWNER, AT_KEY_A, AT_KEY_B, AT_TYPE, AT_VAL_A, AT_VAL_B, AT_SCALAR = range(8)
ATTR_COLS = 8
OWNER_RESOURCE, OWNER_SCOPE, OWNER_SPAN, OWNER_EVENT, OWNER_LINK = range(5)
# value types; ARRAY and KVLIST keep the byte range of the whole AnyValue (decoded by the caller)
V_NONE, V_STRING, V_BOOL, V_INT, V_DOUBLE, V_ARRAY, V_KVLIST, V_BYTES = range(8)

_INT32_MAX = 0x7FFFFFFF
_HIGH_BITS = np.uint64(0x8080808080808080)


def load8(src, pos):
    """src[pos:pos + 8] as one little-endian uint64 (pos + 8 <= len(src)). Compiled: one
    unaligned load; as plain Python (NUMBA_DISABLE_JIT) an index past the end raises."""
    if pos < 0 or pos + 8 > src.shape[0]:
        raise IndexError("load8 past the end of the buffer")
    return np.uint64(int.from_bytes(bytes(src[pos:pos + 8]), "little"))


@intrinsic
def _load8_intrinsic(typingctx, src, pos):
    sig = types.uint64(src, types.int64)

    def codegen(context, builder, signature, args):
        arr = context.make_array(signature.args[0])(context, builder, args[0])
        word = builder.bitcast(builder.gep(arr.data, [args[1]]), ir.IntType(64).as_pointer())
        return builder.load(word, align=1)

    return sig, codegen


@overload(load8)
def _load8_compiled(src, pos):
    return lambda src, pos: _load8_intrinsic(src, pos)


@njit(cache=True, nogil=True)
def _field(buf, pos, end):
    """(field, wire type, value start, value end, scalar, next pos); next pos -1 when the field
    is malformed or runs past `end`. Scalar: the varint, or the fixed64/fixed32 bits."""
    tag = np.uint64(0)
    shift = 0
    while True:
        if pos >= end or shift > 63:
            return 0, 0, 0, 0, np.uint64(0), -1
        byte = buf[pos]
        pos += 1
        tag |= np.uint64(byte & 0x7F) << np.uint64(shift)
        if byte < 0x80:
            break
        shift += 7
    field = np.int64(tag >> np.uint64(3))
    wire = np.int64(tag & np.uint64(7))
    if field == 0 or field > 536870911:
        return 0, 0, 0, 0, np.uint64(0), -1
    if wire == 0 or wire == 2:
        value = np.uint64(0)
        shift = 0
        while True:
            if pos >= end or shift > 63:
                return 0, 0, 0, 0, np.uint64(0), -1
            byte = buf[pos]
            pos += 1
            value |= np.uint64(byte & 0x7F) << np.uint64(shift)
            if byte < 0x80:
                break
            shift += 7
        if wire == 0:
            return field, wire, pos, pos, value, pos
        if value > np.uint64(end - pos):
            return 0, 0, 0, 0, np.uint64(0), -1
        return field, wire, pos, pos + np.int64(value), value, pos + np.int64(value)
    if wire == 1 or wire == 5:
        width = 8 if wire == 1 else 4
        if end - pos < width:
            return 0, 0, 0, 0, np.uint64(0), -1
        value = np.uint64(0)
        for i in range(width):
            value |= np.uint64(buf[pos + i]) << np.uint64(8 * i)
        return field, wire, pos, pos + width, value, pos + width
    return 0, 0, 0, 0, np.uint64(0), -1


@njit(cache=True, nogil=True, inline="always")
def utf8_width(buf, pos, end):
    """Width of the strict UTF-8 sequence whose lead byte (>= 0x80) is at pos, -1 when invalid
    (overlong, a surrogate, above U+10FFFF, or cut by `end`)."""
    byte = buf[pos]
    if 0xC2 <= byte <= 0xDF:
        need, low, high = 1, 0x80, 0xBF
    elif byte == 0xE0:
        need, low, high = 2, 0xA0, 0xBF
    elif 0xE1 <= byte <= 0xEC or 0xEE <= byte <= 0xEF:
        need, low, high = 2, 0x80, 0xBF
    elif byte == 0xED:
        need, low, high = 2, 0x80, 0x9F
    elif byte == 0xF0:
        need, low, high = 3, 0x90, 0xBF
    elif 0xF1 <= byte <= 0xF3:
        need, low, high = 3, 0x80, 0xBF
    elif byte == 0xF4:
        need, low, high = 3, 0x80, 0x8F
    else:
        return -1
    if end - pos <= need:
        return -1
    second = buf[pos + 1]
    if second < low or second > high:
        return -1
    for i in range(2, need + 1):
        cont = buf[pos + i]
        if cont < 0x80 or cont > 0xBF:
            return -1
    return need + 1


@njit(cache=True, nogil=True)
def _utf8_ok(buf, start, end):
    """Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF)."""
    pos = start
    while pos < end:
        if pos + 8 <= end and (load8(buf, np.int64(pos)) & _HIGH_BITS) == np.uint64(0):
            pos += 8  # eight ASCII bytes
            continue
        if buf[pos] < 0x80:
            pos += 1
            continue
        width = utf8_width(buf, pos, end)
        if width < 0:
            return False
        pos += width
    return True


@njit(cache=True, nogil=True)
def _any_value(buf, start, end, attrs, row, fill):
    """Type and value of an AnyValue at [start, end) into attribute `row`; False to fall back."""
    vtype = V_NONE
    val_a = 0
    val_b = 0
    scalar = np.uint64(0)
    pos = start
    while pos < end:
        field, wire, a, b, value, pos = _field(buf, pos, end)
        if pos < 0:
            return False
        if field == 1 and wire == 2:
            if not _utf8_ok(buf, a, b):
                return False
            vtype, val_a, val_b = V_STRING, a, b
        elif field == 2 and wire == 0:
            vtype, scalar = V_BOOL, np.uint64(1 if value != 0 else 0)
        elif field == 3 and wire == 0:
            vtype, scalar = V_INT, value
        elif field == 4 and wire == 1:
            vtype, scalar = V_DOUBLE, value
        elif (field == 5 or field == 6) and wire == 2:
            vtype = V_ARRAY if field == 5 else V_KVLIST  # the caller decodes the whole AnyValue
            val_a, val_b = start, end
        elif field == 7 and wire == 2:
            vtype, val_a, val_b = V_BYTES, a, b
        else:
            return False
    if vtype == V_ARRAY or vtype == V_KVLIST:
        val_a, val_b = start, end
    if fill:
        attrs[row, AT_TYPE] = vtype
        attrs[row, AT_VAL_A] = val_a
        attrs[row, AT_VAL_B] = val_b
        attrs[row, AT_SCALAR] = scalar
    return True


@njit(cache=True, nogil=True)
def _key_value(buf, start, end, counts, attrs, owner_kind, owner, fill):
    """One KeyValue into the attribute table; False to fall back."""
    row = counts[N_ATTRS]
    counts[N_ATTRS] += 1
    if fill:
        attrs[row, AT_OWNER_KIND] = owner_kind
        attrs[row, AT_OWNER] = owner
        attrs[row, AT_KEY_A] = start
        attrs[row, AT_KEY_B] = start
        attrs[row, AT_TYPE] = V_NONE
    seen_value = False
    pos = start
    while pos < end:
        field, wire, a, b, value, pos = _field(buf, pos, end)
        if pos < 0:
            return False
        if field == 1 and wire == 2:
            if not _utf8_ok(buf, a, b):
                return False
            if fill:
                attrs[row, AT_KEY_A] = a
                attrs[row, AT_KEY_B] = b
        elif field == 2 and wire == 2:
            if seen_value:  # two values merge in the library: leave that to it
                return False
            seen_value = True
            if not _any_value(buf, a, b, attrs, row, fill):
                return False
        else:
            return False
    return True


@njit(cache=True, nogil=True)
def _scope(buf, start, end, counts, attrs, scopes, row, fill):
    pos = start
    while pos < end:
        field, wire, a, b, value, pos = _field(buf, pos, end)
        if pos < 0:
            return False
        if (field == 1 or field == 2) and wire == 2:
            if not _utf8_ok(buf, a, b):
                return False
            if field == 1 and fill:
                scopes[row, SC_NAME_A] = a
                scopes[row, SC_NAME_B] = b
        elif field == 3 and wire == 2:
            if not _key_value(buf, a, b, counts, attrs, OWNER_SCOPE, row, fill):
                return False
        elif field == 4 and wire == 0:
            pass
        else:
            return False
    return True


@njit(cache=True, nogil=True)
def _event(buf, start, end, counts, attrs, events, span, fill):
    row = counts[N_EVENTS]
    counts[N_EVENTS] += 1
    if fill:
        events[row, EV_SPAN] = span
        events[row, EV_TIME] = 0
        events[row, EV_NAME_A] = start
        events[row, EV_NAME_B] = start
    pos = start
    while pos < end:
        field, wire, a, b, value, pos = _field(buf, pos, end)
        if pos < 0:
            return False
        if field == 1 and wire == 1:
            if fill:
                events[row, EV_TIME] = value
        elif field == 2 and wire == 2:
            if not _utf8_ok(buf, a, b):
                return False
            if fill:
                events[row, EV_NAME_A] = a
                events[row, EV_NAME_B] = b
        elif field == 3 and wire == 2:
            if not _key_value(buf, a, b, counts, attrs, OWNER_EVENT, row, fill):
                return False
        elif field == 4 and wire == 0:
            pass
        else:
            return False
    return True


@njit(cache=True, nogil=True)
def _link(buf, start, end, counts, attrs, links, span, fill):
    row = counts[N_LINKS]
    counts[N_LINKS] += 1
    if fill:
        links[row, LK_SPAN] = span
        for col in range(1, LINK_COLS):
            links[row, col] = start
    pos = start
    while pos < end:
        field, wire, a, b, value, pos = _field(buf, pos, end)
        if pos < 0:
            return False
        if (field == 1 or field == 2) and wire == 2:
            if fill:
                col = LK_TRACE_A if field == 1 else LK_SPAN_A
                links[row, col] = a
                links[row, col + 1] = b
        elif field == 3 and wire == 2:
            if not _utf8_ok(buf, a, b):
                return False
        elif field == 4 and wire == 2:
            if not _key_value(buf, a, b, counts, attrs, OWNER_LINK, row, fill):
                return False
        elif (field == 5 and wire == 0) or (field == 6 and wire == 5):
            pass
        else:
            return False
    return True


@njit(cache=True, nogil=True)
def _span(buf, start, end, counts, attrs, spans, events, links, scope, fill):
    row = counts[N_SPANS]
    counts[N_SPANS] += 1
    if fill:
        for col in range(SPAN_COLS):
            spans[row, col] = start
        spans[row, SP_SCOPE] = scope
        spans[row, SP_KIND] = 0
        spans[row, SP_START] = 0
        spans[row, SP_END] = 0
        spans[row, SP_STATUS_CODE] = 0
    pos = start
    while pos < end:
        field, wire, a, b, value, pos = _field(buf, pos, end)
        if pos < 0:
            return False
        if wire == 2 and (field == 1 or field == 2 or field == 4 or field == 5):
            if field == 5 and not _utf8_ok(buf, a, b):
                return False
            if fill:
                col = SP_TRACE_A if field == 1 else SP_SPAN_A if field == 2 else SP_PARENT_A if field == 4 else SP_NAME_A
                spans[row, col] = a
                spans[row, col + 1] = b
        elif field == 3 and wire == 2:
            if not _utf8_ok(buf, a, b):
                return False
        elif field == 6 and wire == 0:
            if value > np.uint64(_INT32_MAX):
                return False
            if fill:
                spans[row, SP_KIND] = value
        elif (field == 7 or field == 8) and wire == 1:
            if fill:
                spans[row, SP_START if field == 7 else SP_END] = value
        elif field == 9 and wire == 2:
            if not _key_value(buf, a, b, counts, attrs, OWNER_SPAN, row, fill):
                return False
        elif field == 11 and wire == 2:
            if not _event(buf, a, b, counts, attrs, events, row, fill):
                return False
        elif field == 13 and wire == 2:
            if not _link(buf, a, b, counts, attrs, links, row, fill):
                return False
        elif field == 15 and wire == 2:
            spos = a
            while spos < b:
                sfield, swire, sa, sb, svalue, spos = _field(buf, spos, b)
                if spos < 0:
                    return False
                if sfield == 2 and swire == 2:
                    if not _utf8_ok(buf, sa, sb):
                        return False
                    if fill:
                        spans[row, SP_STATUS_MSG_A] = sa
                        spans[row, SP_STATUS_MSG_B] = sb
                elif sfield == 3 and swire == 0:
                    if svalue > np.uint64(_INT32_MAX):
                        return False
                    if fill:
                        spans[row, SP_STATUS_CODE] = svalue
                else:
                    return False
        elif (field == 10 or field == 12 or field == 14) and wire == 0:
            pass
        elif field == 16 and wire == 5:
            pass
        else:
            return False
    return True


@njit(cache=True, nogil=True)
def scan_request(buf, counts, scopes, spans, events, links, attrs, fill):
    """Walk one ExportTraceServiceRequest in `buf`. With fill=False only count rows (into
    `counts`); with fill=True also write the tables (sized from a counting pass). OK or FALLBACK."""
    end = buf.shape[0]
    pos = 0
    while pos < end:
        field, wire, a, b, value, pos = _field(buf, pos, end)
        if pos < 0 or field != 1 or wire != 2:
            return FALLBACK
        resource = counts[N_RESOURCES]
        counts[N_RESOURCES] += 1
        rpos = a
        while rpos < b:
            rfield, rwire, ra, rb, rvalue, rpos = _field(buf, rpos, b)
            if rpos < 0:
                return FALLBACK
            if rfield == 1 and rwire == 2:  # Resource
                qpos = ra
                while qpos < rb:
                    qfield, qwire, qa, qb, qvalue, qpos = _field(buf, qpos, rb)
                    if qpos < 0:
                        return FALLBACK
                    if qfield == 1 and qwire == 2:
                        if not _key_value(buf, qa, qb, counts, attrs, OWNER_RESOURCE, resource, fill):
                            return FALLBACK
                    elif not (qfield == 2 and qwire == 0):
                        return FALLBACK
            elif rfield == 2 and rwire == 2:  # ScopeSpans
                scope = counts[N_SCOPES]
                counts[N_SCOPES] += 1
                if fill:
                    scopes[scope, SC_RESOURCE] = resource
                    scopes[scope, SC_NAME_A] = ra
                    scopes[scope, SC_NAME_B] = ra
                spos = ra
                while spos < rb:
                    sfield, swire, sa, sb, svalue, spos = _field(buf, spos, rb)
                    if spos < 0:
                        return FALLBACK
                    if sfield == 1 and swire == 2:
                        if not _scope(buf, sa, sb, counts, attrs, scopes, scope, fill):
                            return FALLBACK
                    elif sfield == 2 and swire == 2:
                        if not _span(buf, sa, sb, counts, attrs, spans, events, links, scope, fill):
                            return FALLBACK
                    elif sfield == 3 and swire == 2:
                        if not _utf8_ok(buf, sa, sb):
                            return FALLBACK
                    else:
                        return FALLBACK
            elif rfield == 3 and rwire == 2:
                if not _utf8_ok(buf, ra, rb):
                    return FALLBACK
            else:
                return FALLBACK
    return OK


@njit(cache=True, nogil=True)
def byte_views(starts, ends, buf):
    """Arrow string/binary view structs (16 bytes each) for the byte ranges [starts, ends) of
    `buf`: the length, then the bytes inline (up to 12) or a 4-byte prefix, buffer 0, offset."""
    count = starts.shape[0]
    views = np.zeros((count, 16), np.uint8)
    for row in range(count):
        start = np.int64(starts[row])
        length = np.int64(ends[row]) - start
        if length < 0 or start + length > buf.shape[0] or length > 0x7FFFFFFF:
            length = 0  # never for the scanner's own ranges (checked there); no read past `buf`
        for i in range(4):
            views[row, i] = (length >> (8 * i)) & 0xFF
        if length <= 12:
            for i in range(length):
                views[row, 4 + i] = buf[start + i]
        else:
            for i in range(4):
                views[row, 4 + i] = buf[start + i]
                views[row, 12 + i] = (start >> (8 * i)) & 0xFF
    return views


class Tables:
    """The scanner's output for one request (numpy tables, byte offsets into its buffer)."""

    def __init__(self, counts: np.ndarray) -> None:
        self.resources = int(counts[N_RESOURCES])
        self.scopes = np.zeros((counts[N_SCOPES], SCOPE_COLS), np.uint64)
        self.spans = np.zeros((counts[N_SPANS], SPAN_COLS), np.uint64)
        self.events = np.zeros((counts[N_EVENTS], EVENT_COLS), np.uint64)
        self.links = np.zeros((counts[N_LINKS], LINK_COLS), np.uint64)
        self.attrs = np.zeros((counts[N_ATTRS], ATTR_COLS), np.uint64)


def scan(data: bytes) -> Tables | None:
    """The tables of one request, or None when the protobuf library must read it instead."""
    buf = np.frombuffer(data, np.uint8)
    counts = np.zeros(6, np.int64)
    empty = np.zeros((0, 1), np.uint64)
    if scan_request(buf, counts, empty, empty, empty, empty, empty, False) != OK:
        return None
    tables = Tables(counts)
    counts[:] = 0
    status = scan_request(buf, counts, tables.scopes, tables.spans, tables.events, tables.links, tables.attrs, True)
    return tables if status == OK else None

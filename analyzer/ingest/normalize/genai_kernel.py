"""A compiled (numba) canonicalization of OpenTelemetry GenAI `gen_ai.input.messages` /
`gen_ai.output.messages` attribute strings, for a whole Arrow string column at once: the
canonical message list's JSON text (`semconv.json_text(semconv._genai_messages(v))`), its
system text (`messages.system_text`), its text (`semconv._messages_text`) and its requested
calls (`semconv._requested_calls`), byte for byte as the Python reference writes them. Ingest
spent most of its CPU doing this one value at a time in Python.

Each value is parsed into a tape (one entry per JSON value, in document order) by a strict
parser that accepts only what `orjson.loads` accepts (and decodes the strings that hold
escapes), then read the way `_genai_messages` reads it, then written as `orjson.dumps` writes
the result. The kernel handles the common shapes only (role / parts / finish_reason messages;
text, tool_call, tool_call_response and reasoning parts) and marks every other row not ok
(OpenAI-style `content` messages, non-string roles or ids, floats to re-serialize, a key
repeated in an object it reads or writes, list responses other than content blocks giving
one text, deep nesting, non-ASCII part types, ...): the caller runs the Python reference for
those rows.

Values are untrusted bytes: the parser checks every index against the end of its value, and
the writers only read ranges the parser checked."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numba import njit

from analyzer.ingest.otlp.json_render import _HIGHS, _copy, _escape_bits, _first_byte
from analyzer.ingest.otlp.json_render import put_escaped as _put_escaped
from analyzer.ingest.otlp.wire_scan import load8, utf8_width

__all__ = ["GenaiColumns", "canonical_genai", "completion_texts", "warm"]

# the helpers allocate nothing: compiled without reference counting (numba's NRT increments
# and decrements the count of each array argument on every call, which cost more than the
# work of the small helpers called per token and per escape)
_leaf = njit(cache=True, nogil=True, _nrt=False)


@dataclass
class GenaiColumns:
    ok: np.ndarray  # bool per row: the arrays below hold the reference's result for this row
    messages: pa.Array  # json_text of the canonical messages; null when None or []
    system: pa.Array  # messages.system_text
    text: pa.Array  # semconv._messages_text
    calls: pa.Array  # json_text(semconv._requested_calls)


# tape kinds; tape columns: kind, start, end, index after the value's subtree, aux, decoded.
# strings: [start, end) is the text between the quotes, aux its decoded UTF-8 length, decoded
# where that text starts in `dec` (-1: no escape, the text is data[start:end]);
# numbers: aux 1 for a plain int64 written as orjson writes it; containers: [open, close + 1)
K_OBJ, K_ARR, K_STR, K_NUM, K_TRUE, K_FALSE, K_NULL = 1, 2, 3, 4, 5, 6, 7
T_KIND, T_A, T_B, T_NEXT, T_AUX, T_DEC = range(6)
T_COLS = 6
_MAX_DEPTH = 64  # orjson reads 1024 levels and writes 254; deeper values go to Python
_MAX_KEYS = 256  # keys of an object the kernel re-serializes (repeated-key check)
_MAX_VALUE = 1 << 28  # longer values go to Python

# output message columns. normal: kind, role, texts lo/hi, calls lo/hi, finish_reason,
# joined content length (-1: no content). response: kind, role, id, content (vt, x, y; for
# VT_STR x is a text item)
M_KIND, M_ROLE, M_LO, M_HI, M_CLO, M_CHI, M_FINISH, M_CLEN = range(8)
M_ID, M_VT, M_X, M_Y = 2, 3, 4, 5
M_COLS = 8
# calls: id, name (tape index or -1 for null), arguments (vt, x, y)
C_ID, C_NAME, C_VT, C_X, C_Y = range(5)
C_COLS = 5
# a text value (vt): null, a tape string (x), or JSON text made in `ext` ([x, y))
VT_NULL, VT_STR, VT_EXT = 0, 1, 2

# part types
P_OTHER, P_TEXT, P_CALL, P_RESPONSE, P_REASONING = range(5)
# keys the kernel reads
KEY_OTHER, KEY_ROLE, KEY_PARTS, KEY_FINISH, KEY_CONTENT, KEY_TYPE, KEY_ID, KEY_NAME, KEY_ARGUMENTS, KEY_RESPONSE, \
    KEY_RESULT = range(11)


def _word(text, start):
    """Bytes text[start:start + 8] as a little-endian integer (what `_pack` makes); uint64, as
    numba compares a uint64 with an int64 as floats."""
    return np.uint64(int.from_bytes(text.encode()[start:start + 8], "little"))


_W_ROLE_0, _W_TYPE_0, _W_NAME_0, _W_ID_0 = _word("role", 0), _word("type", 0), _word("name", 0), _word("id", 0)
_W_PARTS_0, _W_RESULT_0, _W_CONTENT_0, _W_RESPONSE_0 = (_word("parts", 0), _word("result", 0), _word("content", 0),
                                                       _word("response", 0))
_W_ARGUMENTS_0, _W_ARGUMENTS_1 = _word("arguments", 0), _word("arguments", 8)
_W_FINISH_0, _W_FINISH_1 = _word("finish_reason", 0), _word("finish_reason", 8)
_W_TEXT_0 = _word("text", 0)
_W_CALL_0, _W_CALL_1 = _word("tool_call", 0), _word("tool_call", 8)
_W_RESP_0, _W_RESP_1, _W_RESP_2 = (_word("tool_call_response", 0), _word("tool_call_response", 8),
                                   _word("tool_call_response", 16))


def _lit(text):
    return np.frombuffer(text.encode(), np.uint8).copy()


_REASONING, _THINKING, _TOOL, _SYSTEM = _lit("reasoning"), _lit("thinking"), _lit("tool"), _lit("system")
_NULL, _TRUE, _FALSE = _lit("null"), _lit("true"), _lit("false")
_W_ROLE, _W_CONTENT, _W_CALLS, _W_FINISH = (_lit('{"role":'), _lit(',"content":'), _lit(',"tool_calls":'),
                                            _lit(',"finish_reason":'))
_W_CALL_ID, _W_CALL_NAME, _W_CALL_ARGS, _W_RESP_ID = (_lit('{"id":'), _lit(',"name":'), _lit(',"arguments":'),
                                                      _lit(',"tool_call_id":'))
_HEXVAL = np.full(256, 0x10000, np.int32)  # a hex digit's value; a non-digit makes _hex4 >= 0x10000
for _i, _c in enumerate(b"0123456789abcdef"):
    _HEXVAL[_c] = _i
for _i, _c in enumerate(b"ABCDEF"):
    _HEXVAL[_c] = 10 + _i
# str.isspace() beyond ASCII (str.lstrip() strips these)
_SPACES = np.array([0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000], np.int64)


# ---------------------------------------------------------------------------------------- parse


@_leaf
def _skip_ws(data, pos, end):
    while pos < end:
        c = data[pos]
        if c == 0x20 or c == 0x0A or c == 0x0D or c == 0x09:
            pos += 1
        else:
            break
    return pos


@_leaf
def _hex4(data, pos, end):
    """The value of 4 hex digits at pos, -1 when not hex or past `end`."""
    if pos + 4 > end:
        return -1
    value = (np.int64(_HEXVAL[data[pos]]) << 12) | (np.int64(_HEXVAL[data[pos + 1]]) << 8) | (
        np.int64(_HEXVAL[data[pos + 2]]) << 4) | np.int64(_HEXVAL[data[pos + 3]])
    return value if value < 0x10000 else -1


@_leaf
def _put_cp(cp, out, pos):
    """Code point cp as UTF-8."""
    if cp < 0x80:
        out[pos] = cp
        return pos + 1
    if cp < 0x800:
        out[pos] = 0xC0 | (cp >> 6)
        out[pos + 1] = 0x80 | (cp & 0x3F)
        return pos + 2
    if cp < 0x10000:
        out[pos] = 0xE0 | (cp >> 12)
        out[pos + 1] = 0x80 | ((cp >> 6) & 0x3F)
        out[pos + 2] = 0x80 | (cp & 0x3F)
        return pos + 3
    out[pos] = 0xF0 | (cp >> 18)
    out[pos + 1] = 0x80 | ((cp >> 12) & 0x3F)
    out[pos + 2] = 0x80 | ((cp >> 6) & 0x3F)
    out[pos + 3] = 0x80 | (cp & 0x3F)
    return pos + 4


@_leaf
def _scan_string(data, pos, end, dec, dpos):
    """The string whose text starts at pos (after its quote): (closing quote position or -1
    when invalid, decoded length, where its decoded text starts in `dec` or -1 when it has no
    escape). Strict: no raw control bytes, valid UTF-8, valid escapes, surrogates only in
    pairs (orjson rejects a lone one). `dec` has room for end - pos bytes at dpos."""
    start = pos
    run = pos  # the raw bytes not yet copied to dec (once there is an escape)
    dstart = -1
    while True:
        while pos + 8 <= end:
            word = load8(data, np.int64(pos))
            bits = _escape_bits(word) | (word & _HIGHS)
            if bits == 0:
                pos += 8
                continue
            pos += _first_byte(bits)
            break
        if pos >= end:
            return -1, 0, -1
        c = data[pos]
        if c == 0x22:
            if dstart < 0:
                return pos, pos - start, -1
            _copy(dec, np.int64(dpos), data, np.int64(run), np.int64(pos - run))
            dpos += pos - run
            return pos, dpos - dstart, dstart
        if c == 0x5C:
            if dstart < 0:
                dstart = dpos
            _copy(dec, np.int64(dpos), data, np.int64(run), np.int64(pos - run))
            dpos += pos - run
            if pos + 1 >= end:
                return -1, 0, -1
            e = data[pos + 1]
            if e == 0x75:
                cp = _hex4(data, pos + 2, end)
                if cp < 0:
                    return -1, 0, -1
                pos += 6
                if 0xD800 <= cp <= 0xDBFF:
                    if pos + 1 >= end or data[pos] != 0x5C or data[pos + 1] != 0x75:
                        return -1, 0, -1
                    low = _hex4(data, pos + 2, end)
                    if low < 0xDC00 or low > 0xDFFF:
                        return -1, 0, -1
                    pos += 6
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00)
                elif 0xDC00 <= cp <= 0xDFFF:
                    return -1, 0, -1
                dpos = _put_cp(cp, dec, dpos)
            else:
                if e == 0x62:
                    c = 0x08
                elif e == 0x66:
                    c = 0x0C
                elif e == 0x6E:
                    c = 0x0A
                elif e == 0x72:
                    c = 0x0D
                elif e == 0x74:
                    c = 0x09
                elif e == 0x22 or e == 0x5C or e == 0x2F:
                    c = e
                else:
                    return -1, 0, -1
                dec[dpos] = c
                dpos += 1
                pos += 2
            run = pos
            continue
        if c < 0x20:
            return -1, 0, -1
        if c < 0x80:
            pos += 1
            continue
        width = utf8_width(data, pos, end)
        if width < 0:
            return -1, 0, -1
        pos += width


@_leaf
def _scan_number(data, pos, end):
    """(end of the number at pos or -1 when invalid or not surely finite for orjson, plain):
    plain when an int of at most 18 digits other than -0, which orjson writes back as is."""
    negative = False
    if pos < end and data[pos] == 0x2D:
        negative = True
        pos += 1
    if pos >= end:
        return -1, False
    first = pos
    if data[pos] == 0x30:
        pos += 1
    elif 0x31 <= data[pos] <= 0x39:
        while pos < end and 0x30 <= data[pos] <= 0x39:
            pos += 1
    else:
        return -1, False
    digits = pos - first
    zero = digits == 1 and data[first] == 0x30
    fraction = False
    exponent = False
    exp_value = 0
    if pos < end and data[pos] == 0x2E:
        fraction = True
        pos += 1
        start = pos
        while pos < end and 0x30 <= data[pos] <= 0x39:
            pos += 1
        if pos == start:
            return -1, False
    if pos < end and (data[pos] == 0x65 or data[pos] == 0x45):
        exponent = True
        pos += 1
        exp_negative = False
        if pos < end and (data[pos] == 0x2B or data[pos] == 0x2D):
            exp_negative = data[pos] == 0x2D
            pos += 1
        start = pos
        while pos < end and 0x30 <= data[pos] <= 0x39:
            if pos - start >= 6:
                return -1, False
            exp_value = exp_value * 10 + (np.int64(data[pos]) - 0x30)
            pos += 1
        if pos == start:
            return -1, False
        if exp_negative:
            exp_value = -exp_value
    plain = not fraction and not exponent and digits <= 18 and not (negative and zero)
    if not plain:
        magnitude = exp_value if zero else digits + exp_value  # decimal digits before the point
        if magnitude > 300:  # 1e309 and up: orjson refuses infinity
            return -1, False
    return pos, plain


@_leaf
def _values_length(starts, ends, size):
    """The bytes of the values data[starts[i]:ends[i]] (within the `size` bytes of the data)."""
    total = np.int64(0)
    for row in range(starts.shape[0]):
        total += max(np.int64(0), min(np.int64(ends[row]), size) - np.int64(starts[row]))
    return total


@_leaf
def _value_range(starts, ends, size, row):
    """(start, end) of value `row` of a string column whose data is `size` bytes long; (-1, -1)
    when that range is not within the data, or longer than the kernels read."""
    start = np.int64(starts[row])
    end = np.int64(ends[row])
    if start < 0 or end > size or start > end or end - start > _MAX_VALUE:
        return np.int64(-1), np.int64(-1)
    return start, end


@njit(cache=True, nogil=True)
def _grow(out, pos, need):
    """`out` with room for `need` more bytes at `pos` (doubled when short; one memcpy)."""
    if pos + need <= out.shape[0]:
        return out
    bigger = np.empty(max(out.shape[0] * 2, pos + need + 4096), np.uint8)
    _copy(bigger, np.int64(0), out, np.int64(0), np.int64(pos))
    return bigger


@njit(cache=True, nogil=True)
def _grow_tape(tape):
    bigger = np.empty((tape.shape[0] * 2, T_COLS), np.int64)
    bigger[:tape.shape[0]] = tape
    return bigger


@njit(cache=True, nogil=True)
def _parse_grown(data, start, end, tape, stack, dec):
    """`_parse` of data[start:end] with `dec` grown to room for the value and `tape` grown
    until it fits: (entries, or -1 when invalid or too deep; the tape; dec)."""
    dec = _grow(dec, 0, end - start)
    n = _parse(data, start, end, tape, stack, dec)
    while n == -2:
        tape = _grow_tape(tape)
        n = _parse(data, start, end, tape, stack, dec)
    return n, tape, dec


@_leaf
def _parse_key(data, pos, end, tape, n, dec, dpos):
    """An object key at pos and its colon: (position of the value or -1, tape entries, dec
    position)."""
    if pos >= end or data[pos] != 0x22:
        return -1, n, dpos
    close, length, decoded = _scan_string(data, pos + 1, end, dec, dpos)
    if close < 0:
        return -1, n, dpos
    tape[n, T_KIND] = K_STR
    tape[n, T_A] = pos + 1
    tape[n, T_B] = close
    tape[n, T_NEXT] = n + 1
    tape[n, T_AUX] = length
    tape[n, T_DEC] = decoded
    if decoded >= 0:
        dpos = decoded + length
    pos = _skip_ws(data, close + 1, end)
    if pos >= end or data[pos] != 0x3A:
        return -1, n, dpos
    return _skip_ws(data, pos + 1, end), n + 1, dpos


@_leaf
def _parse(data, start, end, tape, stack, dec):
    """The JSON value in data[start:end] as a tape: its entries, -1 when invalid or deeper
    than _MAX_DEPTH, -2 when the tape is too short (grow it, parse again). The whole of
    [start, end) must be the value and white space. Strings with escapes are decoded into
    `dec` (room: end - start)."""
    n = 0
    depth = 0
    dpos = 0
    pos = _skip_ws(data, start, end)
    while True:
        # a value at pos
        if pos >= end:
            return -1
        if n + 2 > tape.shape[0]:
            return -2
        c = data[pos]
        idx = n
        n += 1
        tape[idx, T_A] = pos
        tape[idx, T_AUX] = 0
        tape[idx, T_DEC] = -1
        tape[idx, T_NEXT] = n
        if c == 0x7B or c == 0x5B:
            if depth == _MAX_DEPTH:
                return -1
            tape[idx, T_KIND] = K_OBJ if c == 0x7B else K_ARR
            stack[depth] = idx
            depth += 1
            pos = _skip_ws(data, pos + 1, end)
            if pos < end and data[pos] == c + 2:  # } or ]: empty
                pos += 1
                tape[idx, T_B] = pos
                depth -= 1
            elif c == 0x7B:
                pos, n, dpos = _parse_key(data, pos, end, tape, n, dec, dpos)
                if pos < 0:
                    return -1
                continue
            else:
                continue
        elif c == 0x22:
            close, length, decoded = _scan_string(data, pos + 1, end, dec, dpos)
            if close < 0:
                return -1
            tape[idx, T_KIND] = K_STR
            tape[idx, T_A] = pos + 1
            tape[idx, T_B] = close
            tape[idx, T_AUX] = length
            tape[idx, T_DEC] = decoded
            if decoded >= 0:
                dpos = decoded + length
            pos = close + 1
        elif c == 0x2D or 0x30 <= c <= 0x39:
            after, plain = _scan_number(data, pos, end)
            if after < 0:
                return -1
            tape[idx, T_KIND] = K_NUM
            tape[idx, T_B] = after
            tape[idx, T_AUX] = plain
            pos = after
        elif c == 0x74 and pos + 4 <= end and data[pos + 1] == 0x72 and data[pos + 2] == 0x75 \
                and data[pos + 3] == 0x65:
            pos += 4
            tape[idx, T_KIND] = K_TRUE
            tape[idx, T_B] = pos
        elif c == 0x66 and pos + 5 <= end and data[pos + 1] == 0x61 and data[pos + 2] == 0x6C \
                and data[pos + 3] == 0x73 and data[pos + 4] == 0x65:
            pos += 5
            tape[idx, T_KIND] = K_FALSE
            tape[idx, T_B] = pos
        elif c == 0x6E and pos + 4 <= end and data[pos + 1] == 0x75 and data[pos + 2] == 0x6C \
                and data[pos + 3] == 0x6C:
            pos += 4
            tape[idx, T_KIND] = K_NULL
            tape[idx, T_B] = pos
        else:
            return -1
        # after a value: close finished containers, then a comma and the next value (and key)
        while True:
            pos = _skip_ws(data, pos, end)
            if depth == 0:
                if pos != end:
                    return -1
                return n
            if pos >= end:
                return -1
            top = stack[depth - 1]
            c = data[pos]
            if c == 0x2C:
                pos = _skip_ws(data, pos + 1, end)
                if tape[top, T_KIND] == K_OBJ:
                    if n + 2 > tape.shape[0]:
                        return -2
                    pos, n, dpos = _parse_key(data, pos, end, tape, n, dec, dpos)
                    if pos < 0:
                        return -1
                break
            if c == (0x7D if tape[top, T_KIND] == K_OBJ else 0x5D):
                pos += 1
                tape[top, T_B] = pos
                tape[top, T_NEXT] = n
                depth -= 1
                continue
            return -1


# ---------------------------------------------------------------------------------------- write


@_leaf
def _put_literal(word, out, pos):
    for i in range(word.shape[0]):
        out[pos + i] = word[i]
    return pos + word.shape[0]


@_leaf
def _put_text(data, dec, tape, s, as_json, out, pos):
    """The text of tape string s: as JSON string text (escaped as orjson escapes, without
    quotes) when as_json, else as plain UTF-8."""
    d = tape[s, T_DEC]
    if d < 0:  # as written: no escape, and nothing orjson escapes ('"', '\\', control bytes)
        a = tape[s, T_A]
        _copy(out, np.int64(pos), data, np.int64(a), np.int64(tape[s, T_B] - a))
        return pos + (tape[s, T_B] - a)
    if as_json:
        return _put_escaped(dec, d, d + tape[s, T_AUX], out, pos)
    _copy(out, np.int64(pos), dec, np.int64(d), np.int64(tape[s, T_AUX]))
    return pos + tape[s, T_AUX]


@_leaf
def _pack_bytes(src, a, b):
    """src[a:b] (at most 8 bytes) as a little-endian integer."""
    if b - a == 8:
        return load8(src, np.int64(a))
    word = np.uint64(0)
    for i in range(b - 1, a - 1, -1):
        word = (word << np.uint64(8)) | np.uint64(src[i])
    return word


@_leaf
def _pack(data, dec, tape, s, start):
    """Bytes [start, start + 8) of the text of tape string s (as many as there are) as a
    little-endian integer."""
    stop = min(tape[s, T_AUX], start + 8)
    d = tape[s, T_DEC]
    if d < 0:
        return _pack_bytes(data, tape[s, T_A] + start, tape[s, T_A] + stop)
    return _pack_bytes(dec, d + start, d + stop)


@_leaf
def _key_code(data, dec, tape, k):
    """Which of the keys the kernel reads tape string k is (KEY_OTHER: none)."""
    size = tape[k, T_AUX]
    if size < 2 or size > 13:
        return KEY_OTHER
    w0 = _pack(data, dec, tape, k, 0)
    if size == 4:
        if w0 == _W_ROLE_0:
            return KEY_ROLE
        if w0 == _W_TYPE_0:
            return KEY_TYPE
        if w0 == _W_NAME_0:
            return KEY_NAME
    elif size == 2:
        if w0 == _W_ID_0:
            return KEY_ID
    elif size == 5:
        if w0 == _W_PARTS_0:
            return KEY_PARTS
    elif size == 6:
        if w0 == _W_RESULT_0:
            return KEY_RESULT
    elif size == 7:
        if w0 == _W_CONTENT_0:
            return KEY_CONTENT
    elif size == 8:
        if w0 == _W_RESPONSE_0:
            return KEY_RESPONSE
    elif size == 9:
        if w0 == _W_ARGUMENTS_0 and _pack(data, dec, tape, k, 8) == _W_ARGUMENTS_1:
            return KEY_ARGUMENTS
    elif size == 13:
        if w0 == _W_FINISH_0 and _pack(data, dec, tape, k, 8) == _W_FINISH_1:
            return KEY_FINISH
    return KEY_OTHER


@_leaf
def _part_kind(data, dec, tape, s):
    """The part type of tape string s: text, tool_call, tool_call_response, reasoning
    (`messages.is_reasoning`) or other; -1 when not ASCII (str.lower() beyond ASCII)."""
    size = tape[s, T_AUX]
    w0 = _pack(data, dec, tape, s, 0)
    if size == 4 and w0 == _W_TEXT_0:
        return P_TEXT
    if size == 9 and w0 == _W_CALL_0 and _pack(data, dec, tape, s, 8) == _W_CALL_1:
        return P_CALL
    if size == 18 and w0 == _W_RESP_0 and _pack(data, dec, tape, s, 8) == _W_RESP_1 \
            and _pack(data, dec, tape, s, 16) == _W_RESP_2:
        return P_RESPONSE
    d = tape[s, T_DEC]
    if d < 0:
        src_a = tape[s, T_A]
        if not _ascii(data, src_a, src_a + size):
            return -1
        if _lower_has(data, src_a, src_a + size, _REASONING) or _lower_has(data, src_a, src_a + size, _THINKING):
            return P_REASONING
        return P_OTHER
    if not _ascii(dec, d, d + size):
        return -1
    if _lower_has(dec, d, d + size, _REASONING) or _lower_has(dec, d, d + size, _THINKING):
        return P_REASONING
    return P_OTHER


@_leaf
def _eq_bytes(x, xa, y, ya, size):
    for i in range(size):
        if x[xa + i] != y[ya + i]:
            return False
    return True


@_leaf
def _str_is(data, dec, tape, s, word):
    """The text of tape string s is `word`."""
    size = word.shape[0]
    if tape[s, T_AUX] != size:
        return False
    d = tape[s, T_DEC]
    if d < 0:
        return _eq_bytes(data, tape[s, T_A], word, 0, size)
    return _eq_bytes(dec, d, word, 0, size)


@_leaf
def _lower_has(src, a, b, word):
    """ASCII src[a:b], lowercased, contains `word` (lowercase)."""
    size = word.shape[0]
    for start in range(a, b - size + 1):
        found = True
        for i in range(size):
            c = src[start + i]
            if 0x41 <= c <= 0x5A:
                c += 0x20
            if c != word[i]:
                found = False
                break
        if found:
            return True
    return False


@_leaf
def _ascii(src, a, b):
    for i in range(a, b):
        if src[i] >= 0x80:
            return False
    return True


@_leaf
def _same_text(data, dec, tape, s1, s2):
    size = tape[s1, T_AUX]
    if size != tape[s2, T_AUX]:
        return False
    d1, d2 = tape[s1, T_DEC], tape[s2, T_DEC]
    if d1 < 0 and d2 < 0:
        return _eq_bytes(data, tape[s1, T_A], data, tape[s2, T_A], size)
    if d1 < 0:
        return _eq_bytes(data, tape[s1, T_A], dec, d2, size)
    if d2 < 0:
        return _eq_bytes(dec, d1, data, tape[s2, T_A], size)
    return _eq_bytes(dec, d1, dec, d2, size)


@_leaf
def _keys_unique(data, dec, tape, obj, keys):
    """The keys of object `obj` are all different (and at most _MAX_KEYS): orjson's dict then
    has them in written order."""
    count = 0
    k = obj + 1
    while k < tape[obj, T_NEXT]:
        if count == _MAX_KEYS:
            return False
        keys[count] = k
        count += 1
        k = tape[k + 1, T_NEXT]
    for j in range(1, count):
        for i in range(j):
            if _same_text(data, dec, tape, keys[i], keys[j]):
                return False
    return True


@_leaf
def _render(data, dec, tape, v, out, pos, stack, counts, keys):
    """orjson's compact JSON of tape value v into out (room: its source length + 16); -1 when
    it holds what the kernel does not write (a float, a repeated key)."""
    depth = 0
    last = tape[v, T_NEXT]
    i = v
    while i < last:
        while depth > 0 and tape[stack[depth - 1], T_NEXT] <= i:
            depth -= 1
            out[pos] = 0x7D if tape[stack[depth], T_KIND] == K_OBJ else 0x5D
            pos += 1
        if depth > 0:
            count = counts[depth - 1]
            if tape[stack[depth - 1], T_KIND] == K_OBJ and count % 2 == 1:
                out[pos] = 0x3A
                pos += 1
            elif count > 0:
                out[pos] = 0x2C
                pos += 1
            counts[depth - 1] = count + 1
        kind = tape[i, T_KIND]
        if kind == K_OBJ or kind == K_ARR:
            if kind == K_OBJ and not _keys_unique(data, dec, tape, i, keys):
                return -1
            out[pos] = 0x7B if kind == K_OBJ else 0x5B
            pos += 1
            stack[depth] = i
            counts[depth] = 0
            depth += 1
        elif kind == K_STR:
            out[pos] = 0x22
            pos = _put_text(data, dec, tape, i, True, out, pos + 1)
            out[pos] = 0x22
            pos += 1
        elif kind == K_NUM:
            if not tape[i, T_AUX]:
                return -1
            a = tape[i, T_A]
            _copy(out, np.int64(pos), data, np.int64(a), np.int64(tape[i, T_B] - a))
            pos += tape[i, T_B] - a
        elif kind == K_TRUE:
            pos = _put_literal(_TRUE, out, pos)
        elif kind == K_FALSE:
            pos = _put_literal(_FALSE, out, pos)
        else:
            pos = _put_literal(_NULL, out, pos)
        i += 1
    while depth > 0:
        depth -= 1
        out[pos] = 0x7D if tape[stack[depth], T_KIND] == K_OBJ else 0x5D
        pos += 1
    return pos


@_leaf
def _first_cp(src, a):
    """The code point of the valid UTF-8 sequence at src[a]."""
    c = np.int64(src[a])
    if c < 0x80:
        return c
    c1 = np.int64(src[a + 1]) & 0x3F
    if c < 0xE0:
        return ((c & 0x1F) << 6) | c1
    c2 = np.int64(src[a + 2]) & 0x3F
    if c < 0xF0:
        return ((c & 0x0F) << 12) | (c1 << 6) | c2
    return ((c & 0x07) << 18) | (c1 << 12) | (c2 << 6) | (np.int64(src[a + 3]) & 0x3F)


@_leaf
def _first_char(data, dec, tape, s):
    """The first code point of the text of tape string s, -1 when empty."""
    if tape[s, T_AUX] == 0:
        return -1
    d = tape[s, T_DEC]
    return _first_cp(data, tape[s, T_A]) if d < 0 else _first_cp(dec, d)


@_leaf
def _is_space(cp):
    """str.isspace() of one code point."""
    if 0x09 <= cp <= 0x0D or 0x1C <= cp <= 0x20 or 0x2000 <= cp <= 0x200A:
        return True
    for s in _SPACES:
        if cp == s:
            return True
    return False


# ---------------------------------------------------------------------------------- interpret


@_leaf
def _value_text(data, dec, tape, v, ext, epos, stack, counts, keys):
    """json_text of tape value v (-2: absent) as (vt, x, y, ext position); vt -1 when the
    kernel does not write it."""
    if v < 0 or tape[v, T_KIND] == K_NULL:
        return VT_NULL, 0, 0, epos
    if tape[v, T_KIND] == K_STR:
        return VT_STR, v, 0, epos
    done = _render(data, dec, tape, v, ext, epos, stack, counts, keys)
    if done < 0:
        return -1, 0, 0, epos
    return VT_EXT, epos, done, done


_W_JSON_0, _W_IMAGE_0, _W_TOOLUSE_0, _W_DOCUMENT_0 = _word("json", 0), _word("image", 0), _word("toolUse", 0), \
    _word("document", 0)
_W_TOOLRESULT_0, _W_TOOLRESULT_1 = _word("toolResult", 0), _word("toolResult", 8)
_W_CACHEPOINT_0, _W_CACHEPOINT_1 = _word("cachePoint", 0), _word("cachePoint", 8)
_W_REASONINGCONTENT_0, _W_REASONINGCONTENT_1 = _word("reasoningContent", 0), _word("reasoningContent", 8)


@_leaf
def _is_block_key(data, dec, tape, k):
    """Whether tape string k is a key that makes an object a content block
    (`messages._BLOCK_KEYS`)."""
    size = tape[k, T_AUX]
    w0 = _pack(data, dec, tape, k, 0)
    if size == 4:
        return w0 == _W_TEXT_0 or w0 == _W_TYPE_0 or w0 == _W_JSON_0
    if size == 5:
        return w0 == _W_IMAGE_0
    if size == 7:
        return w0 == _W_TOOLUSE_0
    if size == 8:
        return w0 == _W_DOCUMENT_0
    if size == 10:
        w1 = _pack(data, dec, tape, k, 8)
        return (w0 == _W_TOOLRESULT_0 and w1 == _W_TOOLRESULT_1) or (w0 == _W_CACHEPOINT_0 and w1 == _W_CACHEPOINT_1)
    if size == 16:
        return w0 == _W_REASONINGCONTENT_0 and _pack(data, dec, tape, k, 8) == _W_REASONINGCONTENT_1
    return False


@_leaf
def _block_text(data, dec, tape, body):
    """`_blocks_text` of the array at tape index `body` when it is content blocks (every item
    an object with a block key: `messages.block_list`) of which exactly one gives a non-empty
    text (`_content_text`: its "content", else its "text", when a string): that tape string;
    -1 for anything else (the reference decides)."""
    found = -1
    items = 0
    b = body + 1
    while b < tape[body, T_NEXT]:
        block = b
        b = tape[b, T_NEXT]
        items += 1
        if tape[block, T_KIND] != K_OBJ:
            return -1
        is_block = False
        content = -2
        text = -2
        k = block + 1
        while k < tape[block, T_NEXT]:
            v = k + 1
            if _is_block_key(data, dec, tape, k):
                is_block = True
            key = _key_code(data, dec, tape, k)
            if key == KEY_CONTENT:
                if content != -2:
                    return -1
                content = v
            elif tape[k, T_AUX] == 4 and _pack(data, dec, tape, k, 0) == _W_TEXT_0:
                if text != -2:
                    return -1
                text = v
            k = tape[v, T_NEXT]
        if not is_block:
            return -1
        chosen = content if content != -2 else text
        if chosen >= 0 and tape[chosen, T_KIND] == K_STR:
            if found != -1:
                return -1
            found = chosen
    if items == 0 or found < 0 or tape[found, T_AUX] == 0:
        return -1
    return found


@_leaf
def _str_or_null(tape, v):
    """A tape string's index, -1 for null or absent, -2 for any other value."""
    if v < 0 or tape[v, T_KIND] == K_NULL:
        return -1
    if tape[v, T_KIND] == K_STR:
        return v
    return -2


@_leaf
def _interpret(data, dec, tape, n, msgs, texts, calls, resps, ext, stack, counts, keys):
    """`_genai_messages` of the tape (root: an array) as output messages, texts and calls:
    (messages, texts, calls) counts, -1 messages when the kernel is not sure, and `ext`
    (grown) holding the JSON text made for arguments and responses."""
    nm = 0
    nt = 0
    nc = 0
    epos = 0
    m = 1
    while m < n:
        msg = m
        m = tape[m, T_NEXT]
        if tape[msg, T_KIND] != K_OBJ:
            continue
        role = -2
        parts = -2
        finish = -2
        has_content = False
        k = msg + 1
        while k < tape[msg, T_NEXT]:
            v = k + 1
            key = _key_code(data, dec, tape, k)
            if key == KEY_ROLE:
                if role != -2:
                    return -1, 0, 0
                role = v
            elif key == KEY_PARTS:
                if parts != -2:
                    return -1, 0, 0
                parts = v
            elif key == KEY_FINISH:
                if finish != -2:
                    return -1, 0, 0
                finish = v
            elif key == KEY_CONTENT:
                if has_content:
                    return -1, 0, 0
                has_content = True
            k = tape[v, T_NEXT]
        role = _str_or_null(tape, role)
        if role == -2:
            return -1, 0, 0
        parts_kind = K_NULL if parts < 0 else tape[parts, T_KIND]
        if parts_kind == K_NULL and has_content:  # an OpenAI-style message
            return -1, 0, 0
        if parts_kind != K_NULL and parts_kind != K_ARR and parts_kind != K_STR and parts_kind != K_OBJ \
                and parts_kind != K_FALSE:  # `for part in parts or []` raises
            return -1, 0, 0
        if finish >= 0:
            fkind = tape[finish, T_KIND]
            if fkind == K_STR:
                if tape[finish, T_AUX] == 0:
                    finish = -1
            elif fkind == K_NULL or fkind == K_FALSE:
                finish = -1
            else:
                return -1, 0, 0
        text_lo = nt
        call_lo = nc
        nr = 0
        if parts_kind == K_ARR:
            p = parts + 1
            while p < tape[parts, T_NEXT]:
                part = p
                p = tape[p, T_NEXT]
                if tape[part, T_KIND] != K_OBJ:
                    continue
                ptype = -2
                content = -2
                pid = -2
                name = -2
                arguments = -2
                response = -2
                result = -2
                k = part + 1
                while k < tape[part, T_NEXT]:
                    v = k + 1
                    key = _key_code(data, dec, tape, k)
                    if key == KEY_TYPE:
                        if ptype != -2:
                            return -1, 0, 0
                        ptype = v
                    elif key == KEY_CONTENT:
                        if content != -2:
                            return -1, 0, 0
                        content = v
                    elif key == KEY_ID:
                        if pid != -2:
                            return -1, 0, 0
                        pid = v
                    elif key == KEY_NAME:
                        if name != -2:
                            return -1, 0, 0
                        name = v
                    elif key == KEY_ARGUMENTS:
                        if arguments != -2:
                            return -1, 0, 0
                        arguments = v
                    elif key == KEY_RESPONSE:
                        if response != -2:
                            return -1, 0, 0
                        response = v
                    elif key == KEY_RESULT:
                        if result != -2:
                            return -1, 0, 0
                        result = v
                    k = tape[v, T_NEXT]
                kind = P_OTHER
                if ptype >= 0 and tape[ptype, T_KIND] == K_STR:
                    kind = _part_kind(data, dec, tape, ptype)
                    if kind < 0:
                        return -1, 0, 0
                if kind == P_REASONING:
                    continue
                if kind == P_CALL:
                    cid = _str_or_null(tape, pid)
                    cname = _str_or_null(tape, name)
                    if cid == -2 or cname == -2:
                        return -1, 0, 0
                    vt, x, y, epos = _value_text(data, dec, tape, arguments, ext, epos, stack, counts, keys)
                    if vt < 0:
                        return -1, 0, 0
                    calls[nc, C_ID] = cid
                    calls[nc, C_NAME] = cname
                    calls[nc, C_VT] = vt
                    calls[nc, C_X] = x
                    calls[nc, C_Y] = y
                    nc += 1
                elif kind == P_RESPONSE:
                    rid = _str_or_null(tape, pid)
                    if rid == -2:
                        return -1, 0, 0
                    body = response if response != -2 else result
                    if body >= 0:
                        bkind = tape[body, T_KIND]
                        if bkind == K_ARR:  # content blocks (`_blocks_text`): one text only
                            t = _block_text(data, dec, tape, body)
                            if t < 0:
                                return -1, 0, 0
                            resps[nr, 0] = rid
                            resps[nr, 1] = VT_STR
                            resps[nr, 2] = t
                            resps[nr, 3] = 0
                            nr += 1
                            continue
                        if bkind == K_STR:
                            first = _first_char(data, dec, tape, body)
                            if first == 0x5B or (first >= 0 and _is_space(first)):
                                return -1, 0, 0
                    vt, x, y, epos = _value_text(data, dec, tape, body, ext, epos, stack, counts, keys)
                    if vt < 0:
                        return -1, 0, 0
                    resps[nr, 0] = rid
                    resps[nr, 1] = vt
                    resps[nr, 2] = x
                    resps[nr, 3] = y
                    nr += 1
                elif content != -2:  # a text part, or any other part with a content
                    t = _str_or_null(tape, content)
                    if t == -2:
                        return -1, 0, 0
                    texts[nt] = t
                    nt += 1
        if nr == 0 or nt > text_lo or nc > call_lo:
            msgs[nm, M_KIND] = 0
            msgs[nm, M_ROLE] = role
            msgs[nm, M_LO] = text_lo
            msgs[nm, M_HI] = nt
            msgs[nm, M_CLO] = call_lo
            msgs[nm, M_CHI] = nc
            msgs[nm, M_FINISH] = finish if finish >= 0 else -1
            clen = -1
            if nt > text_lo:
                clen = 0
                joined = 0
                for j in range(text_lo, nt):
                    if texts[j] >= 0:
                        clen += tape[texts[j], T_AUX] + (1 if joined > 0 else 0)
                        joined += 1
            msgs[nm, M_CLEN] = clen
            nm += 1
        for r in range(nr):
            msgs[nm, M_KIND] = 1
            msgs[nm, M_ROLE] = role
            msgs[nm, M_ID] = resps[r, 0]
            msgs[nm, M_VT] = resps[r, 1]
            msgs[nm, M_X] = resps[r, 2]
            msgs[nm, M_Y] = resps[r, 3]
            if resps[r, 1] == VT_STR:  # a string content is a text item too (decoded once)
                texts[nt] = resps[r, 2]
                msgs[nm, M_X] = nt
                nt += 1
            nm += 1
    return nm, nt, nc


@_leaf
def _str_bound(tape, s):
    """Room for tape string s (or null for -1) as JSON: never longer than its source."""
    if s < 0:
        return 4
    return tape[s, T_B] - tape[s, T_A] + 2


@_leaf
def _ext_bound(x, y):
    """Room for ext text [x, y) as a JSON string: escaping at most doubles compact JSON."""
    return 2 * (y - x) + 2


@_leaf
def _put_str(data, dec, tape, s, out, pos):
    """Tape string s (or null for -1) as JSON."""
    if s < 0:
        return _put_literal(_NULL, out, pos)
    out[pos] = 0x22
    pos = _put_text(data, dec, tape, s, True, out, pos + 1)
    out[pos] = 0x22
    return pos + 1


@_leaf
def _put_ext(ext, x, y, out, pos):
    """Ext text [x, y) as a JSON string."""
    out[pos] = 0x22
    pos = _put_escaped(ext, x, y, out, pos + 1)
    out[pos] = 0x22
    return pos + 1


@_leaf
def _put_call(data, dec, tape, ext, calls, c, out, pos):
    pos = _put_literal(_W_CALL_ID, out, pos)
    pos = _put_str(data, dec, tape, calls[c, C_ID], out, pos)
    pos = _put_literal(_W_CALL_NAME, out, pos)
    pos = _put_str(data, dec, tape, calls[c, C_NAME], out, pos)
    pos = _put_literal(_W_CALL_ARGS, out, pos)
    vt = calls[c, C_VT]
    if vt == VT_NULL:
        pos = _put_literal(_NULL, out, pos)
    elif vt == VT_STR:
        pos = _put_str(data, dec, tape, calls[c, C_X], out, pos)
    else:
        pos = _put_ext(ext, calls[c, C_X], calls[c, C_Y], out, pos)
    out[pos] = 0x7D
    return pos + 1


@_leaf
def _call_bound(tape, calls, c):
    need = 48 + _str_bound(tape, calls[c, C_ID]) + _str_bound(tape, calls[c, C_NAME])
    vt = calls[c, C_VT]
    if vt == VT_STR:
        return need + _str_bound(tape, calls[c, C_X])
    if vt == VT_EXT:
        return need + _ext_bound(calls[c, C_X], calls[c, C_Y])
    return need + 4


@_leaf
def _message_content(data, dec, tape, ext, texts, msgs, j, out, pos):
    """The plain text of output message j's content (it has one)."""
    if msgs[j, M_KIND] == 1:
        x, y = msgs[j, M_X], msgs[j, M_Y]
        if msgs[j, M_VT] == VT_STR:
            return _put_text(data, dec, tape, texts[x], False, out, pos)
        _copy(out, np.int64(pos), ext, np.int64(x), np.int64(y - x))
        return pos + (y - x)
    joined = 0
    for t in range(msgs[j, M_LO], msgs[j, M_HI]):
        if texts[t] < 0:
            continue
        if joined > 0:
            out[pos] = 0x0A
            pos += 1
        joined += 1
        pos = _put_text(data, dec, tape, texts[t], False, out, pos)
    return pos


@_leaf
def _content_length(tape, texts, msgs, j):
    """The length of output message j's content; 0 when it has none (falsy)."""
    if msgs[j, M_KIND] == 1:
        vt = msgs[j, M_VT]
        if vt == VT_NULL:
            return 0
        if vt == VT_STR:
            return tape[texts[msgs[j, M_X]], T_AUX]
        return msgs[j, M_Y] - msgs[j, M_X]
    return max(msgs[j, M_CLEN], 0)


@_leaf
def _put_calls(data, dec, tape, ext, calls, lo, hi, out, pos):
    """Calls lo to hi as a JSON list."""
    out[pos] = 0x5B
    pos += 1
    for c in range(lo, hi):
        if c > lo:
            out[pos] = 0x2C
            pos += 1
        pos = _put_call(data, dec, tape, ext, calls, c, out, pos)
    out[pos] = 0x5D
    return pos + 1


@_leaf
def _bounds(tape, texts, msgs, calls, nm, nc, finish):
    """Room for what a kernel writes of nm output messages and nc calls: (the messages' JSON,
    one text of their contents (system text or words), the requested calls' JSON). A role is
    a tape string or below 0 (null, or a code of a standard role, whose literal the 64 bytes a
    message are given cover); `finish`: the messages have a finish reason (M_FINISH)."""
    need_m = 2
    need_t = 0
    need_c = 2
    for j in range(nm):
        need_m += 64 + _str_bound(tape, msgs[j, M_ROLE])
        if msgs[j, M_KIND] == 1:
            need_m += _str_bound(tape, msgs[j, M_ID])
            if msgs[j, M_VT] == VT_STR:
                need_m += _str_bound(tape, texts[msgs[j, M_X]])
            elif msgs[j, M_VT] != VT_NULL:
                need_m += _ext_bound(msgs[j, M_X], msgs[j, M_Y])
        else:
            for t in range(msgs[j, M_LO], msgs[j, M_HI]):
                need_m += _str_bound(tape, texts[t])
            if finish:
                need_m += _str_bound(tape, msgs[j, M_FINISH])
        need_t += _content_length(tape, texts, msgs, j) + 1
    for c in range(nc):
        one = _call_bound(tape, calls, c)
        need_m += one
        need_c += one
    return need_m, need_t, need_c


@_leaf
def _role_is(data, dec, tape, role, word):
    return role >= 0 and _str_is(data, dec, tape, role, word)


@njit(cache=True, nogil=True)
def _message_arrays(cap):
    """(msgs, texts, calls, resps): room for what `_interpret` (and gemini_kernel's) reads of a
    value of up to cap - 1 tape entries."""
    return (np.empty((cap, M_COLS), np.int64), np.empty(cap, np.int64), np.empty((cap, C_COLS), np.int64),
            np.empty((cap, 4), np.int64))


@njit(cache=True, nogil=True)
def _canonical(data, starts, ends, nulls):
    """The four columns (offsets, data, valid each) and ok, for the values
    data[starts[i]:ends[i]] not null."""
    count = nulls.shape[0]
    ok = np.zeros(count, np.bool_)
    off = np.zeros((4, count + 1), np.int64)
    valid = np.zeros((4, count), np.bool_)
    # the outputs are about as long as the input: room for that up front (np.empty touches no page)
    room = 4096 + _values_length(starts, ends, np.int64(data.shape[0]))
    out_m = np.empty(room, np.uint8)
    out_s = np.empty(room, np.uint8)
    out_t = np.empty(room, np.uint8)
    out_c = np.empty(room, np.uint8)
    pm = 0
    ps = 0
    pt = 0
    pc = 0
    tape = np.empty((1024, T_COLS), np.int64)
    stack = np.zeros(_MAX_DEPTH, np.int64)
    counts = np.zeros(_MAX_DEPTH, np.int64)
    keys = np.zeros(_MAX_KEYS, np.int64)
    cap = 1024
    msgs, texts, calls, resps = _message_arrays(cap)
    ext = np.empty(4096, np.uint8)
    dec = np.empty(4096, np.uint8)
    size = np.int64(data.shape[0])
    for row in range(count):
        off[0, row] = pm
        off[1, row] = ps
        off[2, row] = pt
        off[3, row] = pc
        if nulls[row]:
            ok[row] = True
            continue
        start, end = _value_range(starts, ends, size, row)
        if start < 0:
            continue
        if start == end or (data[start] != 0x5B and data[start] != 0x7B):
            ok[row] = True  # not parsed by `_loads`: None
            continue
        if data[start] == 0x7B:
            ok[row] = True  # an object (or not JSON at all): not a list, None
            continue
        n, tape, dec = _parse_grown(data, start, end, tape, stack, dec)
        if n < 0:
            continue
        if n + 1 > cap:
            cap = n + 1
            msgs, texts, calls, resps = _message_arrays(cap)
        ext = _grow(ext, 0, end - start + 16)
        nm, nt, nc = _interpret(data, dec, tape, n, msgs, texts, calls, resps, ext, stack, counts, keys)
        if nm < 0:
            continue
        ok[row] = True
        if nm == 0:
            continue
        need_m, need_t, need_c = _bounds(tape, texts, msgs, calls, nm, nc, True)
        out_m = _grow(out_m, pm, need_m)
        out_s = _grow(out_s, ps, need_t)
        out_t = _grow(out_t, pt, need_t)
        out_c = _grow(out_c, pc, need_c)
        # messages
        valid[0, row] = True
        out_m[pm] = 0x5B
        pm += 1
        for j in range(nm):
            if j > 0:
                out_m[pm] = 0x2C
                pm += 1
            pm = _put_literal(_W_ROLE, out_m, pm)
            pm = _put_str(data, dec, tape, msgs[j, M_ROLE], out_m, pm)
            if msgs[j, M_KIND] == 1:
                pm = _put_literal(_W_RESP_ID, out_m, pm)
                pm = _put_str(data, dec, tape, msgs[j, M_ID], out_m, pm)
                pm = _put_literal(_W_CONTENT, out_m, pm)
                vt = msgs[j, M_VT]
                if vt == VT_NULL:
                    pm = _put_literal(_NULL, out_m, pm)
                elif vt == VT_STR:
                    out_m[pm] = 0x22
                    pm = _put_text(data, dec, tape, texts[msgs[j, M_X]], True, out_m, pm + 1)
                    out_m[pm] = 0x22
                    pm += 1
                else:
                    pm = _put_ext(ext, msgs[j, M_X], msgs[j, M_Y], out_m, pm)
            else:
                if msgs[j, M_CLEN] >= 0:
                    pm = _put_literal(_W_CONTENT, out_m, pm)
                    out_m[pm] = 0x22
                    pm += 1
                    joined = 0
                    for t in range(msgs[j, M_LO], msgs[j, M_HI]):
                        if texts[t] < 0:
                            continue
                        if joined > 0:
                            out_m[pm] = 0x5C
                            out_m[pm + 1] = 0x6E
                            pm += 2
                        joined += 1
                        pm = _put_text(data, dec, tape, texts[t], True, out_m, pm)
                    out_m[pm] = 0x22
                    pm += 1
                if msgs[j, M_CHI] > msgs[j, M_CLO]:
                    pm = _put_literal(_W_CALLS, out_m, pm)
                    pm = _put_calls(data, dec, tape, ext, calls, msgs[j, M_CLO], msgs[j, M_CHI], out_m, pm)
                if msgs[j, M_FINISH] >= 0:
                    pm = _put_literal(_W_FINISH, out_m, pm)
                    pm = _put_str(data, dec, tape, msgs[j, M_FINISH], out_m, pm)
            out_m[pm] = 0x7D
            pm += 1
        out_m[pm] = 0x5D
        pm += 1
        # system text, text: contents (non-empty) of system / non-tool messages, joined
        joined_s = 0
        joined_t = 0
        for j in range(nm):
            if _content_length(tape, texts, msgs, j) == 0:
                continue
            role = msgs[j, M_ROLE]
            if _role_is(data, dec, tape, role, _SYSTEM):
                if joined_s > 0:
                    out_s[ps] = 0x0A
                    ps += 1
                joined_s += 1
                ps = _message_content(data, dec, tape, ext, texts, msgs, j, out_s, ps)
            if not _role_is(data, dec, tape, role, _TOOL):
                if joined_t > 0:
                    out_t[pt] = 0x0A
                    pt += 1
                joined_t += 1
                pt = _message_content(data, dec, tape, ext, texts, msgs, j, out_t, pt)
        valid[1, row] = joined_s > 0
        valid[2, row] = joined_t > 0
        # requested calls
        if nc > 0:
            valid[3, row] = True
            pc = _put_calls(data, dec, tape, ext, calls, 0, nc, out_c, pc)
    off[0, count] = pm
    off[1, count] = ps
    off[2, count] = pt
    off[3, count] = pc
    return ok, off, valid, out_m[:pm], out_s[:ps], out_t[:pt], out_c[:pc]


def _string_array(offsets: np.ndarray, data: np.ndarray, valid: np.ndarray) -> pa.Array:
    """A pa.string() array (pa.large_string() past 2 GiB of text) from the kernel's buffers."""
    count = valid.shape[0]
    large = int(offsets[-1]) > 0x7FFFFFFF
    kind = pa.large_string() if large else pa.string()
    offsets = offsets if large else offsets.astype(np.int32)
    nulls = count - int(np.count_nonzero(valid))
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little")) if nulls else None
    return pa.Array.from_buffers(kind, count, [bitmap, pa.py_buffer(np.ascontiguousarray(offsets)),
                                               pa.py_buffer(data)], null_count=nulls)


def string_rows(values: pa.Array, rows: np.ndarray | None,
                who: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(data bytes, start and end of each value, whether each is null) of a pa.string() or
    pa.large_string() array, or of its `rows` only: the strings are read in place, not copied.
    `who` names the caller in the errors."""
    if isinstance(values, pa.ChunkedArray):
        values = values.chunk(0) if values.num_chunks == 1 else values.combine_chunks()
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        raise TypeError(f"{who} takes a string array, not {values.type}")
    count = len(values)
    width = np.int64 if pa.types.is_large_string(values.type) else np.int32
    buffers = values.buffers()
    if count == 0 or buffers[1] is None:
        offsets = np.zeros(count + 1, np.int64)
    else:
        offsets = np.frombuffer(buffers[1], width)[values.offset:values.offset + count + 1].astype(np.int64)
    data = np.frombuffer(buffers[2], np.uint8) if buffers[2] is not None else np.frombuffer(b"", np.uint8)
    if values.null_count:
        nulls = np.ascontiguousarray(values.is_null().to_numpy(zero_copy_only=False), dtype=np.bool_)
    else:
        nulls = np.zeros(count, np.bool_)
    starts, ends = offsets[:-1], offsets[1:]
    if rows is not None:
        rows = np.asarray(rows, np.int64)
        if len(rows) and (rows.min() < 0 or rows.max() >= count):
            raise IndexError(f"{who}: a row past the array")
        starts, ends, nulls = starts[rows], ends[rows], nulls[rows]
    return data, np.ascontiguousarray(starts), np.ascontiguousarray(ends), nulls


def canonical_genai(values: pa.Array, rows: np.ndarray | None = None) -> GenaiColumns:
    """The canonical form of each GenAI messages string of `values` (pa.string() or
    pa.large_string()), or of its `rows` only (read in place: no copy of the strings); rows
    not `ok` are for the Python reference."""
    ok, off, valid, out_m, out_s, out_t, out_c = _canonical(*string_rows(values, rows, "canonical_genai"))
    return GenaiColumns(ok=ok, messages=_string_array(off[0], out_m, valid[0]),
                        system=_string_array(off[1], out_s, valid[1]), text=_string_array(off[2], out_t, valid[2]),
                        calls=_string_array(off[3], out_c, valid[3]))


_TEXT, _CONTENT = _lit("text"), _lit("content")


@njit(cache=True, nogil=True)
def _completion(data, starts, ends, nulls):
    """`semconv._completion_text` of each value data[starts[i]:ends[i]] not null, empty
    results null: (ok, offsets, valid, data). A value whose JSON this parser refuses, or whose
    object repeats `text` or `content`, is not ok (orjson reads deeper values; the last of
    repeated keys wins)."""
    count = nulls.shape[0]
    ok = np.zeros(count, np.bool_)
    off = np.zeros(count + 1, np.int64)
    valid = np.zeros(count, np.bool_)
    size = np.int64(data.shape[0])
    room = 16 + _values_length(starts, ends, size)
    out = np.empty(room, np.uint8)
    pos = 0
    tape = np.empty((1024, T_COLS), np.int64)
    stack = np.zeros(_MAX_DEPTH, np.int64)
    dec = np.empty(4096, np.uint8)
    for row in range(count):
        off[row] = pos
        if nulls[row]:
            ok[row] = True
            continue
        start, end = _value_range(starts, ends, size, row)
        if start < 0:
            continue
        a = start  # the text written: the value itself, or the object's text or content
        b = end
        src = data
        if start < end and data[start] == 0x7B:  # `_loads` reads it: an object, or not JSON
            n, tape, dec = _parse_grown(data, start, end, tape, stack, dec)
            if n < 0:
                continue
            text = content = -1
            twice = False
            k = 1
            while k < tape[0, T_NEXT]:
                if _str_is(data, dec, tape, k, _TEXT):
                    twice = twice or text >= 0
                    text = k + 1
                elif _str_is(data, dec, tape, k, _CONTENT):
                    twice = twice or content >= 0
                    content = k + 1
                k = tape[k + 1, T_NEXT]
            if twice:
                continue
            inner = text if text >= 0 else content
            if inner >= 0 and tape[inner, T_KIND] == K_STR:
                d = tape[inner, T_DEC]
                if d < 0:
                    a = tape[inner, T_A]
                else:
                    src = dec
                    a = d
                b = a + tape[inner, T_AUX]
        ok[row] = True
        if b > a:
            _copy(out, np.int64(pos), src, np.int64(a), np.int64(b - a))
            pos += b - a
            valid[row] = True
    off[count] = pos
    return ok, off, valid, out[:pos]


def completion_texts(values: pa.Array, rows: np.ndarray) -> tuple[np.ndarray, pa.Array]:
    """(ok, text) of the string values at `rows` read as `semconv._completion_text` reads
    them (null where that is empty); rows not ok are for the Python reference."""
    ok, off, valid, out = _completion(*string_rows(values, rows, "completion_texts"))
    return ok, _string_array(off, out, valid)


def warm() -> None:
    """Compile the kernels (numba's on-disk cache keeps them for the next process)."""
    sample = [
        None, "", "plain", "{}", "[]",
        '[{"role":"system","parts":[{"type":"text","content":"Be brief. \\u00e9"}]},'
        '{"role":"assistant","parts":[{"type":"thinking","content":"x"},'
        '{"type":"tool_call","id":"c1","name":"f","arguments":{"a":[1,true,null,"s"]}}],"finish_reason":"stop"},'
        '{"role":"tool","parts":[{"type":"tool_call_response","id":"c1","response":{"ok":1}}]}]',
    ]
    canonical_genai(pa.array(sample, pa.string()))
    canonical_genai(pa.array(sample, pa.large_string()))
    completion_texts(pa.array(sample + ['{"text": "t\\n"}'], pa.string()), np.arange(len(sample) + 1))

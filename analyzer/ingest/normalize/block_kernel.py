"""A compiled (numba) reading of one-message-an-event GenAI span events (`gen_ai.user.message`,
`gen_ai.choice`, ...: Strands' default OpenTelemetry form) whose `content` (or `message`) is
plain text or the JSON text of Bedrock Converse content blocks. For each distinct event it
writes the six parts `span_events._message_events` joins per span: the canonical messages'
JSON text, their system text, the model's words, the requested calls, a tool call's text and
its first arguments, byte for byte as the Python reference writes them
(`genai_events._message`, then `messages.system_text`, `messages_text`, `requested_calls` and
`genai_events.tool_parts`). That reference, one call per distinct event, was most of the
ingest's CPU on Strands traces.

The kernel takes the common shape only: a value that is not a list of content blocks (plain
text, which the reference keeps as it is: no "[" after white space, JSON that is no block list,
or no JSON at all), or a JSON array whose every item is an object of exactly one key: `text`
(a string), `json` (any value the kernel writes), `toolUse` (string `toolUseId` and `name`,
any `input` the kernel writes) or `toolResult` (string `toolUseId`, optional string `status`,
a `content` that is absent, null, a string or an array of `text` / `json` blocks). Every other
event is not ok, for the reference: other block kinds (`type`, `reasoningContent`, `image`,
...), blocks of several keys, floats to re-serialize, a key repeated in an object the kernel
reads or writes, nesting deeper than genai_kernel's parser reads, a value starting with "["
that parser refuses. The caller gives each event's role (one of the four standard roles:
`messages._link_tool_results` relabels a message of any other) and its tool call id (the `id`
of an event whose role, before `messages.ROLE_ALIASES`, is "tool"), and leaves an event with
a `tool_calls` attribute or a repeated attribute to the reference.

Values are untrusted bytes: every row and range is checked against its buffer, genai_kernel's
parser checks every index against the end of its value, and the writers only read checked
ranges. Writers and parser are genai_kernel's (one definition of orjson's reading and
writing)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numba import njit

from analyzer.ingest.normalize.genai_kernel import (
    _MAX_DEPTH, _MAX_KEYS, _NULL, _W_CALLS, _W_CONTENT, _W_RESP_ID, _W_ROLE, C_COLS, C_ID, C_NAME, C_VT, C_X, C_Y,
    K_ARR, K_NULL, K_OBJ, K_STR, T_AUX, T_COLS, T_KIND, T_NEXT, VT_EXT, VT_NULL, VT_STR, _first_cp,
    _grow, _is_block_key, _is_space, _keys_unique, _leaf, _lit, _pack, _parse_grown, _put_calls, _put_literal,
    _put_str, _put_text, _str_is, _string_array, _value_text, _W_JSON_0, _W_NAME_0, _W_TEXT_0, _W_TOOLRESULT_0,
    _W_TOOLRESULT_1, _W_TOOLUSE_0, _W_CONTENT_0, _value_range, _word, string_rows,
)
from analyzer.ingest.otlp.json_render import _copy
from analyzer.ingest.otlp.json_render import put_escaped as _put_escaped
from analyzer.ingest.otlp.wire_scan import utf8_width

__all__ = ["ROLES", "message_parts", "warm"]

# the roles the kernel writes (the caller's role codes are indices)
ROLES = ("system", "user", "assistant", "tool")
R_SYSTEM, R_USER, R_ASSISTANT, R_TOOL = range(4)
_ROLE_TEXT = _lit("".join(f'"{role}"' for role in ROLES))  # each as a JSON string
_ROLE_AT = np.cumsum([0] + [len(role) + 2 for role in ROLES]).astype(np.int64)
# the parts, in span_events' order (_M_JSON, _M_SYSTEM, _M_WORDS, _M_CALLS, _M_TOOL_TEXT, _M_TOOL_ARGS)
PARTS = 6
# a text piece (pieces rows: kind, x, y): genai_kernel's VT_NULL (an empty text), VT_STR (tape
# string x), VT_EXT (JSON text made in `ext`, [x, y)), or the raw value data[x:y]
VT_RAW = 3
# results rows: tool call id (a tape string), error, its content's pieces [lo, hi) (none: null)
R_ID, R_ERROR, R_LO, R_HI = range(4)
# keys the kernel reads
B_OTHER, B_TEXT, B_JSON, B_TOOLUSE, B_TOOLRESULT, B_ID, B_NAME, B_INPUT, B_STATUS, B_CONTENT = range(10)
_W_TOOLUSEID_0, _W_TOOLUSEID_1 = _word("toolUseId", 0), _word("toolUseId", 8)
_W_INPUT_0, _W_STATUS_0 = _word("input", 0), _word("status", 0)
_ERROR = _lit("error")
_W_STATUS_ERROR = _lit(',"status":"error"')
_W_TOOL_MESSAGE = _lit('{"role":"tool","tool_call_id":')


@_leaf
def _block_key(data, dec, tape, k):
    """Which of the keys the kernel reads tape string k is (B_OTHER: none)."""
    size = tape[k, T_AUX]
    if size < 4 or size > 10:
        return B_OTHER
    w0 = _pack(data, dec, tape, k, 0)
    if size == 4:
        if w0 == _W_TEXT_0:
            return B_TEXT
        if w0 == _W_JSON_0:
            return B_JSON
        if w0 == _W_NAME_0:
            return B_NAME
    elif size == 5:
        if w0 == _W_INPUT_0:
            return B_INPUT
    elif size == 6:
        if w0 == _W_STATUS_0:
            return B_STATUS
    elif size == 7:
        if w0 == _W_TOOLUSE_0:
            return B_TOOLUSE
        if w0 == _W_CONTENT_0:
            return B_CONTENT
    elif size == 9:
        if w0 == _W_TOOLUSEID_0 and _pack(data, dec, tape, k, 8) == _W_TOOLUSEID_1:
            return B_ID
    elif size == 10:
        if w0 == _W_TOOLRESULT_0 and _pack(data, dec, tape, k, 8) == _W_TOOLRESULT_1:
            return B_TOOLRESULT
    return B_OTHER


@_leaf
def _may_be_blocks(data, a, b):
    """Whether `block_list` may read data[a:b] (valid UTF-8) as JSON: its first character
    after `str.lstrip()`'s white space is "[" and all that white space is JSON's (else
    `orjson.loads` refuses it: plain text). -1 when the leading bytes are not UTF-8."""
    json_space = True
    pos = a
    while pos < b:
        c = data[pos]
        if c == 0x20 or c == 0x0A or c == 0x0D or c == 0x09:
            pos += 1
            continue
        if c < 0x80:
            if not _is_space(np.int64(c)):
                return 1 if c == 0x5B and json_space else 0
            json_space = False
            pos += 1
            continue
        width = utf8_width(data, pos, b)
        if width < 0:
            return -1
        if not _is_space(_first_cp(data, pos)):
            return 0
        json_space = False
        pos += width
    return 0


@_leaf
def _is_block_list(data, dec, tape):
    """`messages.block_list` of the parsed array (tape root): not empty, and every item an
    object with a content block key."""
    i = 1
    if i >= tape[0, T_NEXT]:
        return False
    while i < tape[0, T_NEXT]:
        if tape[i, T_KIND] != K_OBJ:
            return False
        found = False
        k = i + 1
        while k < tape[i, T_NEXT]:
            if _is_block_key(data, dec, tape, k):
                found = True
                break
            k = tape[k + 1, T_NEXT]
        if not found:
            return False
        i = tape[i, T_NEXT]
    return True


@_leaf
def _only_key(data, dec, tape, obj):
    """(key code, value) of an object of exactly one key; B_OTHER for any other object."""
    k = obj + 1
    if tape[obj, T_KIND] != K_OBJ or k >= tape[obj, T_NEXT] or tape[k + 1, T_NEXT] != tape[obj, T_NEXT]:
        return B_OTHER, -1
    return _block_key(data, dec, tape, k), k + 1


@_leaf
def _members(data, dec, tape, obj, a, b, c):
    """The values (tape indices; -2: absent) of the keys of codes a, b and c (`_block_key`) in
    object obj, whose keys the caller found unique."""
    va = vb = vc = -2
    k = obj + 1
    while k < tape[obj, T_NEXT]:
        field = _block_key(data, dec, tape, k)
        if field == a:
            va = k + 1
        elif field == b:
            vb = k + 1
        elif field == c:
            vc = k + 1
        k = tape[k + 1, T_NEXT]
    return va, vb, vc


@_leaf
def _json_piece(data, dec, tape, v, pieces, p, ext, epos, stack, counts, keys):
    """A `json` block's text (`json_text(value) or ""`) as piece p: (ok, ext position)."""
    vt, x, y, epos = _value_text(data, dec, tape, v, ext, epos, stack, counts, keys)
    if vt < 0:
        return False, epos
    pieces[p, 0] = vt
    pieces[p, 1] = x
    pieces[p, 2] = y
    return True, epos


@_leaf
def _interpret(data, dec, tape, pieces, calls, results, ext, stack, counts, keys):
    """The content blocks (tape root) as `messages._parts` reads them: the texts (pieces [0,
    texts)), calls and tool results, their contents' pieces after the texts. Returns (texts,
    calls, results); texts -1 when the blocks are not the kernel's shape."""
    nt = 0
    nc = 0
    epos = 0
    blocks = 1
    while blocks < tape[0, T_NEXT]:  # the texts and calls first: pieces [0, nt) are the texts
        key, v = _only_key(data, dec, tape, blocks)
        blocks = tape[blocks, T_NEXT]
        if key == B_TEXT:
            if tape[v, T_KIND] != K_STR:
                return -1, 0, 0
            pieces[nt, 0] = VT_STR
            pieces[nt, 1] = v
            nt += 1
        elif key == B_JSON:
            done, epos = _json_piece(data, dec, tape, v, pieces, nt, ext, epos, stack, counts, keys)
            if not done:
                return -1, 0, 0
            nt += 1
        elif key == B_TOOLUSE:
            if tape[v, T_KIND] != K_OBJ or not _keys_unique(data, dec, tape, v, keys):
                return -1, 0, 0
            call_id, name, arguments = _members(data, dec, tape, v, B_ID, B_NAME, B_INPUT)
            if call_id < 0 or name < 0 or tape[call_id, T_KIND] != K_STR or tape[name, T_KIND] != K_STR:
                return -1, 0, 0
            vt, x, y, epos = _value_text(data, dec, tape, arguments, ext, epos, stack, counts, keys)
            if vt < 0:
                return -1, 0, 0
            calls[nc, C_ID] = call_id
            calls[nc, C_NAME] = name
            calls[nc, C_VT] = vt
            calls[nc, C_X] = x
            calls[nc, C_Y] = y
            nc += 1
        elif key != B_TOOLRESULT:
            return -1, 0, 0
    nr = 0
    np_ = nt
    blocks = 1
    while blocks < tape[0, T_NEXT]:
        key, v = _only_key(data, dec, tape, blocks)
        blocks = tape[blocks, T_NEXT]
        if key != B_TOOLRESULT:
            continue
        if tape[v, T_KIND] != K_OBJ or not _keys_unique(data, dec, tape, v, keys):
            return -1, 0, 0
        call_id, status, content = _members(data, dec, tape, v, B_ID, B_STATUS, B_CONTENT)
        if call_id < 0 or tape[call_id, T_KIND] != K_STR or (status >= 0 and tape[status, T_KIND] != K_STR):
            return -1, 0, 0
        results[nr, R_ID] = call_id
        results[nr, R_ERROR] = 1 if status >= 0 and _str_is(data, dec, tape, status, _ERROR) else 0
        results[nr, R_LO] = np_
        if content >= 0 and tape[content, T_KIND] == K_STR:
            pieces[np_, 0] = VT_STR
            pieces[np_, 1] = content
            np_ += 1
        elif content >= 0 and tape[content, T_KIND] == K_ARR:
            item = content + 1
            if item == tape[content, T_NEXT]:  # no text: `_content_text` writes the list, "[]"
                ext[epos] = 0x5B
                ext[epos + 1] = 0x5D
                pieces[np_, 0] = VT_EXT
                pieces[np_, 1] = epos
                pieces[np_, 2] = epos + 2
                epos += 2
                np_ += 1
            while item < tape[content, T_NEXT]:
                key, iv = _only_key(data, dec, tape, item)
                item = tape[item, T_NEXT]
                if key == B_TEXT and tape[iv, T_KIND] == K_STR:
                    pieces[np_, 0] = VT_STR
                    pieces[np_, 1] = iv
                elif key == B_JSON:
                    done, epos = _json_piece(data, dec, tape, iv, pieces, np_, ext, epos, stack, counts, keys)
                    if not done:
                        return -1, 0, 0
                else:
                    return -1, 0, 0
                np_ += 1
        elif content >= 0 and tape[content, T_KIND] != K_NULL:
            return -1, 0, 0
        results[nr, R_HI] = np_
        nr += 1
    return nt, nc, nr


@_leaf
def _piece_length(tape, pieces, p):
    vt = pieces[p, 0]
    if vt == VT_STR:
        return tape[pieces[p, 1], T_AUX]
    if vt == VT_NULL:
        return 0
    return pieces[p, 2] - pieces[p, 1]


@_leaf
def _joined_length(tape, pieces, lo, hi):
    """The length of pieces [lo, hi) joined with newlines."""
    size = max(hi - lo - 1, 0)
    for p in range(lo, hi):
        size += _piece_length(tape, pieces, p)
    return size


@_leaf
def _put_joined(data, dec, tape, ext, pieces, lo, hi, as_json, out, pos):
    """Pieces [lo, hi) joined with newlines: as JSON string text (escaped, no quotes) when
    as_json, else as plain UTF-8."""
    for p in range(lo, hi):
        if p > lo:
            if as_json:
                out[pos] = 0x5C
                out[pos + 1] = 0x6E
                pos += 2
            else:
                out[pos] = 0x0A
                pos += 1
        vt = pieces[p, 0]
        if vt == VT_STR:
            pos = _put_text(data, dec, tape, pieces[p, 1], as_json, out, pos)
        elif vt != VT_NULL:
            src = data if vt == VT_RAW else ext
            x, y = pieces[p, 1], pieces[p, 2]
            if as_json:
                pos = _put_escaped(src, x, y, out, pos)
            else:
                _copy(out, np.int64(pos), src, np.int64(x), np.int64(y - x))
                pos += y - x
    return pos


@_leaf
def _put_json_text(data, dec, tape, ext, pieces, lo, hi, out, pos):
    """Pieces [lo, hi) joined with newlines as a JSON string."""
    out[pos] = 0x22
    pos = _put_joined(data, dec, tape, ext, pieces, lo, hi, True, out, pos + 1)
    out[pos] = 0x22
    return pos + 1


@_leaf
def _line(data, dec, tape, ext, pieces, lo, hi, out, pos, first):
    """Append pieces [lo, hi) (joined) to a text joined with newlines."""
    if not first:
        out[pos] = 0x0A
        pos += 1
    return _put_joined(data, dec, tape, ext, pieces, lo, hi, False, out, pos)


@njit(cache=True, nogil=True)
def _event_parts(data, starts, ends, nulls, value_row, id_row, role):
    """The six parts (offsets, validity, buffers) and ok of each event: its value
    data[starts[value_row]:ends[value_row]] (-1: none), tool call id (id_row; -1: none) and
    role code (-1: not for the kernel)."""
    count = role.shape[0]
    rows = starts.shape[0]
    size = np.int64(data.shape[0])
    ok = np.zeros(count, np.bool_)
    off = np.zeros((PARTS, count + 1), np.int64)
    valid = np.zeros((PARTS, count), np.bool_)
    room = np.int64(4096)
    for e in range(count):
        r = value_row[e]
        if 0 <= r < rows:
            room += max(np.int64(0), min(np.int64(ends[r]), size) - np.int64(starts[r]))
    out_j = np.empty(room, np.uint8)  # (the messages and a tool's text are about as long as the values)
    out_t = np.empty(room, np.uint8)
    out_s = np.empty(4096, np.uint8)
    out_w = np.empty(4096, np.uint8)
    out_c = np.empty(4096, np.uint8)
    out_a = np.empty(4096, np.uint8)
    pj = ps = pw = pc = pt = pa_ = 0
    tape = np.empty((1024, T_COLS), np.int64)
    stack = np.zeros(_MAX_DEPTH, np.int64)
    counts = np.zeros(_MAX_DEPTH, np.int64)
    keys = np.zeros(_MAX_KEYS, np.int64)
    cap = 1024
    pieces = np.empty((cap, 3), np.int64)
    calls = np.empty((cap, C_COLS), np.int64)
    results = np.empty((cap, 4), np.int64)
    ext = np.empty(4096, np.uint8)
    dec = np.empty(4096, np.uint8)
    for e in range(count):
        off[0, e], off[1, e], off[2, e], off[3, e], off[4, e], off[5, e] = pj, ps, pw, pc, pt, pa_
        code = role[e]
        if code < 0 or code > R_TOOL:
            continue
        ia = ib = np.int64(0)
        r = id_row[e]
        if r >= 0:
            if r >= rows or nulls[r]:
                continue
            ia, ib = np.int64(starts[r]), np.int64(ends[r])
            if ia < 0 or ib > size or ia > ib:
                continue
        a = b = np.int64(0)
        n = 0
        nt = nc = nr = 0
        r = value_row[e]
        if r >= 0:
            if r >= rows or nulls[r]:
                continue
            a, b = _value_range(starts, ends, size, r)
            if a < 0:
                continue
            maybe = _may_be_blocks(data, a, b)
            if maybe < 0:
                continue
            blocks = False
            if maybe == 1:
                n, tape, dec = _parse_grown(data, a, b, tape, stack, dec)
                if n < 0:
                    continue
                blocks = _is_block_list(data, dec, tape)
            if blocks:
                if n + 1 > cap:
                    cap = n + 1
                    pieces = np.empty((cap, 3), np.int64)
                    calls = np.empty((cap, C_COLS), np.int64)
                    results = np.empty((cap, 4), np.int64)
                ext = _grow(ext, 0, b - a + 16 * (n + 2))
                nt, nc, nr = _interpret(data, dec, tape, pieces, calls, results, ext, stack, counts, keys)
                if nt < 0:
                    continue
            else:  # plain text: the value as it is
                pieces[0, 0] = VT_RAW
                pieces[0, 1] = a
                pieces[0, 2] = b
                nt = 1
        ok[e] = True
        # room: raw text escapes to at most 6 bytes a byte, tape strings to at most their
        # source, `ext` text to at most twice its length; each message, call and piece adds
        # fewer than 128 bytes of its own
        need = 6 * (b - a) + 6 * (ib - ia) + 2 * (b - a + 16 * (n + 2)) + 128 * (n + 4)
        out_j = _grow(out_j, pj, need)
        out_s = _grow(out_s, ps, need)
        out_w = _grow(out_w, pw, need)
        out_c = _grow(out_c, pc, need)
        out_t = _grow(out_t, pt, need)
        out_a = _grow(out_a, pa_, need)
        # the canonical messages: the event's own (dropped when it has only tool results),
        # then one tool message a result
        own = nr == 0 or nt > 0 or nc > 0
        valid[0, e] = True
        out_j[pj] = 0x5B
        pj += 1
        if own:
            pj = _put_literal(_W_ROLE, out_j, pj)
            for i in range(_ROLE_AT[code], _ROLE_AT[code + 1]):
                out_j[pj] = _ROLE_TEXT[i]
                pj += 1
            if nt > 0:
                pj = _put_literal(_W_CONTENT, out_j, pj)
                pj = _put_json_text(data, dec, tape, ext, pieces, 0, nt, out_j, pj)
            if nc > 0:
                pj = _put_literal(_W_CALLS, out_j, pj)
                pj = _put_calls(data, dec, tape, ext, calls, 0, nc, out_j, pj)
            if ib > ia:
                pj = _put_literal(_W_RESP_ID, out_j, pj)
                out_j[pj] = 0x22
                pj = _put_escaped(data, ia, ib, out_j, pj + 1)
                out_j[pj] = 0x22
                pj += 1
            out_j[pj] = 0x7D
            pj += 1
        for j in range(nr):
            if own or j > 0:
                out_j[pj] = 0x2C
                pj += 1
            pj = _put_literal(_W_TOOL_MESSAGE, out_j, pj)
            pj = _put_str(data, dec, tape, results[j, R_ID], out_j, pj)
            pj = _put_literal(_W_CONTENT, out_j, pj)
            if results[j, R_HI] > results[j, R_LO]:
                pj = _put_json_text(data, dec, tape, ext, pieces, results[j, R_LO], results[j, R_HI], out_j, pj)
            else:
                pj = _put_literal(_NULL, out_j, pj)
            if results[j, R_ERROR]:
                pj = _put_literal(_W_STATUS_ERROR, out_j, pj)
            out_j[pj] = 0x7D
            pj += 1
        out_j[pj] = 0x5D
        pj += 1
        # system text and the model's words: the event's own content when not empty
        if own and _joined_length(tape, pieces, 0, nt) > 0:
            if code == R_SYSTEM:
                valid[1, e] = True
                ps = _put_joined(data, dec, tape, ext, pieces, 0, nt, False, out_s, ps)
            elif code == R_ASSISTANT:
                valid[2, e] = True
                pw = _put_joined(data, dec, tape, ext, pieces, 0, nt, False, out_w, pw)
        if nc > 0 and code != R_TOOL:
            valid[3, e] = True
            pc = _put_calls(data, dec, tape, ext, calls, 0, nc, out_c, pc)
        # a tool call's text: every message's content that is not empty; its arguments: the
        # first call's that are not empty
        lines = 0
        if own and _joined_length(tape, pieces, 0, nt) > 0:
            pt = _line(data, dec, tape, ext, pieces, 0, nt, out_t, pt, True)
            lines += 1
        for j in range(nr):
            lo, hi = results[j, R_LO], results[j, R_HI]
            if hi > lo and _joined_length(tape, pieces, lo, hi) > 0:
                pt = _line(data, dec, tape, ext, pieces, lo, hi, out_t, pt, lines == 0)
                lines += 1
        valid[4, e] = lines > 0
        for c in range(nc):
            vt = calls[c, C_VT]
            if vt == VT_STR and tape[calls[c, C_X], T_AUX] > 0:
                valid[5, e] = True
                pa_ = _put_text(data, dec, tape, calls[c, C_X], False, out_a, pa_)
                break
            if vt == VT_EXT:
                valid[5, e] = True
                x, y = calls[c, C_X], calls[c, C_Y]
                _copy(out_a, np.int64(pa_), ext, np.int64(x), np.int64(y - x))
                pa_ += y - x
                break
    off[0, count], off[1, count], off[2, count], off[3, count], off[4, count], off[5, count] = pj, ps, pw, pc, pt, pa_
    return ok, off, valid, out_j[:pj], out_s[:ps], out_w[:pw], out_c[:pc], out_t[:pt], out_a[:pa_]


def message_parts(values: pa.Array, value_rows: np.ndarray, id_rows: np.ndarray,
                  roles: np.ndarray) -> tuple[np.ndarray, list[pa.Array]]:
    """(ok, the six parts) of events given as rows of the string array `values`: each event's
    content (or message; -1: none), its tool call id (-1: none) and its role (an index of
    ROLES; -1: not for the kernel). Events not ok are for the Python reference (their parts
    are null)."""
    data, starts, ends, nulls = string_rows(values, None, "message_parts")
    ok, off, valid, *buffers = _event_parts(data, starts, ends, nulls, np.ascontiguousarray(value_rows, np.int64),
                                            np.ascontiguousarray(id_rows, np.int64),
                                            np.ascontiguousarray(roles, np.int64))
    return ok, [_string_array(off[i], buffers[i], valid[i]) for i in range(PARTS)]


def warm() -> None:
    """Compile the kernel (numba's on-disk cache keeps it for the next process)."""
    values = pa.array(['[{"text": "Be \\"brief\\" \\u00e9"}, {"json": {"a": [1, null]}}]', "t1",
                       '[{"text": "Let me look."}, {"toolUse": {"toolUseId": "t1", "name": "f", "input": {"c": 1}}}]',
                       '[{"toolResult": {"toolUseId": "t1", "status": "error", "content": [{"text": "4 C"}]}}]',
                       "\u00a0plain"], pa.string())
    rows = np.array([0, 2, 3, 4, -1], np.int64)
    message_parts(values, rows, np.array([-1, -1, 1, -1, 1]), np.array([R_SYSTEM, R_ASSISTANT, R_TOOL, R_USER, -1]))

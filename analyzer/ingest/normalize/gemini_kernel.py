"""A compiled (numba) reading of Google ADK's model-call attributes, for a whole Arrow string
column at once: `gcp.vertex.agent.llm_request` (a Gemini request: its `contents` as the input
messages, `semconv._decode("gemini_request", ...)`, and its `config.system_instruction`,
`semconv._gemini_system`) and `gcp.vertex.agent.llm_response` (a Gemini response: its
`content` as the output messages, `messages.canonical_messages`). The message lists come as
the four columns `columnar._message_fields` makes of them (the canonical list's JSON text,
its system text, its words and its requested calls), byte for byte as the Python reference
writes them. Ingest of ADK spans spent most of its CPU doing this one value at a time in
Python.

Each value is parsed into genai_kernel's tape by its strict parser, read the way the reference
reads it, and written with genai_kernel's writers. The kernel takes the common shape only:
Gemini Content objects (`{"role", "parts"}`) whose parts are `{"text": <string>}`,
`{"function_call": {"id"?, "name", "args"}}` or `{"function_response": {"id"?, "name"?,
"response"}}`, string (or null) roles, ids and names; of responses, those without the
top-level keys that `messages._collect` reads before `content` (choices, candidates, role,
contents, ...). Every other row is not ok (other part keys, camelCase blocks, a key repeated
in an object it reads, floats to re-serialize, non-string roles, a role that
`_link_tool_results` might turn into a tool result, nested lists, ...): the caller runs the
Python reference for those rows.

Values are untrusted bytes: the parser checks every index against the end of its value, and
the writers only read ranges the parser checked."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numba import njit

from analyzer.ingest.normalize.genai_kernel import (
    C_ID, C_NAME, C_VT, C_X, C_Y, K_ARR, K_NULL, K_OBJ, K_STR, M_CHI, M_CLEN, M_CLO, M_HI, M_ID, M_KIND, M_LO,
    M_ROLE, M_VT, M_X, M_Y, T_A, T_AUX, T_COLS, T_DEC, T_KIND, T_NEXT, VT_NULL, VT_STR, _MAX_DEPTH, _MAX_KEYS,
    _NULL, _W_CALLS, _W_CONTENT, _W_ROLE, GenaiColumns, _bounds, _content_length, _eq_bytes, _grow, _leaf, _lit,
    _message_arrays, _message_content, _pack, _parse_grown, _put_calls, _put_ext, _put_literal, _put_str, _put_text,
    _skip_ws, _str_or_null, _string_array, _value_range, _value_text, _values_length, _word, string_rows,
)

__all__ = ["canonical_request", "canonical_response", "system_texts", "warm"]

# the names the kernel reads: keys, roles, and the response keys that `messages._collect` reads
# before `content` (a response with any of them is left to the reference)
_NAMES = ("contents", "config", "system_instruction", "content", "role", "parts", "text", "function_call",
          "function_response", "id", "name", "args", "response",
          "user", "assistant", "system", "tool", "human", "ai", "model", "bot", "function", "developer",
          "choices", "generations", "candidates", "object", "output", "prompts", "message", "messages", "lc",
          "tool_calls", "toolCallId", "toolName", "type")
(N_CONTENTS, N_CONFIG, N_SYSTEM_INSTRUCTION, N_CONTENT, N_ROLE, N_PARTS, N_TEXT, N_FUNCTION_CALL,
 N_FUNCTION_RESPONSE, N_ID, N_NAME, N_ARGS, N_RESPONSE) = range(13)
_NAME_BYTES = np.frombuffer("".join(_NAMES).encode(), np.uint8).copy()
_NAME_AT = np.cumsum([0] + [len(name) for name in _NAMES]).astype(np.int64)
_NAME_W0 = np.array([_word(name, 0) for name in _NAMES], np.uint64)
_NAME_MAX = max(len(name) for name in _NAMES)
_NOT_RESPONSE = np.array([name in ("contents", "role", "parts") or i >= _NAMES.index("choices")
                          for i, name in enumerate(_NAMES)], np.bool_)

# a message's role: a tape string written as is (>= 0), null, or a standard role (after
# `messages.ROLE_ALIASES`) written as its literal
R_NULL, R_USER, R_ASSISTANT, R_SYSTEM, R_TOOL = -1, -2, -3, -4, -5
_ROLE_OF = np.zeros(len(_NAMES), np.int64)  # name -> role code (0: not a role name)
for _name, _code in (("user", R_USER), ("human", R_USER), ("assistant", R_ASSISTANT), ("ai", R_ASSISTANT),
                     ("model", R_ASSISTANT), ("bot", R_ASSISTANT), ("system", R_SYSTEM), ("developer", R_SYSTEM),
                     ("tool", R_TOOL), ("function", R_TOOL)):
    _ROLE_OF[_NAMES.index(_name)] = _code
_Q_USER, _Q_ASSISTANT, _Q_SYSTEM, _Q_TOOL = _lit('"user"'), _lit('"assistant"'), _lit('"system"'), _lit('"tool"')

_W_RESULT = _lit('{"role":"tool","tool_call_id":')
_ABSENT, _REPEATED = -2, -3


@_leaf
def _name(data, dec, tape, s):
    """Which of _NAMES the text of tape string s is; -1: none."""
    size = tape[s, T_AUX]
    if size > _NAME_MAX:
        return -1
    w0 = _pack(data, dec, tape, s, 0)
    d = tape[s, T_DEC]
    for i in range(_NAME_W0.shape[0]):
        a = _NAME_AT[i]
        if _NAME_AT[i + 1] - a != size or _NAME_W0[i] != w0:
            continue
        if size <= 8:
            return i
        if d < 0:
            same = _eq_bytes(data, tape[s, T_A] + 8, _NAME_BYTES, a + 8, size - 8)
        else:
            same = _eq_bytes(dec, d + 8, _NAME_BYTES, a + 8, size - 8)
        if same:
            return i
    return -1


@_leaf
def _member(data, dec, tape, obj, name):
    """The value (tape index) of key `name` in object obj: _ABSENT, or _REPEATED when the key
    is there twice (orjson keeps the last: left to the reference)."""
    found = _ABSENT
    k = obj + 1
    while k < tape[obj, T_NEXT]:
        v = k + 1
        if _name(data, dec, tape, k) == name:
            if found != _ABSENT:
                return _REPEATED
            found = v
        k = tape[v, T_NEXT]
    return found


@_leaf
def _content(data, dec, tape, c, msgs, texts, calls, resps, ext, epos, nm, nt, nc, ids, stack, counts, keys):
    """`messages._collect` of the Gemini Content at tape object c, appended to the output
    messages, texts and calls: (messages, texts, calls, ext position, whether a call with an
    id came so far, this Content's included); messages -1 when the kernel is not sure."""
    role = _ABSENT
    parts = _ABSENT
    k = c + 1
    while k < tape[c, T_NEXT]:
        v = k + 1
        name = _name(data, dec, tape, k)
        if name == N_ROLE and role == _ABSENT:
            role = v
        elif name == N_PARTS and parts == _ABSENT:
            parts = v
        else:  # another key, or one repeated: `_collect` / `_message` might read it
            return -1, nt, nc, epos, ids
        k = tape[v, T_NEXT]
    if role == _ABSENT and parts == _ABSENT:  # {}: nothing message-like
        return nm, nt, nc, epos, ids
    code = R_NULL
    if role >= 0 and tape[role, T_KIND] == K_STR:
        name = _name(data, dec, tape, role)
        code = _ROLE_OF[name] if name >= 0 and _ROLE_OF[name] != 0 else role
    elif role >= 0 and tape[role, T_KIND] != K_NULL:
        return -1, nt, nc, epos, ids
    text_lo = nt
    call_lo = nc
    nr = 0
    if parts >= 0 and tape[parts, T_KIND] == K_ARR:  # (parts of another type are not read)
        p = parts + 1
        while p < tape[parts, T_NEXT]:
            part = p
            p = tape[p, T_NEXT]
            k = part + 1
            if tape[part, T_KIND] != K_OBJ or k == tape[part, T_NEXT] or tape[k + 1, T_NEXT] != tape[part, T_NEXT]:
                return -1, nt, nc, epos, ids  # not an object of one key
            v = k + 1
            name = _name(data, dec, tape, k)
            kind = tape[v, T_KIND]
            if name == N_TEXT and kind == K_STR:
                texts[nt] = v
                nt += 1
            elif name == N_FUNCTION_CALL and kind == K_OBJ:
                cid = _member(data, dec, tape, v, N_ID)
                cname = _member(data, dec, tape, v, N_NAME)
                args = _member(data, dec, tape, v, N_ARGS)
                if cid == _REPEATED or cname == _REPEATED or args == _REPEATED:
                    return -1, nt, nc, epos, ids
                cid = _str_or_null(tape, cid)
                cname = _str_or_null(tape, cname)
                if cid == -2 or cname == -2:  # neither a string nor null
                    return -1, nt, nc, epos, ids
                vt, x, y, epos = _value_text(data, dec, tape, args, ext, epos, stack, counts, keys)
                if vt < 0:
                    return -1, nt, nc, epos, ids
                calls[nc, C_ID] = cid
                calls[nc, C_NAME] = cname
                calls[nc, C_VT] = vt
                calls[nc, C_X] = x
                calls[nc, C_Y] = y
                nc += 1
                ids = ids or (cid >= 0 and tape[cid, T_AUX] > 0)
            elif name == N_FUNCTION_RESPONSE and kind == K_OBJ and tape[v, T_NEXT] > v + 1:  # ({} is not a result)
                rid = _member(data, dec, tape, v, N_ID)
                body = _member(data, dec, tape, v, N_RESPONSE)
                if rid == _REPEATED or body == _REPEATED or (body >= 0 and tape[body, T_KIND] == K_ARR):
                    return -1, nt, nc, epos, ids  # (a list is read as parts)
                rid = _str_or_null(tape, rid)
                if rid == -2:
                    return -1, nt, nc, epos, ids
                vt, x, y, epos = _value_text(data, dec, tape, body, ext, epos, stack, counts, keys)
                if vt < 0:
                    return -1, nt, nc, epos, ids
                resps[nr, 0] = rid
                resps[nr, 1] = vt
                resps[nr, 2] = x
                resps[nr, 3] = y
                nr += 1
            else:
                return -1, nt, nc, epos, ids
    if nr == 0 or nt > text_lo or nc > call_lo:
        if code >= 0 and ids:  # a role no standard one: `_link_tool_results` may make it a result
            return -1, nt, nc, epos, ids
        msgs[nm, M_KIND] = 0
        msgs[nm, M_ROLE] = code
        msgs[nm, M_LO] = text_lo
        msgs[nm, M_HI] = nt
        msgs[nm, M_CLO] = call_lo
        msgs[nm, M_CHI] = nc
        clen = -1  # the joined content's length; -1: no content
        for j in range(text_lo, nt):
            clen += tape[texts[j], T_AUX] + 1
        msgs[nm, M_CLEN] = clen
        nm += 1
    for r in range(nr):  # each result its own tool message
        msgs[nm, M_KIND] = 1
        msgs[nm, M_ROLE] = R_TOOL
        msgs[nm, M_ID] = resps[r, 0]
        msgs[nm, M_VT] = resps[r, 1]
        msgs[nm, M_X] = resps[r, 2]
        msgs[nm, M_Y] = resps[r, 3]
        if resps[r, 1] == VT_STR:  # a string content is a text item (as genai_kernel's writers read it)
            texts[nt] = resps[r, 2]
            msgs[nm, M_X] = nt
            nt += 1
        nm += 1
    return nm, nt, nc, epos, ids


@_leaf
def _interpret(data, dec, tape, response, msgs, texts, calls, resps, ext, stack, counts, keys):
    """The canonical messages of the tape (root: an object) as `_decode("gemini_request")`
    reads a request or `canonical_messages` a response: (messages, texts, calls) counts,
    messages -1 when the kernel is not sure."""
    nm = 0
    nt = 0
    nc = 0
    epos = 0
    ids = False
    if response:
        content = _ABSENT
        k = 1
        while k < tape[0, T_NEXT]:
            v = k + 1
            name = _name(data, dec, tape, k)
            if name >= 0 and _NOT_RESPONSE[name]:
                return -1, 0, 0
            if name == N_CONTENT:
                if content != _ABSENT:
                    return -1, 0, 0
                content = v
            k = tape[v, T_NEXT]
        if content < 0 or (tape[content, T_KIND] != K_OBJ and tape[content, T_KIND] != K_ARR):
            return 0, 0, 0  # no container: nothing message-like
        if tape[content, T_KIND] == K_ARR:
            return -1, 0, 0
        nm, nt, nc, epos, ids = _content(data, dec, tape, content, msgs, texts, calls, resps, ext, epos, nm, nt, nc,
                                         ids, stack, counts, keys)
        return nm, nt, nc
    contents = _member(data, dec, tape, 0, N_CONTENTS)
    if contents == _REPEATED:
        return -1, 0, 0
    if contents < 0:
        return 0, 0, 0
    kind = tape[contents, T_KIND]
    if kind == K_STR or kind == K_OBJ:  # (`maybe_json` parses a string)
        return -1, 0, 0
    if kind != K_ARR:
        return 0, 0, 0
    item = contents + 1
    while item < tape[contents, T_NEXT]:
        kind = tape[item, T_KIND]
        if kind == K_ARR:
            return -1, 0, 0
        if kind == K_OBJ:  # (other items are not message-like)
            nm, nt, nc, epos, ids = _content(data, dec, tape, item, msgs, texts, calls, resps, ext, epos, nm, nt, nc,
                                             ids, stack, counts, keys)
            if nm < 0:
                return -1, 0, 0
        item = tape[item, T_NEXT]
    return nm, nt, nc


@_leaf
def _put_role(data, dec, tape, role, out, pos):
    if role >= R_NULL:  # as written, or null
        return _put_str(data, dec, tape, role, out, pos)
    if role == R_USER:
        return _put_literal(_Q_USER, out, pos)
    if role == R_ASSISTANT:
        return _put_literal(_Q_ASSISTANT, out, pos)
    if role == R_SYSTEM:
        return _put_literal(_Q_SYSTEM, out, pos)
    return _put_literal(_Q_TOOL, out, pos)


@_leaf
def _put_messages(data, dec, tape, ext, texts, msgs, calls, nm, out, pos):
    """The canonical messages as orjson writes them: {role, content, tool_calls} and results
    {role: tool, tool_call_id, content}."""
    out[pos] = 0x5B
    pos += 1
    for j in range(nm):
        if j > 0:
            out[pos] = 0x2C
            pos += 1
        if msgs[j, M_KIND] == 1:
            pos = _put_literal(_W_RESULT, out, pos)
            pos = _put_str(data, dec, tape, msgs[j, M_ID], out, pos)
            pos = _put_literal(_W_CONTENT, out, pos)
            vt = msgs[j, M_VT]
            if vt == VT_NULL:
                pos = _put_literal(_NULL, out, pos)
            elif vt == VT_STR:
                pos = _put_str(data, dec, tape, texts[msgs[j, M_X]], out, pos)
            else:
                pos = _put_ext(ext, msgs[j, M_X], msgs[j, M_Y], out, pos)
        else:
            pos = _put_literal(_W_ROLE, out, pos)
            pos = _put_role(data, dec, tape, msgs[j, M_ROLE], out, pos)
            if msgs[j, M_CLEN] >= 0:
                pos = _put_literal(_W_CONTENT, out, pos)
                out[pos] = 0x22
                pos += 1
                for t in range(msgs[j, M_LO], msgs[j, M_HI]):
                    if t > msgs[j, M_LO]:
                        out[pos] = 0x5C
                        out[pos + 1] = 0x6E
                        pos += 2
                    pos = _put_text(data, dec, tape, texts[t], True, out, pos)
                out[pos] = 0x22
                pos += 1
            if msgs[j, M_CHI] > msgs[j, M_CLO]:
                pos = _put_literal(_W_CALLS, out, pos)
                pos = _put_calls(data, dec, tape, ext, calls, msgs[j, M_CLO], msgs[j, M_CHI], out, pos)
        out[pos] = 0x7D
        pos += 1
    out[pos] = 0x5D
    return pos + 1


@njit(cache=True, nogil=True)
def _canonical(data, starts, ends, nulls, response):
    """The four columns (offsets, data, valid each) and ok of the requests (response False) or
    responses data[starts[i]:ends[i]] not null."""
    count = nulls.shape[0]
    ok = np.zeros(count, np.bool_)
    off = np.zeros((4, count + 1), np.int64)
    valid = np.zeros((4, count), np.bool_)
    size = np.int64(data.shape[0])
    room = 4096 + _values_length(starts, ends, size)  # the messages are shorter than a request: room for that
    out_m = np.empty(room, np.uint8)
    out_s = np.empty(4096, np.uint8)
    out_t = np.empty(room, np.uint8)
    out_c = np.empty(4096, np.uint8)
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
        # the reference reads a request whose first character opens an object (`semconv._loads`:
        # else None), a response whose first one after white space opens an object or an array
        # (`maybe_json`: anything else, a JSON string or not, is not message-like); the kernel
        # reads objects only
        first = _skip_ws(data, start, end) if response else start
        if first == end or data[first] != 0x7B:
            ok[row] = not (response and first < end and data[first] == 0x5B)
            continue
        n, tape, dec = _parse_grown(data, start, end, tape, stack, dec)
        if n < 0:
            continue
        if n + 1 > cap:
            cap = n + 1
            msgs, texts, calls, resps = _message_arrays(cap)
        ext = _grow(ext, 0, end - start + 16)
        nm, nt, nc = _interpret(data, dec, tape, response, msgs, texts, calls, resps, ext, stack, counts, keys)
        if nm < 0:
            continue
        ok[row] = True
        if nm == 0:
            continue
        need_m, need_t, need_c = _bounds(tape, texts, msgs, calls, nm, nc, False)
        out_m = _grow(out_m, pm, need_m)
        out_s = _grow(out_s, ps, need_t)
        out_t = _grow(out_t, pt, need_t)
        out_c = _grow(out_c, pc, need_c)
        valid[0, row] = True
        pm = _put_messages(data, dec, tape, ext, texts, msgs, calls, nm, out_m, pm)
        # system text (`messages.system_text`), words (`semconv._messages_text`): the non-empty
        # contents of system / of all but tool messages, joined
        joined_s = 0
        joined_t = 0
        for j in range(nm):
            if _content_length(tape, texts, msgs, j) == 0 or msgs[j, M_ROLE] == R_TOOL:
                continue
            if msgs[j, M_ROLE] == R_SYSTEM:
                if joined_s > 0:
                    out_s[ps] = 0x0A
                    ps += 1
                joined_s += 1
                ps = _message_content(data, dec, tape, ext, texts, msgs, j, out_s, ps)
            if joined_t > 0:
                out_t[pt] = 0x0A
                pt += 1
            joined_t += 1
            pt = _message_content(data, dec, tape, ext, texts, msgs, j, out_t, pt)
        valid[1, row] = joined_s > 0
        valid[2, row] = joined_t > 0
        if nc > 0:  # requested calls (`semconv._requested_calls`): every message's
            valid[3, row] = True
            pc = _put_calls(data, dec, tape, ext, calls, 0, nc, out_c, pc)
    off[0, count] = pm
    off[1, count] = ps
    off[2, count] = pt
    off[3, count] = pc
    return ok, off, valid, out_m[:pm], out_s[:ps], out_t[:pt], out_c[:pc]


def _columns(values: pa.Array, rows: np.ndarray | None, response: bool, who: str) -> GenaiColumns:
    ok, off, valid, out_m, out_s, out_t, out_c = _canonical(*string_rows(values, rows, who), response)
    return GenaiColumns(ok=ok, messages=_string_array(off[0], out_m, valid[0]),
                        system=_string_array(off[1], out_s, valid[1]), text=_string_array(off[2], out_t, valid[2]),
                        calls=_string_array(off[3], out_c, valid[3]))


def canonical_request(values: pa.Array, rows: np.ndarray | None = None) -> GenaiColumns:
    """The input messages of each ADK request string of `values` (pa.string() or
    pa.large_string()), or of its `rows` only (read in place: no copy of the strings), as
    the `gemini_request` decoder reads them; rows not `ok` are for the Python reference."""
    return _columns(values, rows, False, "canonical_request")


def canonical_response(values: pa.Array, rows: np.ndarray | None = None) -> GenaiColumns:
    """The output messages of each ADK response string of `values`, or of its `rows` only, as
    the `messages` decoder reads them; rows not `ok` are for the Python reference."""
    return _columns(values, rows, True, "canonical_response")


@njit(cache=True, nogil=True)
def _systems(data, starts, ends, nulls):
    """`semconv._gemini_system` of each value data[starts[i]:ends[i]] not null, empty results
    null: (ok, offsets, valid, data)."""
    count = nulls.shape[0]
    ok = np.zeros(count, np.bool_)
    off = np.zeros(count + 1, np.int64)
    valid = np.zeros(count, np.bool_)
    size = np.int64(data.shape[0])
    out = np.empty(4096, np.uint8)
    pos = 0
    tape = np.empty((1024, T_COLS), np.int64)
    stack = np.zeros(_MAX_DEPTH, np.int64)
    dec = np.empty(4096, np.uint8)
    texts = np.empty(1024, np.int64)
    for row in range(count):
        off[row] = pos
        if nulls[row]:
            ok[row] = True
            continue
        start, end = _value_range(starts, ends, size, row)
        if start < 0:
            continue
        if start == end or data[start] != 0x7B:  # not parsed by `_loads`: None
            ok[row] = True
            continue
        n, tape, dec = _parse_grown(data, start, end, tape, stack, dec)
        if n < 0:
            continue
        config = _member(data, dec, tape, 0, N_CONFIG)
        system = _ABSENT
        if config >= 0 and tape[config, T_KIND] == K_OBJ:
            system = _member(data, dec, tape, config, N_SYSTEM_INSTRUCTION)
        if system >= 0 and tape[system, T_KIND] == K_OBJ:  # a Content: its parts
            system = _member(data, dec, tape, system, N_PARTS)
        if config == _REPEATED or system == _REPEATED:
            continue
        nt = 0
        if system >= 0:
            kind = tape[system, T_KIND]
            if kind == K_STR:
                texts[0] = system
                nt = 1
            elif kind == K_ARR:  # `semconv._content_text` of parts: their content, else text, strings
                if n > texts.shape[0]:
                    texts = np.empty(n, np.int64)
                part = system + 1
                while part < tape[system, T_NEXT]:
                    kind = tape[part, T_KIND]
                    if kind == K_STR:
                        texts[nt] = part
                        nt += 1
                    elif kind == K_OBJ:
                        chosen = _member(data, dec, tape, part, N_CONTENT)
                        text = _member(data, dec, tape, part, N_TEXT)
                        if chosen == _REPEATED or text == _REPEATED:
                            nt = -1
                            break
                        if chosen == _ABSENT:
                            chosen = text
                        if chosen >= 0 and tape[chosen, T_KIND] == K_STR:
                            texts[nt] = chosen
                            nt += 1
                    part = tape[part, T_NEXT]
            elif kind != K_NULL:  # (numbers, booleans: as JSON)
                nt = -1
        if nt < 0:
            continue
        ok[row] = True
        need = 0
        for t in range(nt):
            need += tape[texts[t], T_AUX] + 1
        out = _grow(out, pos, need)
        for t in range(nt):
            if t > 0:
                out[pos] = 0x0A
                pos += 1
            pos = _put_text(data, dec, tape, texts[t], False, out, pos)
        valid[row] = pos > off[row]
    off[count] = pos
    return ok, off, valid, out[:pos]


def system_texts(values: pa.Array, rows: np.ndarray) -> tuple[np.ndarray, pa.Array]:
    """(ok, text) of the ADK request strings at `rows` (read in place) as the `gemini_system`
    decoder reads their system instructions (null where that is empty); rows not ok are for
    the Python reference."""
    ok, off, valid, out = _systems(*string_rows(values, rows, "system_texts"))
    return ok, _string_array(off, out, valid)


def warm() -> None:
    """Compile the kernels (numba's on-disk cache keeps them for the next process)."""
    request = ('{"model":"m","config":{"system_instruction":"Be brief. \\u00e9","tools":[]},"contents":['
               '{"role":"user","parts":[{"text":"hi"}]},'
               '{"role":"model","parts":[{"function_call":{"id":"c1","name":"f","args":{"a":[1,true,null,"s"]}}}]},'
               '{"role":"user","parts":[{"function_response":{"id":"c1","name":"f","response":{"ok":1}}}]}]}')
    response = '{"content":{"role":"model","parts":[{"text":"done"}]},"finish_reason":"STOP"}'
    sample = [None, "", "plain", "{}", "[]", request, response]
    for kind in (pa.string(), pa.large_string()):
        values = pa.array(sample, kind)
        canonical_request(values)
        canonical_response(values)
        system_texts(values, np.arange(len(sample)))

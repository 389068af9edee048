"""The compiled canonicalization of GenAI message lists (genai_kernel) against its Python
reference (semconv._genai_messages, json_text, messages.system_text, _messages_text,
_requested_calls): every row the kernel answers must be byte-identical to the reference, the
common shapes must be answered, and damaged values must never make it read past a value."""

from __future__ import annotations

import json
import random

import orjson
import pyarrow as pa
import pytest

pytest.importorskip("numba")

from analyzer.ingest.normalize import messages, semconv  # noqa: E402
from analyzer.ingest.normalize.genai_kernel import _is_space, canonical_genai  # noqa: E402
from tests.ingest.damage import cut_or_flip  # noqa: E402
from tests.ingest.without_jit import run_without_jit  # noqa: E402


def reference(value: str | None) -> tuple:
    if value is None:
        return None, None, None, None
    m = semconv._genai_messages(value)
    ref_messages = None if m in (None, []) else semconv.json_text(m)
    ref_system = messages.system_text(m) if m else None
    ref_text = semconv._messages_text(m) if m else None
    c = semconv._requested_calls(m) if m else None
    ref_calls = None if c is None else semconv.json_text(c)
    return ref_messages, ref_system, ref_text, ref_calls


def check(values: list, kind: pa.DataType = pa.string()) -> list[bool]:
    """ok per value; every ok row equals the reference."""
    out = canonical_genai(pa.array(values, kind))
    assert len(out.ok) == len(values)
    columns = [column.to_pylist() for column in (out.messages, out.system, out.text, out.calls)]
    for column in (out.messages, out.system, out.text, out.calls):
        assert column.type in (pa.string(), pa.large_string()) and len(column) == len(values)
    for i, value in enumerate(values):
        if out.ok[i]:
            got = tuple(column[i] for column in columns)
            assert got == reference(value), f"row {i}: {value!r}"
    return [bool(x) for x in out.ok]


def genai(*msgs) -> str:
    return json.dumps(list(msgs))


def text_part(content) -> dict:
    return {"type": "text", "content": content}


TRICKY = "a\"b\\c/d\b\f\n\r\t\x01\x1f\x7f\u2028é😀日本"
HAND = [  # (value, must the kernel answer it: True, False or None for either)
    (None, True),
    ("", True),
    ("plain text", True),
    (" [{\"role\":\"user\",\"parts\":[]}]", True),  # not parsed by _loads: None
    ("{\"role\":\"user\"}", True),  # an object: None
    ("{not json", True),
    ("[]", True),
    ("[1, \"x\", null, [], true]", True),
    ("[  ]\n", True),
    # escapes, \u surrogate pairs, control characters, non-ASCII raw and escaped
    (genai({"role": "user", "parts": [text_part(TRICKY)]}), True),
    (orjson.dumps([{"role": "user", "parts": [text_part(TRICKY)]}]).decode(), True),
    ('[{"role":"user","parts":[{"type":"text","content":"\\/\\u0000\\u00e9\\ud83d\\ude00\\u2028\\u0022\\u005c"}]}]',
     True),
    ('[{"role":"user","parts":[{"type":"text","content":"\\ud800"}]}]', False),  # lone surrogate: orjson refuses
    ('[{"role":"user","parts":[{"type":"text","content":"\\udc00\\ud800"}]}]', False),
    ('[{"role":"user","parts":[{"type":"text","content":"\\x"}]}]', False),
    ('[{"role":"user","parts":[{"type":"text","content":"a\tb"}]}]', False),  # raw control byte
    # roles, messages without parts, OpenAI-style messages
    (genai({"parts": [text_part("x")]}), True),
    (genai({"role": None, "parts": [text_part("x")]}), True),
    (genai({"role": "user"}), True),
    (genai({"role": "user", "parts": None}), True),
    (genai({"role": "user", "parts": "abc"}), True),
    (genai({"role": "user", "parts": {"a": 1}}), True),
    (genai({"role": "user", "parts": False}), True),
    (genai({"role": "user", "parts": True}), False),  # the reference raises
    (genai({"role": "user", "content": "hello"}), False),
    (genai({"role": "user", "parts": [text_part("x")], "content": "ignored"}), True),
    (genai({"role": 5, "parts": [text_part("x")]}), False),
    (genai({"role": "system", "parts": [text_part("sys one")]}, {"role": "system", "parts": [text_part("two")]},
           {"role": "user", "parts": [text_part("")]}), True),
    # parts: text, null content, reasoning, other types, non-dicts
    (genai({"role": "assistant", "parts": [text_part(None), text_part("a"), text_part(None), text_part("b")]}), True),
    (genai({"role": "assistant", "parts": [text_part(None)]}), True),
    (genai({"role": "assistant", "parts": [{"type": "text"}, {"type": "text", "text": "x"}]}), True),
    (genai({"role": "assistant", "parts": [{"type": "reasoning", "content": "r"}, {"type": "Thinking", "content": "t"},
                                           {"type": "redacted_thinking", "content": "x"}, text_part("said")]}), True),
    (genai({"role": "assistant", "parts": [{"type": "image", "content": "img"}, {"content": "untyped"},
                                           {"type": 5, "content": "n"}, {"type": None, "content": "z"}]}), True),
    (genai({"role": "assistant", "parts": ["str", 1, None, [], text_part("x")]}), True),
    (genai({"role": "assistant", "parts": [{"type": "tëxt", "content": "x"}]}), False),
    (genai({"role": "assistant", "parts": [{"type": "image", "content": {"url": "u"}}]}), False),
    # tool calls
    (genai({"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "f", "arguments": "{\"a\": 1}"}]}),
     True),
    (genai({"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "f",
                                            "arguments": {"a": [1, -2, {"b": None, "c": True, "d": False}], "e": {},
                                                          "f": [], "g": "ü\n\"q\""}}]}), True),
    (genai({"role": "assistant", "parts": [{"type": "tool_call", "arguments": [1, [2, [3]]]}]}), True),
    (genai({"role": "assistant", "parts": [{"type": "tool_call", "id": None, "name": None, "arguments": None}]}), True),
    (genai({"role": "assistant", "parts": [{"type": "tool_call", "arguments": 42}, {"type": "tool_call",
                                                                                  "arguments": True}]}), True),
    (genai({"role": "assistant", "parts": [{"type": "tool_call", "arguments": {"x": 1.5}}]}), False),
    (genai({"role": "assistant", "parts": [{"type": "tool_call", "arguments": {"x": 2 ** 63}}]}), False),
    (genai({"role": "assistant", "parts": [{"type": "tool_call", "arguments": {"x": 1e300}}]}), False),
    (genai({"role": "assistant", "parts": [{"type": "tool_call", "id": 7, "arguments": {}}]}), False),
    (genai({"role": "assistant", "parts": [text_part("calling"), {"type": "tool_call", "id": "a", "name": "f"},
                                           {"type": "tool_call", "id": "b", "name": "g"}],
            "finish_reason": "tool_calls"}), True),
    ('[{"role":"assistant","parts":[{"type":"tool_call","arguments":{"a":1,"a":2}}]}]', False),
    ('[{"role":"assistant","parts":[{"type":"tool_call","arguments":{"a":-0}}]}]', False),
    ('[{"role":"assistant","parts":[{"type":"tool_call","arguments":{"a\\u00e9":1}}]}]', True),
    ('[{"role":"assistant","parts":[{"type":"tool_call","arguments":' + "[" * 40 + "]" * 40 + "}]}]", True),
    ('[{"role":"assistant","parts":[{"type":"tool_call","arguments":' + "[" * 100 + "]" * 100 + "}]}]", False),
    # tool call responses
    (genai({"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": {"ok": 1, "v": [1]}}]}),
     True),
    (genai({"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "done"},
                                      {"type": "tool_call_response", "id": "c2", "result": "other"}]}), True),
    (genai({"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": None, "result": "r"}]}),
     True),
    (genai({"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1"}]}), True),
    (genai({"role": "tool", "parts": [{"type": "tool_call_response", "response": ""}]}), True),
    (genai({"role": "tool", "parts": [{"type": "tool_call_response", "response": 3},
                                      {"type": "tool_call_response", "response": False}]}), True),
    (genai({"role": "user", "parts": [text_part("q"), {"type": "tool_call_response", "id": "c", "response": "r"}]}),
     True),
    (genai({"role": "system", "parts": [{"type": "tool_call_response", "id": "c", "response": {"a": "b"}}]}), True),
    (genai({"role": "tool", "parts": [{"type": "tool_call_response", "response": "[1, 2]"}]}), False),
    (genai({"role": "tool", "parts": [{"type": "tool_call_response", "response": " text"}]}), False),
    (genai({"role": "tool", "parts": [{"type": "tool_call_response", "response": "\u3000x"}]}), False),
    (genai({"role": "tool", "parts": [{"type": "tool_call_response", "response": "é text"}]}), True),
    # content blocks as a response (Strands): the one text they give, else the reference
    (genai({"role": "tool", "parts": [{"type": "tool_call_response", "response": [{"text": "x"}]}]}), True),
    (genai({"role": "user", "parts": [{"type": "tool_call_response", "id": "c", "result": [{"text": "é\n\"q"}]}]}), True),
    (genai({"role": "tool", "parts": [{"type": "tool_call_response", "response": [{"toolUse": {"n": 1}}, {"text": "x"}]}]}),
     True),
    (genai({"role": "tool", "parts": [{"type": "tool_call_response", "response": [{"type": "t", "content": "c",
                                                                                   "text": "t"}]}]}), True),
    (genai({"role": "tool", "parts": [{"type": "tool_call_response", "response": [{"text": "x"}, {"text": "y"}]}]}),
     False),
    (genai({"role": "tool", "parts": [{"type": "tool_call_response", "response": [{"json": {"a": 1}}]}]}), False),
    (genai({"role": "tool", "parts": [{"type": "tool_call_response", "response": [{"text": ""}]}]}), False),
    (genai({"role": "tool", "parts": [{"type": "tool_call_response", "response": [{"foo": "x"}]}]}), False),
    (genai({"role": "tool", "parts": [{"type": "tool_call_response", "response": [{"text": "x"}, "y"]}]}), False),
    (genai({"role": "tool", "parts": [{"type": "tool_call_response", "response": []}]}), False),
    (genai({"role": "tool", "parts": [{"type": "tool_call_response", "response": [{"content": 3, "text": "x",
                                                                                   "type": "t"}]}]}), False),
    ('[{"role":"tool","parts":[{"type":"tool_call_response","response":[{"text":"a","text":"b"}]}]}]', False),
    ('[{"role":"tool","parts":[{"type":"tool_call_response","response":[{"t\u0065xt":"a"}]}]}]', True),
    ('[{"role":"tool","parts":[{"type":"tool_call_response","response":[{"tex":"a"},{"toolResulu":1}]}]}]', False),
    ('[{"role":"tool","parts":[{"type":"tool_call_response","response":[{"reasoningContent":1,"text":"r"}]}]}]', True),
    ('[{"role":"tool","parts":[{"type":"tool_call_response","response":[{"reasoningContenu":1,"text":"r"}]}]}]', True),
    # names one byte away from the ones the kernel reads (compared 8 bytes at a time)
    (genai({"rolf": "system", "parts": [{"type": "tnol_call_response", "id": "c", "response": "r"},
                                        {"type": "tool_call_responsf", "response": "r"},
                                        {"type": "xool_call", "argumentz": {"a": 1}}, {"type": "tool_calk"},
                                        {"type": "texu", "content": "c"}, {"typf": "text", "contenu": "d"}],
            "finish_reasoo": "stop", "partt": [1]}), True),
    (genai({"role": "user", "parts": [{"type": "tool_call", "id": "c", "nama": "n", "argumentsx": 1,
                                       "resulu": 2, "responsd": 3, "ie": 4}]}), True),
    # finish_reason
    (genai({"role": "assistant", "parts": [text_part("x")], "finish_reason": "stop"}), True),
    (genai({"role": "assistant", "parts": [text_part("x")], "finish_reason": ""}), True),
    (genai({"role": "assistant", "parts": [text_part("x")], "finish_reason": None}), True),
    (genai({"role": "assistant", "parts": [text_part("x")], "finish_reason": 1}), False),
    # repeated keys, other keys, numbers where they are skipped
    ('[{"role":"a","role":"b","parts":[]}]', False),
    ('[{"role":"user","parts":[{"type":"text","content":"a","content":"b"}]}]', False),
    ('[{"r\\u006fle":"user","parts":[{"t\\u0079pe":"t\\u0065xt","content":"x"}]}]', True),  # escaped keys
    ('[{"role":"a","r\\u006fle":"b","parts":[]}]', False),  # the same key twice
    ('[{"role":"assistant","parts":[{"type":"tool_call","arguments":{"\\u00e9":1,"\\u00e8":2,"a":3}}]}]', True),
    ('[{"role":"assistant","parts":[{"type":"tool_call","arguments":{"\\u00e9":1,"\u00e9":2}}]}]', False),
    (genai({"role": "user", "x": 1.5, "y": [1e-5, {"z": -0.0}], "name": None, "parts": [text_part("x")]}), True),
    ('[{"role":"user","x":1e400,"parts":[]}]', False),  # orjson refuses the infinity
    ('[{"role":"user","x":123456789012345678901234567890,"parts":[]}]', True),
    ('[{"role":"user","x":01,"parts":[]}]', False),
    # white space everywhere, invalid JSON
    (' \n[ { "role" : "user" , "parts" : [ { "type" : "text" , "content" : "x" } ] } ] \r\n\t', None),
    ('[ { "role" : "user" , "parts" : [ { "type" : "text" , "content" : "x" } ] } ] \r\n\t', True),
    (json.dumps([{"role": "user", "parts": [text_part("x\ny")]}], indent=1), True),
    ('[{"role":"user",]', False),
    ('[{"role":"user","parts":[]}', False),
    ('[{"role":"user","parts":[]}] x', False),
    ('[{"role":"user","parts":[]}]\x0b', False),
    ('[1,]', False),
    ('[tru]', False),
]


def test_hand_cases():
    values = [value for value, _ in HAND]
    ok = check(values)
    for (value, expected), answered in zip(HAND, ok):
        if expected is not None:
            assert answered == expected, f"{value!r}: ok {answered}, expected {expected}"


def test_large_string_sliced_and_nulls():
    values = [value for value, _ in HAND]
    for kind in (pa.string(), pa.large_string()):
        whole = pa.array([None, "x"] + values + [None], kind)
        part = whole.slice(1, len(values) + 1)
        out = canonical_genai(part)
        expected = canonical_genai(pa.array(["x"] + values, kind))
        assert list(out.ok) == list(expected.ok)
        for name in ("messages", "system", "text", "calls"):
            assert getattr(out, name).to_pylist() == getattr(expected, name).to_pylist()
    assert canonical_genai(pa.array([], pa.string())).messages.to_pylist() == []
    assert check([None, None]) == [True, True]


def test_is_space_matches_str_isspace():
    for cp in list(range(0x3100)) + [0xFEFF, 0x10FFFF, 0x1F600]:
        assert _is_space(cp) == chr(cp).isspace(), hex(cp)


WORDS = ["order", "shipped", "café", "über", "naïve", "😀", "日本", "a\"q", "back\\slash", "tab\there", "nl\n",
         "ctl\x01", "del\x7f", "ls\u2028", "slash/", "<b>", ""]


def _text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 12)))


def _json_value(rng: random.Random, depth: int = 0, floats: bool = False):
    roll = rng.random()
    if depth < 3 and roll < 0.25:
        return {rng.choice(["a", "id", "é", "k" + str(i)]) + str(i): _json_value(rng, depth + 1, floats)
                for i in range(rng.randint(0, 3))}
    if depth < 3 and roll < 0.4:
        return [_json_value(rng, depth + 1, floats) for _ in range(rng.randint(0, 3))]
    if roll < 0.6:
        return _text(rng)
    if roll < 0.75:
        return rng.choice([0, 1, -5, 2 ** 40, -(2 ** 50), 123456789012345678])
    if roll < 0.85:
        return rng.choice([True, False, None])
    return rng.random() * 100 if floats else rng.randint(-100, 100)


def _part(rng: random.Random, common: bool) -> object:
    roll = rng.random()
    if roll < 0.45:
        return {"type": "text", "content": _text(rng)}
    if roll < 0.55:
        part: dict = {"type": "tool_call"}
        for key, value in (("id", f"call_{rng.randint(0, 9)}"), ("name", rng.choice(["get", "search", "é"])),
                           ("arguments", rng.choice([_json_value(rng), json.dumps(_json_value(rng)), None]))):
            if rng.random() < 0.9:
                part[key] = value
        return part
    if roll < 0.65:
        body = rng.choice([_json_value(rng) if not isinstance(_json_value(rng), list) else {"x": 1},
                           _text(rng).lstrip() or "ok", {"status": "ok", "n": [1, 2]}, None,
                           [{"text": _text(rng) or "ok"}], [{"toolUse": {"name": "t"}}, {"text": _text(rng) or "ok"}]])
        if isinstance(body, str) and (body[:1].isspace() or body[:1] == "["):
            body = "x" + body
        return {"type": "tool_call_response", "id": f"call_{rng.randint(0, 9)}",
                rng.choice(["response", "result"]): body}
    if roll < 0.72:
        return {"type": rng.choice(["reasoning", "thinking", "redacted_thinking"]), "content": _text(rng)}
    if roll < 0.78:
        return {"type": rng.choice(["image", "file", "refusal"]), "content": _text(rng)}
    if roll < 0.82:
        return {"type": "text", "content": None}
    if common:
        return {"type": "text", "content": _text(rng), "annotations": [_json_value(rng, floats=True)]}
    # shapes the kernel may leave to Python
    return rng.choice([
        {"type": "tool_call", "arguments": {"x": 1.25}},
        {"type": "tool_call_response", "response": [{"text": "block"}]},
        {"type": "tool_call_response", "response": " [1]"},
        {"type": "text", "content": {"nested": True}},
        "a string part",
    ])


def _message(rng: random.Random, common: bool) -> object:
    if not common and rng.random() < 0.1:
        return rng.choice([{"role": "user", "content": _text(rng)}, {"role": 3, "parts": []}, "not a message"])
    message: dict = {}
    if rng.random() < 0.95:
        message["role"] = rng.choice(["system", "user", "assistant", "tool", None, "developer"])
    if rng.random() < 0.95:
        message["parts"] = [_part(rng, common) for _ in range(rng.randint(0, 4))]
    if rng.random() < 0.3:
        message["finish_reason"] = rng.choice(["stop", "length", "", None])
    if rng.random() < 0.1:
        message["metadata"] = _json_value(rng, floats=True)
    keys = list(message)
    if rng.random() < 0.3:
        rng.shuffle(keys)
    return {key: message[key] for key in keys}


def _serialize(rng: random.Random, value: object) -> str:
    how = rng.randrange(5)
    if how == 0:
        return json.dumps(value)
    if how == 1:
        return json.dumps(value, separators=(",", ":"))
    if how == 2:
        return json.dumps(value, indent=1)
    if how == 3:
        return json.dumps(value, ensure_ascii=False)
    return orjson.dumps(value).decode()


def fuzz_values(count: int, seed: int) -> tuple[list[str | None], list[bool], list[bytes]]:
    """(values, whether each is an undamaged common shape, damaged values that are not UTF-8)."""
    rng = random.Random(seed)
    values: list[str | None] = []
    common: list[bool] = []
    not_utf8: list[bytes] = []
    while len(values) < count:
        is_common = rng.random() < 0.7
        text = _serialize(rng, [_message(rng, is_common) for _ in range(rng.randint(0, 5))])
        if rng.random() < 0.25:
            damaged = bytes(cut_or_flip(bytearray(text.encode()), rng, rng.randrange(2))) if text else b""
            try:
                values.append(damaged.decode())
            except UnicodeDecodeError:
                not_utf8.append(damaged)
                continue
            common.append(False)
        else:
            values.append(text if rng.random() > 0.01 else None)
            common.append(is_common)
    return values, common, not_utf8


def test_fuzz_against_reference():
    values, common, not_utf8 = fuzz_values(4000, seed=5)
    ok = check(values)
    common_ok = [answered for answered, is_common in zip(ok, common) if is_common]
    assert len(common_ok) > 1500
    assert sum(common_ok) >= 0.9 * len(common_ok)
    assert 0.05 * len(ok) < len(ok) - sum(ok)  # the fallback was exercised too
    check(values, pa.large_string())
    # values that are not UTF-8 (no reference exists): the kernel must still only read them
    raw = pa.array(not_utf8, pa.binary())
    out = canonical_genai(pa.Array.from_buffers(pa.string(), len(raw), raw.buffers()))
    assert len(out.ok) == len(not_utf8)


def test_warm():
    from analyzer.ingest.normalize.genai_kernel import warm

    warm()


def test_fuzzed_values_never_read_past_the_buffer():
    """The kernels as plain Python over numpy arrays (NUMBA_DISABLE_JIT): an index past the
    end of a buffer raises IndexError there instead of reading memory."""
    script = (
        "import pyarrow as pa\n"
        "from tests.ingest.test_genai_kernel import HAND, canonical_genai, check, fuzz_values\n"
        "values, common, not_utf8 = fuzz_values(300, seed=23)\n"
        "values += [value for value, _ in HAND]\n"
        "ok = check(values)\n"
        "raw = pa.array(not_utf8, pa.binary())\n"
        "canonical_genai(pa.Array.from_buffers(pa.string(), len(raw), raw.buffers()))\n"
        "import numpy as np\n"
        "from tests.ingest.test_genai_kernel import completion_values\n"
        "from analyzer.ingest.normalize.genai_kernel import completion_texts\n"
        "completions = completion_values(300, seed=23)\n"
        "completion_texts(pa.array(completions, pa.string()), np.arange(len(completions)))\n"
        "print(sum(ok), len(ok), len(values) - sum(common))\n"
    )
    answered, total, _ = map(int, run_without_jit(script).split())
    assert 0 < answered < total


def test_rows_are_read_in_place_as_the_taken_values_would_be():
    """`rows` selects values without copying them: the same answers as the taken array's, in
    the order of `rows` (repeats allowed); a row past the array is refused."""
    import numpy as np

    values, _, _ = fuzz_values(400, seed=5)
    array = pa.array(values, pa.string()).slice(7)  # a sliced array: offsets start past 0
    rng = np.random.default_rng(5)
    rows = rng.integers(0, len(array), 300)
    got = canonical_genai(array, rows)
    want = canonical_genai(array.take(pa.array(rows)))
    assert got.ok.tolist() == want.ok.tolist()
    for name in ("messages", "system", "text", "calls"):
        assert getattr(got, name).to_pylist() == getattr(want, name).to_pylist(), name
    assert got.ok.sum() > 100
    with pytest.raises(IndexError):
        canonical_genai(array, np.array([len(array)]))


def completion_values(count: int, seed: int) -> list[str | None]:
    """Values of a completion attribute (`output.value`, `gen_ai.completion`): JSON objects
    with or without a top-level `text` / `content`, other JSON, prose, damaged JSON."""
    rng = random.Random(seed)
    out: list[str | None] = []
    while len(out) < count:
        roll = rng.random()
        if roll < 0.5:
            obj = {}
            for key in rng.sample(["text", "content", "id", "choices", "te\u0078t", "finish_reason"], rng.randint(0, 4)):
                obj[key] = _text(rng) if rng.random() < 0.6 else _json_value(rng)
            if rng.random() < 0.2:
                obj["choices"] = [{"message": {"role": "assistant", "content": _text(rng)}}]
            text = _serialize(rng, obj)
        elif roll < 0.6:
            text = _serialize(rng, [_json_value(rng) for _ in range(rng.randint(0, 3))])
        elif roll < 0.75:
            text = rng.choice(["", " ", _text(rng), "{" + _text(rng), '{"text": "a", "text": "b"}',
                               '{"content": "c", "text": 5}', '{"text": "\\u00e9\\n\\"q\\"\\ud83d\\ude00"}',
                               ' {"text": "lead"}', '{"te\\u0078t": "escaped key"}', '{"text": ""}'])
        else:
            text = _serialize(rng, {"text": _text(rng)}) if rng.random() < 0.5 else None
        if text and rng.random() < 0.15:
            damaged = bytes(cut_or_flip(bytearray(text.encode()), rng, rng.randrange(2)))
            try:
                text = damaged.decode()
            except UnicodeDecodeError:
                continue
        out.append(text)
    return out


def test_completion_texts_match_the_reference():
    """`completion_texts` gives `semconv._completion_text` (empty as null) for every row it
    answers, reads the rows in place, and leaves only refused JSON or repeated keys."""
    import numpy as np

    from analyzer.ingest.normalize.columnar import _decode_each
    from analyzer.ingest.normalize.genai_kernel import completion_texts

    values = completion_values(4000, seed=11)
    array = pa.array(values, pa.string()).slice(3)
    rows = np.random.default_rng(11).integers(0, len(array), 3000)
    ok, texts = completion_texts(array, rows)
    taken = [array[int(r)].as_py() for r in rows]
    want = _decode_each("completion_text", "output.value", taken)
    got = texts.to_pylist()
    assert [g for g, o in zip(got, ok) if o] == [w for w, o in zip(want, ok) if o]
    assert ok.sum() > 0.8 * len(rows)
    refused = {v for v, o in zip(taken, ok) if not o}
    assert refused and all(v.startswith("{") for v in refused)
    assert {'{"text": "a", "text": "b"}'} <= refused
    changed = sum(1 for g, v, o in zip(got, taken, ok) if o and g != v)
    assert changed > 300  # a text or content was read out of many objects

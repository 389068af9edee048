"""The compiled reading of Google ADK's model-call attributes (normalize/gemini_kernel.py)
against its Python reference (`columnar._decode_each` with the `gemini_request`, `messages`
and `gemini_system` decoders, then `columnar._message_fields`): every row the kernel answers
must be byte-identical to the reference, every plain ADK request and response must be
answered, and damaged values must never make it read past a value."""

from __future__ import annotations

import json
import random

import numpy as np
import orjson
import pyarrow as pa
import pytest

pytest.importorskip("numba")

from analyzer.ingest.normalize.columnar import _decode_each, _message_fields  # noqa: E402
from analyzer.ingest.normalize.gemini_kernel import canonical_request, canonical_response, system_texts  # noqa: E402
from tests.ingest.damage import cut_or_flip  # noqa: E402
from tests.ingest.test_genai_kernel import TRICKY, _json_value, _serialize, _text  # noqa: E402
from tests.ingest.without_jit import run_without_jit  # noqa: E402

REQUEST, RESPONSE = "gcp.vertex.agent.llm_request", "gcp.vertex.agent.llm_response"


def reference(decoder: str, key: str, values: list[str | None]) -> list[tuple]:
    """The four message columns of each value as the row path writes them."""
    columns = [column.to_pylist() for column in _message_fields(_decode_each(decoder, key, values))]
    return list(zip(*columns))


def check(values: list[str | None], kind: pa.DataType = pa.string()) -> tuple[list[bool], list[bool], list[bool]]:
    """(ok of requests, of responses, of system texts) per value; every ok row equals the
    reference. Each value is read by all three, whatever its shape."""
    array = pa.array(values, kind)
    answered = []
    for read, decoder, key in ((canonical_request, "gemini_request", REQUEST),
                               (canonical_response, "messages", RESPONSE)):
        out = read(array)
        assert len(out.ok) == len(values)
        columns = [column.to_pylist() for column in (out.messages, out.system, out.text, out.calls)]
        for i, want in enumerate(reference(decoder, key, values)):
            if out.ok[i]:
                assert tuple(column[i] for column in columns) == want, f"{decoder} row {i}: {values[i]!r}"
        answered.append([bool(x) for x in out.ok])
    ok, texts = system_texts(array, np.arange(len(values)))
    for i, (got, want) in enumerate(zip(texts.to_pylist(), _decode_each("gemini_system", REQUEST, values))):
        if ok[i]:
            assert got == want, f"gemini_system row {i}: {values[i]!r}"
    answered.append([bool(x) for x in ok])
    return answered[0], answered[1], answered[2]


def request(contents=None, system=None, **extra) -> str:
    value = {"model": "gemini-2.5-flash", "config": {"system_instruction": system, "temperature": 0.25}, **extra}
    if contents is not None:
        value["contents"] = contents
    return json.dumps(value)


def response(content) -> str:
    return json.dumps({"model_version": "gemini-2.5-flash-001", "content": content, "finish_reason": "STOP",
                       "usage_metadata": {"prompt_token_count": 12, "avg_logprobs": -0.125}})


def user(*parts) -> dict:
    return {"parts": list(parts), "role": "user"}


def model(*parts) -> dict:
    return {"parts": list(parts), "role": "model"}


def call(name="f", args=None, **more) -> dict:
    return {"function_call": {"args": {} if args is None else args, "name": name, **more}}


def result(name="f", body=None, **more) -> dict:
    return {"function_response": {**more, "name": name, "response": {"ok": 1} if body is None else body}}


HAND = [  # (value, request answered, response answered, system answered: True, False or None for either)
    (None, True, True, True),
    ("", True, True, True),
    ("plain", True, True, True),
    ("{}", True, True, True),
    ("[]", True, False, True),  # a list: `_collect` reads its items
    (" \n[]", True, False, True),
    ("\u00a0{}", True, True, True),  # a space orjson refuses before the object: None
    (' "quoted"', True, True, True),
    ("{not json", False, False, False),
    (" " + request([user({"text": "x"})], "s"), True, None, True),  # `_loads` reads no white space: None
    (request([user({"text": TRICKY})], TRICKY), True, None, True),
    (orjson.dumps({"contents": [user({"text": TRICKY})]}).decode(), True, None, True),
    ('{"contents":[{"role":"user","parts":[{"text":"\\/\\u0000\\u00e9\\ud83d\\ude00\\u2028\\u0022\\u005c"}]}]}',
     True, None, True),
    ('{"contents":[{"role":"user","parts":[{"text":"\\ud800"}]}]}', False, None, False),  # orjson refuses
    ('{"contents":[{"role":"user","parts":[{"text":"a\tb"}]}]}', False, None, False),  # a raw control byte
    # contents
    (request(None, "sys"), True, True, True),
    (request([]), True, None, True),
    (request("[]"), False, None, True),  # `maybe_json` parses a string
    (request({"role": "user"}), False, None, True),
    (request([[user({"text": "nested"})]]), False, None, True),
    (request([{}, "text", 5, None, user({"text": "x"})]), True, None, True),
    ('{"contents":[],"contents":[{"role":"user","parts":[{"text":"last"}]}]}', False, None, True),
    ('{"con\\u0074ents":[{"role":"user","parts":[{"text":"escaped key"}]}]}', True, False, True),
    # roles
    (request([{"parts": [{"text": "no role"}]}, {"role": None, "parts": [{"text": "null"}]}]), True, None, True),
    (request([{"role": r, "parts": [{"text": r}]} for r in ("human", "ai", "bot", "function", "developer", "system",
                                                          "assistant", "tool", "mod\u0065l")]), True, None, True),
    (request([{"role": 5, "parts": [{"text": "x"}]}]), False, None, True),
    (request([{"role": "agent_x", "parts": [{"text": "x"}]}]), True, None, True),
    (request([model(call("lookup", id="c1")), {"role": "lookup", "parts": [{"text": "r"}]}]), False, None, True),
    (request([model(call("lookup")), {"role": "lookup", "parts": [{"text": "r"}]}]), True, None, True),
    (request([{"role": "user"}, {"role": "user", "parts": None}, {"role": "user", "parts": "s"},
              {"role": "user", "parts": {"text": "obj"}}]), True, None, True),
    (request([{"role": "user", "parts": [], "name": "n"}]), False, None, True),
    (request([{"role": "user", "content": "openai"}]), False, None, True),
    ('{"contents":[{"role":"user","role":"model","parts":[]}]}', False, None, True),
    # parts
    (request([user({"text": ""}, {"text": "a"}, {"text": ""})]), True, None, True),
    (request([user({"text": None})]), False, None, True),
    (request([user({"text": "x", "thought": True})]), False, None, True),
    (request([user({"thought": True, "text": "x"})]), False, None, True),
    (request([user({"inline_data": {"mime_type": "image/png", "data": "AAAA"}})]), False, None, True),
    (request([user({"functionCall": {"name": "f", "args": {}}})]), False, None, True),
    (request([user({"type": "text", "text": "x"})]), False, None, True),
    (request([user({})]), False, None, True),
    (request([user("a string part")]), False, None, True),
    (request([user(None)]), False, None, True),
    # calls
    (request([model({"text": "calling"}, call("get", {"a": [1, -2, {"b": None, "c": True}], "e": {}, "g": "ü\n"},
                                            id="c1"), call("put", "raw args"))]), True, None, True),
    (request([model(call(None, None), call("f", 42), call("f", True), {"function_call": {}})]), True, None, True),
    (request([model(call("f", {"x": 1.5}))]), False, None, True),
    (request([model(call("f", {"x": 2 ** 63}))]), False, None, True),
    (request([model(call("f", id=7))]), False, None, True),
    (request([model(call(5))]), False, None, True),
    (request([model({"function_call": "f"})]), False, None, True),
    (request([model(call("f", will_continue=False, partial_args=[1.5]))]), True, None, True),
    ('{"contents":[{"role":"model","parts":[{"function_call":{"name":"f","args":{"a":1,"a":2}}}]}]}',
     False, None, True),
    ('{"contents":[{"role":"model","parts":[{"function_call":{"name":"f","name":"g"}}]}]}', False, None, True),
    # results
    (request([user(result("f"), result("g", "text result", id="c2"), result("h", 7), result("i", None))]),
     True, None, True),
    (request([user({"text": "before"}, result("f", {"rows": [1, 2]}, id="c1"))]), True, None, True),
    (request([user(result("f", [1, 2]))]), False, None, True),
    (request([user(result("f", [{"text": "block"}]))]), False, None, True),
    (request([user({"function_response": {}})]), False, None, True),
    (request([user({"function_response": {"response": None}})]), True, None, True),
    (request([user(result("f", {"x": 0.5}))]), False, None, True),
    (request([model(call("f", id="c1")), user(result("f", id="c1"))]), True, None, True),
    # system instructions
    (request([], ""), True, None, True),
    (request([], {"parts": [{"text": "one"}, {"text": "two"}], "role": "system"}), True, None, True),
    (request([], {"parts": [{"content": "c", "text": "t"}, {"content": None, "text": "t"}, "s", 5, {"x": 1}]}),
     True, None, True),
    (request([], {"parts": [{"text": ""}]}), True, None, True),
    (request([], {"parts": [{"text": ""}, {"text": ""}]}), True, None, True),
    (request([], {"role": "system"}), True, None, True),
    (request([], {"parts": "as text"}), True, None, True),
    (request([], {"parts": {"text": "obj"}}), True, None, False),
    (request([], [{"text": "list"}]), True, None, True),
    (request([], 5), True, None, False),
    (request([], True), True, None, False),
    ('{"config":{"system_instruction":"a","system_instruction":"b"}}', True, True, False),
    ('{"config":{},"config":{"system_instruction":"b"}}', True, True, False),
    ('{"config":"text"}', True, True, True),
    # responses
    (response(model({"text": "Hello"})), True, True, True),
    (response(model(call("transfer_to_agent", {"agent_name": "billing_agent"})))[:-1] + ', "x": 1}', True, True, True),
    (response({}), True, True, True),
    (response(None), True, True, True),
    (response("text"), True, True, True),
    (response([model({"text": "list"})]), True, False, True),
    (json.dumps({"content": model({"text": "x"}), "candidates": []}), True, False, True),
    (json.dumps({"content": model({"text": "x"}), "role": "model"}), True, False, True),
    (json.dumps({"content": model({"text": "x"}), "contents": None}), True, False, True),
    (json.dumps({"content": model({"text": "x"}), "type": "message"}), True, False, True),
    (json.dumps({"content": model({"text": "x"}), "choices": None}), True, False, True),
    (json.dumps({"content": {"role": "model", "parts": [{"text": "x"}], "finish_reason": "STOP"}}), True, False, True),
    ('{"content":{"role":"model","parts":[]},"content":{"role":"model","parts":[{"text":"x"}]}}', True, False, True),
    ("  \n" + response(model({"text": "after white space"})), True, True, True),
    ('{"parts":[{"text":"a bare Content"}],"role":"model"}', True, False, True),
    ("[" + response(model({"text": "x"})) + "]", True, False, True),
]


def test_hand_cases():
    values = [value for value, *_ in HAND]
    answered = check(values)
    for i, (value, *expected) in enumerate(HAND):
        for which, want, got in zip(("request", "response", "system"), expected, answered):
            if want is not None:
                assert got[i] == want, f"{which} of {value!r}: ok {got[i]}, expected {want}"


def test_large_string_sliced_and_read_in_place():
    """Large strings, a sliced array (offsets past 0), and `rows` reading the values in place,
    repeats allowed: the answers of the taken values; a row past the array is refused."""
    values = [value for value, *_ in HAND]
    check(values, pa.large_string())
    array = pa.array(["x"] + values, pa.string()).slice(1)
    rows = np.random.default_rng(3).integers(0, len(array), 300)
    taken = array.take(pa.array(rows))
    for read in (canonical_request, canonical_response):
        got, want = read(array, rows), read(taken)
        assert got.ok.tolist() == want.ok.tolist()
        for name in ("messages", "system", "text", "calls"):
            assert getattr(got, name).to_pylist() == getattr(want, name).to_pylist(), name
        with pytest.raises(IndexError):
            read(array, np.array([len(array)]))
    ok, texts = system_texts(array, rows)
    want_ok, want_texts = system_texts(taken, np.arange(len(taken)))
    assert ok.tolist() == want_ok.tolist() and texts.to_pylist() == want_texts.to_pylist()


ROLES = ["user", "model"]
NAMES = ["transfer_to_agent", "issue_refund", "get_stock_price", "é"]


def _args(rng: random.Random):
    return rng.choice([{}, {"order_id": "42"}, _json_value(rng), json.dumps(_json_value(rng)), None])


def _part(rng: random.Random, common: bool) -> object:
    roll = rng.random()
    if roll < 0.55:
        return {"text": _text(rng)}
    if roll < 0.75:
        fields = {"args": _args(rng), "name": rng.choice(NAMES)}
        if rng.random() < 0.4:
            fields["id"] = rng.choice([f"adk-{rng.randrange(99)}", ""])
        keys = rng.sample(list(fields), len(fields))
        return {"function_call": {key: fields[key] for key in keys}}
    if roll < 0.9 or common:
        body = rng.choice([{"result": _json_value(rng)}, {"status": "refunded", "order_id": "42"}, _text(rng), None,
                           rng.randrange(-9, 99), True])
        fields = {"name": rng.choice(NAMES), "response": body}
        if rng.random() < 0.4:
            fields["id"] = f"adk-{rng.randrange(99)}"
        return {"function_response": fields}
    return rng.choice([  # shapes the kernel leaves to the reference
        {"text": _text(rng), "thought": True},
        {"thought_signature": "c2ln", "function_call": {"name": "f", "args": {}}},
        {"inline_data": {"mime_type": "image/png", "data": "AAAA"}},
        {"functionCall": {"name": "f", "args": {"a": 1}}},
        {"functionResponse": {"name": "f", "response": {"a": 1}}},
        {"executable_code": {"code": "print(1)", "language": "PYTHON"}},
        {"type": "text", "text": _text(rng)},
        {"text": None},
        {"text": 5},
        {"function_call": {"name": "f", "args": {"temperature": 0.5}}},
        {"function_call": {"id": 3, "name": "f"}},
        {"function_call": "f"},
        {"function_response": {}},
        {"function_response": {"name": "f", "response": [{"text": "block"}]}},
        {"function_response": {"name": "f", "response": {"score": 0.75}}},
        {},
        "a string part",
        None,
    ])


def _content(rng: random.Random, common: bool) -> object:
    if not common and rng.random() < 0.1:
        return rng.choice([{}, "a string item", 5, None, [{"role": "user", "parts": []}], {"role": 3, "parts": []},
                           {"role": "user", "content": _text(rng)}, {"role": "issue_refund", "parts": [{"text": "r"}]},
                           {"role": "user", "parts": [], "name": "n"}])
    message: dict = {}
    if rng.random() < 0.97:
        message["role"] = rng.choice(ROLES) if common or rng.random() < 0.8 else rng.choice(
            ["system", "assistant", "tool", "function", "human", None])
    if rng.random() < 0.97:
        message["parts"] = [_part(rng, common) for _ in range(rng.randint(0, 4))]
    elif not common:
        message["parts"] = rng.choice([None, "text", {"text": "x"}])
    keys = list(message)
    rng.shuffle(keys)
    return {key: message[key] for key in keys}


def _system(rng: random.Random, common: bool) -> object:
    roll = rng.random()
    if roll < 0.6:
        return _text(rng) + "\n\nYou are an agent. Your internal name is \"coordinator\"."
    if roll < 0.75:
        return None
    if roll < 0.9 or common:
        return {"parts": [{"text": _text(rng)} for _ in range(rng.randint(0, 3))], "role": "system"}
    return rng.choice([5, 1.5, True, {"parts": {"text": "x"}}, [{"content": "c", "text": "t"}, "s", None]])


def _request(rng: random.Random, common: bool) -> str:
    value: dict = {"model": "gemini-2.5-flash"}
    config: dict = {"system_instruction": _system(rng, common)}
    if rng.random() < 0.6:
        config["tools"] = [{"function_declarations": [{"name": name, "description": _text(rng),
                                                       "parameters_json_schema": {"type": "object"}}
                                                      for name in rng.sample(NAMES, 2)]}]
    if rng.random() < 0.4:
        config["temperature"] = 0.2
    config["labels"] = {"adk_agent_name": "coordinator"}
    if rng.random() < 0.1:
        del config["system_instruction"]
    value["config"] = config
    value["contents"] = [_content(rng, common) for _ in range(rng.randint(0, 6))]
    if not common and rng.random() < 0.2:
        value["contents"] = rng.choice([None, "[]", {"role": "user", "parts": []}, [[_content(rng, True)]], 5])
    keys = list(value)
    rng.shuffle(keys)
    text = _serialize(rng, {key: value[key] for key in keys})
    if not common and rng.random() < 0.15:  # a key written twice: orjson keeps the last
        text = rng.choice(['{"contents": [], ', '{"config": {}, ']) + text[1:]
    return text


def _response(rng: random.Random, common: bool) -> str:
    value: dict = {"model_version": "gemini-2.5-flash-001", "content": _content(rng, common), "finish_reason": "STOP",
                   "usage_metadata": {"candidates_token_count": rng.randrange(99), "avg_logprobs": -0.5}}
    if rng.random() < 0.1:
        del value["content"]
    if not common and rng.random() < 0.3:
        key = rng.choice(["candidates", "choices", "role", "parts", "contents", "messages", "message", "output",
                          "object", "type", "lc", "tool_calls", "prompts", "generations", "toolCallId"])
        value[key] = rng.choice([None, [], "response", {"role": "model", "parts": [{"text": "other"}]}])
    keys = list(value)
    rng.shuffle(keys)
    return _serialize(rng, {key: value[key] for key in keys})


def fuzz_values(count: int, seed: int) -> tuple[list[str | None], list[str], list[bytes]]:
    """(values, what each is: "request" / "response" when an undamaged plain ADK value, else
    "other", damaged values that are not UTF-8)."""
    rng = random.Random(seed)
    values: list[str | None] = []
    kinds: list[str] = []
    not_utf8: list[bytes] = []
    while len(values) < count:
        common = rng.random() < 0.6
        is_request = rng.random() < 0.5
        text = _request(rng, common) if is_request else _response(rng, common)
        roll = rng.random()
        if roll < 0.2:
            damaged = bytes(cut_or_flip(bytearray(text.encode()), rng, rng.randrange(2)))
            try:
                values.append(damaged.decode())
            except UnicodeDecodeError:
                not_utf8.append(damaged)
                continue
            kinds.append("other")
            continue
        if roll < 0.25:
            text = rng.choice([" ", "\n", "\t", "\u00a0", "x"]) + text
            common = False
        elif roll < 0.28:
            text = rng.choice([None, "", "plain words", "[" + text + "]", '"' + text.replace('"', "'") + '"'])
            common = False
        values.append(text)
        kinds.append(("request" if is_request else "response") if common else "other")
    return values, kinds, not_utf8


def test_fuzz_against_reference():
    values, kinds, not_utf8 = fuzz_values(4000, seed=7)
    requests, responses, systems = check(values)
    for kind, answered in (("request", requests), ("request", systems), ("response", responses)):
        plain = [ok for ok, k in zip(answered, kinds) if k == kind]
        assert len(plain) > 800
        assert all(plain), f"a plain ADK {kind} left to the reference"
    for answered in (requests, responses, systems):
        assert 0.05 * len(values) < len(values) - sum(answered)  # the reference was used too
    # values that are not UTF-8 (no reference exists): the kernels must still only read them
    raw = pa.array(not_utf8, pa.binary())
    broken = pa.Array.from_buffers(pa.string(), len(raw), raw.buffers())
    assert len(canonical_request(broken).ok) == len(canonical_response(broken).ok) == len(not_utf8)
    assert len(system_texts(broken, np.arange(len(not_utf8)))[0]) == len(not_utf8)


def test_damaged_values_never_crash():
    """Every value cut at each of many points, or with bits flipped, is read or refused."""
    rng = random.Random(13)
    values = []
    for value, *_ in HAND[10:]:
        data = value.encode()
        for _ in range(20):
            damaged = bytes(cut_or_flip(bytearray(data), rng, rng.randrange(2)))
            try:
                values.append(damaged.decode())
            except UnicodeDecodeError:
                continue
    check(values)


def test_warm():
    from analyzer.ingest.normalize.gemini_kernel import warm

    warm()


def test_the_kernels_never_read_past_their_buffers():
    """The same comparisons with the JIT off (plain Python over numpy arrays, where an index
    past an array raises), on fewer values."""
    script = (
        "import numpy as np, pyarrow as pa\n"
        "from tests.ingest.test_gemini_kernel import HAND, check, fuzz_values\n"
        "from analyzer.ingest.normalize.gemini_kernel import canonical_request, canonical_response, system_texts\n"
        "values, kinds, not_utf8 = fuzz_values(1000, seed=29)\n"
        "requests, responses, systems = check(values + [value for value, *_ in HAND])\n"
        "raw = pa.array(not_utf8, pa.binary())\n"
        "broken = pa.Array.from_buffers(pa.string(), len(raw), raw.buffers())\n"
        "canonical_request(broken), canonical_response(broken), system_texts(broken, np.arange(len(raw)))\n"
        "print(sum(requests), sum(responses), sum(systems), len(requests))\n"
    )
    *answered, total = map(int, run_without_jit(script).split())
    assert all(0 < count < total for count in answered)

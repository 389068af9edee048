"""The compiled reading of one-message-an-event GenAI events (`normalize/block_kernel.py`, fed by
`span_events._kernel_parts`) writes what the Python reference writes (`genai_events._message`,
then the six parts `span_events._message_events` joins) for every event it reads, reads every
event of Strands' plain shape, gives the reference rows together with the events it leaves to
the reference, and never reads past a buffer: random events with hostile text, every Bedrock
Converse block kind and mixtures of them, floats, nesting, repeated keys, other block kinds,
non-JSON values starting with "[", white space before it, role attributes and aliases, ids on
events of every role."""

from __future__ import annotations

import json
import random

import numpy as np
import pyarrow as pa
import pytest

pytest.importorskip("numba")

from analyzer.ingest.normalize import block_kernel, genai_events, messages, semconv, span_events  # noqa: E402
from analyzer.ingest.normalize.genai_events import MESSAGE_EVENTS  # noqa: E402
from tests.ingest.damage import cut_or_flip  # noqa: E402
from tests.ingest.without_jit import run_without_jit  # noqa: E402

NAMES = sorted(MESSAGE_EVENTS)
TEXTS = ["", "plain", 'say "hi"\\now', "line\nbreak\ttab\r\x01\x1f\x7f", "é 中文 🎉", "</script>", "\u2028",
         "caf\u00e9 \U0001f600", "[not json", "[1, 2]", "  [", "system", "tool", "x" * 300, "{\"a\": 1}", "error"]
ROLES = ["system", "user", "assistant", "tool", "human", "ai", "model", "bot", "function", "developer", "get_weather",
         "", "Tool"]
SPACES = [" ", "\n", "\t", "\r\n ", "\u00a0", "\u2028", "\u3000", "\x0b", "\x0c", "\x1c", "\x85", "\u2009"]


def reference_parts(name: str, attrs: list[tuple[str, str]]) -> list[str | None]:
    """The six parts of one event as the reference reads it (the last of a repeated attribute wins)."""
    msgs = genai_events._message(MESSAGE_EVENTS[name][1], genai_events._payload(None, dict(attrs)))
    contents, arguments = genai_events.tool_parts(msgs)
    return [semconv.json_text(msgs or None), messages.system_text(msgs), messages.messages_text(msgs),
            semconv.json_text(messages.requested_calls(msgs)), "\n".join(contents) if contents else None,
            arguments[0] if arguments else None]


def kernel_parts(events: list[tuple[str, list[tuple[str, str]]]],
                 kind: pa.DataType = pa.string()) -> tuple[np.ndarray, list[list[str | None]]]:
    """(ok, the six parts) of distinct events (name, attributes) as `_message_events` has the kernel
    read them."""
    names = pa.array([name for name, _ in events], pa.string())
    keys = pa.array([key for _, attrs in events for key, _ in attrs], pa.string())
    texts = pa.array([value for _, attrs in events for _, value in attrs], kind)
    bounds = np.concatenate(([0], np.cumsum([len(attrs) for _, attrs in events]))).astype(np.int64)
    ok, parts = span_events._kernel_parts(block_kernel, names, keys, texts, np.arange(len(keys)), bounds)
    assert len(ok) == len(events) and all(len(part) == len(events) for part in parts)
    return ok, [part.to_pylist() for part in parts]


def _text(rng: random.Random) -> str:
    return rng.choice(TEXTS) + rng.choice(["", str(rng.randrange(99)), rng.choice(TEXTS)])


def _json_value(rng: random.Random, odd: bool, depth: int = 0) -> object:
    """A value for `input` or a `json` block; floats and big numbers only when `odd`."""
    roll = rng.random()
    if depth < 4 and roll < 0.25:
        return {_text(rng)[:8]: _json_value(rng, odd, depth + 1) for _ in range(rng.randint(0, 3))}
    if depth < 4 and roll < 0.4:
        return [_json_value(rng, odd, depth + 1) for _ in range(rng.randint(0, 3))]
    if odd and roll < 0.55:
        return rng.choice([2.5, 1e100, -0.0, 12345678901234567890, 3.0])
    return rng.choice([_text(rng), rng.randrange(-10**6, 10**6), True, False, None, 0, -7, ""])


def _writes_back(value: object) -> bool:
    """Whether the kernel writes `value` (no float, no integer orjson might write otherwise)."""
    if isinstance(value, dict):
        return all(map(_writes_back, value.values()))
    if isinstance(value, list):
        return all(map(_writes_back, value))
    return not isinstance(value, float) and not (isinstance(value, int) and abs(value) >= 10**18)


def _block(rng: random.Random, odd: bool) -> tuple[object, bool]:
    """(a content block, whether it is of the kernel's shape)."""
    roll = rng.random()
    if odd and roll < 0.25:
        return rng.choice([
            {"type": "text", "text": _text(rng)}, {"reasoningContent": {"reasoningText": {"text": "hm"}}},
            {"image": {"format": "png"}}, {"text": 5}, {"text": "a", "json": 1}, {"toolUse": "call"},
            {"toolUse": {"toolUseId": "t", "input": {}}}, {"toolUse": {"toolUseId": 7, "name": "f"}},
            {"toolResult": {"toolUseId": "t", "content": [{"toolResult": {"toolUseId": "u", "content": "x"}}]}},
            {"toolResult": {"toolUseId": "t", "content": {"text": "x"}}}, {"toolResult": {"content": "x"}},
            {"toolResult": {"toolUseId": "t", "status": 1, "content": "x"}}, {"cachePoint": {"type": "default"}},
            {"document": {"name": "d"}}, {"toolResult": {"toolUseId": "t", "content": [{"image": {}}]}},
            {"foo": 1, "text": "x"},
        ]), False
    if roll < 0.45:
        return {"text": _text(rng)}, True
    if roll < 0.55:
        value = _json_value(rng, odd)
        return {"json": value}, _writes_back(value)
    if roll < 0.8:
        body = {"toolUseId": rng.choice(["t1", "tooluse_weather_1", "", _text(rng)]), "name": _text(rng)}
        if rng.random() < 0.85:
            body["input"] = _json_value(rng, odd)
        if odd and rng.random() < 0.3:
            body["extra"] = _text(rng)
        items = list(body.items())
        rng.shuffle(items)
        return {"toolUse": dict(items)}, _writes_back(body.get("input"))
    result: dict = {"toolUseId": rng.choice(["t1", "", _text(rng)])}
    if rng.random() < 0.8:
        result["status"] = rng.choice(["success", "error", "Error", ""])
    roll = rng.random()
    if roll < 0.6:
        result["content"] = [rng.choice([{"text": _text(rng)}, {"json": _json_value(rng, odd)}])
                             for _ in range(rng.randint(0, 3))]
    elif roll < 0.75:
        result["content"] = _text(rng)
    elif roll < 0.85:
        result["content"] = None
    items = list(result.items())
    rng.shuffle(items)
    return {"toolResult": dict(items)}, _writes_back(result.get("content"))


def _written(rng: random.Random, value: object) -> str:
    """`value` as JSON text, as Strands (json.dumps) or others write it."""
    how = rng.randrange(4)
    if how == 0:
        return json.dumps(value)
    if how == 1:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if how == 2:
        return json.dumps(value, indent=rng.choice([None, 1]))
    return json.dumps(value, ensure_ascii=False)


def _content(rng: random.Random, odd: bool) -> tuple[str, bool]:
    """(a content or message value, whether it is of Strands' plain shape)."""
    roll = rng.random()
    if roll < 0.15:
        text = _text(rng)
        return text, not text.lstrip().startswith("[")  # (not JSON: the parser's refusal is not orjson's)
    if odd and roll < 0.3:
        return rng.choice([
            "[", "[{", '[{"text": "a"}', "[{\"text\": \"a\"}]]", "[]", "[1, 2]", '[{"foo": 1}]', "[\"text\"]",
            '[{"text": "a", "text": "b"}]', '[{"toolUse": {"toolUseId": "t", "name": "f", "name": "g"}}]',
            '[{"toolUse": {"toolUseId": "t", "name": "f", "input": {"a": 1, "a": 2}}}]', '[{"te\\u0078t": "esc"}]',
            '[{"text": "\\u00e9\\n\\"q\\"\\ud83d\\ude00\\/"}]', '[{"text": "\\ud83d"}]', '[{"text": "a"}, 5]',
            '[{"json": 1e400}]', "[" * 80 + "]" * 80, '[{"json": ' + "[" * 70 + "]" * 70 + "}]",
            '[{"text": "x"}] trailing', '[{"text": "\x01"}]', '[{"toolResult": {"toolUseId": "t", "content": []}}]',
        ]), False
    blocks = []
    plain = True
    for _ in range(rng.randint(1 if not odd else 0, 4)):
        block, fits = _block(rng, odd)
        blocks.append(block)
        plain = plain and fits
    text = _written(rng, blocks)
    if rng.random() < 0.2:
        space = rng.choice(SPACES)
        text = space + text
        plain = plain and space.strip(" \n\t\r") == ""
    return text, plain


def random_events(count: int, seed: int) -> tuple[list[tuple[str, list[tuple[str, str]]]], list[bool]]:
    """(events, whether each is of Strands' plain shape: the kernel must read it)."""
    rng = random.Random(seed)
    events, plain = [], []
    for _ in range(count):
        odd = rng.random() < 0.4
        name = rng.choice(NAMES)
        attrs: list[tuple[str, str]] = []
        fits = True
        for key in ("content", "message"):
            if rng.random() < 0.55:
                value, shaped = _content(rng, odd)
                attrs.append((key, value))
                fits = fits and shaped
        if rng.random() < 0.3:
            role = rng.choice(ROLES if odd else ROLES[:4])
            attrs.append(("role", role))
            fits = fits and role in ("system", "user", "assistant", "tool")
        if rng.random() < 0.4:
            attrs.append(("id", rng.choice(["t1", "", _text(rng)])))
        if odd and rng.random() < 0.1:
            attrs.append(("tool_calls", '[{"id": "c", "function": {"name": "f", "arguments": "{}"}}]'))
            fits = False
        if odd and attrs and rng.random() < 0.1:
            attrs.append((rng.choice(attrs)[0], _text(rng)))  # an attribute twice
            fits = False
        rng.shuffle(attrs)
        events.append((name, attrs))
        plain.append(fits)
    return events, plain


def check(events: list[tuple[str, list[tuple[str, str]]]], plain: list[bool], kind: pa.DataType = pa.string()) -> None:
    ok, parts = kernel_parts(events, kind)
    for i, (name, attrs) in enumerate(events):
        assert ok[i] or not plain[i], f"a plain event left to the reference: {name} {attrs!r}"
        if ok[i]:
            got = [part[i] for part in parts]
            assert got == reference_parts(name, attrs), f"event {i}: {name} {attrs!r}"
        else:
            assert all(part[i] is None for part in parts)


def test_random_events_match_the_reference(count: int = 6000, seed: int = 3) -> None:
    events, plain = random_events(count, seed)
    check(events, plain)
    if count >= 1000:  # both paths exercised
        ok, _ = kernel_parts(events)
        assert sum(plain) > count // 3 and (~ok).sum() > count // 20


def test_large_strings_and_sliced_arrays_read_the_same():
    events, plain = random_events(500, seed=4)
    check(events, plain, pa.large_string())
    ok, parts = kernel_parts(events)
    values = pa.array(["unused"] * 3 + [value for _, attrs in events for _, value in attrs]).slice(3)
    names = pa.array([name for name, _ in events])
    keys = pa.array([key for _, attrs in events for key, _ in attrs])
    bounds = np.concatenate(([0], np.cumsum([len(attrs) for _, attrs in events]))).astype(np.int64)
    ok2, parts2 = span_events._kernel_parts(block_kernel, names, keys, values, np.arange(len(keys)), bounds)
    assert (ok == ok2).all() and [part.to_pylist() for part in parts2] == parts


def test_strands_fixture_shapes_are_read():
    """The shapes Strands' own instrumentation writes (fixtures/conventions/strands-events)."""
    events = [
        ("gen_ai.system.message", [("content", '[{"text": "You answer with tools."}]')]),
        ("gen_ai.user.message", [("content", '[{"text": "What is the weather in Oslo?"}]')]),
        ("gen_ai.choice", [("message", '[{"text": "Let me look."}, {"toolUse": {"toolUseId": "t1", "name": '
                                       '"get_weather", "input": {"city": "Oslo"}}}]')]),
        ("gen_ai.tool.message", [("role", "tool"), ("content", '{"city": "Oslo"}'), ("id", "t1")]),
        ("gen_ai.choice", [("message", '[{"text": "4 \\u00b0C"}]'), ("id", "t1")]),
        ("gen_ai.tool.message", [("content", '[{"toolResult": {"toolUseId": "t1", "status": "error", "content": '
                                             '[{"text": "Error: not found"}]}}]')]),
        ("gen_ai.choice", [("message", "Oslo has 4 \u00b0C.\n")]),
        ("gen_ai.choice", []),
    ]
    check(events, [True] * len(events))


def test_a_batch_of_events_read_both_ways_gives_the_reference_rows(tmp_path, monkeypatch):
    """Through `normalize_batch`: model call and tool spans whose message events the kernel reads
    and whose events it leaves to `_message`, repeated across spans, in one batch, get the
    columns the reference ingest writes."""
    from analyzer.ingest.normalize import columnar
    from test_columnar_normalize import ROOT, check as check_rows

    fixture = json.loads((ROOT / "fixtures" / "conventions" / "strands-events.otlp.json").read_text())
    resource_spans = fixture["resourceSpans"][0]
    template = resource_spans["scopeSpans"][0]["spans"]
    chat = next(span for span in template if span["name"] == "chat")
    tool = next(span for span in template if span["name"].startswith("execute_tool"))
    pool, _ = random_events(400, seed=6)
    rng = random.Random(6)
    spans = []
    for i in range(300):
        span = dict(rng.choice([chat, tool]), spanId=f"{i + 1:016x}", parentSpanId="")
        span["events"] = [{"timeUnixNano": span["startTimeUnixNano"], "name": name,
                           "attributes": [{"key": key, "value": {"stringValue": value}} for key, value in attrs]}
                          for name, attrs in rng.sample(pool, rng.randint(1, 5))]
        spans.append(span)
    resource_spans["scopeSpans"] = [{"scope": resource_spans["scopeSpans"][0]["scope"], "spans": spans}]
    path = tmp_path / "mixed.otlp.json"
    path.write_text(json.dumps({"resourceSpans": [resource_spans]}))
    read = []
    real = span_events._kernel_parts
    monkeypatch.setattr(span_events, "_kernel_parts", lambda *args: read.append(real(*args)[0]) or real(*args))
    monkeypatch.setattr(columnar, "KERNEL_MIN_ROWS", 0)
    assert check_rows(path, monkeypatch) == 300
    ok = np.concatenate(read)
    assert ok.sum() > 100 and (~ok).sum() > 20  # both ways, in the same batches


def test_damaged_values_never_crash(count: int = 1500):
    """Values cut or with bits flipped, and values that are not UTF-8 at all: the kernel reads
    only inside its buffers, and what it reads still matches the reference."""
    rng = random.Random(9)
    events, _ = random_events(count, seed=8)
    damaged, raw = [], []
    for name, attrs in events:
        cut = []
        for key, value in attrs:
            if value and rng.random() < 0.5:
                spoilt = bytes(cut_or_flip(bytearray(value.encode()), rng, rng.randrange(2)))
                try:
                    value = spoilt.decode()
                except UnicodeDecodeError:
                    raw.append(spoilt)
                    continue
            cut.append((key, value))
        damaged.append((name, cut))
    check(damaged, [False] * len(damaged))
    values = pa.array(raw, pa.binary())
    texts = pa.Array.from_buffers(pa.string(), len(values), values.buffers())
    rows = np.arange(len(raw))
    ok, parts = block_kernel.message_parts(texts, rows, rows[::-1].copy(), rows % 4)
    assert len(ok) == len(raw) and all(len(part) == len(raw) for part in parts)
    # rows and ranges outside the array are refused, not read
    ok, _ = block_kernel.message_parts(pa.array(["[]", "x"]), np.array([0, 5, -1, 1]), np.array([-1, 0, 7, -1]),
                                       np.array([1, 1, 1, 9]))
    assert ok.tolist() == [True, False, False, False]


def test_warm():
    block_kernel.warm()


def test_the_kernel_never_reads_past_its_buffers():
    """The same comparisons with the JIT off (plain Python over numpy arrays, where an index
    past an array raises), on fewer events."""
    script = (
        "from tests.ingest.test_block_kernel import test_random_events_match_the_reference as check\n"
        "from tests.ingest.test_block_kernel import test_strands_fixture_shapes_are_read as strands\n"
        "from tests.ingest.test_block_kernel import test_damaged_values_never_crash as damaged\n"
        "check(count=500, seed=5)\n"
        "strands()\n"
        "damaged(count=300)\n"
        "print('ok')\n"
    )
    assert run_without_jit(script).strip() == "ok"

"""The compiled reading of flattened message lists (`normalize/flat_kernel.py`) writes what the
Python reference writes (`semconv._flat_messages`, then `_message_fields`) for every span it
reads, and leaves to the reference exactly the spans it cannot read: random OpenInference and
deprecated GenAI attribute sets with hostile text, odd indices, aliases, repeated keys, values
of other types and fields out of order."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pytest

pytest.importorskip("numba")

from analyzer.ingest.normalize import semconv  # noqa: E402
from analyzer.ingest.normalize.columnar import _message_fields  # noqa: E402
from analyzer.ingest.normalize.flat_kernel import flat_messages, parse_key  # noqa: E402
from analyzer.ingest.otlp.span_batch import V_BOOL, V_DOUBLE, V_INT, V_STRING  # noqa: E402
from tests.ingest.without_jit import run_without_jit  # noqa: E402

TEXTS = ["", "plain", 'say "hi"\\now', "line\nbreak\ttab\r\x01\x1f\x7f", "é 中文 🎉", "</script>", "\u2028",
         "system", "tool", "user", "assistant", '{"a": [1, 2]}', "x" * 300]


def _value(rng: random.Random, odd: bool) -> tuple[object, int]:
    """(Python value, value type): a string, or (when odd) sometimes another type."""
    if odd and rng.random() < 0.3:
        return rng.choice([(7, V_INT), (True, V_BOOL), (2.5, V_DOUBLE)])
    return rng.choice(TEXTS) + rng.choice(["", str(rng.randrange(99))]), V_STRING


def _span_attrs(rng: random.Random, style: str, odd: bool) -> list[tuple[str, object, int]]:
    """One span's attributes under the list prefix (key after the prefix, value, type), in
    wire order; the kernel must read them all when not `odd`."""
    mp = "message." if style == "oi" else ""
    out: list[tuple[str, object, int]] = []
    for index in rng.sample(range(12), rng.randrange(1, 6)):
        fields = [mp + field for field, chance in (("role", 0.9), ("contents.0.message_content.type", 0.5),
                                                    ("tool_call_id", 0.3), ("name", 0.2)) if rng.random() < chance]
        if rng.random() < 0.6:
            fields.append(f"{mp}content")
        elif rng.random() < 0.5:
            fields.append(f"{mp}contents.0.message_content.text")
        rng.shuffle(fields)
        for call in rng.sample(range(4), rng.randrange(0, 3)):
            call_fields = [f for f in ("id", "function.name", "function.arguments") if rng.random() < 0.8]
            if rng.random() < 0.2:
                call_fields.insert(rng.randrange(len(call_fields) + 1), "type")
            fields += [f"{mp}tool_calls.{call}.tool_call.{f}" for f in call_fields]
        for field in fields:
            value, vtype = _value(rng, odd)
            out.append((f"{index}.{field}", value, vtype))
    if odd:
        twists = [
            lambda: out.append((f"0{rng.randrange(1, 9)}.{mp}role", "user", V_STRING)),  # leading zero
            lambda: out.append((f"1.{mp}tool_calls.0{rng.randrange(1, 9)}.tool_call.id", "c", V_STRING)),
            lambda: out.extend([(out[rng.randrange(len(out))][0] if out else f"1.{mp}role", "again", V_STRING)]
                               * (1 if out else 2)),  # a repeated key
            lambda: out.append((f"3.{mp}contents.1.message_content.text", "second part", V_STRING)),
            lambda: out.append((f"3.{mp}contents.0.message_content.text", "first part", V_STRING)),
            lambda: out.extend([(f"5.{mp}tool_calls.0.tool_call.function.name", "f", V_STRING),
                                (f"5.{mp}tool_calls.0.tool_call.id", "c9", V_STRING)]),  # id after name
            lambda: out.extend([(f"6.{mp}tool_calls.0.tool_call.function.name", "f", V_STRING),
                                (f"6.{mp}tool_calls.0.name", "g", V_STRING)]),  # an alias of a field
            lambda: out.append((f"2.{mp}role", 3, V_INT)),
        ]
        rng.choice(twists)()
    if rng.random() < 0.3:  # keys the reference ignores: not indexed
        out.insert(rng.randrange(len(out) + 1), (f"x.{mp}role", "ignored", V_STRING))
    return out


def _reference(fields: dict[str, object], prefix: str, style: str):
    messages = semconv._flat_messages(fields, prefix, style)
    return tuple(column[0].as_py() for column in _message_fields([messages]))


@pytest.mark.parametrize("style, prefix", [("oi", "llm.input_messages."), ("genai", "gen_ai.prompt.")])
def test_random_spans_match_the_reference(style, prefix, count=3000):
    rng = random.Random(20261129)
    spans_attrs = []
    odd_spans = set()
    for span in range(count):
        odd = rng.random() < 0.25
        attrs = _span_attrs(rng, style, odd)
        if odd:
            odd_spans.add(span)
        spans_attrs.append(attrs)
    # the long attribute table of the batch, with rows of other keys in between
    names: dict[str, int] = {}
    codes, spans, vtypes, values = [], [], [], []
    for span, attrs in enumerate(spans_attrs):
        for key, value, vtype in [("gen_ai.system", "openai", V_STRING)] + [(prefix + k, v, t) for k, v, t in attrs]:
            codes.append(names.setdefault(key, len(names)))
            spans.append(span)
            vtypes.append(vtype)
            values.append(value if vtype == V_STRING else None)
    codes_a = np.array(codes, np.int64)
    spans_a = np.array(spans, np.int64)
    rows = np.flatnonzero(np.array([k.startswith(prefix) for k in names], bool)[codes_a])
    got = flat_messages(list(names), codes_a, spans_a, np.array(vtypes, np.int8), pa.array(values, pa.string()),
                        rows, prefix, style)
    rest = set(got.rest.tolist())
    assert rest <= odd_spans  # every plain span is read by the kernel
    assert len(rest) > len(odd_spans) // 2  # and most twisted ones are left to the reference
    assert not rest & set(got.spans.tolist())
    for span in set(range(len(spans_attrs))) - set(got.spans.tolist()) - rest:  # no indexed key: no list
        assert semconv._flat_messages({prefix + k: v for k, v, _ in spans_attrs[span]}, prefix, style) is None
    columns = [got.messages.to_pylist(), got.system.to_pylist(), got.text.to_pylist(), got.calls.to_pylist()]
    for i, span in enumerate(got.spans.tolist()):
        fields = {prefix + key: value for key, value, _ in spans_attrs[span]}
        want = _reference(fields, prefix, style)
        assert tuple(column[i] for column in columns) == want, (span, spans_attrs[span])


def test_keys_are_parsed_as_the_reference_groups_them():
    assert parse_key("0.message.role", "oi")[:2] == (0, 0)
    assert parse_key("12.message.tool_calls.3.tool_call.function.arguments", "oi") == (8, 12, 3)
    assert parse_key("2.tool_calls.1.name", "genai") == (7, 2, 1)
    assert parse_key("2.message.tool_calls.x.id", "oi")[0] == 4  # makes the message, not a call
    assert parse_key("x.message.role", "oi")[0] == -1  # not indexed: ignored
    assert parse_key("01.message.role", "oi")[0] == -2  # int() reads 1: the reference
    assert parse_key("\u0663.message.role", "oi")[0] == -2  # a non-ASCII digit: the reference


def test_the_kernel_never_reads_past_its_buffers():
    """The same comparison with the JIT off (plain Python over numpy arrays, where an index
    past an array raises), on fewer spans."""
    script = (
        "from tests.ingest.test_flat_kernel import test_random_spans_match_the_reference as check\n"
        "check('oi', 'llm.input_messages.', count=200)\n"
        "check('genai', 'gen_ai.prompt.', count=200)\n"
        "print('ok')\n"
    )
    assert run_without_jit(script).strip() == "ok"

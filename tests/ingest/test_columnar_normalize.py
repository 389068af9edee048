"""The vectorized normalization (`normalize/columnar.py`) gives the reference path's store
columns for every span of every OTLP fixture and public export: the reference readers' own
`emit_span` arguments, as a SpanBatch, through `normalize_batch`, against the rows the reference
`emit_span` wrote (compared before the store's finishing passes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.ingest.normalize.columnar import normalize_batch
from analyzer.store.schema import COLUMN_NAMES

from span_batch_ref import reference_batch

ROOT = Path(__file__).resolve().parents[2]
PROVENANCE = {"record_id", "file_id", "seq", "source_kind", "source_format", "source_file"}


def otlp_files(folder: Path) -> list[Path]:
    suffixes = (".pb", ".binpb", ".jsonl", ".json", ".gz", ".zst")
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name.endswith(suffixes)
                  and ("otlp" in p.name or "traces" in p.name or "spans" in p.name or p.suffix in (".pb", ".binpb")))


def reference_rows(path: Path, monkeypatch) -> list[dict]:
    from analyzer.ingest import parallel
    from analyzer.ingest.otlp import proto_reader
    from analyzer.ingest.runner import ingest
    from analyzer.store.db import Store

    with monkeypatch.context() as m:
        m.setattr(parallel, "PARALLEL_MIN_BYTES", 1 << 62)
        m.setattr(proto_reader, "SCAN_MIN_BYTES", None)
        m.setattr(Store, "finalize", lambda self: None)
        store = Store()
        ingest([path], store)
        columns = ", ".join(f'"{c}"' for c in COLUMN_NAMES)
        cursor = store.con.execute(f"SELECT {columns} FROM record_store WHERE source_pos LIKE '%#span=%' ORDER BY seq")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def check(path: Path, monkeypatch) -> int:
    with monkeypatch.context() as m:
        batch, _ = reference_batch(path, m)
    if not batch.count:  # no OTLP-shaped spans (a Langfuse export, a harness log, logs only)
        return 0
    expected = reference_rows(path, monkeypatch)
    assert len(expected) == batch.count, path
    columns, _problems = normalize_batch(batch)
    got = {name: array.to_pylist() for name, array in columns.items()}
    for name in COLUMN_NAMES:
        if name in PROVENANCE:
            continue
        values = got.get(name, [None] * batch.count)
        want = [row[name] for row in expected]
        if name in ("attrs", "events", "links", "resource_attrs"):  # JSON columns: compared as JSON
            import json
            values = [None if v is None else json.loads(v) for v in values]
            want = [None if v is None else json.loads(v) for v in want]
        for i, (a, b) in enumerate(zip(values, want)):
            assert a == b, f"{path} span {i} column {name}: {a!r} != {b!r}"
    return batch.count


FIXTURES = otlp_files(ROOT / "fixtures")


@pytest.fixture(params=["python", "kernel"])
def messages_by(request, monkeypatch):
    """GenAI message lists decoded by semconv in Python, or by the compiled kernel for every
    batch however small (large batches use it)."""
    from analyzer.ingest.normalize import columnar

    if request.param == "kernel":
        pytest.importorskip("numba")
        monkeypatch.setattr(columnar, "KERNEL_MIN_ROWS", 0)
    else:
        monkeypatch.setattr(columnar, "KERNEL_MIN_ROWS", 1 << 62)
    return request.param


@pytest.mark.parametrize("path", FIXTURES, ids=[str(p.relative_to(ROOT)) for p in FIXTURES])
def test_fixture(path, monkeypatch, messages_by):
    check(path, monkeypatch)


def test_realdata(realdata, monkeypatch, messages_by):
    """Every public file whose spans the OTLP readers (or the span-dict readers) emit."""
    files = sorted(p for p in realdata.rglob("*") if p.suffix in (".json", ".jsonl", ".pb"))
    counts = {path.name: check(path, monkeypatch) for path in files}
    assert sum(counts.values()) >= 50 and sum(1 for c in counts.values() if c) >= 10, counts


def test_a_batch_gathered_from_several_requests_reads_its_messages_chunk_by_chunk(monkeypatch, messages_by):
    """Pending concatenates requests' batches (an attribute column of several chunks): each
    span still gets its own messages, whichever chunk holds them."""
    from analyzer.ingest.otlp.span_batch import concat

    path = ROOT / "fixtures" / "conventions" / "pydantic-ai.otlp.json"  # gen_ai.*.messages
    with monkeypatch.context() as m:
        batch, _ = reference_batch(path, m)
    expected = reference_rows(path, monkeypatch)
    assert batch.count and any(row["input_messages"] for row in expected)
    twice = concat([batch, batch])
    assert twice.attrs.column("str").num_chunks >= 2
    columns, _ = normalize_batch(twice)
    for name in ("input_messages", "output_messages", "requested_tool_calls", "system_instructions", "text"):
        assert columns[name].to_pylist() == [row[name] for row in expected] * 2, name


@pytest.mark.parametrize("fixture,by_reference", [("strands-latest", False), ("strands-events", False)])
def test_genai_events_are_read_without_the_reference_functions(fixture, by_reference, monkeypatch, messages_by):
    """Strands' `gen_ai.client.inference.operation.details` events (messages as text, tool
    calls among them) and its default one-message-an-event form are read column by column,
    across batches, without the span-by-span reference functions; both give the reference
    rows (test_fixture)."""
    from analyzer.ingest.normalize import span_events
    from analyzer.ingest.otlp.span_batch import concat, event_tables

    path = ROOT / "fixtures" / "conventions" / f"{fixture}.otlp.json"
    with monkeypatch.context() as m:
        batch, _ = reference_batch(path, m)
    expected = reference_rows(path, monkeypatch)
    assert any(row["input_messages"] for row in expected) and any(row["kind"] == "tool_call" for row in expected)
    batch.events, batch.event_attrs = event_tables(batch.spans.column("events_json"))
    twice = concat([batch, batch])  # event rows numbered on across batches
    reference_spans = []
    real = span_events._reference
    monkeypatch.setattr(span_events, "_reference",
                        lambda b, spans, *args: (reference_spans.extend(spans.tolist()), real(b, spans, *args)))
    columns, _ = normalize_batch(twice)
    assert bool(reference_spans) == by_reference
    for name in ("input_messages", "output_messages", "requested_tool_calls", "system_instructions", "text", "args",
                 "result", "error_type", "error_message"):
        assert columns[name].to_pylist() == [row[name] for row in expected] * 2, name


def test_one_message_events_repeated_across_spans_are_read_once(monkeypatch):
    """Strands' one-message-an-event form repeats the conversation so far on every model call:
    an event already read in the batch is taken from the memo, with the same rows."""
    from analyzer.ingest.normalize import genai_events

    path = ROOT / "fixtures" / "conventions" / "strands-events.otlp.json"
    with monkeypatch.context() as m:
        batch, _ = reference_batch(path, m)
    expected = reference_rows(path, monkeypatch)
    events = [event for text in batch.spans.column("events_json").to_pylist() if text
              for event in __import__("orjson").loads(text) if event["name"] in genai_events.MESSAGE_EVENTS]
    read = []
    real = genai_events._message
    monkeypatch.setattr(genai_events, "_message", lambda *args: (read.append(1), real(*args))[1])
    columns, _ = normalize_batch(batch)
    assert 0 < len(read) < len(events) / 2
    for name in ("input_messages", "output_messages", "text", "args", "result"):
        assert columns[name].to_pylist() == [row[name] for row in expected], name


def test_one_message_events_of_other_value_types_go_to_the_reference(monkeypatch):
    """A one-message event whose reading reads an attribute that is not a string (here an int
    role) sends its span to the reference functions; an int attribute the reading ignores does
    not, and both spans get the reference's columns."""
    import orjson

    from analyzer.ingest.normalize import span_events
    from analyzer.ingest.otlp.records import genai_event_fields
    from analyzer.ingest.otlp.span_batch import event_tables

    path = ROOT / "fixtures" / "conventions" / "strands-events.otlp.json"
    with monkeypatch.context() as m:
        batch, _ = reference_batch(path, m)
    texts = batch.spans.column("events_json").to_pylist()
    odd, plain = [i for i, text in enumerate(texts) if text and '"gen_ai.user.message"' in text][:2]
    changed = {}
    for span, key in ((odd, "role"), (plain, "gen_ai.message.index")):
        events = orjson.loads(texts[span])
        user = next(e for e in events if e["name"] == "gen_ai.user.message")
        user["attrs"][key] = 3
        texts[span] = orjson.dumps(events).decode()
        changed[span] = events
    import pyarrow as pa
    spans = batch.spans.set_column(batch.spans.schema.get_field_index("events_json"), "events_json",
                                   pa.array(texts, pa.string()))
    batch.spans = spans
    batch.events, batch.event_attrs = event_tables(spans.column("events_json"))
    reference_spans = []
    real = span_events._reference
    monkeypatch.setattr(span_events, "_reference",
                        lambda b, spans, *args: (reference_spans.extend(spans.tolist()), real(b, spans, *args)))
    columns, _ = normalize_batch(batch)
    assert reference_spans == [odd]
    kinds = columns["kind"].to_pylist()
    for span, events in changed.items():
        want = genai_event_fields(kinds[span], events)
        assert want["input_messages"]
        assert columns["input_messages"][span].as_py() == want["input_messages"], span


def test_one_message_events_are_told_apart_whatever_their_texts_hold(monkeypatch):
    """Two events whose attributes would read the same if their texts were simply joined (a
    text holding what separates attributes) are read as the different events they are."""
    import orjson
    import pyarrow as pa

    from analyzer.ingest.normalize.columnar import normalize_batch as normalize
    from analyzer.ingest.otlp.records import genai_event_fields
    from analyzer.ingest.otlp.span_batch import event_tables

    path = ROOT / "fixtures" / "conventions" / "strands-events.otlp.json"
    with monkeypatch.context() as m:
        batch, _ = reference_batch(path, m)
    texts = batch.spans.column("events_json").to_pylist()
    first, second = [i for i, text in enumerate(texts) if text and '"gen_ai.tool.message"' in text][:2]
    tricky = {first: {"content": "a:role:tool", "id": "x"},
              second: {"content": "a", "role": "tool", "id": "x"}}
    events_of = {}
    for span, attrs in tricky.items():
        events = orjson.loads(texts[span])
        next(e for e in events if e["name"] == "gen_ai.tool.message")["attrs"] = attrs
        texts[span] = orjson.dumps(events).decode()
        events_of[span] = events
    batch.spans = batch.spans.set_column(batch.spans.schema.get_field_index("events_json"), "events_json",
                                         pa.array(texts, pa.string()))
    batch.events, batch.event_attrs = event_tables(batch.spans.column("events_json"))
    columns, _ = normalize(batch)
    kinds = columns["kind"].to_pylist()
    for span, events in events_of.items():
        want = genai_event_fields(kinds[span], events)
        for name, value in want.items():
            assert columns[name][span].as_py() == value, (span, name)


def test_details_events_give_the_system_text_of_their_input_messages(monkeypatch):
    """Details events that state no system instructions give the system messages' text among
    their input messages, as the reference does."""
    import orjson
    import pyarrow as pa

    from analyzer.ingest.otlp.records import genai_event_fields
    from analyzer.ingest.otlp.span_batch import event_tables

    path = ROOT / "fixtures" / "conventions" / "strands-latest.otlp.json"
    with monkeypatch.context() as m:
        batch, _ = reference_batch(path, m)
    texts = batch.spans.column("events_json").to_pylist()
    changed = {}
    for span, text in enumerate(texts):
        if not text or "gen_ai.input.messages" not in text:
            continue
        events = [e for e in orjson.loads(text) if "gen_ai.system_instructions" not in (e.get("attrs") or {})]
        for event in events:
            inputs = (event.get("attrs") or {}).get("gen_ai.input.messages")
            if inputs:
                system = {"role": "system", "parts": [{"type": "text", "content": f"Be brief, span {span}."}]}
                event["attrs"]["gen_ai.input.messages"] = orjson.dumps([system, *orjson.loads(inputs)]).decode()
        texts[span] = orjson.dumps(events).decode()
        changed[span] = events
    assert changed
    batch.spans = batch.spans.set_column(batch.spans.schema.get_field_index("events_json"), "events_json",
                                         pa.array(texts, pa.string()))
    batch.events, batch.event_attrs = event_tables(batch.spans.column("events_json"))
    columns, _ = normalize_batch(batch)
    kinds = columns["kind"].to_pylist()
    checked = 0
    for span, events in changed.items():
        want = genai_event_fields(kinds[span], events)
        if "system_instructions" in want:
            assert columns["system_instructions"][span].as_py() == want["system_instructions"], span
            checked += 1
    assert checked


@pytest.mark.parametrize("seed", range(40))
def test_a_string_column_filled_in_order_shares_its_characters_and_equals_arrows_take(seed):
    """`_Column.array` spreads a column filled span by span (new offsets and validity, the same
    characters) and takes otherwise; either way it gives what Arrow's take gives: sliced
    values, empty and unicode strings, values for no span, for every span, refilled spans."""
    import random

    import numpy as np
    import pyarrow as pa

    from analyzer.ingest.normalize.columnar import _Column

    rng = random.Random(seed)
    n = rng.randint(0, 60)
    column = _Column(n, pa.string())
    for _ in range(rng.randint(1, 3)):
        spans = np.array(sorted(rng.sample(range(n), rng.randint(0, n))), np.int64)
        if rng.random() < 0.2:
            spans = spans[::-1].copy()
        words = [rng.choice(["", "a", "été", "x" * rng.randint(0, 40), None]) for _ in range(len(spans) + 3)]
        values = pa.array(words, pa.string()).slice(rng.randint(0, 3), len(spans))
        column.put(spans, values)
    expected = column._at(column.idx) if column.pieces else pa.nulls(n, pa.string())
    got = column.array()
    got.validate(full=True)
    assert got.to_pylist() == expected.to_pylist()


def test_a_column_filled_span_by_span_is_not_copied():
    import numpy as np
    import pyarrow as pa

    from analyzer.ingest.normalize.columnar import _Column

    column = _Column(5, pa.string())
    values = pa.array(["zero", "one", "two", "three"]).slice(1, 2)
    column.put(np.array([1, 3]), values)
    got = column.array()
    assert got.to_pylist() == [None, "one", None, "two", None]
    assert got.buffers()[2].address == values.buffers()[2].address

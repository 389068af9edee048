"""Ingest benchmark (SPEC 9): N realistic GenAI spans as an OTLP protobuf stream and as
OTLP/JSON Lines; throughput and peak memory of `seamscan ingest` for each, printed beside its
floor measured in the same run on the same bytes (the protobuf library parsing the stream
alone; DuckDB reading the JSON alone); and the fixed cost per file of many small canonical
harness files (CPU time per file, beside the floor of reading and parsing their lines alone).
Beside the synthetic spans, the conventions corpora: the spans that real frameworks' own
instrumentation wrote (fixtures/conventions: pydantic-ai, Strands, OpenAI v2, OpenInference's
OpenAI instrumentation with its flattened llm.input_messages.<i>.message.* attributes, Google
ADK's call_llm spans with the Gemini request and response as JSON), replicated
conversation by conversation into a protobuf stream of about as many spans, each ingested beside
its protobuf floor. Each measurement runs in its own process.

    .venv/bin/python bench/ingest.py --spans 1000000
    .venv/bin/python bench/ingest.py --spans 200000 --small-files 0 --conventions pydantic-ai
    .venv/bin/python bench/ingest.py --corpus traces.pb --corpus exports/

`--corpus` times given OTLP protobuf traces instead: the protobuf floor, then ingest into memory,
into a store file, and `seamscan ingest --db` as a whole process, each as a multiple of it.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from itertools import count
from pathlib import Path

SPANS_PER_REQUEST = 1000  # a Collector batch
TARGETS = {"proto": 100_000, "json": 50_000}
MEMORY_TARGET_MB = 2048
SMALL_FILE_TARGET_MS = 1.0  # fixed CPU cost per small file
CONVENTIONS_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "conventions"
CONVENTIONS = ("pydantic-ai", "strands-latest", "strands-events", "openai-v2.spans", "openinference",
               "google-adk")  # <name>.otlp.json


TEMPLATES = 24  # distinct requests cycled through: message texts repeat only every 24,000 spans
WORDS = ("order", "refund", "parcel", "invoice", "delivery", "address", "warehouse", "carrier", "status",
         "payment", "return", "label", "customs", "delay", "tracking", "discount", "account", "subscription")


def _template_request(variant: int):
    """One request of SPANS_PER_REQUEST spans as the OTel SDK writes a GenAI agent's traffic:
    conversations of invoke_agent → chat → execute_tool → chat, with the SDK's resource, ~15
    attributes a span, message histories that grow through the conversation, a double, an
    array, and texts that differ from conversation to conversation."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    for key, value in (("service.name", "bench-agent"), ("service.version", "1.4.2"), ("host.name", "bench-host"),
                       ("telemetry.sdk.language", "python"), ("telemetry.sdk.name", "opentelemetry"),
                       ("telemetry.sdk.version", "1.38.0"), ("process.pid", 4242)):
        put_attr(resource_spans.resource.attributes, key, value)
    scope = resource_spans.scope_spans.add()
    scope.scope.name = "opentelemetry.instrumentation.genai"
    scope.scope.version = "0.5b0"
    rng = random.Random(7 + variant)
    system = "You are the support agent of an online shop. Answer from tool results only; never guess."
    for index in range(SPANS_PER_REQUEST):
        span = scope.spans.add()
        role = index % 4
        conversation = f"conv-{variant}-{index // 4}"
        order = f"A-{rng.randint(1000, 99999)}" if role == 0 else order
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 70)))
        question = f"Where is my order {order}? It is about the {words}."
        call_id = f"call_{variant}_{index // 4}"
        result = {"order_id": order, "status": rng.choice(["shipped", "packed", "delayed"]),
                  "carrier": rng.choice(["DHL", "UPS", "GLS"]), "eta_days": rng.randint(1, 9),
                  "items": [{"sku": f"SKU-{rng.randint(1, 9999)}", "qty": rng.randint(1, 3)} for _ in range(3)]}
        span.kind = 3 if role in (1, 3) else 1
        span.status.code = 1 if rng.random() > 0.05 else 2
        attrs = span.attributes
        put_attr(attrs, "gen_ai.conversation.id", conversation)
        put_attr(attrs, "gen_ai.agent.name", "support")
        if role == 0:
            span.name = "invoke_agent support"
            put_attr(attrs, "gen_ai.operation.name", "invoke_agent")
            put_attr(attrs, "gen_ai.agent.id", f"agent-{variant}")
            put_attr(attrs, "gen_ai.input.messages", json.dumps([{"role": "user", "parts": [{"type": "text", "content": question}]}]))
            put_attr(attrs, "final_result", f"Your order {order} is {result['status']} with {result['carrier']}.")
        elif role in (1, 3):
            span.name = "chat gpt-4o"
            history = [{"role": "system", "parts": [{"type": "text", "content": system}]},
                       {"role": "user", "parts": [{"type": "text", "content": question}]}]
            if role == 1:
                output = [{"role": "assistant", "parts": [{"type": "tool_call", "id": call_id, "name": "get_order",
                                                           "arguments": {"order_id": order}}],
                           "finish_reason": "tool_call"}]
            else:
                history += [{"role": "assistant", "parts": [{"type": "tool_call", "id": call_id, "name": "get_order",
                                                             "arguments": {"order_id": order}}]},
                            {"role": "tool", "parts": [{"type": "tool_call_response", "id": call_id, "response": result}]}]
                output = [{"role": "assistant", "parts": [{"type": "text", "content":
                           f"Your order {order} is {result['status']} with {result['carrier']}, about "
                           f"{result['eta_days']} days. {words}."}], "finish_reason": "stop"}]
            for key, value in (("gen_ai.operation.name", "chat"), ("gen_ai.provider.name", "openai"),
                               ("gen_ai.request.model", "gpt-4o"), ("gen_ai.response.model", "gpt-4o-2024-08-06"),
                               ("gen_ai.response.id", f"chatcmpl-{variant}-{index}"),
                               ("gen_ai.request.temperature", 0.2), ("gen_ai.request.max_tokens", 1024),
                               ("gen_ai.response.finish_reasons", [output[0]["finish_reason"]]),
                               ("gen_ai.input.messages", json.dumps(history)), ("gen_ai.output.messages", json.dumps(output)),
                               ("gen_ai.usage.input_tokens", rng.randint(100, 4000)),
                               ("gen_ai.usage.output_tokens", rng.randint(10, 400)),
                               ("gen_ai.usage.cache_read.input_tokens", rng.randint(0, 2000))):
                put_attr(attrs, key, value)
        else:
            span.name = "execute_tool get_order"
            for key, value in (("gen_ai.operation.name", "execute_tool"), ("gen_ai.tool.name", "get_order"),
                               ("gen_ai.tool.type", "function"), ("gen_ai.tool.call.id", call_id),
                               ("gen_ai.tool.call.arguments", json.dumps({"order_id": order})),
                               ("gen_ai.tool.call.result", json.dumps(result))):
                put_attr(attrs, key, value)
    return request


def put_attr(attrs, key, value) -> None:
    """One KeyValue as the SDK encodes a Python attribute value."""
    kv = attrs.add(key=key)
    if isinstance(value, bool):
        kv.value.bool_value = value
    elif isinstance(value, int):
        kv.value.int_value = value
    elif isinstance(value, float):
        kv.value.double_value = value
    elif isinstance(value, list):
        for item in value:
            kv.value.array_value.values.add().string_value = item
    else:
        kv.value.string_value = value


def generate(spans: int, folder: Path) -> tuple[Path, Path]:
    """The same spans written as a length-prefixed protobuf stream and as OTLP/JSON Lines."""
    import orjson
    from google.protobuf.json_format import MessageToDict

    templates = [_template_request(variant) for variant in range(TEMPLATES)]
    templates_json = [MessageToDict(template) for template in templates]
    proto_path, json_path = folder / "spans.pb", folder / "spans.jsonl"
    base_ns = 1_790_000_000_000_000_000
    with open(proto_path, "wb") as proto_out, open(json_path, "wb") as json_out:
        for batch in range(spans // SPANS_PER_REQUEST):
            template, template_json = templates[batch % TEMPLATES], templates_json[batch % TEMPLATES]
            json_spans = template_json["resourceSpans"][0]["scopeSpans"][0]["spans"]
            proto_spans = template.resource_spans[0].scope_spans[0].spans
            for index, (span, json_span) in enumerate(zip(proto_spans, json_spans)):
                serial = batch * SPANS_PER_REQUEST + index
                trace_id = (serial // 4 + 1).to_bytes(16, "big")
                span_id = (serial + 1).to_bytes(8, "big")
                parent_id = (serial - serial % 4 + 1).to_bytes(8, "big") if serial % 4 else b""
                start = base_ns + serial * 1_000_000
                span.trace_id, span.span_id, span.parent_span_id = trace_id, span_id, parent_id
                span.start_time_unix_nano, span.end_time_unix_nano = start, start + 250_000_000
                json_span["traceId"], json_span["spanId"] = trace_id.hex(), span_id.hex()
                json_span["parentSpanId"] = parent_id.hex()
                json_span["startTimeUnixNano"], json_span["endTimeUnixNano"] = str(start), str(start + 250_000_000)
            data = template.SerializeToString()
            proto_out.write(len(data).to_bytes(4, "big") + data)
            json_out.write(orjson.dumps(template_json) + b"\n")
    return proto_path, json_path


def load_convention(path: Path):
    """A fixture's OTLP/JSON as an ExportTraceServiceRequest (OTLP/JSON writes ids in hex,
    json_format reads bytes as base64)."""
    from google.protobuf.json_format import ParseDict
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    def ids_to_base64(node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("traceId", "spanId", "parentSpanId") and isinstance(value, str):
                    node[key] = base64.b64encode(bytes.fromhex(value)).decode()
                else:
                    ids_to_base64(value)
        elif isinstance(node, list):
            for item in node:
                ids_to_base64(item)

    document = json.loads(path.read_bytes())
    ids_to_base64(document)
    return ParseDict(document, ExportTraceServiceRequest(), ignore_unknown_fields=True)


JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')  # in a JSON text read from its start: the string literals
IDENTIFIER_KEYS = {"type", "role", "name", "id", "finish_reason", "status", "toolUseId"}  # their values are not texts


def _holds_json(literal: str) -> bool:
    """Whether a JSON string literal's value is itself a JSON object or array (tool call arguments
    inside OpenInference's output.value): a token at its end would break the inner JSON."""
    value = json.loads(literal).strip()
    if not value.startswith(("{", "[")):
        return False
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


def token_place(text: str) -> tuple[str, str] | None:
    """Where a copy's token goes in a string value longer than 40 characters, as (before, after):
    after the first "the " (with a space after the token); else, in a JSON text, at the end of its
    longest string value that is words (has a space), or failing that of its longest that is no
    identifier (type, role, name, id...), leaving out values that are JSON texts themselves; else
    at the end of the text's words (with a space before the token). None for a short value, or
    JSON with nothing but identifiers (a schema). A token is letters and digits, so inside a JSON
    string literal it keeps JSON valid; checked."""
    if len(text) <= 40:
        return None
    try:
        json.loads(text)
        is_json = True
    except ValueError:
        is_json = False
    if (at := text.find("the ")) >= 0:
        before, after = text[:at + 4], " " + text[at + 4:]
    elif is_json:
        values, key = [], None
        for literal in JSON_STRING.finditer(text):
            if text[literal.end():].lstrip().startswith(":"):
                key = literal.group()[1:-1]
            elif key not in IDENTIFIER_KEYS and not _holds_json(literal.group()):
                values.append(literal)
        if not values:
            return None
        longest = max([m for m in values if " " in m.group()] or values, key=lambda m: m.end() - m.start())
        before, after = text[:longest.end() - 1] + " ", text[longest.end() - 1:]
    else:
        words = text.rstrip()
        before, after = words + " ", text[len(words):]
    if is_json:
        json.loads(before + "token0" + after)  # raises if the place would break the JSON
    return before, after


def _text_slots(span, session_keys) -> list[tuple[int, int, str, str]]:
    """The places for a copy's token in a span's long string values, its own attributes' and its
    events': (event index, -1 for the span's attributes; attribute index; before; after). A
    session id (an attribute named in `session_keys`) takes the token after a hyphen, whatever its
    length, so that each copy is a session of its own."""
    slots = []
    for event_index, attributes in ((-1, span.attributes), *enumerate(e.attributes for e in span.events)):
        for index, kv in enumerate(attributes):
            if kv.value.WhichOneof("value") != "string_value":
                continue
            if event_index < 0 and kv.key in session_keys:
                slots.append((event_index, index, kv.value.string_value + "-", ""))
            elif place := token_place(kv.value.string_value):
                slots.append((event_index, index, *place))
    return slots


def generate_convention(fixture: Path, spans: int, path: Path) -> tuple[int, int]:
    """The fixture's spans replicated into about `spans` spans in requests of about
    SPANS_PER_REQUEST, written with the framing of generate(); resource and scope as in the
    fixture. (spans written, spans a copy)."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    from analyzer.ingest.normalize.conventions import SESSION_RANKS  # the attributes that name a session

    source = load_convention(fixture)
    groups = [(resource_spans, scope_spans,
               [(span, _text_slots(span, SESSION_RANKS)) for span in scope_spans.spans])
              for resource_spans in source.resource_spans for scope_spans in resource_spans.scope_spans]
    per_copy = sum(len(group) for _, _, group in groups)
    assert per_copy, f"{fixture.name}: no spans"
    times = [ns for _, _, group in groups for span, _ in group
             for ns in (span.start_time_unix_nano, span.end_time_unix_nano, *(event.time_unix_nano for event in span.events))]
    period = max(times) - min(times) + 1_000_000  # a copy starts 1 ms after the previous one ends
    copies, copies_a_request, ids = max(1, round(spans / per_copy)), max(1, SPANS_PER_REQUEST // per_copy), count(1)
    with open(path, "wb") as out:
        for first in range(0, copies, copies_a_request):
            request = ExportTraceServiceRequest()
            targets = []
            for resource_spans, scope_spans, _ in groups:
                target = request.resource_spans.add(resource=resource_spans.resource, schema_url=resource_spans.schema_url)
                targets.append(target.scope_spans.add(scope=scope_spans.scope, schema_url=scope_spans.schema_url))
            for copy in range(first, min(copies, first + copies_a_request)):
                _add_copy(targets, groups, copy, copy * period, ids)
            data = request.SerializeToString()
            out.write(len(data).to_bytes(4, "big") + data)
    return copies * per_copy, per_copy


def _add_copy(targets: list, groups: list, copy: int, shift: int, ids) -> None:
    """One copy of the fixture's spans, one conversation, added to the request's scope spans (one
    for each of the fixture's): fresh trace and span ids drawn from `ids` (parents and links
    remapped within the copy), times shifted by `shift` ns, and a token of its own (a word and
    the copy's number) in every long string value of its spans and events, so that message texts
    differ between conversations, and in its session ids, so that each copy is a session of its
    own (ADK and pydantic-ai name one)."""
    new_ids: dict[bytes, bytes] = {}  # the copy's ids by the fixture's, trace ids and span ids

    def fresh(old: bytes, size: int) -> bytes:
        if old not in new_ids:
            new_ids[old] = next(ids).to_bytes(size, "big")
        return new_ids[old]

    token = f"{WORDS[copy % len(WORDS)]}{copy}"
    for target, (_, _, group) in zip(targets, groups):
        for template, slots in group:
            span = target.spans.add()
            span.CopyFrom(template)
            span.trace_id, span.span_id = fresh(template.trace_id, 16), fresh(template.span_id, 8)
            if template.parent_span_id:
                span.parent_span_id = fresh(template.parent_span_id, 8)
            for link in span.links:
                link.trace_id, link.span_id = fresh(link.trace_id, 16), fresh(link.span_id, 8)
            span.start_time_unix_nano += shift
            span.end_time_unix_nano += shift
            for event in span.events:
                event.time_unix_nano += shift
            for event_index, index, before, after in slots:
                attributes = span.attributes if event_index < 0 else span.events[event_index].attributes
                attributes[index].value.string_value = before + token + after


def generate_small(files: int, folder: Path) -> Path:
    """`files` canonical harness logs of 4 events each (a short tool call in a session)."""
    import orjson

    folder.mkdir(parents=True, exist_ok=True)
    for index in range(files):
        session, ts = f"s-{index}", 1_795_770_000 + index * 10
        events = [
            {"ts": ts, "event": "session.open", "session_id": session, "agent": "support"},
            {"ts": ts + 1, "event": "tool.dispatch", "session_id": session, "tool": "get_order",
             "tool_call_id": f"call_{index}", "attempt": 1, "args": {"order_id": index}},
            {"ts": ts + 2, "event": "tool.result", "session_id": session, "tool": "get_order",
             "tool_call_id": f"call_{index}", "status": "ok", "result": {"status": "shipped"}},
            {"ts": ts + 3, "event": "session.close", "session_id": session},
        ]
        (folder / f"h{index:05d}.jsonl").write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    return folder


CHILD = {
    "ingest": """
import os, sys, time, resource
from pathlib import Path
from analyzer.store.db import Store
from analyzer.ingest.runner import ingest
store = Store(sys.argv[2] if len(sys.argv) > 2 else None)
t = time.perf_counter()
summary = ingest([Path(sys.argv[1])], store)
elapsed = time.perf_counter() - t
assert not summary.errors, summary.errors
# peak of this process plus, for parallel reads, each worker's peak (the pool has been reaped):
# the largest child's peak counted once per worker process of the pool
from analyzer.ingest.parallel import worker_processes
workers = worker_processes() if resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss else 0
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + workers * resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(summary.records, elapsed, peak_kb)
""",
    "proto-floor": """
import os, sys, time, resource
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
root = sys.argv[1]
files = sorted(os.path.join(d, f) for d, _, names in os.walk(root) for f in names) if os.path.isdir(root) else [root]
t = time.perf_counter(); spans = 0
for path in files:  # a Collector stream ([4-byte big-endian length][request] repeated), or one request a file
    with open(path, "rb") as fh:
        head = fh.read(5)
        fh.seek(0)
        if len(head) == 5 and head[0] == 0 and head[4] == 0x0A:
            while prefix := fh.read(4):
                request = ExportTraceServiceRequest()
                request.ParseFromString(fh.read(int.from_bytes(prefix, "big")))
                spans += sum(len(s.spans) for r in request.resource_spans for s in r.scope_spans)
        else:
            request = ExportTraceServiceRequest()
            request.ParseFromString(fh.read())
            spans += sum(len(s.spans) for r in request.resource_spans for s in r.scope_spans)
print(spans, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
""",
    "cli": """
import subprocess, sys, time, resource
t = time.perf_counter()
subprocess.run([sys.executable, "-m", "analyzer", "ingest", sys.argv[1], "--db", sys.argv[2], "-q"], check=True)
print(0, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
""",
    "stages": """
import sys, time
from pathlib import Path
from analyzer.ingest import parallel, sink
from analyzer.ingest.normalize import columnar
from analyzer.ingest.otlp import json_reader, proto_reader
from analyzer.store.db import Store
from analyzer.ingest.runner import ingest
import analyzer.ingest.runner as runner
parallel.PARALLEL_MIN_BYTES = 1 << 62  # one process, so every stage is timed here
runner.LOAD_ON_THREAD = proto_reader.SCAN_AHEAD = False  # one thread: the stages do not overlap
spent = {"normalize": 0.0, "rows->arrow": 0.0, "store": 0.0, "finish": 0.0}
nested = []  # time of stages inside the running one, charged to them, not to it
def timed(stage, function):
    def wrapper(*args, **kwargs):
        start = time.process_time()
        nested.append(0.0)
        try:
            return function(*args, **kwargs)
        finally:
            elapsed = time.process_time() - start
            spent[stage] += elapsed - nested.pop()
            if nested:
                nested[-1] += elapsed
    return wrapper
for module in (json_reader, proto_reader):  # the row path: one emit_span per span
    module.emit_span = timed("normalize", module.emit_span)
columnar.normalize_batch = timed("normalize", columnar.normalize_batch)  # the columnar path
sink.RecordSink.add_columns = timed("rows->arrow", sink.RecordSink.add_columns)
runner.rows_table = timed("rows->arrow", runner.rows_table)
Store.load = timed("store", Store.load)
Store.finalize = timed("finish", Store.finalize)
store = Store()
start = time.process_time()
summary = ingest([Path(sys.argv[1])], store)
total = time.process_time() - start
spent = {"read+decode": total - sum(spent.values()), **spent}
print(summary.records, total, *(f"{stage}={seconds:.2f}" for stage, seconds in spent.items()))
""",
    "small-files": """
import sys, resource
from pathlib import Path
from analyzer.store.db import Store
from analyzer.ingest.runner import ingest
store = Store()
before = resource.getrusage(resource.RUSAGE_SELF)
summary = ingest([Path(sys.argv[1])], store)
after = resource.getrusage(resource.RUSAGE_SELF)
assert not summary.errors, summary.errors
cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
print(summary.records, summary.files, cpu)
""",
    "small-floor": """
import os, sys, resource, orjson
before = resource.getrusage(resource.RUSAGE_SELF)
records = files = 0
for name in sorted(os.listdir(sys.argv[1])):
    with open(os.path.join(sys.argv[1], name), "rb") as fh:
        records += sum(1 for line in fh if orjson.loads(line) is not None)
    files += 1
after = resource.getrusage(resource.RUSAGE_SELF)
print(records, files, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
""",
    "json-floor": """
import sys, time, resource, duckdb
t = time.perf_counter()
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
spans = con.execute(f\"\"\"SELECT sum(len(json_extract(json, '$.resourceSpans[*].scopeSpans[*].spans[*]')))
                      FROM read_ndjson_objects('{sys.argv[1]}')\"\"\").fetchone()[0]
print(int(spans), time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
""",
}


def _child(kind: str, *args: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", CHILD[kind], *args], capture_output=True, text=True, check=True)
    return out.stdout.split()


def measure(kind: str, *args: str) -> tuple[int, float, float]:
    """(spans, seconds, peak MB) from a fresh process."""
    spans, seconds, maxrss_kb = _child(kind, *args)
    return int(spans), float(seconds), int(maxrss_kb) / 1024


def measure_stages(label: str, path: Path) -> None:
    """Print the CPU time of each ingest stage (one process and one thread of ours: no workers,
    no scanning ahead, inserts in line; DuckDB's own threads count in store): read and decode,
    normalize (emit_span: conventions into columns), rows to Arrow, store, finishing passes."""
    records, total, *stages = _child("stages", str(path))
    print(f"{label + ' stages (CPU s, 1 process)':<34} total {float(total):.2f}: " + ", ".join(stages))


def measure_conventions(names: list[str], spans: int, folder: Path) -> None:
    """Print, for each fixture of real instrumentation replicated to about `spans` spans, the
    throughput of ingest (in-memory store) and of the protobuf floor on the same bytes, ingest time
    as a multiple of the floor's, and ingest's peak memory."""
    print(f"{'real instrumentation, in-memory':<34} {'spans/s':>10} {'floor spans/s':>14} {'x floor':>9} "
          f"{'':>8} {'peak MB':>8}")
    for name in names:
        path = folder / f"{name}.pb"
        written, per_copy = generate_convention(CONVENTIONS_DIR / f"{name}.otlp.json", spans, path)
        floor_spans, floor_s, _ = measure("proto-floor", str(path))
        ingested, seconds, peak_mb = measure("ingest", str(path))
        assert ingested == floor_spans == written, (name, ingested, floor_spans, written)
        print(f"{f'{name}, {per_copy} spans a copy':<34} {ingested / seconds:>10,.0f} {floor_spans / floor_s:>14,.0f} "
              f"{seconds / floor_s:>8.1f}x {'':>8} {peak_mb:>8,.0f}")


def measure_corpus(path: Path, folder: Path) -> None:
    """Print, for OTLP protobuf traces at `path` (a Collector stream, one request a file, or a
    folder of them), the protobuf floor and three ingests as multiples of it: into an in-memory
    store and into a store file (the ingest call alone), and `seamscan ingest --db` as a whole
    process (interpreter, imports and the store file's close included)."""
    floor_spans, floor_s, _ = measure("proto-floor", str(path))
    db_path = folder / "corpus.duckdb"
    print(f"{str(path):<34} {floor_spans:,} spans; protobuf floor {floor_s:.2f} s ({floor_spans / floor_s:,.0f} spans/s)")
    for label, kind, store_args in (("ingest, in-memory store", "ingest", ()),
                                    ("ingest, --db file store", "ingest", (str(db_path),)),
                                    ("seamscan ingest --db, whole process", "cli", (str(db_path),))):
        db_path.unlink(missing_ok=True)
        Path(f"{db_path}.wal").unlink(missing_ok=True)
        spans, seconds, peak_mb = measure(kind, str(path), *store_args)
        assert kind == "cli" or spans == floor_spans, (spans, floor_spans)
        print(f"  {label:<36} {seconds:>6.2f} s {seconds / floor_s:>6.1f}x floor   peak {peak_mb:>6,.0f} MB")
    db_path.unlink(missing_ok=True)


def measure_small_files(files: int, folder: Path) -> None:
    """Print the CPU time per file of ingesting `files` small harness logs, beside the floor of
    opening and parsing the same lines alone (CPU time: wall time is noise on a shared machine)."""
    generate_small(files, folder)
    records, counted, cpu_s = _child("small-files", str(folder))
    floor_records, _, floor_cpu_s = _child("small-floor", str(folder))
    assert int(counted) == files and int(records) == int(floor_records), (counted, records, floor_records)
    per_file_ms, floor_ms = float(cpu_s) * 1000 / files, float(floor_cpu_s) * 1000 / files
    print(f"{f'{files:,} small harness files ({int(records):,} records)':<34} "
          f"{per_file_ms:>7.2f} ms CPU a file (floor {floor_ms:.2f} ms, {per_file_ms / floor_ms:.1f}x; "
          f"target < {SMALL_FILE_TARGET_MS:g} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--small-files", type=int, default=3000, help="0 to leave the small-file figure out")
    parser.add_argument("--conventions", default=",".join(CONVENTIONS),
                        help="fixtures of real instrumentation to replicate and ingest, comma-separated "
                             "(fixtures/conventions/<name>.otlp.json; default: pydantic-ai, Strands both ways, "
                             "OpenAI v2, OpenInference, Google ADK); '' to leave them out")
    parser.add_argument("--keep", type=Path, help="write the generated files here and keep them")
    parser.add_argument("--corpus", type=Path, action="append",
                        help="time these OTLP protobuf traces instead (a file or a folder; repeatable)")
    args = parser.parse_args()
    folder_cm = tempfile.TemporaryDirectory() if args.keep is None else None
    folder = Path(folder_cm.name) if folder_cm else args.keep
    folder.mkdir(parents=True, exist_ok=True)
    if args.corpus:
        for path in args.corpus:
            measure_corpus(path, folder)
        if folder_cm:
            folder_cm.cleanup()
        return
    t = time.perf_counter()
    proto_path, json_path = generate(args.spans, folder)
    print(f"generated {args.spans:,} spans in {time.perf_counter() - t:.1f} s: "
          f"protobuf {proto_path.stat().st_size / 1e6:.0f} MB, JSON {json_path.stat().st_size / 1e6:.0f} MB")
    print(f"{'measure':<34} {'spans/s':>10} {'floor spans/s':>14} {'of floor':>9} {'target':>8} {'peak MB':>8}"
          "   (peak: the process plus its ingest workers)")
    for label, path, floor_kind in (("proto", proto_path, "proto-floor"), ("json", json_path, "json-floor")):
        floor_spans, floor_s, floor_mb = measure(floor_kind, str(path))
        db_path = folder / f"{label}.duckdb"
        db_path.unlink(missing_ok=True)  # a kept folder's store from an earlier run would skip the file
        for store_label, store_args in (("in-memory store", ()), ("--db file store", (str(db_path),))):
            spans, seconds, peak_mb = measure("ingest", str(path), *store_args)
            assert spans == floor_spans == args.spans, (spans, floor_spans)
            rate, floor_rate = spans / seconds, floor_spans / floor_s
            print(f"{label + ' ingest, ' + store_label:<34} {rate:>10,.0f} {floor_rate:>14,.0f} "
                  f"{rate / floor_rate:>8.0%} {TARGETS[label]:>8,} {peak_mb:>8,.0f}")
        print(f"{label + ' floor alone':<34} {'':>10} {floor_rate:>14,.0f} {'':>9} {'':>8} {floor_mb:>8,.0f}")
        measure_stages(label, path)
    if conventions := [name for name in args.conventions.split(",") if name]:
        measure_conventions(conventions, args.spans, folder)
    if args.small_files:
        measure_small_files(args.small_files, folder / "small")
    print(f"targets: protobuf >= {TARGETS['proto']:,} spans/s, JSON >= {TARGETS['json']:,} spans/s, "
          f"peak < {MEMORY_TARGET_MB:,} MB")
    if folder_cm:
        folder_cm.cleanup()


if __name__ == "__main__":
    main()

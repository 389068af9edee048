"""Langfuse trace exports → store rows, one per observation: `{"trace": {...}, "observations":
[...]}`, a trace object with its `observations`, or the observations API's `{"data": [...]}`.

An observation's `metadata` JSON string holds the original OTel span attributes
(`{"attributes", "resourceAttributes", "scope"}`; Langfuse-SDK observations put their own
metadata beside them). The attributes are normalized exactly like OTLP ones; the
observation's own fields (type, input/output, model, usage, level, toolCalls) fill the gaps."""

from __future__ import annotations

from typing import Any

import orjson

from analyzer.ingest.base import json_lines
from analyzer.ingest.normalize.call_ids import bind_inferred_call_ids, unbound_tool_executions
from analyzer.ingest.normalize.conventions import KIND_KEYS
from analyzer.ingest.normalize.messages import (
    canonical_messages,
    event_payload,
    messages_text,
    requested_calls,
    system_text,
    tool_message,
)
from analyzer.ingest.framework.rows import (
    FRAMEWORK_SESSION_KEYS,
    FRAMEWORK_SESSION_RANK,
    add_rows,
    dump_json,
    int_or_none,
    json_text,
    maybe_json,
    payload_text,
    problem_position,
    read_time,
)
from analyzer.ingest.normalize.semconv import (
    AGENT_OPERATIONS,
    MODEL_OPERATIONS,
    TOOL_OPERATIONS,
    normalize,
)
from analyzer.ingest.sink import RecordSink
from analyzer.ingest.source import SourceFile
from analyzer.ingest.normalize.timestamps import to_ns

# observation type → (kind, layer); SPAN and EVENT are decided by the attributes
TYPE_KINDS = {
    "GENERATION": ("llm_call", "model"),
    "EMBEDDING": ("embedding", "model"),
    "TOOL": ("tool_call", "tool"),
    "AGENT": ("agent_run", "agent"),
    "CHAIN": ("span", "agent"),
    "RETRIEVER": ("retriever", "tool"),
    "EVALUATOR": ("evaluator", "other"),
    "GUARDRAIL": ("guardrail", "agent"),
    "EVENT": ("event", "other"),
}
# the OpenInference kind that makes semconv.normalize compute the fields of a record kind
_FORCED_OI_KIND = {"llm_call": "LLM", "tool_call": "TOOL", "agent_run": "AGENT", "embedding": "EMBEDDING"}
_KIND_ATTRIBUTES = ("gen_ai.operation.name",) + tuple(key for key, _, _ in KIND_KEYS)
TRACE_SESSION_RANK = 2  # trace.sessionId is a session id (SPEC 3)
TRACE_SUMMARY_KEYS = ("id", "name", "sessionId", "userId", "environment", "release", "version", "tags")
_META_KEYS = ("attributes", "resourceAttributes", "scope")


def _is_observation(obj: Any) -> bool:
    return isinstance(obj, dict) and "traceId" in obj and "type" in obj and "startTime" in obj


def _is_export(obj: Any) -> bool:
    if not isinstance(obj, dict):
        return False
    if isinstance(obj.get("trace"), dict) and ("observations" in obj or "observations" in obj["trace"]):
        return True
    if isinstance(obj.get("observations"), list) and "projectId" in obj and "timestamp" in obj:
        return True  # a trace object as the traces API returns it
    data = obj.get("data")
    return isinstance(data, list) and bool(data) and _is_observation(data[0])


class LangfuseIngester:
    """Langfuse trace exports (one per document, or one per line)."""

    source_kind = "framework"
    source_format = "langfuse"

    def sniff(self, sample: Any, as_line: bool) -> bool:
        return _is_export(sample)

    def read_lines(self, src: SourceFile, sink: RecordSink) -> None:
        for number, obj in json_lines(src, sink):
            if _is_export(obj):
                _read_export(obj, f"{number}:", src, sink)
            else:
                sink.problem(f"line {number}", "not a Langfuse trace export (no trace/observations)")

    def read_document(self, doc: Any, src: SourceFile, sink: RecordSink) -> None:
        _read_export(doc, "", src, sink)


def _read_export(doc: dict[str, Any], prefix: str, src: SourceFile, sink: RecordSink) -> None:
    top_label = "observations"
    if isinstance(doc.get("trace"), dict):
        trace = doc["trace"]
        top, nested = doc.get("observations"), trace.get("observations")
    elif "observations" in doc:
        trace, top, nested = doc, doc.get("observations"), None
    else:
        trace, top, nested, top_label = {}, doc.get("data"), None, "data"
    # The top-level list is the export's; trace.observations repeats it. Both are read, and an
    # observation already seen (by id) is not counted twice.
    entries: list[tuple[str, Any]] = []
    seen: set[str] = set()
    for label, items in ((top_label, top), ("trace.observations", nested)):
        if items is None:
            continue
        if not isinstance(items, list):
            sink.problem(problem_position(f"{prefix}{label}"), f"not a list ({type(items).__name__})")
            continue
        for index, obs in enumerate(items):
            key = str(obs.get("id")) if isinstance(obs, dict) and obs.get("id") is not None else None
            if label == "trace.observations" and key in seen:
                continue
            if key is not None:
                seen.add(key)
            entries.append((f"{prefix}{label}[{index}]", obs))
    trace_context = {k: trace.get(k) for k in TRACE_SUMMARY_KEYS if k in trace}
    full_trace = {k: v for k, v in trace.items() if k != "observations"}

    valid: list[tuple[str, dict[str, Any]]] = []
    for position, obs in entries:
        if not isinstance(obs, dict):
            sink.problem(problem_position(position), f"not an object ({type(obs).__name__})")
        elif obs.get("id") in (None, ""):
            sink.problem(problem_position(position), "observation without an id")
        else:
            valid.append((position, obs))
    ids: dict[str, int] = {}
    for _, obs in valid:
        ids[str(obs["id"])] = ids.get(str(obs["id"]), 0) + 1
    starts = {}
    for _, obs in valid:
        try:
            starts.setdefault(str(obs["id"]), to_ns(obs.get("startTime")))
        except (ValueError, OverflowError):
            pass

    rows = []
    for order, (position, obs) in enumerate(valid):
        try:
            rows.append(
                _observation_row(obs, position, order, src, sink, trace, trace_context, full_trace, ids, starts)
            )
        except (TypeError, ValueError, KeyError, AttributeError, IndexError, RecursionError) as exc:
            sink.problem(problem_position(position), f"unexpected observation structure: {type(exc).__name__}: {exc}")
    # Tool observations without a call id (OpenInference and Claude Agent SDK tool spans carry
    # none) get the id of the earlier generation call of the same name and arguments.
    bind_inferred_call_ids(rows, unbound_tool_executions(rows))
    add_rows(rows, sink)


def _metadata(obs: dict[str, Any], position: str, sink: RecordSink, flags: list[str]) -> tuple[dict, Any]:
    """(decoded metadata object, value for attrs). A string that is not a JSON object is kept."""
    raw = obs.get("metadata")
    if isinstance(raw, dict):
        return raw, raw
    if raw in (None, ""):
        return {}, raw
    if isinstance(raw, str):
        try:
            parsed = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            sink.problem(problem_position(position), f"metadata is not valid JSON: {exc}")
            flags.append("bad_metadata_json")
            return {}, raw
        if isinstance(parsed, dict):
            return parsed, parsed
        return {}, parsed
    return {}, raw


def _hashable_kinds(attrs: dict[str, Any]) -> dict[str, Any]:
    """The attributes, with a structured value under a kind key (looked up in sets by
    semconv.classify) written as JSON text; the stored attrs keep the original."""
    bad = [k for k in ("gen_ai.operation.name", "traceloop.span.kind") if isinstance(attrs.get(k), (dict, list))]
    return {**attrs, **{k: json_text(attrs[k]) for k in bad}} if bad else attrs


def _explicit_kind(attrs: dict[str, Any]) -> bool:
    """Did a convention state the span's kind (rather than semconv guessing it)?"""
    if attrs.get("gen_ai.operation.name") in MODEL_OPERATIONS | AGENT_OPERATIONS | TOOL_OPERATIONS:
        return True
    for key, table, _ in KIND_KEYS:
        value = attrs.get(key)
        if isinstance(value, str) and (value in table or value.upper() in table):
            return True
    return "gen_ai.tool.name" in attrs


def _observation_row(
    obs: dict[str, Any], position: str, order: int, src: SourceFile, sink: RecordSink,
    trace: dict[str, Any], trace_context: dict[str, Any], full_trace: dict[str, Any],
    ids: dict[str, int], starts: dict[str, int | None],
) -> dict[str, Any]:
    obs_id = str(obs["id"])
    pos = f"{position}#span={obs_id}"
    flags: list[str] = []
    metadata, metadata_value = _metadata(obs, pos, sink, flags)
    attrs = _hashable_kinds(metadata.get("attributes") if isinstance(metadata.get("attributes"), dict) else {})
    own_meta = {k: v for k, v in metadata.items() if k not in _META_KEYS}
    name = str(obs.get("name") or obs.get("type") or "observation")
    obs_type = str(obs.get("type") or "SPAN").upper()

    first = normalize(attrs, name)
    output_message = tool_message(obs.get("output"))
    if obs_type in TYPE_KINDS:
        kind, layer = TYPE_KINDS[obs_type]
    elif output_message is not None and not _explicit_kind(attrs):
        kind, layer = "tool_call", "tool"  # a LangChain tool run: its output is a ToolMessage
    elif _explicit_kind(attrs) or first["kind"] in ("tool_call", "agent_run"):
        kind, layer = first["kind"], first["layer"]
    else:
        kind, layer = "span", first["layer"] if first["kind"] == "span" else "other"
    fields = first
    if first["kind"] != kind:
        forced = {k: v for k, v in attrs.items() if k not in _KIND_ATTRIBUTES}
        forced["openinference.span.kind"] = _FORCED_OI_KIND.get(kind, "CHAIN")
        fields = normalize(forced, name)

    parent = obs.get("parentObservationId")
    trace_id = obs.get("traceId") or trace.get("id")
    start_ns = read_time(obs.get("startTime"), pos, "startTime", sink, flags)
    end_ns = read_time(obs.get("endTime"), pos, "endTime", sink, flags)
    if start_ns is not None and end_ns is not None and end_ns < start_ns:
        flags.append("end_before_start")
    if parent not in (None, ""):
        if str(parent) not in ids:
            flags.append("missing_parent")
        elif start_ns is not None and starts.get(str(parent)) is not None and start_ns < starts[str(parent)]:
            flags.append("starts_before_parent")
    if ids.get(obs_id, 0) > 1:
        flags.append("duplicate_span_id")

    row: dict[str, Any] = {
        "_pos": pos, "_order": order, "_requests": None,
        "layer": layer, "kind": kind, "name": name,
        "operation": first.get("operation") or attrs.get("gen_ai.operation.name") or obs_type.lower(),
        "trace_id": None if trace_id is None else str(trace_id), "span_id": obs_id,
        "parent_span_id": None if parent in (None, "") else str(parent),
        "clock_domain": src.path.name, "ts_raw_start": start_ns, "ts_raw_end": end_ns,
        "ts_raw_text": None if obs.get("startTime") is None else str(obs["startTime"]),
        "scope": (metadata.get("scope") or {}).get("name") if isinstance(metadata.get("scope"), dict) else None,
        "flags": flags,
    }
    for key in ("agent", "model", "tool_name", "tool_call_id", "args", "result", "text", "input_messages",
                "output_messages", "system_instructions", "requested_tool_calls", "input_tokens",
                "output_tokens", "cache_read_tokens", "cache_write_tokens", "error_type",
                "session_own", "session_rank"):
        if fields.get(key) is not None:
            row[key] = fields[key]
    for key in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"):
        if key in row:
            row[key] = int_or_none(row[key])
    _session(row, attrs, own_meta, trace)
    step = own_meta.get("langgraph_step")
    if isinstance(step, int) and int_or_none(step, 32) is not None:
        row["step"] = step

    if kind == "llm_call":
        _llm_gaps(row, obs, attrs, own_meta)
    elif kind == "tool_call":
        row.setdefault("tool_name", name)
        if row.get("args") is None and obs.get("input") is not None:
            row["args"] = event_payload(obs["input"]) or payload_text(obs["input"])
        if output_message is not None:
            row.setdefault("tool_call_id", output_message.get("tool_call_id"))
            if row.get("result") is None:
                row["result"] = output_message.get("content")
        elif row.get("result") is None and obs.get("output") is not None:
            row["result"] = event_payload(obs["output"]) or payload_text(obs["output"])
    else:
        if row.get("args") is None and obs.get("input") is not None:
            row["args"] = payload_text(obs["input"])
        if row.get("text") is None and obs.get("output") is not None:
            row["text"] = payload_text(obs["output"])
        if kind == "agent_run" and row.get("agent") is None:
            row["agent"] = name
    _status(row, obs, output_message)

    observation = dict(obs)
    if "metadata" in obs:
        observation["metadata"] = metadata_value
    is_root = row["parent_span_id"] is None or "missing_parent" in flags
    if full_trace:
        observation["trace"] = full_trace if is_root else trace_context
    row["attrs"] = dump_json(observation)
    resource = metadata.get("resourceAttributes")
    if isinstance(resource, dict) and resource:
        row["resource_attrs"] = dump_json(resource)
    return row


def _session(row: dict[str, Any], attrs: dict[str, Any], own_meta: dict[str, Any], trace: dict[str, Any]) -> None:
    """Attribute session (rank 1/2, from normalize), else the trace's sessionId (2), else a
    framework thread id from the metadata (4)."""
    if row.get("session_own") is not None:
        return
    if trace.get("sessionId") not in (None, ""):
        row["session_own"], row["session_rank"] = str(trace["sessionId"]), TRACE_SESSION_RANK
        return
    for key in FRAMEWORK_SESSION_KEYS:
        value = own_meta.get(key)
        if value in (None, ""):
            value = attrs.get(f"langsmith.metadata.{key}")
        if value not in (None, ""):
            row["session_own"], row["session_rank"] = str(value), FRAMEWORK_SESSION_RANK
            return


def _usage(details: Any, key_sets: tuple[str, ...]) -> int | None:
    if not isinstance(details, dict):
        return None
    return next((v for v in (int_or_none(details.get(k)) for k in key_sets) if v is not None), None)


def _tool_calls_field(obs: dict[str, Any]) -> list[dict[str, Any]] | None:
    """GENERATION `toolCalls` (JSON strings) with their names from `toolCallNames`."""
    raw = obs.get("toolCalls")
    if not isinstance(raw, list) or not raw:
        return None
    names = obs.get("toolCallNames") if isinstance(obs.get("toolCallNames"), list) else []
    calls = []
    for index, item in enumerate(raw):
        call = maybe_json(item)
        if not isinstance(call, dict):
            continue
        function = call.get("function") if isinstance(call.get("function"), dict) else {}
        name = call.get("name") or function.get("name") or (names[index] if index < len(names) else None)
        arguments = call.get("arguments", function.get("arguments", call.get("input")))
        call_id = call.get("id") or call.get("call_id")
        calls.append({"id": json_text(call_id), "name": json_text(name), "arguments": json_text(arguments)})
    return calls or None


def _llm_gaps(row: dict[str, Any], obs: dict[str, Any], attrs: dict[str, Any], own_meta: dict[str, Any]) -> None:
    """Model, messages, text, requested calls and tokens from the observation's own fields
    where the attributes had none."""
    if row.get("model") is None:
        row["model"] = obs.get("model") or own_meta.get("ls_model_name")
    inputs = outputs = None
    if row.get("input_messages") is None:
        inputs = canonical_messages(obs.get("input")) if not _plain_text(obs.get("input")) else None
        row["input_messages"] = json_text(inputs)
    if row.get("output_messages") is None:
        output = obs.get("output")
        if output is None:
            output = attrs.get("output.value")
        if _plain_text(output):
            text = payload_text(output)
            outputs = [{"role": "assistant", "content": text}] if text else None
        else:
            outputs = canonical_messages(output)
        row["output_messages"] = json_text(outputs)
        if outputs:  # the attributes' text was the raw output (a whole completion object)
            row["text"] = messages_text(outputs)
    else:
        outputs = orjson.loads(row["output_messages"])
        if outputs and isinstance(maybe_json(row.get("text")), (dict, list)):
            row["text"] = messages_text(outputs)  # not a raw completion object
    if row.get("system_instructions") is None and inputs:
        row["system_instructions"] = system_text(inputs)
    if row.get("text") is None:
        row["text"] = messages_text(outputs)
    calls = orjson.loads(row["requested_tool_calls"]) if row.get("requested_tool_calls") else None
    if not calls:
        calls = _tool_calls_field(obs) or requested_calls(outputs)
        row["requested_tool_calls"] = json_text(calls)
    row["_requests"] = calls
    usage = obs.get("usageDetails")
    if row.get("input_tokens") is None:
        row["input_tokens"] = _usage(usage, ("input", "prompt_tokens", "input_tokens"))
    if row.get("output_tokens") is None:
        row["output_tokens"] = _usage(usage, ("output", "completion_tokens", "output_tokens"))
    if row.get("cache_read_tokens") is None:
        row["cache_read_tokens"] = _usage(usage, ("input_cache_read", "prompt_details.cache_read",
                                                  "cache_read_input_tokens", "input_cached_tokens"))
    if row.get("cache_write_tokens") is None:
        row["cache_write_tokens"] = _usage(usage, ("input_cache_creation", "prompt_details.cache_write",
                                                   "cache_creation_input_tokens", "input_cache_write"))


def _plain_text(value: Any) -> bool:
    """A payload that is prose (not JSON structure): a string, or a JSON string literal."""
    return isinstance(value, str) and not isinstance(maybe_json(value), (dict, list))


def _status(row: dict[str, Any], obs: dict[str, Any], output_message: dict[str, Any] | None) -> None:
    """Langfuse keeps no OTel status: level ERROR is an error, WARNING is flagged; anything
    else is unset, as the span's status most likely was."""
    level = str(obs.get("level") or "DEFAULT").upper()
    message = obs.get("statusMessage")
    if message not in (None, ""):
        row["status_message"] = str(message)
    if level == "ERROR" or (output_message is not None and output_message.get("status") == "error"):
        row["status"] = "error"
        row["error_message"] = str(message) if message not in (None, "") else row.get("result")
    else:
        row["status"] = "unset"
        if level == "WARNING":
            row["flags"].append("level_warning")
        if row.get("error_type") is not None and message not in (None, ""):
            row["error_message"] = str(message)

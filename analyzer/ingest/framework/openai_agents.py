"""OpenAI Agents SDK trace exports → store rows: the backend exporter's `{"data": [item, ...]}`
body and JSON Lines of items, where an item is a trace or a span.

Spans arrive in end order (children before parents) and inherit their trace's `group_id`
(the session) and `workflow_name`, so a file is read whole before any row is written.
Function spans carry no call id: it is inferred from the generation that requested the call."""

from __future__ import annotations

import re
from typing import Any

from analyzer.ingest.base import json_lines
from analyzer.ingest.normalize.call_ids import CallExecution, bind_inferred_call_ids, unbound_tool_executions
from analyzer.ingest.normalize.messages import canonical_messages, messages_text, requested_calls, system_text
from analyzer.ingest.framework.rows import (
    FRAMEWORK_SESSION_RANK,
    add_rows,
    dump_json,
    int_or_none,
    json_text,
    problem_position,
    read_time,
)
from analyzer.ingest.sink import RecordSink
from analyzer.ingest.source import SourceFile
from analyzer.ingest.normalize.timestamps import to_ns

ITEM_OBJECTS = ("trace", "trace.span")

# span_data.type → (kind, layer, operation)
SPAN_KINDS = {
    "agent": ("agent_run", "agent", "invoke_agent"),
    "function": ("tool_call", "tool", "execute_tool"),
    "generation": ("llm_call", "model", "chat"),
    "response": ("llm_call", "model", "chat"),
    "handoff": ("handoff", "agent", "handoff"),
    "guardrail": ("guardrail", "agent", "guardrail"),
    "transcription": ("transcription", "model", "transcription"),
    "speech": ("speech", "model", "speech"),
    "speech_group": ("speech_group", "model", "speech_group"),
    "mcp_tools": ("mcp_tools", "tool", "mcp_list_tools"),
}
# custom spans the SDK itself writes, told apart by data.sdk_span_type
SDK_CUSTOM_KINDS = {"task": ("task", "agent", "task"), "turn": ("turn", "agent", "turn")}


def _is_item(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("object") in ITEM_OBJECTS and "id" in obj


def handoff_tool_name(agent_name: str) -> str:
    """The SDK's default handoff tool name: `transfer_to_<agent>` in function style."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", f"transfer_to_{agent_name}".replace(" ", "_")).lower()


class OpenAIAgentsIngester:
    """OpenAI Agents SDK trace and span items."""

    source_kind = "framework"
    source_format = "openai-agents"

    def sniff(self, sample: Any, as_line: bool) -> bool:
        if as_line:
            return _is_item(sample)
        if isinstance(sample, dict) and isinstance(sample.get("data"), list):
            return bool(sample["data"]) and _is_item(sample["data"][0])
        return isinstance(sample, list) and bool(sample) and _is_item(sample[0])

    def read_lines(self, src: SourceFile, sink: RecordSink) -> None:
        _emit([(str(number), obj) for number, obj in json_lines(src, sink)], src, sink)

    def read_document(self, doc: Any, src: SourceFile, sink: RecordSink) -> None:
        if isinstance(doc, dict):
            items = [(f"data[{i}]", obj) for i, obj in enumerate(doc.get("data") or [])]
        else:
            items = [(f"[{i}]", obj) for i, obj in enumerate(doc)]
        _emit(items, src, sink)


def usage_tokens(usage: Any) -> dict[str, int | None]:
    """Token columns from every usage shape the SDK writes: the processor's
    `{input_tokens, output_tokens, input_tokens_details: {cached_tokens, cache_write_tokens}}`,
    the backend exporter's `{input_tokens, output_tokens, details: {...}}`, and turn spans'
    `{cached_input_tokens, cache_write_input_tokens}`."""
    if not isinstance(usage, dict):
        return {}
    details = usage.get("details") if isinstance(usage.get("details"), dict) else {}
    input_details = usage.get("input_tokens_details") or details.get("input_tokens_details") or {}
    if not isinstance(input_details, dict):
        input_details = {}

    def first(*values: Any) -> int | None:
        return next((v for v in map(int_or_none, values) if v is not None), None)

    return {
        "input_tokens": first(usage.get("input_tokens"), usage.get("prompt_tokens")),
        "output_tokens": first(usage.get("output_tokens"), usage.get("completion_tokens")),
        "cache_read_tokens": first(input_details.get("cached_tokens"), usage.get("cached_input_tokens")),
        "cache_write_tokens": first(input_details.get("cache_write_tokens"), usage.get("cache_write_input_tokens")),
    }


def _emit(items: list[tuple[str, Any]], src: SourceFile, sink: RecordSink) -> None:
    traces: dict[str, dict[str, Any]] = {}
    spans: list[tuple[str, dict[str, Any]]] = []
    ordered: list[tuple[str, str, dict[str, Any]]] = []
    for position, item in items:
        if not isinstance(item, dict):
            sink.problem(problem_position(position), f"not an object ({type(item).__name__})")
        elif item.get("object") not in ITEM_OBJECTS:
            sink.problem(problem_position(position),
                         f"unknown item object {item.get('object')!r} (expected 'trace' or 'trace.span')")
        elif not item.get("id"):
            sink.problem(problem_position(position), f"{item['object']} item without an id")
        elif item["object"] == "trace":
            traces.setdefault(str(item["id"]), item)
            ordered.append(("trace", position, item))
        else:
            spans.append((position, item))
            ordered.append(("span", position, item))

    by_id: dict[str, dict[str, Any]] = {}
    duplicates: set[str] = set()
    for _, span in spans:
        span_id = str(span["id"])
        if span_id in by_id:
            duplicates.add(span_id)
        by_id.setdefault(span_id, span)

    rows: list[dict[str, Any]] = []
    for order, (what, position, item) in enumerate(ordered):
        try:
            if what == "trace":
                rows.append(_trace_row(item, position, order, src))
            else:
                rows.append(_span_row(item, position, order, src, sink, traces, by_id, duplicates))
        except (TypeError, ValueError, KeyError, AttributeError, IndexError, RecursionError) as exc:
            sink.problem(problem_position(position), f"unexpected {what} structure: {type(exc).__name__}: {exc}")
    _derive_trace_times(rows)
    # Function and handoff spans get the call id of the generation call that asked for them:
    # same trace, earlier start, same name and exact arguments in order, same turn preferred.
    bind_inferred_call_ids(rows, unbound_tool_executions(rows) + _handoff_executions(rows))
    add_rows(rows, sink)


def _trace_context(trace: dict[str, Any] | None) -> str | None:
    """What every span of a trace shares (stored as the spans' resource attributes)."""
    if trace is None:
        return None
    context = {k: trace.get(k) for k in ("workflow_name", "group_id", "metadata") if trace.get(k) is not None}
    context["trace_id"] = trace.get("id")
    return dump_json(context)


def _trace_row(trace: dict[str, Any], position: str, order: int, src: SourceFile) -> dict[str, Any]:
    """The workflow itself: a trace item has no times, so they are taken from its spans."""
    trace_id = str(trace["id"])
    row: dict[str, Any] = {
        "_pos": f"{position}#trace={trace_id}", "_order": order,
        "layer": "agent", "kind": "workflow", "name": str(trace.get("workflow_name") or "workflow"),
        "operation": "invoke_workflow", "trace_id": trace_id, "status": "unset",
        "clock_domain": src.path.name, "attrs": dump_json(trace),
        "resource_attrs": _trace_context(trace), "flags": [],
    }
    if trace.get("group_id") not in (None, ""):
        row["session_own"], row["session_rank"] = str(trace["group_id"]), FRAMEWORK_SESSION_RANK
    return row


def _start_ns(span: dict[str, Any]) -> int | None:
    """A span's start, parsed once (its own problem is reported where the span is read)."""
    try:
        return to_ns(span.get("started_at"))
    except (ValueError, OverflowError):
        return None


def _ancestors(span: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    chain, seen = [], {str(span["id"])}
    parent = span.get("parent_id")
    while parent is not None and str(parent) in by_id and str(parent) not in seen:
        seen.add(str(parent))
        above = by_id[str(parent)]
        chain.append(above)
        parent = above.get("parent_id")
    return chain


def _span_row(
    span: dict[str, Any], position: str, order: int, src: SourceFile, sink: RecordSink,
    traces: dict[str, dict[str, Any]], by_id: dict[str, dict[str, Any]], duplicates: set[str],
) -> dict[str, Any]:
    span_id = str(span["id"])
    pos = f"{position}#span={span_id}"
    flags: list[str] = []
    trace_id = span.get("trace_id")
    trace = traces.get(str(trace_id)) if trace_id is not None else None
    parent_id = span.get("parent_id")
    if parent_id is not None and str(parent_id) not in by_id:
        flags.append("missing_parent")
    if span_id in duplicates:
        flags.append("duplicate_span_id")
    start_ns = read_time(span.get("started_at"), pos, "started_at", sink, flags)
    end_ns = read_time(span.get("ended_at"), pos, "ended_at", sink, flags)
    if start_ns is not None and end_ns is not None and end_ns < start_ns:
        flags.append("end_before_start")
    if parent_id is not None and str(parent_id) in by_id and start_ns is not None:
        parent_start = _start_ns(by_id[str(parent_id)])
        if parent_start is not None and start_ns < parent_start:
            flags.append("starts_before_parent")

    data = span.get("span_data") if isinstance(span.get("span_data"), dict) else {}
    span_type = str(data.get("type") or "unknown")
    kind, layer, operation = SPAN_KINDS.get(span_type, ("span", "other", span_type))
    custom = data.get("data") if isinstance(data.get("data"), dict) else {}
    if span_type == "custom":
        kind, layer, operation = SDK_CUSTOM_KINDS.get(str(custom.get("sdk_span_type")), ("span", "other", "custom"))

    row: dict[str, Any] = {
        "_pos": pos, "_order": order,
        "layer": layer, "kind": kind, "operation": operation,
        "name": str(data.get("name") or span_type),
        "trace_id": None if trace_id is None else str(trace_id), "span_id": span_id,
        "parent_span_id": None if parent_id is None else str(parent_id),
        "clock_domain": src.path.name, "ts_raw_start": start_ns, "ts_raw_end": end_ns,
        "ts_raw_text": None if span.get("started_at") is None else str(span["started_at"]),
        "attrs": dump_json(span), "resource_attrs": _trace_context(trace),
        "flags": flags,
    }
    if trace is not None and trace.get("group_id") not in (None, ""):
        row["session_own"], row["session_rank"] = str(trace["group_id"]), FRAMEWORK_SESSION_RANK

    ancestors = _ancestors(span, by_id)
    for above in ancestors:  # nearest agent and turn above this span
        above_data = above.get("span_data") if isinstance(above.get("span_data"), dict) else {}
        if "agent" not in row and above_data.get("type") == "agent" and above_data.get("name"):
            row["agent"] = str(above_data["name"])
        turn = above_data.get("data") if above_data.get("type") == "custom" else None
        if isinstance(turn, dict) and turn.get("sdk_span_type") == "turn":
            if "step" not in row and int_or_none(turn.get("turn"), 32) is not None:
                row["step"] = int_or_none(turn.get("turn"), 32)
            if "agent" not in row and turn.get("agent_name"):
                row["agent"] = str(turn["agent_name"])

    _type_fields(row, span_type, data, custom)
    _status(row, span)
    return row


def _type_fields(row: dict[str, Any], span_type: str, data: dict[str, Any], custom: dict[str, Any]) -> None:
    if span_type == "agent":
        row["agent"] = row["name"]
    elif span_type == "function":
        row["tool_name"] = row["name"]
        row["args"] = json_text(data.get("input"))
        output = data.get("output")
        if output is not None:
            row["result"] = json_text(output)  # Python str() of the tool's return value, kept as is
        elif "output" in data:
            row["_null_output"] = True  # "null" unless the span failed (decided in _status)
    elif span_type in ("generation", "response"):
        row["name"] = span_type
        row["model"] = data.get("model")
        if row["model"] is None and isinstance(data.get("response"), dict):
            row["model"] = data["response"].get("model")
        inputs = canonical_messages(data.get("input"))
        outputs = canonical_messages(data.get("output") if "output" in data else data.get("response"))
        calls = requested_calls(outputs)
        row["input_messages"] = json_text(inputs)
        row["output_messages"] = json_text(outputs)
        row["requested_tool_calls"] = json_text(calls)
        row["_requests"] = calls
        row["system_instructions"] = system_text(inputs)
        row["text"] = messages_text(outputs)
        row.update(usage_tokens(data.get("usage")))
    elif span_type == "handoff":
        source, target = data.get("from_agent"), data.get("to_agent")
        row["name"] = f"handoff {source} -> {target}"
        if source:
            row["agent"] = str(source)
        if target:
            row["_handoff_to"] = str(target)
    elif span_type == "guardrail":
        row["result"] = json_text({"triggered": bool(data.get("triggered"))})
    elif span_type == "custom":
        sdk_type = custom.get("sdk_span_type")
        if sdk_type == "task":
            row["name"] = str(custom.get("name") or data.get("name") or "task")
        elif sdk_type == "turn":
            row["name"] = f"turn {custom.get('turn')}" if custom.get("turn") is not None else "turn"
            if int_or_none(custom.get("turn"), 32) is not None:
                row["step"] = int_or_none(custom.get("turn"), 32)
            if custom.get("agent_name"):
                row["agent"] = str(custom["agent_name"])
    elif span_type == "transcription":
        row["model"] = data.get("model")
        row["text"] = json_text(data.get("output"))
    elif span_type == "speech":
        row["model"] = data.get("model")
        row["text"] = json_text(data.get("input"))
    elif span_type == "speech_group":
        row["text"] = json_text(data.get("input"))
    elif span_type == "mcp_tools":
        row["name"] = f"mcp_tools {data.get('server')}" if data.get("server") else "mcp_tools"
        row["result"] = json_text(data.get("result"))


def _status(row: dict[str, Any], span: dict[str, Any]) -> None:
    """`error` is null or {message, data}: the SDK records every failure, so a span that ended
    without one is ok."""
    error = span.get("error")
    null_output = row.pop("_null_output", False)
    if error is None:
        row["status"] = "ok" if row["ts_raw_end"] is not None else "unset"
        if null_output:
            row["result"] = "null"  # the tool returned None
        return
    row["status"] = "error"
    if isinstance(error, dict):
        message = error.get("message")
        detail = error.get("data")
        row["status_message"] = None if message is None else str(message)
        inner = detail.get("error") if isinstance(detail, dict) else None
        parts = [str(p) for p in (message, inner) if p not in (None, "")]
        row["error_message"] = ": ".join(parts) if parts else json_text(error)
    else:
        row["error_message"] = json_text(error)


def _derive_trace_times(rows: list[dict[str, Any]]) -> None:
    """A trace row spans its spans (earliest start, latest end)."""
    bounds: dict[str, list[int | None]] = {}
    for row in rows:
        if row["kind"] == "workflow" or row.get("trace_id") is None:
            continue
        low_high = bounds.setdefault(row["trace_id"], [None, None])
        start, end = row.get("ts_raw_start"), row.get("ts_raw_end")
        if start is not None and (low_high[0] is None or start < low_high[0]):
            low_high[0] = start
        if end is not None and (low_high[1] is None or end > low_high[1]):
            low_high[1] = end
    for row in rows:
        if row["kind"] == "workflow" and row["trace_id"] in bounds:
            row["ts_raw_start"], row["ts_raw_end"] = bounds[row["trace_id"]]
            row["flags"].append("times_from_spans")


def _handoff_executions(rows: list[dict[str, Any]]) -> list[CallExecution]:
    """Handoff spans as executions of the SDK's `transfer_to_<agent>` tool (or, failing that
    name, of the one `transfer_to_` call requested before them)."""
    return [
        CallExecution(index, (handoff_tool_name(row["_handoff_to"]),), None, row["trace_id"],
                      row["parent_span_id"], row["ts_raw_start"], row["_order"], name_prefix="transfer_to_")
        for index, row in enumerate(rows) if row["kind"] == "handoff" and row.get("_handoff_to")
    ]

"""LangSmith / LangChain runs → store rows: a JSON array of runs, JSON Lines of runs, one run
object, `{"runs": [...]}`, and `{"post": [...], "patch": [...]}` ingest payloads."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from analyzer.ingest.base import json_lines
from analyzer.ingest.normalize.call_ids import bind_inferred_call_ids, unbound_tool_executions
from analyzer.ingest.normalize.messages import (
    canonical_messages,
    flat_items,
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
from analyzer.ingest.sink import RecordSink
from analyzer.ingest.source import SourceFile
from analyzer.ingest.normalize.timestamps import to_ns

RUN_KINDS = {
    "llm": ("llm_call", "model", "chat"),
    "chat": ("llm_call", "model", "chat"),
    "embedding": ("llm_call", "model", "embeddings"),
    "tool": ("tool_call", "tool", "execute_tool"),
    "retriever": ("retriever", "tool", "retrieve"),
    "prompt": ("prompt", "other", "prompt"),
    "parser": ("parser", "other", "parser"),
    "agent": ("agent_run", "agent", "invoke_agent"),
}
_ERROR_TYPE = re.compile(  # "ValueError('...')", "openai.BadRequestError: ..." at the start of `error`
    r"^\s*((?:[A-Za-z_]\w*\.)*[A-Z]\w*"
    r"(?:Error|Exception|Interrupt|Exit|Timeout|Cancelled|Warning|Triggered)\w*)\s*[(:]"
)
_AGENT_NAME = re.compile(r"agent|^LangGraph$", re.IGNORECASE)
_DOTTED_TS = re.compile(r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d*)$")


def is_run(obj: Any) -> bool:
    return (
        isinstance(obj, dict) and isinstance(obj.get("run_type"), str)
        and any(k in obj for k in ("id", "trace_id", "dotted_order"))
    )


def _is_run_update(obj: Any) -> bool:
    return isinstance(obj, dict) and any(k in obj for k in ("id", "dotted_order", "trace_id"))


def is_payload(obj: Any) -> bool:
    """`{"post": [...], "patch": [...]}` as the SDKs send to /runs/batch."""
    if not isinstance(obj, dict) or not any(isinstance(obj.get(k), list) for k in ("post", "patch")):
        return False
    if set(obj) - {"post", "patch", "pre_sampled"}:
        return False
    items = [i for k in ("post", "patch") if isinstance(obj.get(k), list) for i in obj[k]]
    return bool(items) and all(_is_run_update(i) for i in items[:5])


def _dotted_segments(dotted: Any) -> list[tuple[str, str]]:
    """`<ts>Z<id>.<ts>Z<id>...` → [(ts, id), ...] from the root down."""
    if not isinstance(dotted, str) or not dotted:
        return []
    segments = []
    for part in dotted.split("."):
        ts, sep, run_id = part.partition("Z")
        if not sep:
            return []
        segments.append((ts, run_id))
    return segments


def _dotted_ts_ns(ts: str) -> int | None:
    match = _DOTTED_TS.match(ts)
    if not match:
        return None
    year, month, day, hour, minute, second, fraction = match.groups()
    try:
        return to_ns(f"{year}-{month}-{day}T{hour}:{minute}:{second}{'.' + fraction if fraction else ''}Z")
    except ValueError:
        return None


@dataclass
class _Run:
    data: dict[str, Any]
    positions: list[str]
    order: int
    replaced: dict[str, Any] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)


def _merge(run: _Run, update: dict[str, Any]) -> None:
    """Apply a later update (a patch, a later line) to a run: new values win, a null never
    erases a value, `extra` and its `metadata` merge key by key; replaced values are kept."""
    data = run.data
    for key, value in update.items():
        old = data.get(key)
        if value is None and old is not None:
            continue
        if key == "extra" and isinstance(old, dict) and isinstance(value, dict):
            merged = {**old, **value}
            if isinstance(old.get("metadata"), dict) and isinstance(value.get("metadata"), dict):
                merged["metadata"] = {**old["metadata"], **value["metadata"]}
            metadata = merged.get("metadata")
            if any(merged.get(k) != v for k, v in old.items() if k != "metadata") or (
                isinstance(old.get("metadata"), dict)
                and (not isinstance(metadata, dict) or any(metadata.get(k) != v for k, v in old["metadata"].items()))
            ):
                run.replaced[key] = old
            data[key] = merged
            continue
        if old not in (None, {}, [], "") and old != value:
            run.replaced[key] = old
        data[key] = value


class LangSmithIngester:
    """LangSmith / LangChain run exports and ingest payloads."""

    source_kind = "framework"
    source_format = "langsmith"

    def sniff(self, sample: Any, as_line: bool) -> bool:
        if is_run(sample) or is_payload(sample):
            return True
        if as_line:
            return False
        if isinstance(sample, list):
            return bool(sample) and is_run(sample[0])
        if isinstance(sample, dict) and isinstance(sample.get("runs"), list):
            return bool(sample["runs"]) and is_run(sample["runs"][0])
        return False

    def read_lines(self, src: SourceFile, sink: RecordSink) -> None:
        entries: list[tuple[str, str, Any]] = []
        for number, obj in json_lines(src, sink):
            if is_payload(obj):
                entries.extend(_payload_entries(obj, f"{number}:", sink))
            elif isinstance(obj, list):
                entries.extend((f"{number}[{i}]", "run", item) for i, item in enumerate(obj))
            else:
                entries.append((str(number), "run", obj))
        _emit(entries, src, sink)

    def read_document(self, doc: Any, src: SourceFile, sink: RecordSink) -> None:
        if is_payload(doc):
            entries = _payload_entries(doc, "", sink)
        elif isinstance(doc, list):
            entries = [(f"[{i}]", "run", item) for i, item in enumerate(doc)]
        elif isinstance(doc, dict) and isinstance(doc.get("runs"), list):
            entries = [(f"runs[{i}]", "run", item) for i, item in enumerate(doc["runs"])]
        else:
            entries = [("", "run", doc)]
        _emit(entries, src, sink)


def _payload_entries(payload: dict[str, Any], prefix: str, sink: RecordSink) -> list[tuple[str, str, Any]]:
    entries = []
    for role in ("post", "patch"):
        items = payload.get(role)
        if items is not None and not isinstance(items, list):
            sink.problem(problem_position(f"{prefix}{role}"), f"not a list ({type(items).__name__})")
            continue
        entries.extend((f"{prefix}{role}[{i}]", role, item) for i, item in enumerate(items or []))
    return entries


def _collect_runs(entries: list[tuple[str, str, Any]], sink: RecordSink) -> list[_Run]:
    """Merge every run's creation and updates by id (or trace id + dotted order when an update
    has no id, as the JS SDK's patches)."""
    runs: list[_Run] = []
    by_id: dict[str, _Run] = {}
    by_order: dict[tuple[Any, Any], _Run] = {}
    pending = list(reversed(entries))
    while pending:
        position, role, obj = pending.pop()
        if not isinstance(obj, dict):
            sink.problem(problem_position(position), f"not a run object ({type(obj).__name__})")
            continue
        children = obj.get("child_runs")
        if isinstance(children, list) and children:  # a run tree posted whole: its children are runs too
            obj = {k: v for k, v in obj.items() if k != "child_runs"}
            for index in reversed(range(len(children))):
                child = children[index]
                if isinstance(child, dict) and child.get("parent_run_id") is None and obj.get("id") is not None:
                    child = {**child, "parent_run_id": obj["id"]}
                pending.append((f"{position}.child_runs[{index}]" if position else f"child_runs[{index}]", role, child))
        run_id = json_text(obj.get("id"))
        order_key = (json_text(obj.get("trace_id")), json_text(obj.get("dotted_order")))
        target = by_id.get(run_id) if run_id is not None else None
        if target is None and run_id is None and obj.get("dotted_order"):
            target = by_order.get(order_key)
        if target is not None:
            _merge(target, obj)
            target.positions.append(position)
            continue
        if run_id is None:
            segments = _dotted_segments(obj.get("dotted_order"))
            if not segments:
                sink.problem(problem_position(position), "run without id or dotted_order")
                continue
        run = _Run(dict(obj), [position], len(runs))
        if role == "patch":
            run.flags.append("patch_without_post")
        if run_id is None:
            run.flags.append("id_from_dotted_order")
            run.data["id"] = _dotted_segments(obj.get("dotted_order"))[-1][1]
        runs.append(run)
        by_id[json_text(run.data["id"])] = run
        if obj.get("dotted_order"):
            by_order[order_key] = run
    return runs


def _emit(entries: list[tuple[str, str, Any]], src: SourceFile, sink: RecordSink) -> None:
    runs = _collect_runs(entries, sink)
    domain = src.path.name
    ids = {json_text(r.data["id"]) for r in runs}
    rows: list[dict[str, Any]] = []
    for run in runs:
        try:
            row = _run_row(run, sink)
        except (TypeError, ValueError, KeyError, AttributeError, IndexError, RecursionError) as exc:
            sink.problem(problem_position(run.positions[0]), f"unexpected run structure: {type(exc).__name__}: {exc}")
            continue
        if row["parent_span_id"] is not None and row["parent_span_id"] not in ids:
            row["flags"].append("missing_parent")
        row["clock_domain"] = domain
        rows.append(row)
    _inherit(rows)
    bind_inferred_call_ids(rows, unbound_tool_executions(rows, same_parent_preferred=False))
    add_rows(rows, sink)


def _run_row(run: _Run, sink: RecordSink) -> dict[str, Any]:
    data = run.data
    run_id = json_text(data["id"])
    position = "+".join(run.positions) + f"#span={run_id}"
    flags = list(run.flags)
    segments = _dotted_segments(data.get("dotted_order"))
    trace_id = data.get("trace_id") or (segments[0][1] if segments else None)
    parent = data.get("parent_run_id")
    if parent is None and len(segments) >= 2:
        parent = segments[-2][1]
        flags.append("parent_from_dotted_order")
    start_raw, end_raw = data.get("start_time"), data.get("end_time")
    start_ns = read_time(start_raw, position, "start_time", sink, flags)
    end_ns = read_time(end_raw, position, "end_time", sink, flags)
    if start_ns is None and segments:
        start_ns = _dotted_ts_ns(segments[-1][0])
        if start_ns is not None:
            flags.append("start_from_dotted_order")
    if start_ns is not None and end_ns is not None and end_ns < start_ns:
        flags.append("end_before_start")

    run_type = str(data.get("run_type") or "").lower()
    name = data.get("name") or run_type or "run"
    extra = data.get("extra") if isinstance(data.get("extra"), dict) else {}
    metadata = extra.get("metadata") if isinstance(extra.get("metadata"), dict) else {}
    inputs = maybe_json(data.get("inputs"))
    outputs = maybe_json(data.get("outputs"))
    kind, layer, operation = RUN_KINDS.get(run_type, ("span", "other", run_type or None))
    if run_type == "chain":
        looks_agent = bool(_AGENT_NAME.search(str(name))) or "lc_agent_name" in metadata
        kind, layer, operation = ("agent_run", "agent", "invoke_agent") if looks_agent else ("span", "agent", "chain")

    row: dict[str, Any] = {
        "_pos": position, "_order": run.order, "_metadata": metadata, "_requests": None,
        "layer": layer, "kind": kind, "name": str(name), "operation": operation,
        "trace_id": json_text(trace_id), "span_id": run_id, "parent_span_id": json_text(parent),
        "ts_raw_start": start_ns, "ts_raw_end": end_ns,
        "ts_raw_text": None if start_raw is None else str(start_raw),
        "flags": flags,
    }
    for key in FRAMEWORK_SESSION_KEYS:
        value = metadata.get(key)
        if value not in (None, ""):
            row["session_own"], row["session_rank"] = str(value), FRAMEWORK_SESSION_RANK
            break
    step = metadata.get("langgraph_step")
    if isinstance(step, int) and int_or_none(step, 32) is not None:
        row["step"] = step
    agent = metadata.get("lc_agent_name") or metadata.get("agent_name")
    if agent is None and kind == "agent_run":
        agent = name
    if agent is not None:
        row["agent"] = str(agent)

    error = data.get("error")
    status = data.get("status")
    tool_error = False
    if kind == "llm_call":
        _llm_fields(row, inputs, outputs, data, extra, metadata)
    elif kind == "tool_call":
        tool_error = _tool_fields(row, inputs, outputs, extra, metadata)
    else:
        row["args"] = _chain_text(inputs, input_side=True)
        row["text"] = _chain_text(outputs, input_side=False)
    if error not in (None, "") or status == "error" or tool_error:
        row["status"] = "error"
        message = error if isinstance(error, str) else json_text(error)
        row["error_message"] = message or row.get("result")
        match = _ERROR_TYPE.match(message or "")
        if match:
            row["error_type"] = match.group(1)
    elif status in ("success", "ok") or end_ns is not None:
        row["status"] = "ok"
    else:
        row["status"] = "unset"
    if isinstance(status, str):
        row["status_message"] = status
    attrs = dict(data)
    if run.replaced:
        attrs["_replaced_by_patch"] = run.replaced
    row["attrs"] = dump_json(attrs)
    return row


def _dig(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _first(*values: Any) -> Any:
    return next((v for v in values if v not in (None, "")), None)


def _usage_sources(outputs: Any, data: dict[str, Any], metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """Every place a token count may sit, most specific first."""
    sources: list[Any] = []
    if isinstance(outputs, dict):
        sources += [outputs.get("usage_metadata"), outputs.get("usage"), _dig(outputs, "llm_output", "token_usage"),
                    _dig(outputs, "llm_output", "usage")]
        generations = outputs.get("generations")
        for generation in flat_items(generations if isinstance(generations, list) else []):
            message = generation.get("message") if isinstance(generation, dict) else None
            if isinstance(message, dict):
                body = message.get("kwargs") if isinstance(message.get("kwargs"), dict) else message
                sources += [body.get("usage_metadata"), _dig(body, "response_metadata", "token_usage"),
                            _dig(body, "response_metadata", "usage")]
        message = outputs.get("output") if isinstance(outputs.get("output"), dict) else None
        if message:
            body = message.get("kwargs") if isinstance(message.get("kwargs"), dict) else message
            sources.append(body.get("usage_metadata"))
    sources += [metadata.get("usage_metadata"), data]
    return [s for s in sources if isinstance(s, dict)]


def _tokens(sources: list[dict[str, Any]]) -> dict[str, int | None]:
    def pick(*paths: tuple[str, ...]) -> int | None:
        for source in sources:
            for path in paths:
                value = int_or_none(_dig(source, *path))
                if value is not None:
                    return value
        return None

    return {
        "input_tokens": pick(("input_tokens",), ("prompt_tokens",)),
        "output_tokens": pick(("output_tokens",), ("completion_tokens",)),
        "cache_read_tokens": pick(("input_token_details", "cache_read"), ("prompt_tokens_details", "cached_tokens"),
                                  ("input_tokens_details", "cached_tokens"), ("cache_read_input_tokens",)),
        "cache_write_tokens": pick(("input_token_details", "cache_creation"), ("cache_creation_input_tokens",),
                                   ("input_tokens_details", "cache_write_tokens")),
    }


def _llm_fields(row: dict[str, Any], inputs: Any, outputs: Any, data: dict[str, Any],
                extra: dict[str, Any], metadata: dict[str, Any]) -> None:
    input_messages = canonical_messages(inputs)
    output_messages = canonical_messages(outputs)
    calls = requested_calls(output_messages)
    row["input_messages"] = json_text(input_messages)
    row["output_messages"] = json_text(output_messages)
    row["requested_tool_calls"] = json_text(calls)
    row["_requests"] = calls
    row["system_instructions"] = system_text(input_messages)
    text = messages_text(output_messages)
    if text is None and isinstance(outputs, dict):
        text = _first(outputs.get("output") if isinstance(outputs.get("output"), str) else None, outputs.get("text"))
    row["text"] = text
    invocation = extra.get("invocation_params") if isinstance(extra.get("invocation_params"), dict) else {}
    row["model"] = _first(
        metadata.get("ls_model_name"),
        outputs.get("model") if isinstance(outputs, dict) else None,
        _dig(outputs, "llm_output", "model_name"),
        inputs.get("model") if isinstance(inputs, dict) else None,
        invocation.get("model"), invocation.get("model_name"),
    )
    row.update(_tokens(_usage_sources(outputs, data, metadata)))


def _tool_fields(row: dict[str, Any], inputs: Any, outputs: Any, extra: dict[str, Any],
                 metadata: dict[str, Any]) -> bool:
    """Tool name, arguments, result and call id of a tool run; True when its ToolMessage says error."""
    row["tool_name"] = row["name"]
    if isinstance(inputs, dict) and set(inputs) <= {"input", "tool_call_id", "tool_call"} and "input" in inputs:
        row["args"] = json_text(inputs["input"])
    else:
        row["args"] = payload_text(inputs) if inputs not in (None, {}) else None
    output = outputs.get("output") if isinstance(outputs, dict) and "output" in outputs else outputs
    message = tool_message(output)
    call_id = _first(
        _dig(inputs, "tool_call_id"), _dig(inputs, "tool_call", "id"), extra.get("tool_call_id"),
        metadata.get("tool_call_id"), message.get("tool_call_id") if message else None,
        _dig(outputs, "tool_call_id"),
    )
    if message is not None:
        row["result"] = message.get("content")
    elif output is not None or (isinstance(outputs, dict) and "output" in outputs):
        row["result"] = payload_text(output) if output is not None else "null"
    if call_id is not None:
        row["tool_call_id"] = str(call_id)
    return bool(message and message.get("status") == "error")


def _chain_text(value: Any, input_side: bool) -> str | None:
    if value in (None, {}, []):
        return None
    if isinstance(value, dict) and len(value) == 1:
        only = next(iter(value.values()))
        if isinstance(only, str):
            return only
    if not input_side and isinstance(value, dict):
        messages = canonical_messages(value)
        if messages and messages[-1].get("role") == "assistant" and messages[-1].get("content"):
            return messages[-1]["content"]
    return payload_text(value)


def _inherit(rows: list[dict[str, Any]]) -> None:
    """Agent name from the nearest agent run above, for records that state none."""
    by_id = {row["span_id"]: row for row in rows}
    for row in rows:
        if row.get("agent"):
            continue
        seen: set[str] = set()
        parent = row.get("parent_span_id")
        while parent and parent in by_id and parent not in seen:
            seen.add(parent)
            above = by_id[parent]
            if above["kind"] == "agent_run" and above.get("agent"):
                row["agent"] = above["agent"]
                break
            parent = above.get("parent_span_id")

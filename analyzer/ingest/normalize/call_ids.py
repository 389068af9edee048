"""Tool-call ids for tool executions that carry none (OpenInference and Claude Agent SDK tool
spans, LangSmith tool runs without a ToolMessage, OpenAI Agents function spans): each is matched
to an earlier call a model output requested, by name and arguments."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

import orjson

from analyzer.ingest.framework.rows import json_text

_UNPARSED = object()  # arguments that are neither JSON nor a Python literal


@dataclass
class CallRequest:
    """A tool call a model output asked for."""

    call_id: str
    name: str | None
    arguments: str | None
    trace: str | None
    scope: str | None  # e.g. the parent turn span: a match in the same scope is preferred
    start_ns: int | None
    order: int


@dataclass
class CallExecution:
    """A tool execution with no call id of its own; `names` it may have been requested under."""

    key: Any
    names: tuple[str, ...]
    arguments: str | None
    trace: str | None
    scope: str | None
    start_ns: int | None
    order: int
    name_prefix: str | None = None  # also accept a single request whose name starts with this


def _parse_arguments(text: str | None) -> Any:
    if text is None:
        return _UNPARSED
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    if len(text) < 20_000 and text.lstrip()[:1] in ("{", "["):
        try:  # Python repr of a dict, as some frameworks log tool input
            return ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
            pass
    return _UNPARSED


def arguments_match(requested: str | None, executed: str | None) -> bool:
    """Same arguments: the same text, the same JSON value, or the value wrapped as `{"input": ...}`."""
    if requested is None or executed is None:
        return False
    if requested.strip() == executed.strip():
        return True
    a, b = _parse_arguments(requested), _parse_arguments(executed)
    if a is _UNPARSED or b is _UNPARSED:
        return False
    return a == b or b == {"input": a}


def infer_call_ids(
    requests: list[CallRequest], executions: list[CallExecution], known: set[tuple[str | None, str]]
) -> dict[Any, tuple[str, bool]]:
    """Match executions to earlier requests of the same trace, in order: same name and same
    arguments first (same scope preferred), else the earliest request of that name.
    `known` (trace, call id) pairs are already bound and never reused.
    Returns execution key → (call id, matched by name only)."""
    result: dict[Any, tuple[str, bool]] = {}
    by_name: dict[tuple[str | None, str | None], list[CallRequest]] = {}
    by_trace: dict[str | None, list[CallRequest]] = {}
    for request in sorted(requests, key=_time_order):
        request.trace, request.name = json_text(request.trace), json_text(request.name)
        if (request.trace, request.call_id) in known:
            continue
        by_name.setdefault((request.trace, request.name), []).append(request)
        by_trace.setdefault(request.trace, []).append(request)
    used: set[tuple[str | None, str]] = set()

    def earlier(r: CallRequest, execution: CallExecution) -> bool:
        return (r.trace, r.call_id) not in used and (
            r.start_ns is None or execution.start_ns is None or r.start_ns <= execution.start_ns
        )

    for execution in sorted(executions, key=_time_order):
        execution.trace = json_text(execution.trace)
        named = [r for name in map(json_text, execution.names) for r in by_name.get((execution.trace, name), [])
                 if earlier(r, execution)]
        if not named and execution.name_prefix:
            prefixed = [r for r in by_trace.get(execution.trace, [])
                        if earlier(r, execution) and (r.name or "").startswith(execution.name_prefix)]
            named = prefixed if len(prefixed) == 1 else []
        if not named:
            continue
        exact = [r for r in named if arguments_match(r.arguments, execution.arguments)]
        pool = exact or named
        same_scope = [r for r in pool if execution.scope is not None and r.scope == execution.scope]
        chosen = (same_scope or pool)[0]
        used.add((chosen.trace, chosen.call_id))
        by_name[(chosen.trace, chosen.name)].remove(chosen)
        result[execution.key] = (chosen.call_id, not exact)
    return result


def _time_order(item: CallRequest | CallExecution) -> tuple[bool, int, int]:
    return (item.start_ns is None, item.start_ns or 0, item.order)


# The framework ingesters' rows: a model row lists its requested calls under `_requests`; every
# row has `_order` (its place in the file), `trace_id`, `parent_span_id`, `ts_raw_start`, `kind`
# and `flags`, a tool row `tool_name` and `args`.

def unbound_tool_executions(rows: list[dict[str, Any]], same_parent_preferred: bool = True) -> list[CallExecution]:
    """Tool rows without a call id as executions keyed by row index; with `same_parent_preferred`,
    a request from a model row under the same parent span wins among equal matches."""
    return [
        CallExecution(index, (row["tool_name"],), row.get("args"), row["trace_id"],
                      row.get("parent_span_id") if same_parent_preferred else None,
                      row["ts_raw_start"], row["_order"])
        for index, row in enumerate(rows) if row["kind"] == "tool_call" and not row.get("tool_call_id")
    ]


def bind_inferred_call_ids(rows: list[dict[str, Any]], executions: list[CallExecution]) -> None:
    """Give each execution (keyed by row index) the id of the request it matches, flagged
    `tool_call_id_inferred` (tool rows matched by name alone also `..._by_name`). Ids the rows
    already hold are never given again."""
    requests = [
        CallRequest(str(call["id"]), call.get("name"), call.get("arguments"), row["trace_id"],
                    row.get("parent_span_id"), row["ts_raw_start"], row["_order"])
        for row in rows if row.get("_requests")
        for call in row["_requests"] if call.get("id")
    ]
    if not requests:
        return
    known = {(row["trace_id"], row["tool_call_id"]) for row in rows if row.get("tool_call_id")}
    for index, (call_id, by_name) in infer_call_ids(requests, executions, known).items():
        row = rows[index]
        row["tool_call_id"] = call_id
        row["flags"].append("tool_call_id_inferred")
        if by_name and row["kind"] == "tool_call":
            row["flags"].append("tool_call_id_inferred_by_name")

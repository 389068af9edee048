"""LangSmith / LangChain runs → store rows: a JSON array of runs, JSON Lines of runs, one run
object, `{"runs": [...]}`, and `{"post": [...], "patch": [...]}` ingest payloads.

Also home of what the framework ingesters share: chat messages in every common shape turned
into the canonical `[{role, content, tool_calls, tool_call_id}]`, and tool-call-id inference for
tool spans that carry no call id."""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

import orjson
import pyarrow as pa

from analyzer.ingest import semconv
from analyzer.ingest.base import json_lines
from analyzer.ingest.sink import RecordSink
from analyzer.ingest.source import SourceFile
from analyzer.ingest.timestamps import to_ns
from analyzer.store.schema import RECORD_COLUMNS

# --------------------------------------------------------------------------------------------
# Shared by the framework ingesters: message shapes
# --------------------------------------------------------------------------------------------

ROLE_ALIASES = {"human": "user", "ai": "assistant", "model": "assistant", "bot": "assistant",
                "function": "tool", "developer": "system"}
LANGCHAIN_CLASS_ROLES = {
    "HumanMessage": "user", "HumanMessageChunk": "user", "AIMessage": "assistant",
    "AIMessageChunk": "assistant", "SystemMessage": "system", "SystemMessageChunk": "system",
    "ToolMessage": "tool", "ToolMessageChunk": "tool", "FunctionMessage": "tool",
    "FunctionMessageChunk": "tool",
}
_CONTAINER_KEYS = ("messages", "message", "output", "contents", "content")
_MAX_DEPTH = 8


def problem_position(position: str) -> str:
    """A record position as problems name it: JSON Lines positions ("12", "12:post[0]") get
    the "line" prefix that malformed-line problems use."""
    head = re.split(r"[#:\[]", position, maxsplit=1)[0]
    return f"line {position}" if head.isdigit() else position


_INT64 = 1 << 63


def json_text(value: Any) -> str | None:
    """semconv.json_text, also for structures nested deeper than orjson writes."""
    try:
        return semconv.json_text(value)
    except TypeError:
        return dump_json(value)


def dump_json(value: Any) -> str:
    """JSON text of any parsed value; stdlib json takes over where orjson's depth limit stops."""
    try:
        return orjson.dumps(value, default=str).decode()
    except TypeError:
        pass
    try:
        return json.dumps(value, default=str, ensure_ascii=False)
    except (RecursionError, ValueError, TypeError):
        return json.dumps(f"<value nested too deeply to write: {type(value).__name__}>")


def int_or_none(value: Any, bits: int = 64) -> int | None:
    """An integer column value, or None for anything that is not a number that fits."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    limit = 1 << (bits - 1)
    return number if -limit <= number < limit else None


_ROW_TYPES = {name: arrow_type for name, _, arrow_type in RECORD_COLUMNS}


def clean_row(row: dict[str, Any]) -> dict[str, Any]:
    """Make every value fit its column: text columns get text (a stray structure as JSON),
    integer columns an in-range integer or None."""
    for name, value in row.items():
        if value is None or name == "flags":
            continue
        arrow_type = _ROW_TYPES[name]
        if pa.types.is_string(arrow_type):
            if not isinstance(value, str):
                row[name] = json_text(value)
        elif pa.types.is_integer(arrow_type):
            row[name] = int_or_none(value, arrow_type.bit_width)
        elif pa.types.is_floating(arrow_type) and not isinstance(value, float):
            try:
                row[name] = float(value)
            except (TypeError, ValueError, OverflowError):
                row[name] = None
    return row


def read_time(value: Any, position: str, field_name: str, sink: RecordSink, flags: list[str]) -> int | None:
    """ns of a timestamp (ISO 8601 or epoch number); an unreadable one is reported and flagged."""
    try:
        ns = to_ns(value)
    except (ValueError, OverflowError) as exc:
        sink.problem(problem_position(position), f"unparseable {field_name} {value!r}: {exc}")
        flags.append("bad_timestamp")
        return None
    if ns is not None and not -_INT64 <= ns < _INT64:
        sink.problem(problem_position(position), f"{field_name} {value!r} is out of range")
        flags.append("bad_timestamp")
        return None
    return ns


def maybe_json(value: Any) -> Any:
    """A JSON object, array or string literal written as text, parsed; anything else as is."""
    if isinstance(value, str):
        head = value.lstrip()[:1]
        if head in ("{", "[", '"'):
            try:
                return orjson.loads(value)
            except orjson.JSONDecodeError:
                return value
    return value


def payload_text(value: Any) -> str | None:
    """A payload column value: text as written (a JSON string literal unwrapped once, so a
    tool's text result reads as the model saw it), structures as JSON."""
    if isinstance(value, str):
        if value[:1] == '"':
            inner = maybe_json(value)
            if isinstance(inner, str):
                return inner
        return value
    return json_text(value)


def arguments_text(value: Any) -> str | None:
    """Tool-call arguments as JSON text; a string is kept exactly as written."""
    if value is None or isinstance(value, str):
        return value
    return json_text(value)


def _content_text(content: Any) -> str | None:
    if content is None:
        return None
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts: list[str] = []
        calls: list[dict[str, Any]] = []
        results: list[dict[str, Any]] = []
        _parts(content, texts, calls, results)
        for result in results:
            if result.get("content") is not None:
                texts.append(result["content"])
        return "\n".join(texts) if texts else json_text(content)
    return json_text(content)


def _call(call: Any) -> dict[str, Any] | None:
    """One requested tool call in any common shape → {id, name, arguments}."""
    if not isinstance(call, dict):
        return None
    function = call.get("function")
    if isinstance(function, dict):
        name, arguments = function.get("name"), function.get("arguments")
    else:
        name = call.get("name") or call.get("toolName")
        arguments = next((call[k] for k in ("arguments", "args", "input") if k in call), None)
    call_id = call.get("call_id") or call.get("toolCallId") or call.get("id")  # Responses: call_id, not fc_ id
    return {"id": _text(call_id), "name": _text(name), "arguments": arguments_text(arguments)}


def _text(value: Any) -> str | None:
    """An identifier or name as text (a stray structure as its JSON)."""
    if value is None or isinstance(value, str):
        return value
    return json_text(value)


def _parts(parts: list[Any], texts: list[str], calls: list[dict], results: list[dict]) -> None:
    """Content parts of the OpenAI, Anthropic, GenAI, Gemini and Vercel shapes."""
    for part in parts:
        if isinstance(part, str):
            texts.append(part)
            continue
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        if kind in ("tool_use", "tool_call", "tool-call", "function_call"):
            call = _call(part)
            if call:
                calls.append(call)
        elif kind in ("tool_result", "tool_call_response", "tool-result", "function_call_output"):
            call_id = part.get("tool_use_id") or part.get("toolCallId") or part.get("call_id") or part.get("id")
            body = next((part[k] for k in ("content", "response", "result", "output") if k in part), None)
            results.append({"id": _text(call_id), "content": _content_text(body)})
        elif isinstance(part.get("function_call"), dict):  # Gemini
            fc = part["function_call"]
            calls.append({"id": _text(fc.get("id")), "name": _text(fc.get("name")),
                          "arguments": arguments_text(fc.get("args"))})
        elif isinstance(part.get("functionCall"), dict):
            fc = part["functionCall"]
            calls.append({"id": _text(fc.get("id")), "name": _text(fc.get("name")),
                          "arguments": arguments_text(fc.get("args"))})
        elif isinstance(part.get("function_response") or part.get("functionResponse"), dict):
            fr = part.get("function_response") or part.get("functionResponse")
            results.append({"id": _text(fr.get("id")), "content": _content_text(fr.get("response"))})
        elif isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif isinstance(part.get("content"), str):
            texts.append(part["content"])
        elif kind in ("reasoning", "thinking", "redacted_thinking"):
            continue
        elif part.get("content") is not None:
            texts.append(json_text(part["content"]) or "")


def _message(msg: dict[str, Any]) -> list[dict[str, Any]]:
    """One message (any common shape) → canonical messages (tool results split one per id)."""
    if msg.get("lc") is not None and isinstance(msg.get("kwargs"), dict):
        ids = msg.get("id") if isinstance(msg.get("id"), list) else [""]
        kwargs = msg["kwargs"]
        role = LANGCHAIN_CLASS_ROLES.get(str(ids[-1])) or kwargs.get("role")
        return _message({**kwargs, "role": role}) if role else []
    role = _text(msg.get("role"))
    kind = msg.get("type")
    if role is None and isinstance(kind, str):
        if kind in ("function_call", "tool-call", "tool_use"):  # OpenAI Responses / Vercel / Anthropic items
            call = _call(msg)
            return [{"role": "assistant", "tool_calls": [call]}] if call else []
        if kind in ("function_call_output", "tool-result", "tool_result"):
            texts: list[str] = []
            results: list[dict] = []
            _parts([msg], texts, [], results)
            return [{"role": "tool", "tool_call_id": r["id"], "content": r["content"]} for r in results]
        role = ROLE_ALIASES.get(kind, kind if kind in ("system", "user", "assistant", "tool") else None)
        if role is None:
            return []
    if role is None and ("toolCallId" in msg and "toolName" in msg):
        call = _call(msg)
        return [{"role": "assistant", "tool_calls": [call]}] if call else []
    role = ROLE_ALIASES.get(role, role)
    texts, calls, results = [], [], []
    content = msg.get("content")
    if isinstance(content, str):
        texts.append(content)
    elif isinstance(content, list):
        _parts(content, texts, calls, results)
    elif content is not None:
        texts.append(json_text(content) or "")
    if isinstance(msg.get("parts"), list):
        _parts(msg["parts"], texts, calls, results)
    _add_calls(calls, msg.get("tool_calls"))
    extra = msg.get("additional_kwargs")
    if isinstance(extra, dict):
        _add_calls(calls, extra.get("tool_calls"))
        if isinstance(extra.get("function_call"), dict):
            _add_calls(calls, [extra["function_call"]])
    if isinstance(msg.get("function_call"), dict):
        _add_calls(calls, [msg["function_call"]])
    out: dict[str, Any] = {"role": role}
    if role == "tool" and isinstance(msg.get("name"), str):
        out["_name"] = msg["name"]  # only for _link_tool_results; not part of the canonical form
    if texts:
        out["content"] = "\n".join(texts)
    if calls:
        out["tool_calls"] = calls
    call_id = msg.get("tool_call_id") or msg.get("tool_use_id")
    if call_id is None and role == "tool":
        call_id = msg.get("call_id")
    if call_id is not None:
        out["tool_call_id"] = str(call_id)
    if msg.get("status") == "error" and role == "tool":
        out["status"] = "error"
    if not results:
        return [out]
    messages = [out] if (texts or calls) else []
    messages.extend({"role": "tool", "tool_call_id": r["id"], "content": r["content"]} for r in results)
    return messages


def _add_calls(calls: list[dict[str, Any]], raw: Any) -> None:
    """Append requested calls; a call already present by id gets the raw argument string."""
    if not isinstance(raw, list):
        return
    by_id = {c["id"]: c for c in calls if c.get("id")}
    for item in raw:
        call = _call(item)
        if call is None:
            continue
        known = by_id.get(call["id"]) if call["id"] else None
        if known is not None:
            raw_string = isinstance(item, dict) and isinstance(item.get("function"), dict)
            if raw_string and isinstance(call["arguments"], str):
                known["arguments"] = call["arguments"]
            continue
        calls.append(call)
        if call["id"]:
            by_id[call["id"]] = call


def canonical_messages(value: Any) -> list[dict[str, Any]] | None:
    """Canonical messages from a message, a list (or batch list of lists) of messages, or a
    container (chat completion `choices`, LangChain `generations`, `{"messages": ...}`, Gemini
    `candidates`, an OpenAI Responses object). None when nothing message-like is found."""
    out: list[dict[str, Any]] = []
    _collect(maybe_json(value), out, 0)
    _link_tool_results(out)
    return out or None


_STANDARD_ROLES = {"system", "user", "assistant", "tool"}


def _link_tool_results(messages: list[dict[str, Any]]) -> None:
    """A tool result written without its call id (LangChain's Langfuse handler writes the tool
    name as the role; some logs give a tool message only a `name`) gets the id of the earlier
    unanswered call of that name."""
    pending: list[dict[str, Any]] = []
    for message in messages:
        tool_name = message.pop("_name", None)
        pending.extend(c for c in message.get("tool_calls", []) if c.get("id"))
        role = message.get("role")
        if message.get("tool_call_id"):
            pending = [c for c in pending if c["id"] != message["tool_call_id"]]
            continue
        name = tool_name if role == "tool" else role if role not in _STANDARD_ROLES else None
        call = next((c for c in pending if name and c.get("name") == name), None)
        if call is not None:
            message["role"], message["tool_call_id"] = "tool", call["id"]
            pending.remove(call)


def _collect(value: Any, out: list[dict[str, Any]], depth: int) -> None:
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, list):
        for item in value:
            _collect(item, out, depth + 1)
        return
    if not isinstance(value, dict):
        return
    if isinstance(value.get("choices"), list):
        for choice in value["choices"]:
            if isinstance(choice, dict):
                _collect(choice.get("message") or choice.get("delta"), out, depth + 1)
        return
    if isinstance(value.get("generations"), list):
        for generation in _flatten(value["generations"]):
            if not isinstance(generation, dict):
                continue
            if generation.get("message") is not None:
                _collect(generation["message"], out, depth + 1)
            elif isinstance(generation.get("text"), str):
                out.append({"role": "assistant", "content": generation["text"]})
        return
    if isinstance(value.get("candidates"), list):
        for candidate in value["candidates"]:
            if isinstance(candidate, dict):
                _collect(candidate.get("content"), out, depth + 1)
        return
    if value.get("object") == "response" and isinstance(value.get("output"), list):
        _collect(value["output"], out, depth + 1)
        return
    if isinstance(value.get("prompts"), list) and "role" not in value:
        out.extend({"role": "user", "content": p} for p in value["prompts"] if isinstance(p, str))
        return
    looks_like_message = (
        "role" in value or "lc" in value or "tool_calls" in value or "parts" in value
        or ("toolCallId" in value and "toolName" in value)
        or (isinstance(value.get("type"), str) and ("content" in value or "call_id" in value or "arguments" in value))
    )
    if not looks_like_message:
        for key in _CONTAINER_KEYS:
            inner = value.get(key)
            if isinstance(inner, (list, dict)):
                _collect(inner, out, depth + 1)
                return
        return
    out.extend(_message(value))


def _flatten(items: list[Any], depth: int = 0) -> Iterable[Any]:
    for item in items:
        if isinstance(item, list):
            if depth < _MAX_DEPTH:
                yield from _flatten(item, depth + 1)
        else:
            yield item


def messages_text(messages: list[dict[str, Any]] | None) -> str | None:
    """The text the model wrote: content of every non-tool message, joined."""
    if not messages:
        return None
    texts = [m["content"] for m in messages if m.get("content") and m.get("role") not in ("tool", "system", "user")]
    return "\n".join(texts) if texts else None


def requested_calls(messages: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    if not messages:
        return None
    calls = [call for m in messages if m.get("role") != "tool" for call in m.get("tool_calls", [])]
    return calls or None


def system_text(messages: list[dict[str, Any]] | None) -> str | None:
    if not messages:
        return None
    texts = [m["content"] for m in messages if m.get("role") == "system" and m.get("content")]
    return "\n".join(texts) if texts else None


# --------------------------------------------------------------------------------------------
# Shared by the framework ingesters: tool-call-id inference
# --------------------------------------------------------------------------------------------

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
    claimed: set[str] = field(default_factory=set)


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


_UNPARSED = object()


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
        request.trace, request.name = _text(request.trace), _text(request.name)
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
        execution.trace = _text(execution.trace)
        named = [r for name in map(_text, execution.names) for r in by_name.get((execution.trace, name), [])
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


# --------------------------------------------------------------------------------------------
# LangSmith runs
# --------------------------------------------------------------------------------------------

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
SESSION_KEYS = ("thread_id", "session_id", "conversation_id")
FRAMEWORK_SESSION_RANK = 4
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
        run_id = _text(obj.get("id"))
        order_key = (_text(obj.get("trace_id")), _text(obj.get("dotted_order")))
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
        by_id[_text(run.data["id"])] = run
        if obj.get("dotted_order"):
            by_order[order_key] = run
    return runs


def _emit(entries: list[tuple[str, str, Any]], src: SourceFile, sink: RecordSink) -> None:
    runs = _collect_runs(entries, sink)
    domain = src.path.name
    ids = {_text(r.data["id"]) for r in runs}
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
    _infer_tool_ids(rows)
    for row in rows:
        position = row.pop("_pos")
        for key in ("_start_order", "_requests", "_metadata"):
            row.pop(key, None)
        row["flags"] = row["flags"] or None
        sink.add(position, **clean_row(row))


def _run_row(run: _Run, sink: RecordSink) -> dict[str, Any]:
    data = run.data
    run_id = _text(data["id"])
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
        "_pos": position, "_start_order": run.order, "_metadata": metadata, "_requests": None,
        "layer": layer, "kind": kind, "name": str(name), "operation": operation,
        "trace_id": _text(trace_id), "span_id": run_id, "parent_span_id": _text(parent),
        "ts_raw_start": start_ns, "ts_raw_end": end_ns,
        "ts_raw_text": None if start_raw is None else str(start_raw),
        "flags": flags,
    }
    for key in SESSION_KEYS:
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
        for generation in _flatten(generations if isinstance(generations, list) else []):
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


def tool_message(value: Any) -> dict[str, Any] | None:
    """A LangChain ToolMessage (serialized or as a dict) → its canonical message, else None."""
    value = maybe_json(value)
    if not isinstance(value, dict):
        return None
    class_path = value.get("id") if value.get("lc") is not None else None
    is_tool_message = (isinstance(class_path, list) and str(class_path[-1]).startswith("ToolMessage")) or (
        value.get("type") == "tool" and "tool_call_id" in value
    )
    if not is_tool_message:
        return None
    messages = canonical_messages(value)
    return messages[0] if messages else None


def _tool_fields(row: dict[str, Any], inputs: Any, outputs: Any, extra: dict[str, Any],
                 metadata: dict[str, Any]) -> bool:
    """Tool name, arguments, result and call id of a tool run; True when its ToolMessage says error."""
    row["tool_name"] = row["name"]
    if isinstance(inputs, dict) and set(inputs) <= {"input", "tool_call_id", "tool_call"} and "input" in inputs:
        row["args"] = arguments_text(inputs["input"])
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


def _infer_tool_ids(rows: list[dict[str, Any]]) -> None:
    requests = [
        CallRequest(str(call["id"]), call.get("name"), call.get("arguments"), row["trace_id"],
                    row.get("parent_span_id"), row["ts_raw_start"], row["_start_order"])
        for row in rows if row.get("_requests")
        for call in row["_requests"] if call.get("id")
    ]
    if not requests:
        return
    known = {(row["trace_id"], row["tool_call_id"]) for row in rows if row.get("tool_call_id")}
    executions = [
        CallExecution(index, (row["tool_name"],), row.get("args"), row["trace_id"], None,
                      row["ts_raw_start"], row["_start_order"])
        for index, row in enumerate(rows) if row["kind"] == "tool_call" and not row.get("tool_call_id")
    ]
    for index, (call_id, by_name) in infer_call_ids(requests, executions, known).items():
        rows[index]["tool_call_id"] = call_id
        rows[index]["flags"].append("tool_call_id_inferred")
        if by_name:
            rows[index]["flags"].append("tool_call_id_inferred_by_name")

"""Chat messages in every common shape (OpenAI chat and Responses, Anthropic, GenAI, Gemini,
Vercel AI, LangChain serialized and dict messages, batch `generations`) turned into the
canonical `[{role, content, tool_calls, tool_call_id}]`, and what is read off that form."""

from __future__ import annotations

from typing import Any, Iterable

from analyzer.ingest.framework.rows import json_text, maybe_json

ROLE_ALIASES = {"human": "user", "ai": "assistant", "model": "assistant", "bot": "assistant",
                "function": "tool", "developer": "system"}
LANGCHAIN_CLASS_ROLES = {
    "HumanMessage": "user", "HumanMessageChunk": "user", "AIMessage": "assistant",
    "AIMessageChunk": "assistant", "SystemMessage": "system", "SystemMessageChunk": "system",
    "ToolMessage": "tool", "ToolMessageChunk": "tool", "FunctionMessage": "tool",
    "FunctionMessageChunk": "tool",
}
_CONTAINER_KEYS = ("messages", "message", "output", "contents", "content")
# a requested call as a keyed block: block key → (id key, arguments key); Gemini, Bedrock Converse
_CALL_BLOCKS = {"function_call": ("id", "args"), "functionCall": ("id", "args"), "toolUse": ("toolUseId", "input")}
_BLOCK_KEYS = frozenset({"text", "toolUse", "toolResult", "json", "image", "document", "reasoningContent",
                         "cachePoint", "type"})
_MAX_DEPTH = 8


def _content_text(content: Any) -> str | None:
    """Text of a content that may be a list of parts, tool results included. Unlike
    semconv's, parts with no text make the whole list JSON rather than None."""
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
    return {"id": json_text(call_id), "name": json_text(name), "arguments": json_text(arguments)}


def _parts(parts: list[Any], texts: list[str], calls: list[dict], results: list[dict]) -> None:
    """Content parts of the OpenAI, Anthropic, GenAI, Gemini and Vercel shapes."""
    for part in parts:
        if isinstance(part, str):
            texts.append(part)
            continue
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        if is_reasoning(kind):
            continue
        if kind in ("tool_use", "tool_call", "tool-call", "function_call"):
            call = _call(part)
            if call:
                calls.append(call)
        elif kind in ("tool_result", "tool_call_response", "tool-result", "function_call_output"):
            call_id = part.get("tool_use_id") or part.get("toolCallId") or part.get("call_id") or part.get("id")
            body = next((part[k] for k in ("content", "response", "result", "output") if k in part), None)
            status = "error" if part.get("is_error") is True or part.get("isError") is True else None
            results.append({"id": json_text(call_id), "content": _content_text(body), "status": status})
        elif (block := next((k for k in _CALL_BLOCKS if isinstance(part.get(k), dict)), None)) is not None:
            id_key, args_key = _CALL_BLOCKS[block]
            call = part[block]
            calls.append({"id": json_text(call.get(id_key)), "name": json_text(call.get("name")),
                          "arguments": json_text(call.get(args_key))})
        elif isinstance(part.get("function_response") or part.get("functionResponse"), dict):
            fr = part.get("function_response") or part.get("functionResponse")
            results.append({"id": json_text(fr.get("id")), "content": _content_text(fr.get("response"))})
        elif isinstance(part.get("toolResult"), dict):  # Bedrock Converse blocks (Strands)
            result = part["toolResult"]
            results.append({"id": json_text(result.get("toolUseId")), "content": _content_text(result.get("content")),
                            "status": "error" if result.get("status") == "error" else None})
        elif isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif "json" in part and len(part) == 1:  # a Bedrock tool result's JSON block
            texts.append(json_text(part["json"]) or "")
        elif isinstance(part.get("content"), str):
            texts.append(part["content"])
        elif part.get("content") is not None:
            texts.append(json_text(part["content"]) or "")


def _message(msg: dict[str, Any]) -> list[dict[str, Any]]:
    """One message (any common shape) → canonical messages (tool results split one per id)."""
    if msg.get("lc") is not None and isinstance(msg.get("kwargs"), dict):
        ids = msg.get("id") if isinstance(msg.get("id"), list) else [""]
        kwargs = msg["kwargs"]
        role = LANGCHAIN_CLASS_ROLES.get(str(ids[-1])) or kwargs.get("role")
        return _message({**kwargs, "role": role}) if role else []
    role = json_text(msg.get("role"))
    kind = msg.get("type")
    if role is None and isinstance(kind, str):
        if kind in ("function_call", "tool-call", "tool_use"):  # OpenAI Responses / Vercel / Anthropic items
            call = _call(msg)
            return [{"role": "assistant", "tool_calls": [call]}] if call else []
        if kind in ("function_call_output", "tool-result", "tool_result"):
            texts: list[str] = []
            results: list[dict] = []
            _parts([msg], texts, [], results)
            return [_result_message(r) for r in results]
        role = ROLE_ALIASES.get(kind, kind if kind in ("system", "user", "assistant", "tool") else None)
        if role is None:
            return []
    if role is None and ("toolCallId" in msg and "toolName" in msg):
        call = _call(msg)
        return [{"role": "assistant", "tool_calls": [call]}] if call else []
    role = ROLE_ALIASES.get(role, role)
    texts, calls, results = [], [], []
    content = msg.get("content")
    blocks = block_list(content)
    if blocks is not None:
        _parts(blocks, texts, calls, results)
    elif isinstance(content, str):
        texts.append(content)
    elif isinstance(content, list):
        _parts(content, texts, calls, results)
    elif content is not None:
        texts.append(json_text(content) or "")
    for key in ("parts", "blocks"):  # Gemini / GenAI parts, LlamaIndex ChatMessage blocks
        if isinstance(msg.get(key), list):
            _parts(msg[key], texts, calls, results)
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
    messages.extend(_result_message(r) for r in results)
    return messages


def _result_message(result: dict[str, Any]) -> dict[str, Any]:
    message = {"role": "tool", "tool_call_id": result["id"], "content": result["content"]}
    if result.get("status"):
        message["status"] = result["status"]
    return message


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
        for generation in flat_items(value["generations"]):
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
    if "role" not in value and block_list(value.get("message")) is not None:
        # a GenAI `gen_ai.choice` event body as Langfuse shows it: the content blocks as JSON text;
        # on a tool span (Strands) the choice is the tool's result and carries the call id
        if value.get("id") is not None:
            out.extend(_message({"role": "tool", "content": value["message"], "tool_call_id": value["id"]}))
        else:
            out.extend(_message({"role": "assistant", "content": value["message"]}))
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


def flat_items(items: list[Any], depth: int = 0) -> Iterable[Any]:
    """The items of a list of lists (LangChain's batch `generations`), to a bounded depth."""
    for item in items:
        if isinstance(item, list):
            if depth < _MAX_DEPTH:
                yield from flat_items(item, depth + 1)
        else:
            yield item


def messages_text(messages: list[dict[str, Any]] | None) -> str | None:
    """The text the model wrote: content of every assistant (not tool, system or user) message,
    joined."""
    if not messages:
        return None
    texts = [m["content"] for m in messages if m.get("content") and m.get("role") not in ("tool", "system", "user")]
    return "\n".join(texts) if texts else None


def requested_calls(messages: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """The tool calls the messages ask for (a tool message's are not requests)."""
    if not messages:
        return None
    calls = [call for m in messages if m.get("role") != "tool" for call in m.get("tool_calls", [])]
    return calls or None


def system_text(messages: list[dict[str, Any]] | None) -> str | None:
    """The system instructions: content of every system message, joined."""
    if not messages:
        return None
    texts = [m["content"] for m in messages if m.get("role") == "system" and m.get("content")]
    return "\n".join(texts) if texts else None


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


def block_list(value: Any) -> list[dict[str, Any]] | None:
    """Content blocks (Bedrock/Strands `[{"text": ...}, {"toolUse": ...}]`, Anthropic typed
    blocks), given as a list or as its JSON text; None for anything else, prose included."""
    if isinstance(value, str):
        if value.lstrip()[:1] != "[":
            return None
        value = maybe_json(value)
    if not isinstance(value, list) or not value:
        return None
    if all(isinstance(block, dict) and not _BLOCK_KEYS.isdisjoint(block) for block in value):
        return value
    return None


def event_payload(value: Any) -> str | None:
    """A tool's arguments or result as a GenAI-event export shows them (Langfuse of Strands):
    `[{"role": "tool", "content": <args>, "id"}]` → the arguments; `{"message": <blocks>, "id"}`
    → the result text. None when `value` has neither shape."""
    value = maybe_json(value)
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
        only = value[0]
        if only.get("role") == "tool" and "content" in only and not only.get("tool_calls"):
            content = only["content"]
            return content if isinstance(content, str) else json_text(content)
    if isinstance(value, dict) and "message" in value and set(value) <= {"message", "id", "finish_reason", "role"}:
        blocks = block_list(value["message"])
        if blocks is not None:
            return _content_text(blocks)
        return value["message"] if isinstance(value["message"], str) else json_text(value["message"])
    return None


def is_reasoning(part_type: Any) -> bool:
    """A reasoning part (`thinking`, `redacted_thinking`, `reasoning`, .NET's
    `Microsoft.Extensions.AI.TextReasoningContent`): not words the model said."""
    if not isinstance(part_type, str):
        return False
    lowered = part_type.lower()
    return "reasoning" in lowered or "thinking" in lowered

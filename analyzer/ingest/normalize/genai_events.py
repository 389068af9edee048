"""OpenTelemetry GenAI events (`gen_ai.user.message`, `gen_ai.choice`,
`gen_ai.client.inference.operation.details`, ...) → the columns of the call they describe.

The same events arrive as span events (Strands, Semantic Kernel, OpenLIT) or as log records
with a span id (Google ADK, the OTel Python instrumentations); both are read here. An event's
content is in its body (logs) or in its attributes (span events)."""

from __future__ import annotations

from typing import Any

from analyzer.ingest.normalize.messages import (
    block_list,
    canonical_messages,
    messages_text,
    requested_calls,
    system_text,
)
from analyzer.ingest.normalize.semconv import json_text, lookup

# event name → (direction, role); the role of an input message comes from the event's name
MESSAGE_EVENTS = {
    "gen_ai.system.message": ("input", "system"),
    "gen_ai.user.message": ("input", "user"),
    "gen_ai.assistant.message": ("input", "assistant"),
    "gen_ai.tool.message": ("input", "tool"),
    "gen_ai.choice": ("output", "assistant"),
}
DETAILS_EVENT = "gen_ai.client.inference.operation.details"
# Earlier GenAI content events (Semantic Kernel, OpenLIT): the prompt or completion as an attribute
CONTENT_EVENTS = {"gen_ai.content.prompt": ("input", "gen_ai.prompt"),
                  "gen_ai.content.completion": ("output", "gen_ai.completion")}
EVENT_NAMES = frozenset(MESSAGE_EVENTS) | {DETAILS_EVENT} | frozenset(CONTENT_EVENTS)


def is_genai_event(name: Any) -> bool:
    return isinstance(name, str) and name in EVENT_NAMES


def _payload(body: Any, attrs: dict[str, Any]) -> dict[str, Any]:
    payload = dict(attrs)
    if isinstance(body, dict):
        payload.update(body)
    elif body is not None:
        payload.setdefault("content", body)
    return payload


def _message(role: str, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """One event's message: `content` (text, parts or content blocks as JSON), tool calls, id."""
    inner = payload.get("message")
    if isinstance(inner, dict):  # gen_ai.choice: {"message": {"role", "content", "tool_calls"}}
        payload = {**payload, **inner}
    elif inner is not None and payload.get("content") is None:
        payload = {**payload, "content": inner}  # Strands: the choice's blocks as JSON text
    role = payload.get("role") if isinstance(payload.get("role"), str) else role
    message: dict[str, Any] = {"role": role}
    content = payload.get("content")
    blocks = block_list(content)
    message["content"] = blocks if blocks is not None else content
    if payload.get("tool_calls") is not None:
        message["tool_calls"] = payload["tool_calls"]
    if role == "tool" and payload.get("id") is not None:
        message["tool_call_id"] = payload["id"]
    return canonical_messages(message) or []


def read_events(events: list[tuple[str, Any, dict[str, Any]]]) -> dict[str, Any]:
    """(inputs, outputs, system) of `(name, body, attributes)` events, in their order;
    events of other names are ignored."""
    inputs: list[dict[str, Any]] = []
    outputs: list[dict[str, Any]] = []
    system: str | None = None
    for name, body, attrs in events:
        payload = _payload(body, attrs or {})
        if name in MESSAGE_EVENTS:
            direction, role = MESSAGE_EVENTS[name]
            (inputs if direction == "input" else outputs).extend(_message(role, payload))
        elif name == DETAILS_EVENT:
            inputs.extend(lookup(payload, "llm_call.input_messages") or [])
            outputs.extend(lookup(payload, "llm_call.output_messages") or [])
            system = system or lookup(payload, "llm_call.system_instructions")
        elif name in CONTENT_EVENTS:
            direction, key = CONTENT_EVENTS[name]
            found = lookup(payload, f"llm_call.{direction}_messages")
            if not found and isinstance(payload.get(key), str):
                found = [{"role": "user" if direction == "input" else "assistant", "content": payload[key]}]
            (inputs if direction == "input" else outputs).extend(found or [])
    return {"inputs": inputs, "outputs": outputs, "system": system}


def call_fields(kind: str, events: list[tuple[str, Any, dict[str, Any]]]) -> dict[str, Any]:
    """Columns the events give a record of `kind`: messages, text and requested calls for a
    model call; arguments and result for a tool call (the tool message is its input, the
    choice its output); the messages alone for anything else."""
    read = read_events(events)
    inputs, outputs = read["inputs"], read["outputs"]
    if not inputs and not outputs and not read["system"]:
        return {}
    if kind == "tool_call":
        return {"args": tool_text(inputs), "result": tool_text(outputs)}
    return {
        "input_messages": json_text(inputs or None),
        "output_messages": json_text(outputs or None),
        "system_instructions": read["system"] or system_text(inputs),
        "text": messages_text(outputs),
        "requested_tool_calls": json_text(requested_calls(outputs)),
    }


def tool_text(messages: list[dict[str, Any]]) -> str | None:
    """A tool call's arguments (its input messages) or result (its output messages) as the
    events give them: the messages' contents, else the first call's arguments."""
    texts, arguments = tool_parts(messages)
    return "\n".join(texts) if texts else (arguments[0] if arguments else None)


def tool_parts(messages: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """What `tool_text` chooses from: the messages' non-empty contents and their calls'
    non-empty arguments, in order."""
    texts = [m["content"] for m in messages if m.get("content")]
    arguments = [c.get("arguments") for m in messages for c in m.get("tool_calls", []) if c.get("arguments")]
    return texts, arguments

"""Attribute conventions (OpenTelemetry GenAI current and deprecated, OpenInference, and the
common vendor forms) normalized into the store's columns. Shared by every ingester that sees
OTel-style flat attributes: OTLP spans and Langfuse observations alike."""

from __future__ import annotations

from typing import Any

import orjson

MODEL_OPERATIONS = {"chat", "text_completion", "generate_content", "completion", "embeddings"}
AGENT_OPERATIONS = {"invoke_agent", "create_agent", "invoke_workflow"}
TOOL_OPERATIONS = {"execute_tool"}

OPENINFERENCE_KINDS = {
    "LLM": ("llm_call", "model"),
    "EMBEDDING": ("llm_call", "model"),
    "TOOL": ("tool_call", "tool"),
    "AGENT": ("agent_run", "agent"),
    "CHAIN": ("span", "agent"),
}
TRACELOOP_KINDS = {"tool": ("tool_call", "tool"), "agent": ("agent_run", "agent"), "workflow": ("span", "agent")}


def json_text(value: Any) -> str | None:
    """Text for a column that holds a payload: strings as is, structures as JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.hex()
    return orjson.dumps(value, default=str).decode()


def _loads(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _first(attrs: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        value = attrs.get(key)
        if value is not None and value != "":
            return value
    return None


def _content_text(content: Any) -> str | None:
    """Plain text of a message content that may be a string or a list of parts."""
    if content is None:
        return None
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if isinstance(part, dict):
                text = part.get("content", part.get("text"))
                if isinstance(text, str):
                    texts.append(text)
            elif isinstance(part, str):
                texts.append(part)
        return "\n".join(texts) if texts else None
    return json_text(content)


def _genai_messages(value: Any) -> list[dict[str, Any]] | None:
    """GenAI `gen_ai.input.messages`/`output.messages`: [{role, parts:[...]}] → canonical."""
    value = _loads(value)
    if not isinstance(value, list):
        return None
    messages = []
    for message in value:
        if not isinstance(message, dict):
            continue
        out: dict[str, Any] = {"role": message.get("role")}
        texts, calls = [], []
        parts = message.get("parts")
        if parts is None and "content" in message:
            out["content"] = _content_text(message.get("content"))
            for call in message.get("tool_calls") or []:
                fn = call.get("function") or {}
                calls.append({"id": call.get("id"), "name": fn.get("name", call.get("name")),
                              "arguments": json_text(fn.get("arguments", call.get("arguments")))})
            if message.get("tool_call_id"):
                out["tool_call_id"] = message["tool_call_id"]
        for part in parts or []:
            if not isinstance(part, dict):
                continue
            kind = part.get("type")
            if kind == "tool_call":
                calls.append({"id": part.get("id"), "name": part.get("name"),
                              "arguments": json_text(part.get("arguments"))})
            elif kind == "tool_call_response":
                out["tool_call_id"] = part.get("id")
                out["content"] = json_text(part.get("response", part.get("result")))
            elif "content" in part:
                texts.append(json_text(part.get("content")))
        if texts:
            out["content"] = "\n".join(t for t in texts if t is not None)
        if calls:
            out["tool_calls"] = calls
        if message.get("finish_reason"):
            out["finish_reason"] = message["finish_reason"]
        messages.append(out)
    return messages


def _indexed(attrs: dict[str, Any], prefix: str) -> dict[int, dict[str, Any]]:
    """Group `prefix.N.rest` keys by N: {N: {rest: value}}."""
    groups: dict[int, dict[str, Any]] = {}
    plen = len(prefix)
    for key, value in attrs.items():
        if not key.startswith(prefix):
            continue
        index, _, rest = key[plen:].partition(".")
        if index.isdigit():
            groups.setdefault(int(index), {})[rest] = value
    return groups


def _flat_messages(attrs: dict[str, Any], prefix: str, style: str) -> list[dict[str, Any]] | None:
    """Flattened message lists: OpenInference `llm.input_messages.N.message.*` (style 'oi') or
    deprecated GenAI `gen_ai.prompt.N.*` (style 'genai')."""
    groups = _indexed(attrs, prefix)
    if not groups:
        return None
    mp = "message." if style == "oi" else ""
    messages = []
    for index in sorted(groups):
        fields = groups[index]
        out: dict[str, Any] = {"role": fields.get(mp + "role")}
        content = fields.get(mp + "content")
        if content is None:
            parts = [v for k, v in sorted(fields.items()) if k.startswith(mp + "contents.") and k.endswith(".text")]
            content = "\n".join(str(p) for p in parts) if parts else None
        if content is not None:
            out["content"] = json_text(content)
        tool_call_id = fields.get(mp + "tool_call_id")
        if tool_call_id is not None:
            out["tool_call_id"] = str(tool_call_id)
        calls: dict[int, dict[str, Any]] = {}
        call_prefix = mp + "tool_calls."
        for key, value in fields.items():
            if not key.startswith(call_prefix):
                continue
            index_text, _, rest = key[len(call_prefix):].partition(".")
            if not index_text.isdigit():
                continue
            call = calls.setdefault(int(index_text), {})
            rest = rest.removeprefix("tool_call.")
            if rest == "id":
                call["id"] = str(value)
            elif rest in ("function.name", "name"):
                call["name"] = value
            elif rest in ("function.arguments", "arguments"):
                call["arguments"] = json_text(value)
        if calls:
            out["tool_calls"] = [calls[i] for i in sorted(calls)]
        messages.append(out)
    return messages


def _completion_text(value: Any) -> str | None:
    """A completion given as text or as a JSON object with a `text`/`content` field."""
    parsed = _loads(value)
    if isinstance(parsed, dict):
        inner = parsed.get("text", parsed.get("content"))
        if isinstance(inner, str):
            return inner
    return json_text(value)


def _requested_calls(messages: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    if not messages:
        return None
    calls = [call for m in messages for call in m.get("tool_calls", [])]
    return calls or None


def _messages_text(messages: list[dict[str, Any]] | None) -> str | None:
    if not messages:
        return None
    texts = [m["content"] for m in messages if m.get("content") and m.get("role") != "tool"]
    return "\n".join(texts) if texts else None


def classify(attrs: dict[str, Any], name: str) -> tuple[str, str, str | None]:
    """(kind, layer, operation) of a span from its attributes, most specific convention first."""
    operation = attrs.get("gen_ai.operation.name")
    if not isinstance(operation, str):  # attributes are untrusted: a list or map here is data, not a name
        operation = None
    if operation in TOOL_OPERATIONS:
        return "tool_call", "tool", operation
    if operation in AGENT_OPERATIONS:
        return "agent_run", "agent", operation
    if operation in MODEL_OPERATIONS:
        return "llm_call", "model", operation
    oi_kind = attrs.get("openinference.span.kind")
    if isinstance(oi_kind, str) and oi_kind.upper() in OPENINFERENCE_KINDS:
        kind, layer = OPENINFERENCE_KINDS[oi_kind.upper()]
        return kind, layer, operation or oi_kind.lower()
    tl_kind = attrs.get("traceloop.span.kind")
    if isinstance(tl_kind, str) and tl_kind in TRACELOOP_KINDS:
        kind, layer = TRACELOOP_KINDS[tl_kind]
        return kind, layer, operation or tl_kind
    if "gen_ai.tool.name" in attrs or "ai.toolCall.name" in attrs:
        return "tool_call", "tool", operation or "execute_tool"
    if (
        "gen_ai.system" in attrs
        or "gen_ai.request.model" in attrs
        or "gen_ai.provider.name" in attrs
        or "ai.model.id" in attrs
        or "llm.model_name" in attrs
    ) and not attrs.get("gen_ai.agent.name"):
        return "llm_call", "model", operation or "chat"
    if "gen_ai.agent.name" in attrs or "agent_name" in attrs:
        return "agent_run", "agent", operation or "invoke_agent"
    return "span", "other", operation


def normalize(attrs: dict[str, Any], name: str) -> dict[str, Any]:
    """Normalized record fields (column name → value) from flat OTel-style attributes."""
    kind, layer, operation = classify(attrs, name)
    out: dict[str, Any] = {"kind": kind, "layer": layer, "operation": operation}

    for key, rank in (("gen_ai.conversation.id", 1), ("session.id", 2), ("langfuse.session.id", 2)):
        value = attrs.get(key)
        if value not in (None, ""):
            out["session_own"] = str(value)
            out["session_rank"] = rank
            break

    out["agent"] = _first(attrs, "gen_ai.agent.name", "agent.name", "agent_name")
    out["model"] = _first(
        attrs, "gen_ai.response.model", "gen_ai.request.model", "llm.model_name", "ai.model.id"
    )
    error_type = attrs.get("error.type")
    if error_type is not None:
        out["error_type"] = str(error_type)

    if kind == "tool_call":
        out["tool_name"] = _first(attrs, "gen_ai.tool.name", "tool.name", "tool_call.function.name",
                                  "ai.toolCall.name", "traceloop.entity.name")
        call_id = _first(attrs, "gen_ai.tool.call.id", "tool_call.id", "ai.toolCall.id")
        out["tool_call_id"] = None if call_id is None else str(call_id)
        out["args"] = json_text(_first(attrs, "gen_ai.tool.call.arguments", "tool_arguments",
                                       "tool_call.function.arguments", "input.value",
                                       "ai.toolCall.args", "traceloop.entity.input", "input"))
        out["result"] = json_text(_first(attrs, "gen_ai.tool.call.result", "tool_response",
                                         "output.value", "ai.toolCall.result", "traceloop.entity.output",
                                         "output"))
        return out

    if kind == "llm_call":
        inputs = (
            _genai_messages(attrs.get("gen_ai.input.messages"))
            or _flat_messages(attrs, "llm.input_messages.", "oi")
            or _flat_messages(attrs, "gen_ai.prompt.", "genai")
            or _genai_messages(_first(attrs, "gen_ai.prompt", "input.value"))
        )
        outputs = (
            _genai_messages(attrs.get("gen_ai.output.messages"))
            or _flat_messages(attrs, "llm.output_messages.", "oi")
            or _flat_messages(attrs, "gen_ai.completion.", "genai")
            or _genai_messages(attrs.get("gen_ai.completion"))
        )
        out["input_messages"] = json_text(inputs)
        out["output_messages"] = json_text(outputs)
        out["requested_tool_calls"] = json_text(_requested_calls(outputs))
        instructions = attrs.get("gen_ai.system_instructions")
        if instructions is not None:
            out["system_instructions"] = _content_text(_loads(instructions))
        elif inputs:
            system = [m.get("content") for m in inputs if m.get("role") == "system" and m.get("content")]
            out["system_instructions"] = "\n".join(system) if system else None
        out["text"] = _messages_text(outputs) or _completion_text(
            _first(attrs, "gen_ai.completion", "output.value", "ai.response.text")
        )
        out["input_tokens"] = _int(_first(attrs, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens",
                                          "llm.token_count.prompt", "ai.usage.promptTokens"))
        out["output_tokens"] = _int(_first(attrs, "gen_ai.usage.output_tokens",
                                           "gen_ai.usage.completion_tokens", "llm.token_count.completion",
                                           "ai.usage.completionTokens"))
        out["cache_read_tokens"] = _int(_first(attrs, "gen_ai.usage.cache_read.input_tokens",
                                               "gen_ai.usage.cache_read_input_tokens",
                                               "llm.token_count.prompt_details.cache_read"))
        out["cache_write_tokens"] = _int(_first(attrs, "gen_ai.usage.cache_creation.input_tokens",
                                                "gen_ai.usage.cache_creation_input_tokens",
                                                "llm.token_count.prompt_details.cache_write"))
        return out

    # agents, chains and plain spans: their input and output as args / text
    out["args"] = json_text(_first(attrs, "input.value", "traceloop.entity.input"))
    out["text"] = json_text(_first(attrs, "final_result", "output.value", "traceloop.entity.output"))
    return out

"""Attribute conventions (OpenTelemetry GenAI current and deprecated, OpenInference, and the
common vendor forms) normalized into the store's columns. Shared by every ingester that sees
OTel-style flat attributes: OTLP spans and Langfuse observations alike."""

from __future__ import annotations

from typing import Any

import ast

import orjson

from analyzer.ingest.normalize.conventions import (
    AGENT_OPERATIONS,
    ATTRIBUTE_KEYS,
    EMBEDDING_OPERATIONS,
    KIND_KEYS,
    MODEL_OPERATIONS,
    OPENINFERENCE_KINDS,
    PLACEHOLDER_IDS,
    SESSION_RANKS,
    STEP_OPERATIONS,
    TOOL_OPERATIONS,
    TRACELOOP_KINDS,
)

__all__ = ["AGENT_OPERATIONS", "MODEL_OPERATIONS", "OPENINFERENCE_KINDS", "TOOL_OPERATIONS", "TRACELOOP_KINDS",
           "classify", "json_text", "normalize"]


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
    from analyzer.ingest.normalize.messages import is_reasoning

    value = _loads(value)
    if not isinstance(value, list):
        return None
    messages = []
    for message in value:
        if not isinstance(message, dict):
            continue
        out: dict[str, Any] = {"role": message.get("role")}
        texts, calls, responses = [], [], []
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
            if kind == "text" and "content" in part:  # the common part, first
                texts.append(json_text(part["content"]))
                continue
            if is_reasoning(kind):
                continue
            if kind == "tool_call":
                calls.append({"id": part.get("id"), "name": part.get("name"),
                              "arguments": json_text(part.get("arguments"))})
            elif kind == "tool_call_response":  # one canonical message per response (parallel calls)
                response = part.get("response", part.get("result"))
                responses.append({"role": message.get("role"), "tool_call_id": part.get("id"),
                                  "content": _blocks_text(response) or json_text(response)})
            elif "content" in part:
                texts.append(json_text(part.get("content")))
        if texts:
            out["content"] = "\n".join(t for t in texts if t is not None)
        if calls:
            out["tool_calls"] = calls
        if message.get("finish_reason"):
            out["finish_reason"] = message["finish_reason"]
        if not responses or texts or calls:
            messages.append(out)
        messages.extend(responses)
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


def system_of(inputs: list[dict[str, Any]] | None) -> str | None:
    """A model call's system instructions from its input messages (when no attribute states them)."""
    from analyzer.ingest.normalize.messages import system_text

    return system_text(inputs)


def model_words(outputs: list[dict[str, Any]] | None, stated: str | None) -> str | None:
    """The words a model call wrote: its output messages' text, else the text an attribute
    states; none when that text is the raw output the messages were read from."""
    text = _messages_text(outputs) or stated
    if outputs and isinstance(_loads(text), (dict, list)):
        return None
    return text


def _python_or_json(value: Any) -> Any:
    """Arguments written as JSON or as a Python literal (any-agent's LangChain `str(dict)`)."""
    if not isinstance(value, str) or value[:1] not in ("{", "["):
        return value
    parsed = _loads(value)
    if parsed is not value or len(value) > _MAX_LITERAL:
        return parsed
    try:
        return ast.literal_eval(value)  # literals only: no names, calls or attribute access
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return value


_MAX_LITERAL = 1_000_000


def payload_text(value: Any) -> str | None:
    """A payload as the column holds it: text as written, a JSON string literal unwrapped once
    (a double-encoded result), structures as JSON."""
    if isinstance(value, str):
        if value[:1] == '"':
            try:
                inner = orjson.loads(value)
            except orjson.JSONDecodeError:
                return value
            if isinstance(inner, str):
                return inner
        return value
    return json_text(value)


def _blocks_text(value: Any) -> str | None:
    from analyzer.ingest.normalize.messages import block_list

    blocks = block_list(value)
    return _content_text(blocks) if blocks is not None else None


def _gemini_request(value: Any) -> Any:
    request = _loads(value)
    return request.get("contents") if isinstance(request, dict) else None


def _gemini_system(value: Any) -> str | None:
    request = _loads(value)
    config = request.get("config") if isinstance(request, dict) else None
    system = config.get("system_instruction") if isinstance(config, dict) else None
    if isinstance(system, dict):  # a Gemini Content: {"parts": [{"text": ...}]}
        system = system.get("parts")
    return _content_text(system)


def _vercel_prompt(value: Any) -> list[dict[str, Any]] | None:
    """Vercel `ai.prompt`: {"prompt": text} or {"messages": [...]}, with an optional system."""
    from analyzer.ingest.normalize.messages import canonical_messages

    prompt = _loads(value)
    if not isinstance(prompt, dict):
        return None
    messages = [{"role": "system", "content": prompt["system"]}] if isinstance(prompt.get("system"), str) else []
    if isinstance(prompt.get("prompt"), str):
        messages.append({"role": "user", "content": prompt["prompt"]})
    elif prompt.get("messages") is not None:
        messages.extend(canonical_messages(prompt["messages"]) or [])
    return messages or None


def _decode(decoder: str, value: Any, attrs: dict[str, Any], key: str) -> Any:
    """The value of attribute `key` read with the named decoder (see conventions.py)."""
    from analyzer.ingest.normalize.messages import canonical_messages

    if decoder == "openinference_flat":
        return _flat_messages(attrs, key + ".", "oi")
    if decoder == "genai_flat":
        return _flat_messages(attrs, key + ".", "genai")
    if value is None or value == "":
        return None
    if decoder == "text":
        return value if isinstance(value, str) else json_text(value)
    if decoder == "call_id":
        text = value if isinstance(value, str) else json_text(value)
        return None if text in PLACEHOLDER_IDS else text
    if decoder == "payload":
        return payload_text(value)
    if decoder == "tool_result":  # content blocks (Strands) as their text, else the payload
        return _blocks_text(value) or payload_text(value)
    if decoder == "python_or_json":
        return payload_text(_python_or_json(value))
    if decoder == "int":
        return _int(value)
    if decoder == "genai_messages":
        return _genai_messages(value)
    if decoder == "messages":
        return canonical_messages(value)
    if decoder == "gemini_request":
        return canonical_messages(_gemini_request(value))
    if decoder == "gemini_system":
        return _gemini_system(value)
    if decoder == "vercel_prompt":
        return _vercel_prompt(value)
    if decoder == "tool_calls":
        calls = _loads(value)
        return canonical_messages({"role": "assistant", "tool_calls": calls}) if isinstance(calls, list) else None
    if decoder == "completion_text":
        return _completion_text(value)
    if decoder == "content_text":
        return _content_text(_loads(value))
    raise ValueError(f"unknown decoder {decoder!r}")


def lookup(attrs: dict[str, Any], target: str) -> Any:
    """The first non-empty decoded value for a target of conventions.ATTRIBUTE_KEYS."""
    for key, decoder, _ in ATTRIBUTE_KEYS[target]:
        if key not in attrs and decoder not in ("openinference_flat", "genai_flat"):
            continue
        value = _decode(decoder, attrs.get(key), attrs, key)
        if value is not None and value != [] and value != "":
            return value
    return None


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
    if operation in EMBEDDING_OPERATIONS:
        return "embedding", "model", operation
    for key, table, _ in KIND_KEYS:
        value = attrs.get(key)
        if isinstance(value, str):
            found = table.get(value) or table.get(value.upper())
            if found:
                return found[0], found[1], operation or (value.lower() if key != "ai.operationId" else value)
    if "gen_ai.tool.name" in attrs or "ai.toolCall.name" in attrs:
        return "tool_call", "tool", operation or "execute_tool"
    if operation is not None:  # a step of the agent loop (Strands' cycle), a retrieval, ...
        return "span", "agent" if operation in STEP_OPERATIONS else "other", operation
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

    for key in (k for k, _, _ in ATTRIBUTE_KEYS["any.session_own"]):
        value = attrs.get(key)
        if value not in (None, ""):
            out["session_own"] = str(value)
            out["session_rank"] = SESSION_RANKS[key]
            break

    out["agent"] = lookup(attrs, "any.agent")
    out["model"] = lookup(attrs, "any.model")
    out["http_status"] = lookup(attrs, "any.http_status")
    error_type = attrs.get("error.type")
    if error_type is not None:
        out["error_type"] = str(error_type)

    if kind == "tool_call":
        for column in ("tool_name", "tool_call_id", "args", "result"):
            out[column] = lookup(attrs, f"tool_call.{column}")
        return out

    if kind == "llm_call":
        inputs = lookup(attrs, "llm_call.input_messages")
        outputs = lookup(attrs, "llm_call.output_messages")
        out["input_messages"] = json_text(inputs)
        out["output_messages"] = json_text(outputs)
        out["requested_tool_calls"] = json_text(_requested_calls(outputs))
        out["system_instructions"] = lookup(attrs, "llm_call.system_instructions") or system_of(inputs)
        out["text"] = model_words(outputs, lookup(attrs, "llm_call.text"))
        for column in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"):
            out[column] = lookup(attrs, f"llm_call.{column}")
        return out

    # agents, chains and plain spans: their input and output as args / text
    out["args"] = lookup(attrs, "agent_run.args")
    out["text"] = lookup(attrs, "agent_run.text")
    return out

"""Which attribute key of which instrumentation fills which store column: data, not code, so
docs/conventions.md can be checked against it and a vectorized pass can carry it over.

`ATTRIBUTE_KEYS[target]` lists `(key, decoder, conventions)` in order of preference; the
target is `<record kind>.<column>`; `decoder` names how semconv reads the value."""

from __future__ import annotations

GENAI = "OpenTelemetry GenAI"
GENAI_OLD = "OpenTelemetry GenAI (deprecated), OpenLLMetry/Traceloop, OpenLIT"
OPENINFERENCE = "OpenInference (LlamaIndex, CrewAI, LangChain, BeeAI, ...)"
TRACELOOP = "OpenLLMetry/Traceloop"
VERCEL = "Vercel AI SDK"
ADK = "Google ADK"
ANY_AGENT = "any-agent"
MLFLOW = "MLflow tracing"
LOGFIRE = "Logfire / pydantic-ai"
BEEAI = "BeeAI"
OPENLIT = "OpenLIT"
SEMANTIC_KERNEL = "Semantic Kernel"

Key = tuple[str, str, str]  # (attribute key, decoder, conventions)

ATTRIBUTE_KEYS: dict[str, tuple[Key, ...]] = {
    "tool_call.tool_name": (
        ("gen_ai.tool.name", "text", GENAI),
        ("tool.name", "text", OPENINFERENCE),
        ("tool_call.function.name", "text", OPENINFERENCE),
        ("ai.toolCall.name", "text", VERCEL),
        ("traceloop.entity.name", "text", TRACELOOP),
        ("mlflow.spanFunctionName", "text", MLFLOW),
    ),
    "tool_call.tool_call_id": (
        ("gen_ai.tool.call.id", "call_id", GENAI),
        ("tool_call.id", "call_id", OPENINFERENCE),
        ("ai.toolCall.id", "call_id", VERCEL),
    ),
    "tool_call.args": (
        ("gen_ai.tool.call.arguments", "payload", GENAI),
        ("gcp.vertex.agent.tool_call_args", "payload", ADK),
        ("tool_arguments", "payload", LOGFIRE),
        ("tool_call.function.arguments", "payload", OPENINFERENCE),
        ("input.value", "payload", OPENINFERENCE),
        ("tool.parameters", "payload", BEEAI),
        ("ai.toolCall.args", "payload", VERCEL),
        ("ai.toolCall.input", "payload", VERCEL),
        ("traceloop.entity.input", "payload", TRACELOOP),
        ("gen_ai.tool.args", "python_or_json", f"{ANY_AGENT}; {OPENLIT}"),
        ("gen_ai.tool.input", "payload", OPENLIT),
        ("gen_ai.tool.parameters", "payload", OPENLIT),
        ("mlflow.spanInputs", "payload", MLFLOW),
        ("input", "payload", "flat GenAI attribute maps"),
    ),
    "tool_call.result": (
        ("gen_ai.tool.call.result", "tool_result", GENAI),
        ("gcp.vertex.agent.tool_response", "payload", ADK),
        ("tool_response", "payload", LOGFIRE),
        ("output.value", "payload", OPENINFERENCE),
        ("ai.toolCall.result", "payload", VERCEL),
        ("ai.toolCall.output", "payload", VERCEL),
        ("traceloop.entity.output", "payload", TRACELOOP),
        ("genai.output", "payload", ANY_AGENT),
        ("gen_ai.output", "payload", ANY_AGENT),
        ("gen_ai.tool.output", "payload", OPENLIT),
        ("gen_ai.tool.result", "payload", OPENLIT),
        ("mlflow.spanOutputs", "payload", MLFLOW),
        ("output", "payload", "flat GenAI attribute maps"),
    ),
    "llm_call.input_messages": (
        ("gen_ai.input.messages", "genai_messages", GENAI),
        ("llm.input_messages", "openinference_flat", OPENINFERENCE),
        ("gen_ai.prompt", "genai_flat", GENAI_OLD),
        ("gen_ai.prompt", "genai_messages", GENAI_OLD),
        ("gcp.vertex.agent.llm_request", "gemini_request", ADK),
        ("ai.prompt.messages", "messages", VERCEL),
        ("ai.prompt", "vercel_prompt", VERCEL),
        ("mlflow.spanInputs", "messages", MLFLOW),
        ("request_data", "messages", LOGFIRE),
        ("input.value", "genai_messages", OPENINFERENCE),
    ),
    "llm_call.output_messages": (
        ("gen_ai.output.messages", "genai_messages", GENAI),
        ("llm.output_messages", "openinference_flat", OPENINFERENCE),
        ("gen_ai.completion", "genai_flat", GENAI_OLD),
        ("gen_ai.completion", "genai_messages", GENAI_OLD),
        ("gcp.vertex.agent.llm_response", "messages", ADK),
        ("ai.response.toolCalls", "tool_calls", VERCEL),
        ("gen_ai.response.tool_calls", "tool_calls", OPENLIT),
        ("response_data", "messages", LOGFIRE),
        ("genai.output", "messages", ANY_AGENT),
        ("gen_ai.output", "messages", ANY_AGENT),
        ("mlflow.spanOutputs", "messages", MLFLOW),
    ),
    "llm_call.text": (
        ("gen_ai.completion", "completion_text", GENAI_OLD),
        ("output.value", "completion_text", OPENINFERENCE),
        ("ai.response.text", "text", VERCEL),
        ("ai.response.object", "payload", VERCEL),
        ("genai.output", "completion_text", ANY_AGENT),
    ),
    "llm_call.system_instructions": (
        ("gen_ai.system_instructions", "content_text", GENAI),
        ("gcp.vertex.agent.llm_request", "gemini_system", ADK),
    ),
    "llm_call.input_tokens": (
        ("gen_ai.usage.input_tokens", "int", GENAI),
        ("gen_ai.usage.prompt_tokens", "int", GENAI_OLD),
        ("gen_ai.response.prompt_tokens", "int", SEMANTIC_KERNEL),
        ("llm.token_count.prompt", "int", OPENINFERENCE),
        ("ai.usage.inputTokens", "int", VERCEL),
        ("ai.usage.promptTokens", "int", VERCEL),
    ),
    "llm_call.output_tokens": (
        ("gen_ai.usage.output_tokens", "int", GENAI),
        ("gen_ai.usage.completion_tokens", "int", GENAI_OLD),
        ("gen_ai.response.completion_tokens", "int", SEMANTIC_KERNEL),
        ("llm.token_count.completion", "int", OPENINFERENCE),
        ("ai.usage.outputTokens", "int", VERCEL),
        ("ai.usage.completionTokens", "int", VERCEL),
    ),
    "llm_call.cache_read_tokens": (
        ("gen_ai.usage.cache_read.input_tokens", "int", GENAI),
        ("gen_ai.usage.cache_read_input_tokens", "int", "Strands, Anthropic instrumentations"),
        ("llm.token_count.prompt_details.cache_read", "int", OPENINFERENCE),
        ("ai.usage.cachedInputTokens", "int", VERCEL),
    ),
    "llm_call.cache_write_tokens": (
        ("gen_ai.usage.cache_creation.input_tokens", "int", GENAI),
        ("gen_ai.usage.cache_creation_input_tokens", "int", "Anthropic instrumentations"),
        ("gen_ai.usage.cache_write_input_tokens", "int", "Strands"),
        ("llm.token_count.prompt_details.cache_write", "int", OPENINFERENCE),
    ),
    "any.session_own": (
        ("gen_ai.conversation.id", "text", GENAI),
        ("session.id", "text", OPENINFERENCE),
        ("langfuse.session.id", "text", "Langfuse SDK"),
        ("gcp.vertex.agent.session_id", "text", ADK),
    ),
    "any.agent": (
        ("gen_ai.agent.name", "text", GENAI),
        ("agent.name", "text", OPENINFERENCE),
        ("agent_name", "text", LOGFIRE),
    ),
    "any.model": (
        ("gen_ai.response.model", "text", GENAI),
        ("gen_ai.request.model", "text", GENAI),
        ("llm.model_name", "text", OPENINFERENCE),
        ("ai.response.model", "text", VERCEL),
        ("ai.model.id", "text", VERCEL),
    ),
    "any.http_status": (
        ("http.response.status_code", "int", "OpenTelemetry HTTP"),
        ("http.status_code", "int", "OpenTelemetry HTTP (deprecated)"),
    ),
    "agent_run.args": (
        ("input.value", "payload", OPENINFERENCE),
        ("traceloop.entity.input", "payload", TRACELOOP),
        ("mlflow.spanInputs", "payload", MLFLOW),
        ("ai.prompt", "payload", VERCEL),
    ),
    "agent_run.text": (
        ("final_result", "payload", LOGFIRE),
        ("output.value", "payload", OPENINFERENCE),
        ("traceloop.entity.output", "payload", TRACELOOP),
        ("mlflow.spanOutputs", "payload", MLFLOW),
        ("ai.response.text", "text", VERCEL),
        ("genai.output", "payload", ANY_AGENT),
    ),
}

# session keys in ATTRIBUTE_KEYS order → SPEC 3 rank
SESSION_RANKS = {"gen_ai.conversation.id": 1, "session.id": 2, "langfuse.session.id": 2,
                 "gcp.vertex.agent.session_id": 2}

# Values that stand for "no id" (ADK writes this on a tool call that failed).
PLACEHOLDER_IDS = frozenset({"<not specified>", ""})

# Span kind from one attribute's value: (attribute, value → (kind, layer), conventions).
MODEL_OPERATIONS = {"chat", "text_completion", "generate_content", "completion", "call_llm"}  # call_llm: any-agent
EMBEDDING_OPERATIONS = {"embeddings"}
AGENT_OPERATIONS = {"invoke_agent", "create_agent", "invoke_workflow"}
TOOL_OPERATIONS = {"execute_tool"}
# a named operation that is none of the above is no model call, whatever else the span says
STEP_OPERATIONS = {"execute_event_loop_cycle"}  # Strands: one turn of the agent loop
OPENINFERENCE_KINDS = {
    "LLM": ("llm_call", "model"),
    "EMBEDDING": ("embedding", "model"),
    "TOOL": ("tool_call", "tool"),
    "AGENT": ("agent_run", "agent"),
    "CHAIN": ("span", "agent"),
}
TRACELOOP_KINDS = {"tool": ("tool_call", "tool"), "agent": ("agent_run", "agent"), "workflow": ("span", "agent")}
MLFLOW_KINDS = {
    "LLM": ("llm_call", "model"), "CHAT_MODEL": ("llm_call", "model"), "EMBEDDING": ("embedding", "model"),
    "TOOL": ("tool_call", "tool"), "AGENT": ("agent_run", "agent"), "CHAIN": ("span", "agent"),
}
# Vercel AI SDK `ai.operationId`: the provider calls are the model calls; the outer
# generateText/streamText span is the SDK call around them (several steps, tool calls).
VERCEL_OPERATIONS = {
    "ai.generateText.doGenerate": ("llm_call", "model"), "ai.streamText.doStream": ("llm_call", "model"),
    "ai.generateObject.doGenerate": ("llm_call", "model"), "ai.streamObject.doStream": ("llm_call", "model"),
    "ai.embed.doEmbed": ("embedding", "model"), "ai.embedMany.doEmbed": ("embedding", "model"),
    "ai.generateText": ("span", "agent"), "ai.streamText": ("span", "agent"),
    "ai.generateObject": ("span", "agent"), "ai.streamObject": ("span", "agent"),
    "ai.embed": ("span", "agent"), "ai.embedMany": ("span", "agent"),
    "ai.toolCall": ("tool_call", "tool"),
}
KIND_KEYS: tuple[tuple[str, dict, str], ...] = (
    ("openinference.span.kind", OPENINFERENCE_KINDS, OPENINFERENCE),
    ("ai.operationId", VERCEL_OPERATIONS, VERCEL),
    ("mlflow.spanType", MLFLOW_KINDS, MLFLOW),
    ("traceloop.span.kind", TRACELOOP_KINDS, TRACELOOP),
)


def keys(target: str) -> tuple[str, ...]:
    """The attribute keys for a target, in order, each once."""
    return tuple(dict.fromkeys(key for key, _, _ in ATTRIBUTE_KEYS[target]))


def documented_rows() -> set[tuple[str, str]]:
    """(attribute key, target) pairs that docs/conventions.md must list."""
    rows = {(key, target) for target, entries in ATTRIBUTE_KEYS.items() for key, _, _ in entries}
    rows |= {(key, "kind") for key, _, _ in KIND_KEYS}
    rows.add(("gen_ai.operation.name", "kind"))
    return rows

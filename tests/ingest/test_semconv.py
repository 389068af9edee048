"""Attribute conventions normalize into the same columns."""

from __future__ import annotations

import json

import pytest

from analyzer.ingest.normalize.semconv import normalize
from tests.conftest import REALDATA

FLAT = REALDATA / "openinference-fixtures" / "genai-flat-attrs"


@pytest.mark.parametrize(
    "name",
    ["openinference_client_span_tool_calls.json", "otel_genai_client_span_tool_calls.json",
     "otel_genai_deprecated_client_span_tool_calls.json", "openinference_client_span_input_output_only.json"],
)
def test_llm_conventions_agree(realdata, name):
    fields = normalize(json.loads((FLAT / name).read_text()), "chat")
    assert fields["kind"] == "llm_call" and fields["layer"] == "model"
    assert fields["model"] == "gpt-4-0613"
    assert fields["input_tokens"] == 97 and fields["output_tokens"] == 52
    assert fields["text"] == "The weather in Paris is currently rainy with a temperature of 57°F."
    messages = json.loads(fields["input_messages"])
    tool_message = [m for m in messages if m.get("tool_call_id") == "1234"]
    assert tool_message and tool_message[0]["content"] == "rainy, 57°F"
    calls = [c for m in messages for c in m.get("tool_calls", [])]
    assert calls == [{"id": "1234", "name": "get_weather", "arguments": '{"location":"Paris"}'}]


def test_genai_tool_execution_span(realdata):
    fields = normalize(json.loads((FLAT / "otel_genai_tool_execution_span.json").read_text()), "execute_tool")
    assert (fields["kind"], fields["tool_name"], fields["tool_call_id"]) == ("tool_call", "get_weather", "1234")
    assert json.loads(fields["args"]) == {"city": "New York"}


def test_deprecated_indexed_prompt_and_completion():
    attrs = {
        "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o",
        "gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "refund order 7",
        "gen_ai.completion.0.role": "assistant",
        "gen_ai.completion.0.tool_calls.0.id": "call_9",
        "gen_ai.completion.0.tool_calls.0.name": "refund",
        "gen_ai.completion.0.tool_calls.0.arguments": '{"order": 7}',
        "gen_ai.usage.prompt_tokens": 12, "gen_ai.usage.completion_tokens": 3,
    }
    fields = normalize(attrs, "openai.chat")
    assert fields["kind"] == "llm_call"
    assert json.loads(fields["requested_tool_calls"]) == [{"id": "call_9", "name": "refund", "arguments": '{"order": 7}'}]
    assert (fields["input_tokens"], fields["output_tokens"]) == (12, 3)


def test_openinference_output_tool_calls_and_cache_tokens():
    attrs = {
        "openinference.span.kind": "LLM", "session.id": "s-1", "agent.name": "planner",
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.tool_calls.0.tool_call.id": "c1",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "search",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": "{}",
        "llm.token_count.prompt_details.cache_read": 100, "llm.token_count.prompt_details.cache_write": 7,
    }
    fields = normalize(attrs, "llm")
    assert (fields["session_own"], fields["session_rank"], fields["agent"]) == ("s-1", 2, "planner")
    assert json.loads(fields["requested_tool_calls"])[0]["id"] == "c1"
    assert (fields["cache_read_tokens"], fields["cache_write_tokens"]) == (100, 7)


def test_current_genai_tool_call_response_parts():
    attrs = {
        "gen_ai.operation.name": "chat", "gen_ai.conversation.id": "conv-1",
        "gen_ai.input.messages": json.dumps([{"role": "user", "parts": [
            {"type": "tool_call_response", "id": "c1", "name": "get", "result": {"a": 1}}]}]),
        "gen_ai.usage.cache_creation.input_tokens": 50,
    }
    fields = normalize(attrs, "chat")
    assert (fields["session_own"], fields["session_rank"]) == ("conv-1", 1)
    message = json.loads(fields["input_messages"])[0]
    assert message["tool_call_id"] == "c1" and json.loads(message["content"]) == {"a": 1}
    assert fields["cache_write_tokens"] == 50


def test_unknown_span_is_other_layer():
    assert normalize({"http.method": "GET"}, "GET /")["layer"] == "other"


def test_structured_values_where_names_are_expected_do_not_crash():
    fields = normalize({"gen_ai.operation.name": ["chat"], "traceloop.span.kind": {"a": 1}}, "x")
    assert fields["kind"] == "span"


def test_parallel_tool_call_responses_in_one_message_each_keep_their_id():
    """A message carrying several tool_call_response parts (parallel calls) gives one canonical
    tool message per response, none overwriting another."""
    messages = [
        {"role": "user", "parts": [{"type": "text", "content": "both orders please"}]},
        {"role": "tool", "parts": [
            {"type": "tool_call_response", "id": "call_a", "response": {"status": "shipped"}},
            {"type": "tool_call_response", "id": "call_b", "response": "not found"},
        ]},
    ]
    out = normalize({"gen_ai.operation.name": "chat", "gen_ai.input.messages": json.dumps(messages)}, "chat")
    canonical = json.loads(out["input_messages"])
    assert canonical == [
        {"role": "user", "content": "both orders please"},
        {"role": "tool", "tool_call_id": "call_a", "content": '{"status":"shipped"}'},
        {"role": "tool", "tool_call_id": "call_b", "content": "not found"},
    ]

"""A log record's fields are read once per distinct attribute set and per distinct GenAI event
(log records of one instrumentation repeat both); what is remembered must be what reading it
again would give, value types included."""

from __future__ import annotations

import math

from analyzer.ingest.normalize.genai_events import call_fields
from analyzer.ingest.normalize.semconv import normalize
from analyzer.ingest.otlp import records


def _read(name, body, attrs):
    return tuple((k, v) for k, v in call_fields("llm_call", [(name, body, attrs)]).items() if v is not None)


def test_an_event_read_again_gives_what_reading_it_gives():
    records._EVENTS.clear()
    body = {"content": "What is the weather in Oslo?"}
    first = records._event_fields("gen_ai.user.message", body, {"gen_ai.system": "openai"})
    assert first == _read("gen_ai.user.message", body, {"gen_ai.system": "openai"}) and first
    assert records._event_fields("gen_ai.user.message", dict(body), {"gen_ai.system": "openai"}) is first
    assert len(records._EVENTS) == 1


def test_events_that_only_a_value_type_tells_apart_are_read_apart():
    records._EVENTS.clear()
    bodies = [{"content": 1}, {"content": 1.0}, {"content": True}, {"content": "1"}, {"content": None},
              {"content": math.nan}, {"content": [1]}, {"content": b"1"}]
    for body in bodies:
        assert records._event_fields("gen_ai.choice", body, {}) == _read("gen_ai.choice", body, {}), body
    assert len(records._EVENTS) == len(bodies)


def test_an_event_too_large_to_remember_is_read_each_time():
    records._EVENTS.clear()
    body = {"content": "x" * (records._EVENT_MEMO_CHARS + 1)}
    assert records._event_fields("gen_ai.user.message", body, {}) == _read("gen_ai.user.message", body, {})
    assert not records._EVENTS


def test_attribute_sets_other_than_strings_are_not_remembered_as_one():
    """1, 1.0 and True are one key to a cache: only string values are remembered."""
    records._log_fields_of.cache_clear()
    for value in (1, True, 1.0, "1"):
        attrs = {"session.id": value, "gen_ai.agent.name": "a"}
        fields = normalize(attrs, "log")
        expected = tuple((k, fields[k]) for k in records._LOG_FIELDS if fields.get(k) is not None)
        assert records._log_fields("log", attrs) == expected
    assert records._log_fields_of.cache_info().currsize == 1  # the string set only

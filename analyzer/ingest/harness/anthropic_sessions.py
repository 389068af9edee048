"""Recorded Anthropic managed-agent sessions as harness records: JSON Lines of
`[method, payload]` (FORMATS.md 6b), blank lines skipped.

One record per event: the `sessions.create` response (`session.open`), each event sent with
`events.send` (no time of its own: flagged `no_timestamp`), and each streamed event, timed by
its `processed_at`. Tool uses and their results are paired by id (`tool_call_id` is the tool
use event's id); `span.model_request_start`/`_end` are `model.request`/`model.response`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from analyzer.ingest.base import json_lines
from analyzer.ingest.harness.canonical import SOURCE_KIND, emit_event, model_columns
from analyzer.ingest.normalize.semconv import json_text
from analyzer.ingest.sink import RecordSink
from analyzer.ingest.source import SourceFile

METHOD_PREFIX = "client.beta.sessions"
TOOL_USES = {"agent.tool_use", "agent.custom_tool_use", "agent.mcp_tool_use"}
TOOL_RESULTS = {  # event type -> the key holding the tool use id
    "agent.tool_result": "tool_use_id",
    "user.custom_tool_result": "custom_tool_use_id",
    "agent.mcp_tool_result": "mcp_tool_use_id",
}
CLOSING = {"session.status_terminated", "session.deleted"}
_TOKEN_KEYS = {"input_tokens": "input_tokens", "output_tokens": "output_tokens",  # column -> model_usage key
              "cache_read_tokens": "cache_read_input_tokens", "cache_write_tokens": "cache_creation_input_tokens"}


def content_text(content: Any) -> str | None:
    """Text of a content block list; blocks that are not all text stay JSON."""
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, list) and all(isinstance(b, dict) and b.get("type") == "text" for b in content):
        return "\n".join(str(b.get("text", "")) for b in content)
    return json_text(content)


@dataclass
class _State:
    """What reading one recording in order needs to remember."""

    session_id: str | None = None
    agent: str | None = None
    model: str | None = None
    step: int = 0
    tool_uses: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> tool use event
    step_of_call: dict[str, int] = field(default_factory=dict)
    requested: list[dict[str, Any]] = field(default_factory=list)  # tool uses of the open model request
    said: list[str] = field(default_factory=list)  # agent text of the open model request
    waiting: bool = False  # a wait.start (requires_action on custom tools) is open


class AnthropicSessionsIngester:
    """`[method, payload]` recordings of `client.beta.sessions.*` calls."""

    source_kind = SOURCE_KIND
    source_format = "anthropic-sessions"

    def sniff(self, sample: Any, as_line: bool) -> bool:
        return (
            as_line and isinstance(sample, list) and len(sample) == 2
            and isinstance(sample[0], str) and sample[0].startswith(METHOD_PREFIX)
        )

    def read_lines(self, src: SourceFile, sink: RecordSink) -> None:
        state = _State()
        clock = src.path.name
        for number, line in json_lines(src, sink):
            pos = str(number)
            if not (isinstance(line, list) and len(line) == 2 and isinstance(line[0], str)):
                sink.problem(f"line {number}", "not a [method, payload] recording line")
                continue
            method, payload = line
            if method.endswith(".events.send"):
                _sent(sink, pos, method, payload, state, clock)
            elif isinstance(payload, dict) and "processed_at" in payload and "type" in payload:
                _streamed(sink, pos, payload, state, clock)
            elif method.endswith("sessions.create") and isinstance(payload, dict):
                _created(sink, pos, payload, state, clock)
            else:
                _emit(sink, pos, {"event": method}, line, state, clock, name=method)

    def read_document(self, doc: Any, src: SourceFile, sink: RecordSink) -> None:  # pragma: no cover
        raise NotImplementedError("recordings are JSON Lines")


def _emit(sink: RecordSink, pos: str, event: dict[str, Any], raw: Any, state: _State, clock: str,
          name: str | None = None, columns: dict[str, Any] | None = None) -> None:
    event.setdefault("session_id", state.session_id)
    event.setdefault("agent", state.agent)
    event = {key: value for key, value in event.items() if value is not None}
    emit_event(sink, pos, event, default_clock=clock, validator=None, raw=raw, name=name, columns=columns)


def _created(sink: RecordSink, pos: str, payload: dict[str, Any], state: _State, clock: str) -> None:
    agent = payload.get("agent") if isinstance(payload.get("agent"), dict) else {}
    state.session_id = payload.get("id") or state.session_id
    state.agent = agent.get("name") or state.agent
    state.model = (agent.get("model") or {}).get("id") if isinstance(agent.get("model"), dict) else agent.get("model")
    _emit(sink, pos, {"event": "session.open", "ts": payload.get("created_at")}, payload, state, clock,
          name="sessions.create", columns={"model": state.model})


def _sent(sink: RecordSink, pos: str, method: str, payload: Any, state: _State, clock: str) -> None:
    """`[session_id, {"events": [...]}]`: one record per event sent by the client."""
    if isinstance(payload, list) and payload and isinstance(payload[0], str):
        state.session_id = payload[0]
    body = payload[1] if isinstance(payload, list) and len(payload) > 1 and isinstance(payload[1], dict) else {}
    events = body.get("events") if isinstance(body.get("events"), list) else None
    if not events:
        _emit(sink, pos, {"event": "events.send"}, payload, state, clock, name="events.send")
        return
    for index, sent in enumerate(events):
        sent_map = sent if isinstance(sent, dict) else {}
        kind = sent_map.get("type")
        event = {"event": f"send:{kind}", "step": state.step}
        call_key = next((key for key in sent_map if key.endswith("tool_use_id")), None)
        if call_key:
            event.update(tool_call_id=sent_map[call_key], result=content_text(sent_map.get("content")))
        else:
            event["text"] = content_text(sent_map.get("content"))
        _emit(sink, f"{pos}#events[{index}]", event, sent, state, clock, name=f"events.send:{kind}")


def _streamed(sink: RecordSink, pos: str, payload: dict[str, Any], state: _State, clock: str) -> None:
    kind = str(payload.get("type"))
    event: dict[str, Any] = {"event": kind, "ts": payload.get("processed_at")}
    columns: dict[str, Any] = {}
    if payload.get("agent_name"):
        state.agent = payload["agent_name"]
    if kind == "span.model_request_start":
        state.step += 1
        state.requested, state.said = [], []
        event["event"] = "model.request"
        columns["model"] = state.model
    elif kind == "span.model_request_end":
        event.update(event="model.response", status="error" if payload.get("is_error") else "ok",
                     text="\n".join(state.said) or None)
        columns = model_columns(state.model, payload.get("model_usage"), _TOKEN_KEYS)
        if state.requested:
            columns["requested_tool_calls"] = orjson.dumps(state.requested, default=str).decode()
    elif kind in TOOL_USES:
        call_id = payload.get("id")
        state.tool_uses[str(call_id)] = payload
        state.step_of_call[str(call_id)] = state.step
        state.requested.append({"id": call_id, "name": payload.get("name"), "arguments": json_text(payload.get("input"))})
        event.update(event="tool.dispatch", tool=payload.get("name"), tool_call_id=call_id, args=payload.get("input"))
    elif kind in TOOL_RESULTS:
        call_id = payload.get(TOOL_RESULTS[kind])
        use = state.tool_uses.get(str(call_id), {})
        text = content_text(payload.get("content"))
        failed = bool(payload.get("is_error"))
        event.update(event="tool.result", tool=use.get("name"), tool_call_id=call_id, result=text,
                     status="error" if failed else "ok", error=text if failed else None,
                     step=state.step_of_call.get(str(call_id)))
    elif kind == "user.tool_confirmation":
        call_id = payload.get("tool_use_id")
        allowed = payload.get("result") == "allow"
        event.update(event="approval.grant", tool=state.tool_uses.get(str(call_id), {}).get("name"),
                     tool_call_id=call_id, waiting_for="client", status="ok" if allowed else "error",
                     error=None if allowed else payload.get("deny_message") or f"tool use {payload.get('result')}")
    elif kind == "agent.message":
        text = content_text(payload.get("content"))
        state.said.append(text or "")
        event.update(event="response.forward", text=text)
    elif kind == "user.message":
        event["text"] = content_text(payload.get("content"))
    elif kind == "session.status_idle":
        _idle(event, payload, state)
    elif kind == "session.status_running" and state.waiting:
        state.waiting = False
        event.update(event="wait.end", waiting_for="client")
    elif kind in CLOSING:
        event["event"] = "session.close"
    event.setdefault("step", state.step)
    _emit(sink, pos, event, payload, state, clock, name=kind, columns=columns)


def _idle(event: dict[str, Any], payload: dict[str, Any], state: _State) -> None:
    """Idle with `requires_action`: the session waits on the client, for an approval when a
    tool use it waits on asked for permission, else for custom tool results."""
    stop = payload.get("stop_reason") if isinstance(payload.get("stop_reason"), dict) else {}
    if stop.get("type") != "requires_action":
        return
    ids = [str(i) for i in stop.get("event_ids") or []]
    asks = any(state.tool_uses.get(i, {}).get("evaluated_permission") == "ask" for i in ids)
    event.update(event="approval.request" if asks else "wait.start", waiting_for="client",
                 tool_call_id=ids[0] if len(ids) == 1 else None, args=ids)
    state.waiting = not asks

"""OpenHands event streams as harness records: `traj_*.json` arrays of events, eval output
JSON Lines (`{instance_id, history: [events], ...}` per line), and JSON Lines of bare events.

One record per event. Sessions: an eval record is one session named by its `instance_id`
(older resolver output: `owner/repo#number` of its issue); a trajectory or event file is one
session named after the file stem (for `.../<sid>/events/N.json`, the directory `<sid>`).

Event timestamps are ISO 8601 without an offset; OpenHands writes them in UTC, and so they are
read. The older schema has no timestamps at all: those records keep null times and the flag
`no_timestamp` (not a problem)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyzer.ingest.base import json_lines
from analyzer.ingest.harness.canonical import SOURCE_KIND, emit_event, model_columns
from analyzer.ingest.normalize.semconv import json_text
from analyzer.ingest.sink import RecordSink
from analyzer.ingest.source import SourceFile

# Actions that run a tool even when the (older) event carries no tool_call_metadata.
TOOL_ACTIONS = frozenset({
    "run", "run_ipython", "read", "write", "edit", "browse", "browse_interactive", "call_tool_mcp",
})
_EVENT_KEYS = ("action", "observation")
_TOKEN_KEYS = {"input_tokens": "prompt_tokens", "output_tokens": "completion_tokens",  # column -> usage key
               "cache_read_tokens": "cache_read_input_tokens", "cache_write_tokens": "cache_creation_input_tokens"}
_SKIP_ARGS = {"id", "timestamp", "source", "message", "action", "observation", "cause",
              "tool_call_metadata", "llm_metrics", "timeout"}


def is_event(obj: Any) -> bool:
    """An event inside a `history` (the older schema has no id, timestamp or source)."""
    return isinstance(obj, dict) and any(key in obj for key in _EVENT_KEYS)


def is_standalone_event(obj: Any) -> bool:
    """An event on its own (file, line or array item): the current schema's id and source."""
    return is_event(obj) and "id" in obj and "source" in obj


def is_eval_record(obj: Any) -> bool:
    history = obj.get("history") if isinstance(obj, dict) else None
    return (
        isinstance(history, list) and ("instance_id" in obj or "instruction" in obj)
        and (not history or isinstance(history[0], dict) and any(k in history[0] for k in _EVENT_KEYS))
    )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _session_of_file(path: Path) -> str:
    if path.parent.name == "events" and path.parent.parent.name:
        return path.parent.parent.name
    return path.name.split(".", 1)[0]


def _record_session(record: dict[str, Any], fallback: str) -> str:
    if record.get("instance_id"):
        return str(record["instance_id"])
    issue = record.get("issue")
    if isinstance(issue, dict) and issue.get("repo") and issue.get("number") is not None:
        owner = f"{issue['owner']}/" if issue.get("owner") else ""
        return f"{owner}{issue['repo']}#{issue['number']}"
    return fallback


@dataclass
class _Dispatch:
    tool: str | None
    tool_call_id: str | None
    step: int
    answered: bool = False


@dataclass
class _Session:
    """What reading one session's events in order needs to remember."""

    session_id: str
    clock: str
    agent: str | None = None
    step: int = 0
    opened: bool = False
    last_response_id: Any = None
    responses_seen: set[Any] = field(default_factory=set)
    dispatch_by_event: dict[Any, _Dispatch] = field(default_factory=dict)
    dispatch_by_call: dict[str, _Dispatch] = field(default_factory=dict)
    last_dispatch: tuple[str, _Dispatch] | None = None  # (action name, dispatch): older schema pairing


class OpenHandsIngester:
    """OpenHands trajectories, eval outputs and event files (native; no mapping needed)."""

    source_kind = SOURCE_KIND
    source_format = "openhands"

    def sniff(self, sample: Any, as_line: bool) -> bool:
        if as_line:
            return is_eval_record(sample) or is_standalone_event(sample)
        if isinstance(sample, list):
            return bool(sample) and is_standalone_event(sample[0])
        return is_standalone_event(sample) or is_eval_record(sample)

    def read_lines(self, src: SourceFile, sink: RecordSink) -> None:
        file_session: _Session | None = None
        for number, obj in json_lines(src, sink):
            if is_eval_record(obj):
                self._read_record(obj, str(number), src, sink)
            elif is_standalone_event(obj):
                if file_session is None:
                    file_session = _Session(_session_of_file(src.path), src.path.name)
                _emit(sink, str(number), obj, file_session)
            else:
                sink.problem(f"line {number}", "neither an OpenHands event nor an eval record with `history`")

    def read_document(self, doc: Any, src: SourceFile, sink: RecordSink) -> None:
        if isinstance(doc, dict) and is_eval_record(doc):
            self._read_record(doc, "", src, sink)
            return
        session = _Session(_session_of_file(src.path), src.path.name)
        events = doc if isinstance(doc, list) else [doc]
        for index, event in enumerate(events):
            pos = f"[{index}]" if isinstance(doc, list) else ""
            if is_event(event):
                _emit(sink, pos, event, session)
            else:
                sink.problem(pos or "document", "not an OpenHands event (no `action` or `observation`)")

    def _read_record(self, record: dict[str, Any], pos: str, src: SourceFile, sink: RecordSink) -> None:
        fallback = f"{_session_of_file(src.path)}:{pos or 1}"
        session = _Session(_record_session(record, fallback), src.path.name)
        session.agent = _dict(record.get("metadata")).get("agent_class")
        prefix = f"{pos}#" if pos else ""
        for index, event in enumerate(record["history"]):
            where = f"{prefix}history[{index}]"
            if is_event(event):
                _emit(sink, where, event, session)
            else:
                sink.problem(f"line {where}" if pos else where, "not an OpenHands event (no `action` or `observation`)")
        _emit_outcome(sink, pos or "document", record, session)


def _emit_outcome(sink: RecordSink, pos: str, record: dict[str, Any], session: _Session) -> None:
    """The eval record itself (result, metrics, error; everything except `history`) as one
    `eval.result` record with no time of its own."""
    error = record.get("error")
    error = None if error in (None, "", "None") else error
    summary = {key: value for key, value in record.items() if key != "history"}
    event = {
        "event": "eval.result",
        "session_id": session.session_id,
        "agent": session.agent,
        "status": "error" if error else "ok",
        "error": error,
        "result": record.get("test_result", record.get("git_patch")),
    }
    emit_event(sink, pos, event, default_clock=session.clock, validator=None, raw=summary)


def _status(event: dict[str, Any]) -> str:
    """ok / error / timeout of an observation: `success`, then the exit code (-1: OpenHands
    stopped waiting for a command that is still running), then the editor's `ERROR:` prefix."""
    success = event.get("success")
    code = _exit_code(event)
    if isinstance(success, bool) and code != -1:
        return "ok" if success else "error"
    if code is not None:
        return "ok" if code == 0 else "timeout" if code == -1 else "error"
    content = event.get("content")
    if isinstance(content, str) and content.startswith("ERROR:"):
        return "error"
    return "ok"


def _error_text(event: dict[str, Any]) -> Any:
    """The editor's `ERROR: ...` content says more than its generic "I edited the file" message."""
    content = event.get("content")
    if isinstance(content, str) and content.startswith("ERROR:"):
        return content
    return event.get("message") or content


def _exit_code(event: dict[str, Any]) -> int | None:
    code = _dict(_dict(event.get("extras")).get("metadata")).get("exit_code", event.get("exit_code"))
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def _model_columns(metadata: dict[str, Any], session: _Session) -> dict[str, Any]:
    """Model and token usage of the LLM response behind an action, on its first action only
    (one response can request several calls)."""
    response = _dict(metadata.get("model_response"))
    response_id = json_text(response.get("id"))  # untrusted: any JSON value, kept hashable
    if not response or response_id in session.responses_seen:
        return {}
    session.responses_seen.add(response_id)
    return model_columns(response.get("model"), response.get("usage"), _TOKEN_KEYS)


def _advance_step(event: dict[str, Any], metadata: dict[str, Any], session: _Session) -> None:
    """A step is one model turn: agent actions from the same LLM response share it."""
    response_id = json_text(_dict(metadata.get("model_response")).get("id"))
    if response_id is None or response_id != session.last_response_id:
        session.step += 1
    session.last_response_id = response_id


def _emit(sink: RecordSink, pos: str, event: dict[str, Any], session: _Session) -> None:
    metadata = _dict(event.get("tool_call_metadata"))
    source = event.get("source")
    canonical: dict[str, Any] = {"ts": event.get("timestamp"), "session_id": session.session_id,
                                 "agent": session.agent}
    columns: dict[str, Any] = {}
    if "action" in event:
        action = str(event["action"])
        name = f"action.{action}"
        args = event.get("args") if "args" in event else {k: v for k, v in event.items() if k not in _SKIP_ARGS}
        args_map = _dict(args)
        is_user = source == "user" or (source is None and action == "message" and not session.opened)
        if not is_user and source != "environment" and action not in ("system", "recall"):
            _advance_step(event, metadata, session)
        canonical["step"] = session.step
        if action == "system" or (action == "message" and is_user and not session.opened):
            session.opened = True
            canonical["event"] = "session.open"
            if action == "message":
                canonical["text"] = args_map.get("content", event.get("message"))
        elif action == "message":
            canonical["event"] = "other" if is_user else "response.forward"
            canonical["text"] = args_map.get("content", event.get("message"))
        elif action == "finish":
            canonical["event"] = "session.close"
            canonical["text"] = args_map.get("final_thought") or args_map.get("thought") or event.get("message") or None
        elif metadata or action in TOOL_ACTIONS:
            dispatch = _Dispatch(metadata.get("function_name") or action, metadata.get("tool_call_id"), session.step)
            if "id" in event:
                session.dispatch_by_event[event["id"]] = dispatch
            if dispatch.tool_call_id:
                session.dispatch_by_call[dispatch.tool_call_id] = dispatch
            session.last_dispatch = (action, dispatch)
            canonical.update(event="tool.dispatch", tool=dispatch.tool, tool_call_id=dispatch.tool_call_id, args=args)
            columns = _model_columns(metadata, session)
        else:
            canonical["event"] = "other"
    else:
        observation = str(event.get("observation"))
        name = f"observation.{observation}"
        dispatch = _paired_dispatch(event, metadata, observation, session)
        canonical["step"] = dispatch.step if dispatch else session.step
        content = event.get("content")
        if observation == "error":
            canonical.update(event="tool.result", status="error", error=content or event.get("message"), result=content)
        elif dispatch is not None:
            dispatch.answered = True
            status = _status(event)
            canonical.update(event="tool.result", tool=dispatch.tool, tool_call_id=dispatch.tool_call_id,
                             result=content, status=status)
            if status != "ok":
                canonical["error"] = _error_text(event)
        else:
            canonical["event"] = "other"
    canonical = {key: value for key, value in canonical.items() if value is not None}
    emit_event(sink, pos, canonical, default_clock=session.clock, validator=None, raw=event, name=name,
               columns=columns)


def _paired_dispatch(event: dict[str, Any], metadata: dict[str, Any], observation: str,
                     session: _Session) -> _Dispatch | None:
    """The tool dispatch an observation answers: by `cause` (the action's id), by tool-call
    id, or (older schema, no ids) the last unanswered dispatch of the same action."""
    cause = event.get("cause")
    if cause is not None and cause in session.dispatch_by_event:
        return session.dispatch_by_event[cause]
    call_id = metadata.get("tool_call_id")
    if call_id and call_id in session.dispatch_by_call:
        return session.dispatch_by_call[call_id]
    if cause is None and "id" not in event and session.last_dispatch is not None:
        action, dispatch = session.last_dispatch
        if action == observation and not dispatch.answered:
            return dispatch
    return None

"""The merged per-step stack trace of one session: every record on the aligned clock, grouped
by step, with its causal depth. `seamscan trace` prints it; the TUI shows the same model."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from analyzer.errors import UsageError

_COLUMNS = ("record_id", "step", "ts_start", "ts_end", "layer", "kind", "name", "status", "trace_id",
            "span_id", "parent_span_id", "tool_name", "tool_call_id", "attempt", "args", "result", "text",
            "error_message", "timeout_ms", "requested_tool_calls", "source_file", "source_pos", "clock_domain",
            "source_kind", "model", "agent")


@dataclass
class TraceRow:
    record_id: str
    step: int | None
    depth: int
    offset_ns: int | None
    duration_ns: int | None
    layer: str
    kind: str
    name: str
    status: str | None
    detail: str
    source: str
    clock_domain: str | None


@dataclass
class SessionTrace:
    session_id: str
    start_ns: int | None
    rows: list[TraceRow]

    @property
    def steps(self) -> list[int | None]:
        seen: list[int | None] = []
        for row in self.rows:
            if row.step not in seen:
                seen.append(row.step)
        return seen


def resolve_session(con: duckdb.DuckDBPyConnection, wanted: str) -> str:
    """The session id `wanted` names: exactly, else as a unique prefix."""
    if con.execute("SELECT 1 FROM sessions WHERE session_id = ?", [wanted]).fetchone():
        return wanted
    matches = [r[0] for r in con.execute(
        "SELECT session_id FROM sessions WHERE starts_with(session_id, ?) ORDER BY 1 LIMIT 6", [wanted]).fetchall()]
    if len(matches) == 1:
        return matches[0]
    known = [r[0] for r in con.execute("SELECT session_id FROM sessions ORDER BY ts_start LIMIT 8").fetchall()]
    if matches:
        raise UsageError(f"Session {wanted!r} is ambiguous: it prefixes {', '.join(matches)}")
    raise UsageError(f"Session {wanted!r} does not exist", hint="known sessions: " + (", ".join(known) or "none"))


def build(con: duckdb.DuckDBPyConnection, session_id: str) -> SessionTrace:
    """Rows of one session in aligned-time order, each with its causal depth."""
    cursor = con.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM records WHERE session_id = ? "
        "ORDER BY step NULLS LAST, ts_start NULLS LAST, ts_end DESC NULLS LAST, record_id",
        [session_id],
    )
    records = [dict(zip(_COLUMNS, row)) for row in cursor.fetchall()]
    parents = _causal_parents(records)
    depth_of: dict[str, int] = {}

    def depth(record_id: str) -> int:
        seen = set()
        chain = []
        current = record_id
        while current in parents and current not in seen and current not in depth_of:
            seen.add(current)
            chain.append(current)
            current = parents[current]
        base = depth_of.get(current, 0) if current in depth_of else 0
        for offset, node in enumerate(reversed(chain), 1):
            depth_of[node] = base + offset
        return depth_of.get(record_id, 0)

    starts = [r["ts_start"] for r in records if r["ts_start"] is not None]
    start_ns = min(starts) if starts else None
    rows = []
    for r in records:
        duration = r["ts_end"] - r["ts_start"] if r["ts_start"] is not None and r["ts_end"] is not None else None
        rows.append(TraceRow(
            record_id=r["record_id"], step=r["step"], depth=depth(r["record_id"]),
            offset_ns=None if r["ts_start"] is None or start_ns is None else r["ts_start"] - start_ns,
            duration_ns=duration if duration else None,
            layer=r["layer"] or "other", kind=r["kind"] or "", name=r["name"] or r["kind"] or "",
            status=r["status"], detail=_detail(r),
            source=f"{r['source_file']}:{r['source_pos']}", clock_domain=r["clock_domain"],
        ))
    return SessionTrace(session_id, start_ns, rows)


def _causal_parents(records: list[dict]) -> dict[str, str]:
    """record_id → causal parent record_id: the parent span; for a tool side with no parent
    span here, the harness dispatch of its call; for a harness event or an OTLP log record
    naming a span, that span."""
    spans = [r for r in records if r["span_id"] and r["kind"] != "log"]
    by_span = {(r["trace_id"], r["span_id"]): r["record_id"] for r in spans}
    by_span_only = {r["span_id"]: r["record_id"] for r in spans if r["source_kind"] != "harness"}
    dispatches: dict[str, list[dict]] = {}
    for r in records:
        if r["kind"] in ("tool.dispatch", "tool.retry") and r["tool_call_id"]:
            dispatches.setdefault(r["tool_call_id"], []).append(r)
    parents: dict[str, str] = {}
    for r in records:
        parent = None
        if r["source_kind"] != "harness" and r["parent_span_id"]:
            parent = by_span.get((r["trace_id"], r["parent_span_id"]))
        if parent is None and r["kind"] == "tool_server" and r["tool_call_id"] in dispatches:
            before = [d for d in dispatches[r["tool_call_id"]]
                      if d["ts_start"] is not None and r["ts_start"] is not None and d["ts_start"] <= r["ts_start"]]
            if before:
                parent = before[-1]["record_id"]
        if parent is None and r["kind"] == "log" and r["span_id"]:
            parent = by_span.get((r["trace_id"], r["span_id"]))
        if parent is None and r["source_kind"] == "harness" and r["span_id"]:
            parent = by_span_only.get(r["span_id"])
        if parent is not None and parent != r["record_id"]:
            parents[r["record_id"]] = parent
    return parents


def _clip(value: object, limit: int = 70) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _detail(r: dict) -> str:
    """A short, single-line summary: a tool call's arguments with its result or error, else the
    error, model text or requested calls."""
    kind = r["kind"] or ""
    if kind in ("tool_call", "tool_server") or kind.startswith("tool."):
        parts = []
        if r["attempt"]:
            parts.append(f"attempt {r['attempt']}")
        if r["timeout_ms"] is not None:
            parts.append(f"timeout {r['timeout_ms']:g} ms")
        if r["args"]:
            parts.append(_clip(r["args"], 40))
        if r["error_message"]:
            parts.append("→ error: " + _clip(r["error_message"], 50))
        elif r["result"] is not None:
            parts.append("→ " + _clip(r["result"], 50))
        return " ".join(parts)
    if r["error_message"]:
        return "error: " + _clip(r["error_message"])
    if r["requested_tool_calls"]:
        return "requests " + _clip(r["requested_tool_calls"], 70)
    for key in ("text", "result", "args"):
        if r[key]:
            return _clip(r[key])
    return ""

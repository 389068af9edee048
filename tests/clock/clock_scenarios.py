"""Clock-test helpers: an in-memory ``record_store`` and a synthetic agent scenario."""

from __future__ import annotations

import itertools
import json
import random

import pyarrow as pa

from analyzer.store.schema import ARROW_SCHEMA, COLUMN_NAMES, RECORD_COLUMNS

SECOND = 1_000_000_000
MS = 1_000_000
BASE_NS = 1_790_000_000 * SECOND  # 2026-09-21, an arbitrary wall clock


def create_record_store(con) -> None:
    cols = ", ".join(f'"{name}" {ddl_type}' for name, ddl_type, _ in RECORD_COLUMNS)
    con.execute(f"CREATE TABLE record_store ({cols})")


class Store:
    """Collects records (dicts of a few columns) and loads them into ``record_store``."""

    _ids = itertools.count(1)

    def __init__(self, con):
        self.con = con
        self.rows: list[dict] = []
        self.offsets: dict[str, int] = {}  # domain -> true offset (ns), for the scenario

    def add(self, *, domain: str, kind: str, start: int, end: int | None = None, **cols) -> dict:
        """``start``/``end`` are TRUE times (reference clock); the domain's skew is applied here."""
        skew = self.offsets.get(domain, 0)
        row = {
            "record_id": cols.pop("record_id", f"r{next(self._ids)}"),
            "kind": kind,
            "clock_domain": domain,
            "ts_raw_start": start + skew,
            "ts_raw_end": (start if end is None else end) + skew,
            **cols,
        }
        if isinstance(row.get("requested_tool_calls"), list):
            row["requested_tool_calls"] = json.dumps(row["requested_tool_calls"])
        self.rows.append(row)
        return row

    def harness(self, domain: str, event: str, at: int, **cols) -> dict:
        return self.add(domain=domain, kind=event, start=at, source_kind="harness", layer="harness", **cols)

    def span(self, domain: str, kind: str, start: int, end: int, *, source_kind="otlp", **cols) -> dict:
        layer = {"llm_call": "model", "tool_call": "tool", "tool_server": "tool", "agent_run": "agent"}.get(kind, "other")
        cols.setdefault("span_id", f"{random.getrandbits(64):016x}")
        return self.add(domain=domain, kind=kind, start=start, end=end, source_kind=source_kind, layer=layer, **cols)

    def load(self) -> None:
        if not self.rows:
            return
        unknown = {k for r in self.rows for k in r} - set(COLUMN_NAMES)
        assert not unknown, unknown
        batch = pa.Table.from_pylist(self.rows, schema=ARROW_SCHEMA)  # noqa: F841 (read by DuckDB)
        self.con.execute("INSERT INTO record_store BY NAME SELECT * FROM batch")
        self.rows = []


HARNESS = "gw"
AGENT = "agent-svc"
TOOLS = "tools-svc"
FRAMEWORK = "agents-sdk.jsonl"
TRUE_OFFSETS = {HARNESS: 0, AGENT: -420 * MS, TOOLS: 1900 * MS, FRAMEWORK: 7300 * MS}


def lat(lo_ms: float, hi_ms: float) -> int:
    """A random latency in ns (never a round number, so no domain looks millisecond-truncated)."""
    return int(random.uniform(lo_ms, hi_ms) * MS) + random.randint(1, 999)


def call_start(i: int) -> tuple[str, str, int, int]:
    """Call i's id, trace id, true start and the end of the model output that requested it."""
    t0 = BASE_NS + i * 3 * SECOND + lat(0, 5)
    return f"call_{i:04d}", f"{i + 1:032x}", t0, t0 + 800 * MS + lat(0, 50)


def build_scenario(store: Store, *, calls: int = 20, tools_offsets=None, races=(), harness_races=(),
                   function_spans: bool = False):
    """One agent session behind a gateway harness: a framework model call asks for a tool, the
    agent's CLIENT span calls through the gateway (which logs dispatch/result inside that span,
    naming it by ``span_id``) to the tool service's SERVER span.

    Domains and true skews: ``gw`` (harness, reference), ``agent-svc`` (OTLP, -420 ms),
    ``tools-svc`` (OTLP, +1.9 s; ``tools_offsets[i]`` overrides it for call i), and
    ``agents-sdk.jsonl`` (framework, +7.3 s) linked only through model-response -> dispatch and
    its generation span being a child of the agent's run span. Every hop takes 0.1-1.5 ms.
    ``function_spans``: the framework also records a function span (``tool_call``, same call id)
    wrapping the agent's client span, so the gateway lines lie inside it.
    ``races``: call indexes where the gateway times out after 2 s while the tool runs 2.5 s, the
    agent's client span ends at the timeout (status unset) and the result line arrives late.
    ``harness_races``: same, but the gateway logs an error result at the timeout and the client
    span is cancelled.
    """
    store.offsets.update(TRUE_OFFSETS)
    store.harness(HARNESS, "session.open", BASE_NS - SECOND, session_own="s1")
    for i in range(calls):
        if tools_offsets is not None:
            store.offsets[TOOLS] = tools_offsets[i]
        cid, trace, t0, gen_end = call_start(i)
        function_start = gen_end + lat(0.1, 0.4)
        client_start = function_start + lat(0.3, 1.0)
        dispatch = client_start + lat(0.2, 0.8)
        server_start = dispatch + lat(0.5, 1.5)
        race = i in races or i in harness_races
        server_end = server_start + (2500 * MS if race else lat(50, 300))
        result = server_end + lat(0.3, 0.9)
        client_end = result + lat(0.2, 0.7)
        if race:
            timeout_at = dispatch + 2000 * MS
            client_end = timeout_at + lat(0.1, 0.2)
        function_end = client_end + lat(0.1, 0.3)
        run_end = max(result, function_end) + 4 * MS

        run = store.span(AGENT, "agent_run", t0, run_end, trace_id=trace, span_kind="internal", name="invoke_agent")
        store.span(FRAMEWORK, "llm_call", t0 + 2 * MS, gen_end, source_kind="framework", trace_id=trace,
                   parent_span_id=run["span_id"], requested_tool_calls=[{"id": cid, "name": "lookup", "arguments": "{}"}])
        if function_spans:  # wraps the agent's call; linked by the call id only
            store.span(FRAMEWORK, "tool_call", function_start, function_end, source_kind="framework",
                       trace_id=trace, tool_call_id=cid, tool_name="lookup",
                       status="error" if race else "ok")
        client = store.span(AGENT, "tool_call", client_start, client_end, trace_id=trace, span_kind="client",
                            parent_span_id=run["span_id"], tool_call_id=cid, tool_name="lookup",
                            status="cancelled" if i in harness_races else "unset")
        in_client = {"session_own": "s1", "tool_call_id": cid, "trace_id": trace, "span_id": client["span_id"]}
        store.harness(HARNESS, "tool.dispatch", dispatch, tool_name="lookup", **in_client)
        store.span(TOOLS, "tool_server", server_start, server_end, trace_id=trace, span_kind="server",
                   parent_span_id=client["span_id"], tool_call_id=cid, tool_name="lookup", status="ok")
        if race:
            store.harness(HARNESS, "tool.timeout", timeout_at, timeout_ms=2000.0, **in_client)
            if i in harness_races:
                store.harness(HARNESS, "tool.result", timeout_at + lat(0.05, 0.09), status="error",
                              error_message="timed out", **in_client)
            else:  # the late answer, logged after the agent's span has ended
                store.harness(HARNESS, "tool.result", result, status="ok", **in_client)
        else:
            store.harness(HARNESS, "tool.result", result, status="ok", **in_client)
    store.harness(HARNESS, "session.close", BASE_NS + calls * 3 * SECOND + SECOND, session_own="s1")
    store.load()


SEARCH = "search-svc"
SIDECAR = "sidecar.jsonl"
INCIDENT_OFFSETS = {**TRUE_OFFSETS, SEARCH: -1300 * MS, SIDECAR: 2600 * MS}


def build_incidents(store: Store, *, calls: int = 60, agent_timeouts=(), placeholders=(), late_after_close=(),
                    tools_offsets=None, mislabelled=(), silent_timeouts=(), gateway_placeholders=()) -> None:
    """A gateway session behind which an agent calls two tool services, with planted incidents.

    Like :func:`build_scenario`, plus: even calls go to ``search-svc`` (-1.3 s), odd ones to
    ``tools-svc`` (+1.9 s, or ``tools_offsets[i]``); a ``sidecar.jsonl`` harness without clock
    label (+2.6 s) logs a line at the start and one at the end of every tool SERVER span; after each call the agent sends
    its next model request (an ``llm_call`` carrying the tool message), which the gateway logs
    inside that span. Incidents, by call index:
    ``agent_timeouts``: the agent gives up at its own 2 s timeout (client span error
    ``TimeoutError``) and tells the model "timed out"; the tool runs on, and the gateway logs its
    real result 650 ms after that next request. ``placeholders``: the agent's framework drops the
    result and answers with a placeholder under the same id (client span ok, result = the
    placeholder) before the tool finished. ``late_after_close``: the result arrives after the
    session closed. ``mislabelled``: the tool span carries the id of the call 7 later.
    ``silent_timeouts``: an agent timeout that nothing marks (client span unset, the gateway logs
    no result content): only the "timed out" told to the model shows it.
    ``gateway_placeholders``: the gateway stops waiting after 300 ms and logs a placeholder result
    (status ok) that the agent passes on; the tool (recording no result) ends 650 ms later.
    """
    store.offsets.update(INCIDENT_OFFSETS)
    store.harness(HARNESS, "session.open", BASE_NS - SECOND, session_own="s1")
    close_at = BASE_NS + calls * 3 * SECOND
    for i in range(calls):
        tool_domain = SEARCH if i % 2 == 0 else TOOLS
        if tools_offsets is not None:
            store.offsets[TOOLS] = tools_offsets[i]
        cid, trace, t0, gen_end = call_start(i)
        result = {"call": i, "rows": [i, i + 1], "note": f"answer number {i}"}
        client_start = gen_end + lat(0.3, 1.0)
        dispatch = client_start + lat(0.2, 0.8)
        server_start = dispatch + lat(0.5, 1.5)
        server_end = server_start + lat(50, 300)
        result_at = server_end + lat(0.3, 0.9)
        client_end = result_at + lat(0.2, 0.7)
        client_status, client_error, client_result = "ok", None, json.dumps(result)
        told_model = json.dumps(result, indent=1)  # re-serialized: still the same content
        logged_result = server_result = json.dumps(result)
        if i in agent_timeouts or i in placeholders or i in silent_timeouts:
            if i in agent_timeouts or i in silent_timeouts:
                client_end = dispatch + 2000 * MS + lat(0.1, 0.2)
                client_status, client_error, client_result = "error", "TimeoutError", None
                told_model = '{"error": "timed out"}'
                if i in silent_timeouts:
                    client_status, client_error, logged_result = "unset", None, None
            else:
                client_end = dispatch + 300 * MS + lat(0.1, 0.2)
                client_result = told_model = "The tool call was interrupted before it returned."
            next_request = client_end + lat(1, 3)
            result_at = next_request + 650 * MS
            server_end = result_at - lat(0.3, 0.9)
        elif i in gateway_placeholders:
            result_at = dispatch + 300 * MS
            server_end = result_at + 650 * MS
            client_end = result_at + lat(0.2, 0.7)
            logged_result = client_result = told_model = "Tool call interrupted: no result."
            server_result = None
            next_request = client_end + lat(1, 3)
        else:
            next_request = client_end + lat(1, 3)
        if i in late_after_close:
            result_at = close_at + 5 * SECOND
            server_end = result_at - lat(0.3, 0.9)
            client_end = server_end + 2 * MS  # the caller waited (async harness, not the agent)
            next_request = client_end + lat(1, 3)
        request_end = next_request + lat(150, 250)
        run_end = max(result_at, request_end) + 4 * MS

        run = store.span(AGENT, "agent_run", t0, run_end, trace_id=trace, span_kind="internal")
        store.span(FRAMEWORK, "llm_call", t0 + 2 * MS, gen_end, source_kind="framework", trace_id=trace,
                   parent_span_id=run["span_id"], requested_tool_calls=[{"id": cid, "name": "lookup", "arguments": "{}"}])
        client = store.span(AGENT, "tool_call", client_start, client_end, trace_id=trace, span_kind="client",
                            parent_span_id=run["span_id"], tool_call_id=cid, tool_name="lookup",
                            status=client_status, error_type=client_error, result=client_result)
        in_client = {"session_own": "s1", "tool_call_id": cid, "trace_id": trace, "span_id": client["span_id"]}
        store.harness(HARNESS, "tool.dispatch", dispatch, tool_name="lookup", **in_client)
        server_id = f"call_{i + 7:04d}" if i in mislabelled else cid
        server = store.span(tool_domain, "tool_server", server_start, server_end, trace_id=trace, span_kind="server",
                            parent_span_id=client["span_id"], tool_call_id=server_id, tool_name="lookup",
                            status="ok", result=server_result)
        for event, at in (("tool.start", server_start + lat(0.1, 0.4)), ("tool.end", server_end - lat(0.1, 0.4))):
            store.harness(SIDECAR, event, at, session_own="s1", trace_id=trace, span_id=server["span_id"])
        store.harness(HARNESS, "tool.result", result_at, status="ok", result=logged_result, **in_client)
        messages = [{"role": "assistant", "tool_calls": [{"id": cid, "name": "lookup", "arguments": "{}"}]},
                    {"role": "tool", "tool_call_id": cid, "content": told_model}]
        request = store.span(AGENT, "llm_call", next_request, request_end, trace_id=trace, span_kind="client",
                             parent_span_id=run["span_id"], input_messages=json.dumps(messages))
        store.harness(HARNESS, "model.request", next_request + lat(0.2, 0.6), session_own="s1", trace_id=trace,
                      span_id=request["span_id"])
        store.harness(HARNESS, "model.response", request_end - lat(0.2, 0.6), session_own="s1", trace_id=trace,
                      span_id=request["span_id"])
    store.harness(HARNESS, "session.close", close_at, session_own="s1")
    store.load()

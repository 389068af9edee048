"""End-to-end clock alignment over a synthetic record_store."""

from __future__ import annotations


import duckdb
import pytest

from analyzer.clock import align
from analyzer.errors import StoreError

from clock_scenarios import (
    AGENT, BASE_NS, FRAMEWORK, HARNESS, MS, SECOND, TOOLS, TRUE_OFFSETS, build_scenario,
)


def by_domain(estimates):
    return {e.domain: e for e in estimates}


def test_known_skews_are_recovered_with_tight_bounds(con, store):
    build_scenario(store)
    est = by_domain(align(con))
    assert set(est) == {HARNESS, AGENT, TOOLS, FRAMEWORK}
    ref = est[HARNESS]
    assert ref.is_reference and ref.offset_ns == 0 and (ref.lower_ns, ref.upper_ns) == (0, 0)
    assert ref.method == "reference" and ref.constraints > 0
    for name in (AGENT, TOOLS, FRAMEWORK):
        e = est[name]
        true = TRUE_OFFSETS[name]
        assert e.consistent and not e.is_reference and e.method == "bounds-midpoint", e
        assert e.lower_ns <= true <= e.upper_ns, (name, e)
        assert abs(e.offset_ns - true) < 3 * MS, (name, e.offset_ns - true)
        assert e.constraints > 0
    # Tool service: dispatch -> start and end -> result latencies are each below ~2.3 ms.
    assert est[TOOLS].upper_ns - est[TOOLS].lower_ns < 4.6 * MS
    assert est[AGENT].upper_ns - est[AGENT].lower_ns < 1.5 * MS
    # The framework's only pair with the reference is response -> dispatch (a lower bound); its
    # upper bound comes through the agent service: gateway result line -> end of the agent's
    # client span it was written in, then agent run start -> generation start.
    assert [c.kind for c in est[FRAMEWORK].upper_via] == ["harness<span-end", "parent<child-start"]
    assert est[FRAMEWORK].lower_via[0].kind == "response<dispatch"
    assert est[TOOLS].to_json()["offset_ms"] == pytest.approx(1900, abs=3)


def test_gateway_inside_caller_spans_is_not_paired_with_them_by_call_id(con, store):
    """The gateway's dispatch is written after the framework function span and the agent client
    span for the same call started: pairing them by call id ("dispatch precedes the tool_call
    span") would contradict; only the SERVER span is the tool side."""
    build_scenario(store, function_spans=True, races=(4,))
    est = by_domain(align(con))
    for name in (AGENT, TOOLS, FRAMEWORK):
        e = est[name]
        assert e.consistent and e.lower_ns <= TRUE_OFFSETS[name] <= e.upper_ns, e
        assert abs(e.offset_ns - TRUE_OFFSETS[name]) < 2 * MS
    kinds = {c.kind for c in est[FRAMEWORK].upper_via + est[FRAMEWORK].lower_via}
    assert kinds & {"dispatch<tool-start", "tool-end<result"}  # function span -> server span


def test_clock_domains_table_is_written(con, store):
    build_scenario(store, calls=5)
    align(con)
    cols = [r[0] for r in con.execute("DESCRIBE clock_domains").fetchall()]
    assert cols == ["domain", "is_reference", "offset_ns", "lower_ns", "upper_ns", "constraints",
                    "consistent", "method", "set_aside"]
    rows = con.execute("SELECT domain, is_reference, consistent FROM clock_domains ORDER BY domain").fetchall()
    assert rows == [(AGENT, False, True), (FRAMEWORK, False, True), (HARNESS, True, True), (TOOLS, False, True)]
    align(con)  # rewriting replaces, never appends
    assert con.execute("SELECT count(*) FROM clock_domains").fetchone()[0] == 4
    # The documented use: aligned = raw - offset puts the tool start just after its dispatch.
    gap = con.execute("""
        SELECT min(s.ts_raw_start - cs.offset_ns - d.ts_raw_start)
        FROM record_store d JOIN record_store s USING (tool_call_id)
        JOIN clock_domains cs ON cs.domain = s.clock_domain
        WHERE d.kind = 'tool.dispatch' AND s.kind = 'tool_server'""").fetchone()[0]
    assert 0 < gap < 5 * MS


def test_stepped_clock_is_inconsistent_and_estimated_piecewise(con, store):
    offsets = [1900 * MS] * 12 + [6900 * MS] * 8  # the tool host's clock jumps 5 s at call 12
    build_scenario(store, tools_offsets=offsets)
    est = by_domain(align(con))
    tools = est[TOOLS]
    assert not tools.consistent
    assert tools.method == "piecewise"
    assert [round(s.offset_ns / MS) for s in tools.segments] == pytest.approx([1900, 6900], abs=3)
    assert [s.pairs for s in tools.segments] == [36, 24]  # per call: vs harness, agent, framework
    assert abs(tools.offset_ns - 1900 * MS) < 3 * MS  # the larger segment
    # Blame stays with the stepped clock: the reference and the agent service are fine.
    assert est[HARNESS].consistent and est[AGENT].consistent and est[FRAMEWORK].consistent
    assert abs(est[AGENT].offset_ns - TRUE_OFFSETS[AGENT]) < 3 * MS
    row = con.execute(f"SELECT consistent, method FROM clock_domains WHERE domain = '{TOOLS}'").fetchone()
    assert row == (False, "piecewise")
    assert con.execute(f"SELECT count(*) FROM clock_segments WHERE domain = '{TOOLS}'").fetchone()[0] == 2


def test_scattered_contradictions_use_the_median(con, store):
    offsets = [1900 * MS] * 20
    for i in (4, 9, 15):  # three spans stamped by a glitching clock
        offsets[i] = -1100 * MS
    build_scenario(store, tools_offsets=offsets)
    tools = by_domain(align(con))[TOOLS]
    assert not tools.consistent
    assert tools.method == "median-of-pairs"
    assert abs(tools.offset_ns - 1900 * MS) < 3 * MS
    assert tools.lower_ns <= tools.offset_ns <= tools.upper_ns


@pytest.mark.parametrize("kwargs", [{"races": (3, 11)}, {"harness_races": (5,)}])
def test_timeout_race_is_not_clock_skew(con, store, kwargs):
    build_scenario(store, **kwargs)
    est = by_domain(align(con))
    for name in (AGENT, TOOLS, FRAMEWORK):
        assert est[name].consistent, est[name]
        assert est[name].lower_ns <= TRUE_OFFSETS[name] <= est[name].upper_ns
        assert abs(est[name].offset_ns - TRUE_OFFSETS[name]) < 3 * MS


def test_timeout_race_without_the_timeout_event_is_set_aside(con, store):
    """Drop the tool.timeout and the late result line and the tool's end seem to precede the end
    of the agent's span: four pairs against ~170 agreeing ones, set aside rather than obeyed."""
    build_scenario(store, races=(3, 11))
    con.execute("DELETE FROM record_store WHERE kind = 'tool.timeout'")
    est = by_domain(align(con))
    for name in (AGENT, TOOLS, FRAMEWORK):
        e = est[name]
        assert e.consistent and e.lower_ns <= TRUE_OFFSETS[name] <= e.upper_ns, e
        assert abs(e.offset_ns - TRUE_OFFSETS[name]) < 3 * MS
    assert (est[AGENT].set_aside, est[TOOLS].set_aside, est[HARNESS].set_aside, est[FRAMEWORK].set_aside) == (4, 2, 2, 0)
    raced_spans = {r[0] for r in con.execute(
        "SELECT record_id FROM record_store WHERE kind = 'tool_call' AND tool_call_id IN ('call_0003', 'call_0011')"
    ).fetchall()}
    rows = con.execute("SELECT pair_kind, later_record FROM clock_set_aside ORDER BY ALL").fetchall()
    assert sorted(kind for kind, _ in rows) == ["harness<span-end"] * 2 + ["tool-end<result"] * 2
    assert {later for _, later in rows} == raced_spans  # each ends at a span the agent gave up on


def test_unanchored_domains(con, store):
    build_scenario(store, calls=3)
    store.harness("cron.jsonl", "schedule.fire", BASE_NS, session_own="other")
    store.span("billing-svc", "span", BASE_NS, BASE_NS + SECOND, trace_id="f" * 32)
    store.load()
    est = by_domain(align(con))
    assert est[HARNESS].is_reference  # the harness with most records
    for name in ("cron.jsonl", "billing-svc"):
        e = est[name]
        assert (e.offset_ns, e.lower_ns, e.upper_ns, e.constraints) == (0, None, None, 0)
        assert e.method == "unanchored" and e.consistent and not e.is_reference
    row = con.execute("SELECT offset_ns, lower_ns, upper_ns, constraints FROM clock_domains "
                      "WHERE domain = 'billing-svc'").fetchone()
    assert row == (0, None, None, 0)


def test_one_sided_bound_is_nudged_by_the_margin(con, store):
    store.offsets["search-svc"] = 250 * MS
    for i in range(5):
        at = BASE_NS + i * SECOND + 12345
        store.harness(HARNESS, "tool.dispatch", at, tool_call_id=f"c{i}", session_own="s")
        # The result was never logged: only dispatch -> start pairs, an upper bound only.
        store.span("search-svc", "tool_server", at + 2 * MS + i * MS, at + 40 * MS,
                   tool_call_id=f"c{i}", trace_id=f"{i + 1:032x}", span_kind="server")
    store.load()
    e = by_domain(align(con))["search-svc"]
    assert e.lower_ns is None and e.upper_ns == 252 * MS
    assert e.method == "one-sided-upper" and e.offset_ns == e.upper_ns - 1 * MS
    assert e.constraints == 5


def test_reference_prefers_the_harness_even_when_smaller(con, store):
    build_scenario(store, calls=3)
    assert by_domain(align(con))[HARNESS].is_reference
    assert con.execute("SELECT domain FROM clock_domains WHERE is_reference").fetchall() == [(HARNESS,)]


def test_reference_without_harness_is_the_largest_otlp_domain(con, store):
    for i in range(3):
        store.span("small-svc", "span", BASE_NS + i, BASE_NS + 10)
    for i in range(5):
        store.span("big-svc", "span", BASE_NS + i, BASE_NS + 10)
    for i in range(9):
        store.span("langsmith.json", "span", BASE_NS + i, BASE_NS + 10, source_kind="framework")
    store.load()
    est = by_domain(align(con))
    assert [n for n, e in est.items() if e.is_reference] == ["big-svc"]


def test_reused_tool_call_ids_are_not_paired_across_sessions(con, store):
    build_scenario(store, calls=6)
    # Two other sessions reuse the provider's short id "0" a minute apart.
    for n, session in enumerate(("s2", "s3")):
        at = BASE_NS + (100 + 60 * n) * SECOND
        store.span(AGENT, "llm_call", at - SECOND, at - 1 * MS, trace_id=f"{0xabc + n:032x}",
                   requested_tool_calls=[{"id": "0", "name": "lookup", "arguments": "{}"}])
        store.harness(HARNESS, "tool.dispatch", at, tool_call_id="0", session_own=session)
        store.span(TOOLS, "tool_server", at + MS, at + 20 * MS, tool_call_id="0",
                   trace_id=f"{0xabc + n:032x}", span_kind="server")
        store.harness(HARNESS, "tool.result", at + 21 * MS, tool_call_id="0", session_own=session)
    store.load()
    est = by_domain(align(con))
    for name in (AGENT, TOOLS, FRAMEWORK):
        assert est[name].consistent, est[name]
        assert abs(est[name].offset_ns - TRUE_OFFSETS[name]) < 3 * MS


def test_millisecond_harness_timestamps_do_not_fake_a_contradiction(con, store):
    build_scenario(store)
    # The harness writes RFC 3339 with milliseconds: its stamps are truncated.
    con.execute("UPDATE record_store SET ts_raw_start = ts_raw_start // 1000000 * 1000000, "
                "ts_raw_end = ts_raw_end // 1000000 * 1000000 WHERE source_kind = 'harness'")
    est = by_domain(align(con, tolerance_ns=0))
    for name in (AGENT, TOOLS, FRAMEWORK):
        assert est[name].consistent
        assert est[name].lower_ns <= TRUE_OFFSETS[name] <= est[name].upper_ns


def test_async_and_failed_parents_give_no_end_constraint(con, store):
    store.offsets["worker"] = 3 * SECOND
    for i in range(4):
        t = BASE_NS + i * SECOND + 12345  # not a whole ms: no truncation slack
        trace = f"{i + 1:032x}"
        prod = store.span("api", "span", t, t + 5 * MS, trace_id=trace, span_kind="producer")
        # Fire-and-forget: the consumer runs long after the producer ended.
        store.span("worker", "span", t + 10 * MS, t + 900 * MS, trace_id=trace,
                   parent_span_id=prod["span_id"], span_kind="consumer")
        failed = store.span("api", "span", t, t + 6 * MS, trace_id=trace, span_kind="client", status="error")
        store.span("worker", "span", t + 1 * MS, t + 500 * MS, trace_id=trace,
                   parent_span_id=failed["span_id"], span_kind="server")
    store.load()
    est = by_domain(align(con))
    w = est["worker"]
    assert est["api"].is_reference
    assert w.consistent and w.lower_ns is None  # only parent-start -> child-start
    assert w.upper_ns == 3 * SECOND + 1 * MS
    assert w.method == "one-sided-upper"


def test_empty_store(con):
    assert align(con) == []
    assert con.execute("SELECT count(*) FROM clock_domains").fetchone()[0] == 0


def test_missing_record_store_is_a_store_error():
    with pytest.raises(StoreError):
        align(duckdb.connect())


def test_large_store_aligns(con):
    """200k records (40k tool calls over three domains); timing lives in bench_clock.py."""
    con.execute(f"""
        INSERT INTO record_store (record_id, source_kind, layer, kind, clock_domain, trace_id, span_id,
                                  parent_span_id, span_kind, tool_call_id, status, session_own,
                                  ts_raw_start, ts_raw_end)
        WITH calls AS (
            SELECT i, {BASE_NS} + i * 50000000 + (hash(i) % 1000) AS t0,
                   printf('%032x', i) AS trace, printf('c%08d', i) AS cid FROM range(40000) t(i))
        SELECT 'd' || i, 'harness', 'harness', 'tool.dispatch', 'gw', trace, NULL, NULL, NULL, cid, NULL, 's' || (i // 100), t0, t0 FROM calls
        UNION ALL SELECT 'c' || i, 'otlp', 'tool', 'tool_call', 'agent', trace, 'a' || i, NULL, 'client', cid, 'unset', NULL,
               t0 + 300000 - 420000000, t0 + 30000000 - 420000000 FROM calls
        UNION ALL SELECT 's' || i, 'otlp', 'tool', 'tool_server', 'tools', trace, 'b' || i, 'a' || i, 'server', cid, 'ok', NULL,
               t0 + 900000 + 1900000000, t0 + 29000000 + 1900000000 FROM calls
        UNION ALL SELECT 'r' || i, 'harness', 'harness', 'tool.result', 'gw', trace, NULL, NULL, NULL, cid, 'ok', 's' || (i // 100),
               t0 + 30500000, t0 + 30500000 FROM calls
        UNION ALL SELECT 'l' || i, 'otlp', 'other', 'log', 'agent', trace, 'a' || i, NULL, NULL, NULL, NULL, NULL, t0, t0 FROM calls
    """)
    est = by_domain(align(con))
    assert est["tools"].consistent and abs(est["tools"].offset_ns - 1900 * MS) < 1 * MS
    assert est["tools"].constraints > 40000


def test_retry_while_first_attempt_still_runs_is_not_clock_skew(con, store):
    build_scenario(store, calls=6)
    t = BASE_NS + 100 * SECOND
    store.harness(HARNESS, "tool.dispatch", t, tool_call_id="retry-1", session_own="s1")
    # Attempt 1: a proxy answers 502 after 100 ms, but the tool keeps running until 400 ms.
    store.span(TOOLS, "tool_server", t + 1 * MS, t + 400 * MS, tool_call_id="retry-1", trace_id="e" * 32,
               span_kind="server", status="ok")
    store.harness(HARNESS, "tool.retry", t + 101 * MS, tool_call_id="retry-1", session_own="s1", attempt=2,
                  http_status=502)
    store.span(TOOLS, "tool_server", t + 102 * MS, t + 150 * MS, tool_call_id="retry-1", trace_id="e" * 32,
               span_kind="server", status="ok")
    store.harness(HARNESS, "tool.result", t + 151 * MS, tool_call_id="retry-1", session_own="s1", status="ok")
    store.load()
    tools = by_domain(align(con))[TOOLS]
    assert tools.consistent and tools.lower_ns <= TRUE_OFFSETS[TOOLS] <= tools.upper_ns


def test_harness_lines_lie_inside_the_span_they_name(con, store):
    """No tool-call ids at all: a gateway logs each line inside the agent span it proxies for."""
    store.offsets.update({"agent-host": 900 * MS, "llm-proxy": -2 * SECOND})
    for i in range(4):
        t = BASE_NS + i * SECOND + 777
        trace = f"{i + 7:032x}"
        llm = store.span("llm-proxy", "llm_call", t, t + 300 * MS, trace_id=trace, span_kind="client")
        store.harness(HARNESS, "model.request", t + 1 * MS, trace_id=trace, span_id=llm["span_id"])
        store.harness(HARNESS, "model.response", t + 299 * MS, trace_id=trace, span_id=llm["span_id"])
        tool = store.span("agent-host", "tool_call", t + 302 * MS, t + 352 * MS, trace_id=trace, span_kind="client")
        store.harness(HARNESS, "tool.dispatch", t + 303 * MS, trace_id=trace, span_id=tool["span_id"])
        store.harness(HARNESS, "tool.result", t + 351 * MS, trace_id=trace, span_id=tool["span_id"])
        # An async callback carrying the span's context long after it ended: start side only.
        store.harness(HARNESS, "callback.received", t + 900 * MS, trace_id=trace, span_id=tool["span_id"])
    store.load()
    est = by_domain(align(con))
    assert (est["agent-host"].lower_ns, est["agent-host"].upper_ns) == (899 * MS, 901 * MS)
    assert (est["llm-proxy"].lower_ns, est["llm-proxy"].upper_ns) == (-2001 * MS, -1999 * MS)
    assert {c.kind for c in est["llm-proxy"].upper_via} == {"harness<span-end"}
    assert {c.kind for c in est["llm-proxy"].lower_via} == {"span-start<harness"}
    assert all(e.consistent for e in est.values())

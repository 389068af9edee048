"""Incidents are not clock skew: they never produce a constraint, a few wrong pairs are set
aside, and a stepped clock is blamed alone (SPEC 4, Robustness)."""

from __future__ import annotations

import pytest

from analyzer.clock import align, extract

from clock_scenarios import (
    AGENT, FRAMEWORK, HARNESS, INCIDENT_OFFSETS, MS, SEARCH, SIDECAR, TOOLS, build_incidents,
)

INCIDENTS = {"agent_timeouts": (5, 17, 30), "placeholders": (9, 40), "late_after_close": (51,),
             "gateway_placeholders": (13, 34)}


def by_domain(estimates):
    return {e.domain: e for e in estimates}


def assert_true_offsets(est, names, truth=INCIDENT_OFFSETS):
    for name in names:
        e = est[name]
        assert e.consistent, e
        assert e.lower_ns <= truth[name] <= e.upper_ns, (name, e.lower_ns, e.upper_ns)
        assert abs(e.offset_ns - truth[name]) < 5 * MS, (name, (e.offset_ns - truth[name]) / MS)


def test_incidents_never_produce_a_constraint(con, store):
    build_incidents(store, **INCIDENTS)
    constraints = extract(con).constraints
    kinds = {c.kind for c in constraints}
    assert {"result<consuming-request", "harness<span-end", "child-end<parent-end", "tool-end<result"} <= kinds
    for c in constraints:  # offset[b] - offset[a] <= w holds on the true clocks
        assert INCIDENT_OFFSETS[c.b] - INCIDENT_OFFSETS[c.a] <= c.w_ns, c
    est = by_domain(align(con))
    assert_true_offsets(est, (AGENT, TOOLS, SEARCH, FRAMEWORK, SIDECAR))
    assert all(e.set_aside == 0 for e in est.values())


def test_a_result_precedes_only_the_request_carrying_its_content(con, store):
    build_incidents(store, **INCIDENTS)
    consumed_rows = sorted({c.earlier_row for c in extract(con).constraints if c.kind == "result<consuming-request"})
    consumed = {r[0] for r in con.execute(
        "SELECT tool_call_id FROM record_store WHERE list_contains(?, rowid)", [consumed_rows]).fetchall()}
    incidents = {f"call_{i:04d}" for i in INCIDENTS["agent_timeouts"] + INCIDENTS["placeholders"]}
    assert len(consumed) > 40  # re-serialized results still count as carried
    assert not consumed & incidents


def test_stepped_tool_host_is_blamed_alone(con, store):
    # tools-svc (odd calls) steps +250 ms at call 36; search-svc and the sidecar share the gateway
    offsets = [1900 * MS if i < 36 else 2150 * MS for i in range(60)]
    build_incidents(store, tools_offsets=offsets, agent_timeouts=(5,))
    est = by_domain(align(con))
    tools = est[TOOLS]
    assert not tools.consistent and tools.method == "piecewise"
    assert [round(s.offset_ns / MS) for s in tools.segments] == pytest.approx([1900, 2150], abs=5)
    for segment, true_ns in zip(tools.segments, (1900 * MS, 2150 * MS)):
        assert segment.lower_ns <= true_ns <= segment.upper_ns
    assert_true_offsets(est, (AGENT, SEARCH, FRAMEWORK, SIDECAR))
    assert [n for n, e in est.items() if not e.consistent] == [TOOLS]
    assert all(est[n].set_aside == 0 for n in (AGENT, SEARCH, FRAMEWORK, SIDECAR, HARNESS))
    # the records view applies each segment's offset: every tool span starts after its dispatch
    late = con.execute("""
        SELECT count(*) FROM record_store d JOIN record_store s USING (tool_call_id)
        JOIN clock_domains c ON c.domain = s.clock_domain
        ASOF LEFT JOIN clock_segments g ON g.domain = s.clock_domain AND s.ts_raw_start >= g.raw_start_ns
        WHERE d.kind = 'tool.dispatch' AND s.kind = 'tool_server'
          AND s.ts_raw_start - coalesce(g.offset_ns, c.offset_ns) < d.ts_raw_start""").fetchone()[0]
    assert late == 0


def test_mislabelled_call_ids_are_set_aside(con, store):
    broken = (13, 101)  # 1 % of the calls: the tool span carries the id of the call 7 later
    build_incidents(store, calls=200, mislabelled=broken)
    est = by_domain(align(con))
    assert_true_offsets(est, (AGENT, TOOLS, SEARCH, FRAMEWORK, SIDECAR))
    broken_spans = {r[0] for r in con.execute(
        "SELECT record_id FROM record_store WHERE kind = 'tool_server' AND list_contains(?, trace_id)",
        [[f"{i + 1:032x}" for i in broken]]).fetchall()}
    assert len(broken_spans) == 2
    rows = con.execute("SELECT earlier_domain, later_domain, earlier_record, later_record FROM clock_set_aside").fetchall()
    assert rows
    assert all(earlier in broken_spans or later in broken_spans for _, _, earlier, later in rows), rows
    touched = {d for a, b, _, _ in rows for d in (a, b)}
    assert {n for n, e in est.items() if e.set_aside > 0} == touched
    assert SIDECAR not in touched and TOOLS in touched  # calls 13 and 101 are odd: tools-svc


def test_a_timeout_nothing_marks_is_read_from_what_the_model_was_told(con, store):
    """The agent's span is unset and the gateway logs no result content: the request's "timed out"
    message is no result, so no result<consuming-request pair; the late result line the gateway
    wrote inside the agent's (already ended) span is a wrong pair nothing can tell, set aside."""
    silent = (7, 23, 44)
    build_incidents(store, silent_timeouts=silent)
    constraints = extract(con).constraints
    consumed_rows = sorted({c.earlier_row for c in constraints if c.kind == "result<consuming-request"})
    consumed = {r[0] for r in con.execute(
        "SELECT tool_call_id FROM record_store WHERE list_contains(?, rowid)", [consumed_rows]).fetchall()}
    silent_ids = {f"call_{i:04d}" for i in silent}
    assert len(consumed) > 40 and not consumed & silent_ids
    est = by_domain(align(con))
    assert_true_offsets(est, (AGENT, TOOLS, SEARCH, FRAMEWORK, SIDECAR))
    rows = con.execute("""
        SELECT a.pair_kind, l.kind, l.tool_call_id FROM clock_set_aside a
        JOIN record_store l ON l.record_id = a.later_record ORDER BY ALL""").fetchall()
    # each silent call leaves two wrong readings of the agent's span end: the gateway's late result
    # line and the tool's end, both "before" a span that had already given up
    assert sorted(rows) == sorted((kind, "tool_call", cid) for cid in silent_ids
                                  for kind in ("harness<span-end", "tool-end<result"))
    assert est[AGENT].set_aside == 2 * len(silent)


def test_records_view_applies_each_segment_even_before_the_first_pair():
    """A stepped clock's records are aligned with the segment their raw time falls in; one
    written before any causal pair still belongs to the first segment."""
    import random

    from analyzer.store.db import Store as RecordStore

    from clock_scenarios import BASE_NS, SECOND, Store

    random.seed(11)
    db = RecordStore()
    scenario = Store(db.con)
    offsets = [1900 * MS if i < 20 else 2150 * MS for i in range(60)]  # the later segment is the larger
    build_incidents(scenario, tools_offsets=offsets)
    scenario.offsets[TOOLS] = 1900 * MS
    scenario.span(TOOLS, "span", BASE_NS - 20 * SECOND, BASE_NS - 19 * SECOND, record_id="warm-up")
    scenario.load()
    db.finalize()
    aligned, raw = db.con.execute(
        "SELECT ts_start, ts_raw_start FROM records WHERE record_id = 'warm-up'").fetchone()
    assert abs(aligned - (BASE_NS - 20 * SECOND)) < 5 * MS and raw - aligned > 1800 * MS
    late = db.con.execute("""
        SELECT count(*) FROM records d JOIN records s USING (tool_call_id)
        WHERE d.kind = 'tool.dispatch' AND s.kind = 'tool_server' AND s.ts_start < d.ts_start""").fetchone()[0]
    assert late == 0
    db.close()

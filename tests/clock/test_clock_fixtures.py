"""The committed multi-source fixtures (real instrumentation, known skews in truth.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
MS = 1_000_000


def aligned(name: str):
    from analyzer.ingest.runner import ingest
    from analyzer.store.db import Store

    folder = FIXTURES / name
    if not (folder / "truth.json").is_file():
        pytest.skip(f"fixtures/{name} is not present")
    store = Store()
    ingest([folder], store)  # finishes with analyzer.clock.align
    rows = store.con.execute(
        "SELECT domain, is_reference, offset_ns, lower_ns, upper_ns, consistent, method FROM clock_domains"
    ).fetchall()
    segments = store.con.execute("SELECT domain, offset_ns, lower_ns, upper_ns FROM clock_segments").fetchall()
    store.close()
    truth = json.loads((folder / "truth.json").read_text())
    return {r[0]: r[1:] for r in rows}, segments, truth


def test_multisource_every_true_offset_lies_in_its_bounds():
    clocks, _, truth = aligned("multisource")
    assert set(clocks) == set(truth["domains"])
    for domain, true_ms in truth["domains"].items():
        is_ref, offset, lower, upper, consistent, method = clocks[domain]
        assert is_ref == (domain == truth["reference"])
        assert consistent, domain
        assert lower <= true_ms * MS <= upper, (domain, lower / MS, upper / MS)
        assert abs(offset - true_ms * MS) < 10 * MS, domain


def test_stepped_tool_clock_is_inconsistent_with_both_segments_found():
    clocks, segments, truth = aligned("clock-contradiction")
    tools = "tool-service@tools-node"
    assert not clocks[tools][4] and clocks[tools][5] == "piecewise"
    assert clocks["planner-agent@agent-node"][4]  # the agent is not blamed
    derived = truth["derived_bounds_ms"]
    for expected in (derived["spec_core_before_step"], derived["spec_core_after_step"]):
        lo, hi = expected["bounds_ms"][tools]
        assert any(d == tools and lo * MS - MS <= seg_lo and seg_hi <= hi * MS + MS
                   for d, _, seg_lo, seg_hi in segments), (lo, hi, segments)


def test_tool_spans_before_their_dispatch_on_raw_clocks():
    clocks, _, truth = aligned("clock-outoforder")
    for domain, true_ms in truth["domains"].items():
        _, offset, lower, upper, consistent, _ = clocks[domain]
        assert consistent and lower <= true_ms * MS <= upper


def test_incidents_fixture_only_the_stepped_host_is_blamed():
    """Real instrumentation (OTel SDK, Agents SDK): agent-side timeout races, a mislabelled call id
    and a stepped tool host, with two other tool services on the same gateway."""
    from analyzer.clock import extract
    from analyzer.ingest.runner import ingest
    from analyzer.store.db import Store

    clocks, segments, truth = aligned("clock-incidents")
    stepped = truth["stepped_clock"]["domain"]
    assert set(clocks) == set(truth["domains"])
    assert [d for d, row in clocks.items() if not row[4]] == [stepped]
    for domain, true_ms in truth["domains"].items():
        if true_ms is None:
            continue
        _, offset, lower, upper, _, _ = clocks[domain]
        assert lower <= true_ms * MS <= upper, (domain, lower / MS, upper / MS)
        assert abs(offset - true_ms * MS) < 5 * MS, (domain, offset / MS - true_ms)
    stepped_segments = [(lo, hi) for d, _, lo, hi in segments if d == stepped]
    assert len(stepped_segments) == 2
    for (lo, hi), true_ms in zip(stepped_segments, truth["stepped_clock"]["offsets_ms"]):
        assert lo <= true_ms * MS <= hi

    store = Store()
    ingest([FIXTURES / "clock-incidents"], store)
    [mislabelled] = truth["mislabelled_call_ids"]
    rows = store.con.execute("""
        SELECT a.earlier_domain, a.later_domain, e.span_id, l.span_id, e.tool_call_id, l.tool_call_id
        FROM clock_set_aside a JOIN record_store e ON e.record_id = a.earlier_record
        JOIN record_store l ON l.record_id = a.later_record""").fetchall()
    set_aside = dict(store.con.execute("SELECT domain, set_aside FROM clock_domains").fetchall())
    # apart from the mislabelled span, every pair read (timeout races included) holds on the true clocks
    [[wrong_row]] = store.con.execute("SELECT rowid FROM record_store WHERE span_id = ?",
                                      [mislabelled["tool_server_span_id"]]).fetchall()
    true_ns = {d: None if ms is None else int(ms * MS) for d, ms in truth["domains"].items()}
    checked = 0
    for c in extract(store.con).constraints:
        if None in (true_ns[c.a], true_ns[c.b]) or wrong_row in (c.earlier_row, c.later_row):
            continue
        assert true_ns[c.b] - true_ns[c.a] <= c.w_ns, c
        checked += 1
    assert checked > 300
    store.close()
    # every pair set aside was read through the mislabelled span; exactly its domains count them
    assert rows and all(mislabelled["tool_server_span_id"] in (r[2], r[3]) for r in rows), rows
    touched = {d for r in rows for d in r[:2]}
    assert {d for d, n in set_aside.items() if n} == touched
    assert mislabelled["domain"] in touched and "ledger-service@ledger-node" not in touched
    # the timeout races gave no pair to set aside: their wrong readings were never made
    race_ids = {r["tool_call_id"] for r in truth["agent_timeout_races"]}
    assert not race_ids & {i for r in rows for i in r[4:]}

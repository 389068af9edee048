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

"""The pure-Python solver: reference choice, shortest-path bounds, contradictions."""

from __future__ import annotations

from analyzer.clock.solver import Constraint, Domain, PairSample, choose_reference, solve

MS = 1_000_000


def pair(earlier: str, later: str, gap_ns: int, kind: str = "k", count: int = 1) -> Constraint:
    """Event on `earlier`'s clock at raw 0 happened before one on `later`'s clock at raw gap."""
    return Constraint(earlier, later, gap_ns, kind, "x", "y", count)


def round_trip(ref: str, dom: str, offset: int, out_ms: float, back_ms: float) -> list[Constraint]:
    """A call from ref to dom and back, with true one-way latencies."""
    return [pair(ref, dom, offset + int(out_ms * MS), "dispatch<tool-start"),
            pair(dom, ref, -offset + int(back_ms * MS), "tool-end<result")]


def by_name(estimates):
    return {e.domain: e for e in estimates}


def H(name, n=10):
    return Domain(name, n, frozenset({"harness"}), harness_records=n)


def O(name, n=10):
    return Domain(name, n, frozenset({"otlp"}), otlp_records=n)


def F(name, n=10):
    return Domain(name, n, frozenset({"framework"}))


def test_reference_choice_rules():
    assert choose_reference([]) is None
    assert choose_reference([O("big", 100), H("h2", 5), H("h1", 5)]) == "h1"  # harness first, ties by name
    assert choose_reference([O("big", 100), H("small", 1), H("more", 3)]) == "more"
    assert choose_reference([F("fw", 500), O("b", 7), O("a", 7)]) == "a"  # no harness: OTLP
    assert choose_reference([F("z", 5), F("y", 9)]) == "y"


def test_empty_and_single_domain():
    assert solve([], []) == []
    [only] = solve([O("svc")], [])
    assert only.is_reference and only.offset_ns == 0 and only.method == "reference"


def test_bounds_are_transitive_through_non_reference_domains():
    # h -> a -> b: b never talks to the reference directly.
    cons = round_trip("h", "a", 500 * MS, 1, 2) + round_trip("a", "b", -200 * MS, 3, 1)
    est = by_name(solve([H("h"), O("a"), O("b")], cons))
    a, b = est["a"], est["b"]
    assert (a.lower_ns, a.upper_ns) == (498 * MS, 501 * MS)
    assert (b.lower_ns, b.upper_ns) == (297 * MS, 304 * MS)  # true 300 ms
    assert b.offset_ns == 300 * MS + MS // 2
    assert [c.kind for c in b.upper_via] == ["dispatch<tool-start", "dispatch<tool-start"]
    assert all(e.consistent for e in est.values())


def test_tightest_constraint_per_pair_wins_but_all_count():
    cons = [pair("h", "t", 10 * MS + 5 * MS, count=3), pair("h", "t", 10 * MS + 1 * MS, count=2),
            pair("t", "h", -10 * MS + 2 * MS, count=4)]
    t = by_name(solve([H("h"), O("t")], cons))["t"]
    assert (t.lower_ns, t.upper_ns, t.constraints) == (8 * MS, 11 * MS, 9)


def test_one_sided_lower_bound_is_nudged_up():
    t = by_name(solve([H("h"), O("t")], [pair("t", "h", -40 * MS)]))["t"]
    assert (t.lower_ns, t.upper_ns) == (40 * MS, None)
    assert t.method == "one-sided-lower" and t.offset_ns == 41 * MS


def test_contradiction_without_samples_marks_only_the_culprit():
    # t's own pairs with h contradict (its clock stepped); a is fine with both.
    cons = (round_trip("h", "t", 100 * MS, 1, 1) + round_trip("h", "t", 900 * MS, 1, 1)
            + round_trip("h", "a", 50 * MS, 1, 1))
    est = by_name(solve([H("h"), O("a"), O("t")], cons))
    assert not est["t"].consistent and est["t"].method == "median-of-pairs"
    assert est["h"].consistent and est["a"].consistent
    assert est["h"].note  # the reference was part of the contradiction
    assert 99 * MS <= est["t"].offset_ns <= 901 * MS


def test_ambiguous_cycle_blames_every_candidate():
    # Each pair agrees on its own; only the loop h -> a -> b -> h is impossible.
    cons = (round_trip("h", "a", 0, 1, 1) + round_trip("a", "b", 0, 1, 1)
            + [pair("b", "h", -50 * MS)])  # says b is >= 50 ms ahead, while h <-> b via a says ~0
    est = by_name(solve([H("h"), O("a"), O("b")], cons))
    assert est["h"].consistent
    assert not est["a"].consistent and not est["b"].consistent


def test_small_negative_cycles_are_jitter_not_contradiction():
    # The pairs overlap by 0.3 ms (ms-rounded stamps, same-host log ordering): within tolerance.
    cons = [pair("h", "t", 10 * MS), pair("t", "h", -10 * MS - 300_000)]
    t = by_name(solve([H("h"), O("t")], cons))["t"]
    assert t.consistent and t.method == "bounds-midpoint" and "jitter" in t.note
    assert t.lower_ns <= t.offset_ns <= t.upper_ns
    assert abs(t.offset_ns - 10 * MS) < MS
    t_strict = by_name(solve([H("h"), O("t")], cons, tolerance_ns=0))["t"]
    assert not t_strict.consistent


def test_piecewise_from_samples():
    samples = []
    for i in range(10):  # t's clock is +100 ms for 6 calls, then +600 ms
        off = 100 * MS if i < 6 else 600 * MS
        samples.append(PairSample("h", "t", off - 1 * MS, off + 2 * MS, t1_ns=i, t2_ns=i * 1000 + off, key=str(i)))
    cons = round_trip("h", "t", 100 * MS, 2, 1) + round_trip("h", "t", 600 * MS, 2, 1)
    t = by_name(solve([H("h"), O("t")], cons, samples=samples))["t"]
    assert not t.consistent and t.method == "piecewise"
    assert [(s.offset_ns, s.pairs) for s in t.segments] == [(100 * MS + MS // 2, 6), (600 * MS + MS // 2, 4)]
    assert t.offset_ns == 100 * MS + MS // 2 and (t.lower_ns, t.upper_ns) == (99 * MS, 102 * MS)


def test_domain_reached_only_through_an_inconsistent_one_is_anchored_to_its_estimate():
    samples = [PairSample("h", "t", 99 * MS, 101 * MS, 0, 0, "1"),
               PairSample("h", "t", 99 * MS, 101 * MS, 1, 1, "2"),
               PairSample("h", "t", 899 * MS, 901 * MS, 2, 2, "3")]
    cons = (round_trip("h", "t", 100 * MS, 1, 1) + round_trip("h", "t", 900 * MS, 1, 1)
            + round_trip("t", "w", 10 * MS, 1, 1))
    est = by_name(solve([H("h"), O("t"), O("w")], cons, samples=samples))
    assert est["t"].method == "median-of-pairs" and est["t"].offset_ns == 100 * MS
    w = est["w"]
    # w is bounded through t's estimate with t's own (interquartile) bounds, never a point.
    assert w.consistent and w.lower_ns <= 110 * MS <= w.upper_ns
    assert w.lower_ns == est["t"].lower_ns + 9 * MS and w.upper_ns == est["t"].upper_ns + 11 * MS
    assert "t" in w.note


def test_unanchored_components():
    # x and y only talk to each other: no path to the reference, so nothing is guessed.
    est = by_name(solve([H("h"), O("x"), O("y")], round_trip("x", "y", 5 * MS, 1, 1)))
    for name in ("x", "y"):
        e = est[name]
        assert (e.offset_ns, e.lower_ns, e.upper_ns, e.constraints, e.method) == (0, None, None, 0, "unanchored")
    assert est["h"].constraints == 0


def test_to_json_uses_spec_field_names():
    est = by_name(solve([H("h"), O("t")], round_trip("h", "t", 2300 * MS, 1, 1)))
    assert est["t"].to_json() == {
        "domain": "t", "reference": False, "offset_ms": 2300.0, "lower_ms": 2299.0, "upper_ms": 2301.0,
        "constraints": 2, "consistent": True, "set_aside": 0, "method": "bounds-midpoint",
    }

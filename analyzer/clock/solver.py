"""Clock-offset solver: difference constraints between clock domains -> one offset per domain.

Pure Python, no DuckDB. Sign convention (SPEC 4): ``aligned = raw - offset``; a domain's offset
is how far its clock runs ahead of the reference. A causal pair "event X (domain a, raw x)
happens before event Y (domain b, raw y)" gives ``offset[b] - offset[a] <= y - x``: a
:class:`Constraint` with ``w_ns = y - x``. In graph form that is an edge a -> b of weight w;
shortest paths from the reference give each domain's upper bound, shortest paths to it the
negated lower bound, and a negative cycle means the clocks contradict each other.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence

NS_PER_MS = 1_000_000

# Defaults, overridable per call of solve().
DEFAULT_TOLERANCE_NS = NS_PER_MS  # a cycle must be at least this negative to count as a contradiction
DEFAULT_ONE_SIDED_MARGIN_NS = NS_PER_MS  # assumed latency of the tightest pair when only one bound exists
MAX_ATTRIBUTION_NODES = 16  # above this many nodes on negative cycles, blame them all (no greedy search)
MIN_SEGMENT_PAIRS = 3  # a piecewise segment needs this many causal pairs
MAX_SEGMENTS = 4  # more segments than this is noise, not a stepped clock

METHOD_REFERENCE = "reference"
METHOD_MIDPOINT = "bounds-midpoint"
METHOD_UPPER_ONLY = "one-sided-upper"
METHOD_LOWER_ONLY = "one-sided-lower"
METHOD_PIECEWISE = "piecewise"
METHOD_MEDIAN = "median-of-pairs"
METHOD_UNANCHORED = "unanchored"


@dataclass(frozen=True)
class Domain:
    """A clock domain as the store sees it."""

    name: str
    records: int = 0
    source_kinds: frozenset[str] = frozenset()  # {'harness', 'otlp', 'framework'}
    harness_records: int = 0
    otlp_records: int = 0


@dataclass(frozen=True)
class Constraint:
    """``offset[b] - offset[a] <= w_ns``: an event on clock ``a`` happened before one on ``b``.

    ``count`` is how many causal pairs of this ``kind`` between a and b this (the tightest one,
    whose records are ``earlier_record``/``later_record``) stands for.
    """

    a: str
    b: str
    w_ns: int
    kind: str
    earlier_record: str | None = None
    later_record: str | None = None
    count: int = 1


@dataclass(frozen=True)
class PairSample:
    """One causal group (a tool call's round trip, one child span) between domains d1 < d2.

    Bounds are on ``offset[d2] - offset[d1]`` (None = unbounded on that side); ``t1_ns``/``t2_ns``
    are the group's earliest raw times on d1's and d2's own clocks (for piecewise segmentation).
    """

    d1: str
    d2: str
    lower_ns: int | None
    upper_ns: int | None
    t1_ns: int | None = None
    t2_ns: int | None = None
    key: object = None  # opaque group id (a hash from the store)


@dataclass(frozen=True)
class Segment:
    """A stretch of a domain's own (raw) time over which its constraints agree."""

    raw_start_ns: int | None
    raw_end_ns: int | None
    offset_ns: int
    lower_ns: int | None
    upper_ns: int | None
    pairs: int


@dataclass
class DomainEstimate:
    """The solver's answer for one clock domain (one row of ``clock_domains``)."""

    domain: str
    is_reference: bool
    offset_ns: int
    lower_ns: int | None
    upper_ns: int | None
    constraints: int
    consistent: bool
    method: str
    records: int = 0
    source_kinds: tuple[str, ...] = ()
    # The constraints along the shortest path that give each bound (reference -> domain for
    # the upper bound, domain -> reference for the lower bound), for explaining the estimate.
    upper_via: tuple[Constraint, ...] = ()
    lower_via: tuple[Constraint, ...] = ()
    segments: tuple[Segment, ...] = ()
    note: str | None = None

    @property
    def offset_ms(self) -> float:
        return self.offset_ns / NS_PER_MS

    @property
    def lower_ms(self) -> float | None:
        return None if self.lower_ns is None else self.lower_ns / NS_PER_MS

    @property
    def upper_ms(self) -> float | None:
        return None if self.upper_ns is None else self.upper_ns / NS_PER_MS

    def to_json(self) -> dict:
        """The SPEC 6 ``clocks`` entry (plus ``method``)."""
        return {
            "domain": self.domain,
            "reference": self.is_reference,
            "offset_ms": round(self.offset_ms, 3),
            "lower_ms": None if self.lower_ms is None else round(self.lower_ms, 3),
            "upper_ms": None if self.upper_ms is None else round(self.upper_ms, 3),
            "constraints": self.constraints,
            "consistent": self.consistent,
            "method": self.method,
        }


SampleProvider = Callable[[set[str]], Iterable[PairSample]]


# --------------------------------------------------------------------------- reference choice


def choose_reference(domains: Iterable[Domain]) -> str | None:
    """SPEC 4: the harness domain with most records (ties: first name), else the OTLP one, else any."""
    doms = list(domains)
    if not doms:
        return None

    def best(cands: list[Domain]) -> str | None:
        if not cands:
            return None
        return min(cands, key=lambda d: (-d.records, d.name)).name

    return (
        best([d for d in doms if d.harness_records or "harness" in d.source_kinds])
        or best([d for d in doms if d.otlp_records or "otlp" in d.source_kinds])
        or best(doms)
    )


# --------------------------------------------------------------------------- graph helpers

_INF = math.inf


def _spfa(n: int, adj: list[list[tuple[int, int]]], source: int) -> tuple[list, list[int]]:
    """Single-source shortest paths (Bellman-Ford with a queue); the graph has no negative cycle."""
    dist: list = [_INF] * n
    pred = [-1] * n
    dist[source] = 0
    queue = deque([source])
    queued = [False] * n
    queued[source] = True
    while queue:
        u = queue.popleft()
        queued[u] = False
        du = dist[u]
        for v, w in adj[u]:
            if du + w < dist[v]:
                dist[v] = du + w
                pred[v] = u
                if not queued[v]:
                    queued[v] = True
                    queue.append(v)
    return dist, pred


def _has_negative_cycle(n: int, adj: list[list[tuple[int, int]]]) -> bool:
    """Bellman-Ford from a virtual source joined to every node (finds any negative cycle)."""
    dist = [0] * n
    for _ in range(n):
        changed = False
        for u in range(n):
            du = dist[u]
            for v, w in adj[u]:
                if du + w < dist[v]:
                    dist[v] = du + w
                    changed = True
        if not changed:
            return False
    return True


def _sccs(n: int, adj: list[list[tuple[int, int]]]) -> list[list[int]]:
    """Strongly connected components (iterative Tarjan)."""
    index = [0] * n
    low = [0] * n
    seen = [False] * n
    on_stack = [False] * n
    stack: list[int] = []
    out: list[list[int]] = []
    counter = 1
    for root in range(n):
        if seen[root]:
            continue
        work = [(root, 0)]
        while work:
            v, i = work.pop()
            if i == 0:
                seen[v] = True
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on_stack[v] = True
            recurse = False
            while i < len(adj[v]):
                w = adj[v][i][0]
                i += 1
                if not seen[w]:
                    work.append((v, i))
                    work.append((w, 0))
                    recurse = True
                    break
                if on_stack[w]:
                    low[v] = min(low[v], index[w])
            if recurse:
                continue
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    comp.append(w)
                    if w == v:
                        break
                out.append(comp)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
    return out


def _nodes_on_negative_cycles(nodes: Sequence[int], weight: Mapping[tuple[int, int], int]) -> set[int]:
    """Floyd-Warshall over a (small) node set: the nodes lying on some negative cycle."""
    idx = {v: i for i, v in enumerate(nodes)}
    m = len(nodes)
    d: list[list] = [[_INF] * m for _ in range(m)]
    for i in range(m):
        d[i][i] = 0
    for (u, v), w in weight.items():
        if u in idx and v in idx and w < d[idx[u]][idx[v]]:
            d[idx[u]][idx[v]] = w
    for k in range(m):
        dk = d[k]
        for i in range(m):
            dik = d[i][k]
            if dik == _INF:
                continue
            di = d[i]
            for j in range(m):
                cand = dik + dk[j]
                if cand < di[j]:
                    di[j] = cand
    return {nodes[i] for i in range(m) if d[i][i] < 0}


# --------------------------------------------------------------------------- robust fallback


def _median(values: Sequence[float]) -> float:
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def _quantile(values: Sequence[float], q: float) -> float:
    s = sorted(values)
    pos = q * (len(s) - 1)
    lo = math.floor(pos)
    hi = math.ceil(pos)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def _point_estimate(lower, upper, margin: int) -> tuple[int, str]:
    """Midpoint of [lower, upper]; with one finite side, that side nudged inward by ``margin``."""
    if lower is not None and upper is not None:
        return int(math.floor((lower + upper) / 2)), METHOD_MIDPOINT
    if upper is not None:
        return int(upper - margin), METHOD_UPPER_ONLY
    if lower is not None:
        return int(lower + margin), METHOD_LOWER_ONLY
    return 0, METHOD_UNANCHORED


@dataclass
class _Interval:
    lower: float | None
    upper: float | None
    t: int | None


def _segments(intervals: list[_Interval], tolerance: int) -> list[tuple[list[_Interval], float, float]]:
    """Greedy time-ordered sweep: start a new segment whenever the running intersection empties."""
    segs: list[tuple[list[_Interval], float, float]] = []
    cur: list[_Interval] = []
    lo, hi = -_INF, _INF
    for iv in intervals:
        new_lo = max(lo, -_INF if iv.lower is None else iv.lower)
        new_hi = min(hi, _INF if iv.upper is None else iv.upper)
        if cur and new_lo > new_hi + tolerance:
            segs.append((cur, lo, hi))
            cur = []
            new_lo = -_INF if iv.lower is None else iv.lower
            new_hi = _INF if iv.upper is None else iv.upper
        cur.append(iv)
        lo, hi = new_lo, new_hi
    if cur:
        segs.append((cur, lo, hi))
    return segs


def robust_estimate(
    intervals: list[_Interval], tolerance: int, margin: int
) -> tuple[int, int | None, int | None, str, tuple[Segment, ...], str]:
    """Estimate an offset from per-pair intervals that contradict each other.

    First try *piecewise*: ordered by the domain's own time, the pairs split into 2..MAX_SEGMENTS
    stretches that each agree (a clock stepped mid-run); the offset is the midpoint of the
    stretch with the most pairs and every stretch is reported. Otherwise *median-of-pairs*: the
    median of the two-sided pairs' midpoints (bounds: their interquartile range), or, with only
    one-sided pairs, the midpoint of the median lower and median upper bound.
    """
    timed = sorted((iv for iv in intervals if iv.t is not None), key=lambda iv: iv.t)
    if len(timed) >= 2 * MIN_SEGMENT_PAIRS:
        segs = _segments(timed, tolerance)
        if 2 <= len(segs) <= MAX_SEGMENTS and all(len(s[0]) >= MIN_SEGMENT_PAIRS for s in segs):
            out = []
            for members, lo, hi in segs:
                lo_v = None if lo == -_INF else int(lo)
                hi_v = None if hi == _INF else int(hi)
                off, _ = _point_estimate(lo_v, hi_v, margin)
                if lo_v is not None and hi_v is not None and lo_v > hi_v:  # within tolerance
                    lo_v, hi_v = hi_v, lo_v
                out.append(Segment(members[0].t, members[-1].t, off, lo_v, hi_v, len(members)))
            main = max(out, key=lambda s: (s.pairs, s.raw_start_ns or 0))  # ties: the later one
            note = (
                f"clock disagrees with itself over time: {len(out)} segments "
                + ", ".join(f"{s.offset_ns / NS_PER_MS:+.1f} ms ({s.pairs} pairs)" for s in out)
                + "; offset of the largest segment used"
            )
            return main.offset_ns, main.lower_ns, main.upper_ns, METHOD_PIECEWISE, tuple(out), note

    mids = [(iv.lower + iv.upper) / 2 for iv in intervals if iv.lower is not None and iv.upper is not None]
    if mids:
        off = int(math.floor(_median(mids)))
        lo_q, hi_q = _quantile(mids, 0.25), _quantile(mids, 0.75)
        note = f"median of {len(mids)} pairwise estimates (bounds: their interquartile range)"
        return off, int(math.floor(lo_q)), int(math.ceil(hi_q)), METHOD_MEDIAN, (), note
    lowers = [iv.lower for iv in intervals if iv.lower is not None]
    uppers = [iv.upper for iv in intervals if iv.upper is not None]
    lo_m = int(_median(lowers)) if lowers else None
    hi_m = int(_median(uppers)) if uppers else None
    off, _ = _point_estimate(lo_m, hi_m, margin)
    lo_r, hi_r = (lo_m, hi_m) if lo_m is None or hi_m is None or lo_m <= hi_m else (hi_m, lo_m)
    note = f"median of {len(lowers)} lower and {len(uppers)} upper single-pair bounds"
    return off, lo_r, hi_r, METHOD_MEDIAN, (), note


# --------------------------------------------------------------------------- the solver


@dataclass
class _Edge:
    w: int
    tightest: Constraint
    count: int = 0


@dataclass
class _Resolved:
    offset: int
    pin: bool  # usable as a fixed point for domains reached only through it
    est: DomainEstimate


def merge_constraints(constraints: Iterable[Constraint]) -> dict[tuple[str, str], _Edge]:
    """Keep the tightest constraint per ordered domain pair; count all of them."""
    edges: dict[tuple[str, str], _Edge] = {}
    for c in constraints:
        if c.a == c.b:
            continue
        key = (c.a, c.b)
        e = edges.get(key)
        if e is None:
            edges[key] = _Edge(c.w_ns, c, c.count)
        else:
            e.count += c.count
            if c.w_ns < e.w:
                e.w, e.tightest = c.w_ns, c
    return edges


def solve(
    domains: Iterable[Domain],
    constraints: Iterable[Constraint],
    *,
    samples: SampleProvider | Iterable[PairSample] | None = None,
    tolerance_ns: int = DEFAULT_TOLERANCE_NS,
    one_sided_margin_ns: int = DEFAULT_ONE_SIDED_MARGIN_NS,
    reference: str | None = None,
) -> list[DomainEstimate]:
    """Estimate every domain's offset against the reference; one estimate per domain, by name.

    The solve runs in rounds. Each round takes the still-unresolved domains connected to the
    resolved ones, pins the resolved ones (reference at 0, later also robust estimates) to a
    root node and runs shortest paths: upper bound = dist(root -> d), lower bound =
    -dist(d -> root), so domains linked only through other non-reference domains get their
    bounds transitively. Cycles less negative than ``tolerance_ns`` (timestamp jitter) are
    absorbed by widening every edge of the round by tolerance/2. A real contradiction is blamed
    on the fewest domains whose removal clears it (all of them when the data cannot tell which);
    those get ``consistent=False`` and a robust estimate (:func:`robust_estimate`) from their
    pairs with already-resolved domains, then become fixed points for the next round.

    One-sided bounds (only an upper or only a lower bound is finite, e.g. only dispatch ->
    tool-start pairs, never end -> result): the finite bound moved ``one_sided_margin_ns``
    (1 ms) into the feasible side, i.e. the tightest causal pair is assumed to have taken that
    long, so the effect lands just after its cause on the aligned clock. Such estimates are not
    used as fixed points for other domains. ``samples`` (pairs or a callable taking the set of
    inconsistent domains) feed the robust fallback; without them it uses the constraints.
    """
    dom_list = {d.name: d for d in domains}
    cons = [c for c in constraints if c.a != c.b]
    for c in cons:
        for name in (c.a, c.b):
            dom_list.setdefault(name, Domain(name))
    if not dom_list:
        return []
    ref = reference if reference in dom_list else choose_reference(dom_list.values())
    edges = merge_constraints(cons)
    names = sorted(dom_list)

    def base_est(name: str, **kw) -> DomainEstimate:
        d = dom_list[name]
        return DomainEstimate(
            domain=name, records=d.records, source_kinds=tuple(sorted(d.source_kinds)), **kw
        )

    resolved: dict[str, _Resolved] = {
        ref: _Resolved(0, True, base_est(ref, is_reference=True, offset_ns=0, lower_ns=0, upper_ns=0,
                                         constraints=0, consistent=True, method=METHOD_REFERENCE))
    }
    sample_cache: list[PairSample] | None = None

    def get_samples(doms: set[str]) -> list[PairSample]:
        nonlocal sample_cache
        if samples is None:
            return []
        if callable(samples):
            return list(samples(doms))
        if sample_cache is None:
            sample_cache = list(samples)
        return [s for s in sample_cache if s.d1 in doms or s.d2 in doms]

    ref_involved = False
    while True:
        progress = _solve_round(
            names, edges, resolved, base_est, get_samples, cons, tolerance_ns, one_sided_margin_ns
        )
        if progress is None:
            break
        ref_involved |= progress

    ref_est = resolved[ref].est
    ref_est.constraints = sum(
        e.count for (a, b), e in edges.items() if (a == ref and b in resolved) or (b == ref and a in resolved)
    )
    if ref_involved:
        ref_est.note = "the reference defines the time scale; contradictions are blamed on the other domains"
    out = []
    for name in names:
        if name in resolved:
            out.append(resolved[name].est)
        else:
            out.append(base_est(name, is_reference=False, offset_ns=0, lower_ns=None, upper_ns=None,
                                constraints=0, consistent=True, method=METHOD_UNANCHORED,
                                note="no causal pair links this clock to the reference"))
    return out


def _solve_round(names, edges, resolved, base_est, get_samples, all_constraints, tolerance, margin):
    """One round (see :func:`solve`); returns None when nothing new was resolved, else whether
    the root took part in a contradiction."""
    pins = {n: r.offset for n, r in resolved.items() if r.pin}
    # Undirected reachability from the pinned domains through unresolved ones.
    neighbours: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        neighbours[a].add(b)
        neighbours[b].add(a)
    seen: set[str] = set()
    queue = deque(pins)
    while queue:
        u = queue.popleft()
        for v in neighbours[u]:
            if v not in resolved and v not in seen:
                seen.add(v)
                queue.append(v)
    if not seen:
        return None
    members = sorted(seen)
    index = {n: i + 1 for i, n in enumerate(members)}  # 0 = root (all pinned domains)
    n = len(members) + 1

    # Round edges: between members as they are, and to/from pins folded onto the root.
    w_raw: dict[tuple[int, int], int] = {}
    origin: dict[tuple[int, int], list[Constraint]] = {}
    counts: dict[int, int] = defaultdict(int)  # constraints per member (incident, in this round)
    for (a, b), e in edges.items():
        if a in index and b in index:
            key, w = (index[a], index[b]), e.w
        elif a in pins and b in index:
            key, w = (0, index[b]), e.w + pins[a]
        elif a in index and b in pins:
            key, w = (index[a], 0), e.w - pins[b]
        else:
            continue
        if key not in w_raw or w < w_raw[key]:
            w_raw[key] = w
            origin[key] = [e.tightest]
        counts[key[0]] += e.count
        counts[key[1]] += e.count

    removed: set[int] = set()
    culprits: set[int] = set()
    root_involved = False
    half_tol = tolerance // 2

    def live(weights):
        return {k: w for k, w in weights.items() if k[0] not in removed and k[1] not in removed}

    def adjacency(weights):
        adj: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        for (u, v), w in weights.items():
            adj[u].append((v, w))
        return adj

    # Blame contradictions (beyond the jitter tolerance) on as few domains as possible.
    while True:
        relaxed = {k: w + half_tol for k, w in live(w_raw).items()}
        adj = adjacency(relaxed)
        if not _has_negative_cycle(n, adj):
            break
        bad_sccs = []
        for comp in _sccs(n, adj):
            if len(comp) < 2:
                continue
            comp_set = set(comp)
            sub = {k: w for k, w in relaxed.items() if k[0] in comp_set and k[1] in comp_set}
            sub_adj: list[list[tuple[int, int]]] = [[] for _ in range(n)]
            for (u, v), w in sub.items():
                sub_adj[u].append((v, w))
            if _has_negative_cycle(n, sub_adj):
                bad_sccs.append((sorted(comp), sub))
        for comp, sub in bad_sccs:
            on_cycle = _nodes_on_negative_cycles(comp, sub) if len(comp) <= 4 * MAX_ATTRIBUTION_NODES else set(comp)
            root_involved |= 0 in on_cycle
            cands = sorted(on_cycle - {0})
            if len(cands) > MAX_ATTRIBUTION_NODES:
                blame = set(cands)
            else:
                scores = {}
                for c in cands:
                    rest = [v for v in comp if v != c]
                    scores[c] = len(_nodes_on_negative_cycles(
                        rest, {k: w for k, w in sub.items() if c not in k}))
                best = min(scores.values())
                blame = {c for c, s in scores.items() if s == best}
            culprits |= blame
            removed |= blame
        if not bad_sccs:  # cannot happen; never loop forever
            break

    weights = live(w_raw)
    if _has_negative_cycle(n, adjacency(weights)):
        weights = {k: w + half_tol for k, w in weights.items()}
        jitter = True
    else:
        jitter = False
    adj = adjacency(weights)
    radj: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for (u, v), w in weights.items():
        radj[v].append((u, w))
    up, up_pred = _spfa(n, adj, 0)
    down, down_pred = _spfa(n, radj, 0)

    def path(pred, target, forward: bool) -> tuple[Constraint, ...]:
        out = []
        v, guard = target, 0
        while v != 0 and pred[v] != -1 and guard <= n:
            u = pred[v]
            key = (u, v) if forward else (v, u)
            out.extend(origin.get(key, []))
            v, guard = u, guard + 1
        return tuple(out if not forward else reversed(out))

    robust_pins = sorted(p for p in pins if not resolved[p].est.consistent)
    progress = False
    for name in members:
        i = index[name]
        if i in removed:
            continue
        upper = None if up[i] == _INF else int(up[i])
        lower = None if down[i] == _INF else int(-down[i])
        if upper is None and lower is None:
            continue  # reachable only one-sidedly through unbounded domains
        offset, method = _point_estimate(lower, upper, margin)
        notes = []
        if jitter:
            notes.append(f"timestamp jitter below {tolerance / NS_PER_MS:g} ms absorbed (bounds widened)")
        if robust_pins:
            notes.append("anchored through " + ", ".join(robust_pins) + " (robust estimate)")
        note = "; ".join(notes) or None
        est = base_est(name, is_reference=False, offset_ns=offset, lower_ns=lower, upper_ns=upper,
                       constraints=counts[i], consistent=True, method=method,
                       upper_via=path(up_pred, i, True) if upper is not None else (),
                       lower_via=path(down_pred, i, False) if lower is not None else (),
                       note=note)
        resolved[name] = _Resolved(offset, lower is not None and upper is not None, est)
        progress = True

    # Robust estimates for the blamed domains, best-informed first.
    pending = {members[i - 1] for i in culprits}
    if pending:
        pool = get_samples(set(pending))
        while pending:
            best_name, best_ivs = None, []
            for name in sorted(pending):
                ivs = _intervals_for(name, pool, all_constraints, resolved)
                if best_name is None or len(ivs) > len(best_ivs):
                    best_name, best_ivs = name, ivs
            pending.discard(best_name)
            i = index[best_name]
            if not best_ivs:
                continue  # only linked to other unresolved culprits; stays unanchored
            offset, lower, upper, method, segs, note = robust_estimate(best_ivs, tolerance, margin)
            est = base_est(best_name, is_reference=False, offset_ns=offset, lower_ns=lower,
                           upper_ns=upper, constraints=counts[i], consistent=False, method=method,
                           segments=segs, note="constraints contradict each other; " + note)
            resolved[best_name] = _Resolved(offset, True, est)
            progress = True
    return root_involved if progress else None


def _intervals_for(name, pool, all_constraints, resolved) -> list[_Interval]:
    """Per-pair intervals on ``offset[name]`` against already-resolved fixed points."""
    pins = {n: r.offset for n, r in resolved.items() if r.pin}
    out: list[_Interval] = []
    for s in pool:
        if s.d2 == name and s.d1 in pins:
            base = pins[s.d1]  # offset[name] - offset[d1] in [lower, upper]
            lo = None if s.lower_ns is None else s.lower_ns + base
            hi = None if s.upper_ns is None else s.upper_ns + base
            t = s.t2_ns
        elif s.d1 == name and s.d2 in pins:
            base = pins[s.d2]  # offset[d2] - offset[name] in [lower, upper]
            lo = None if s.upper_ns is None else base - s.upper_ns
            hi = None if s.lower_ns is None else base - s.lower_ns
            t = s.t1_ns
        else:
            continue
        if lo is not None or hi is not None:
            out.append(_Interval(lo, hi, t))
    if out:
        return out
    for c in all_constraints:  # no samples: each (tightest-per-kind) constraint as a one-sided pair
        if c.b == name and c.a in pins:
            out.append(_Interval(None, c.w_ns + pins[c.a], None))
        elif c.a == name and c.b in pins:
            out.append(_Interval(pins[c.b] - c.w_ns, None, None))
    return out

"""Clock-offset solver: difference constraints between clock domains -> one offset per domain.

Pure Python, no DuckDB. Sign convention (SPEC 4): ``aligned = raw - offset``; a domain's offset
is how far its clock runs ahead of the reference. A causal pair "event X (domain a, raw x)
happens before event Y (domain b, raw y)" gives ``offset[b] - offset[a] <= y - x``: a
:class:`Constraint` with ``w_ns = y - x``. In graph form that is an edge a -> b of weight w;
shortest paths from the reference give each domain's upper bound, shortest paths to it the
negated lower bound, and a negative cycle means some pairs contradict each other.

Robustness (SPEC 4): a negative cycle that a few pairs explain (a handful against many agreeing
pairs of the same two domains) is cleared by setting those pairs aside; only a contradiction
no small set of pairs explains is blamed on a domain, which is then estimated on its own
(piecewise for a stepped clock) without moving the domains linked to it.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Sequence

NS_PER_MS = 1_000_000

# Defaults, overridable per call of solve().
DEFAULT_TOLERANCE_NS = NS_PER_MS  # a cycle must be at least this negative to count as a contradiction
DEFAULT_ONE_SIDED_MARGIN_NS = NS_PER_MS  # assumed latency of the tightest pair when only one bound exists
MAX_ATTRIBUTION_NODES = 16  # above this many nodes on negative cycles, blame them all (no greedy search)
MIN_SEGMENT_PAIRS = 3  # a piecewise segment needs this many causal groups
MAX_SEGMENTS = 4  # more segments than this is noise, not a stepped clock
SET_ASIDE_SHARE = 0.05  # at most this share of two domains' pairs may be set aside as wrong readings
MIN_PAIRS_TO_OUTVOTE = 10  # below this many pairs between two domains, none is outvoted

METHOD_REFERENCE = "reference"
METHOD_MIDPOINT = "bounds-midpoint"
METHOD_UPPER_ONLY = "one-sided-upper"
METHOD_LOWER_ONLY = "one-sided-lower"
METHOD_PIECEWISE = "piecewise"
METHOD_MEDIAN = "median-of-pairs"
METHOD_UNANCHORED = "unanchored"


def set_aside_budget(pairs: int) -> int:
    """How many of two domains' ``pairs`` causal pairs may be set aside: a few against many."""
    if pairs < MIN_PAIRS_TO_OUTVOTE:
        return 0
    return max(1, int(pairs * SET_ASIDE_SHARE))


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

    ``count`` is how many causal pairs of this ``kind`` between a and b it stands for (the
    store sends the tightest pairs one by one, the last of a kind carrying the rest);
    ``earlier_ns``/``later_ns`` are the two raw times (on a's and b's clocks) when known.
    """

    a: str
    b: str
    w_ns: int
    kind: str
    earlier_record: str | None = None
    later_record: str | None = None
    count: int = 1
    earlier_ns: int | None = None
    later_ns: int | None = None
    earlier_row: int | None = None  # the store's rowids, until the record ids are looked up
    later_row: int | None = None

    @property
    def domain_pair(self) -> tuple[str, str]:
        return (self.a, self.b) if self.a < self.b else (self.b, self.a)


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
    set_aside: int = 0  # causal pairs of this domain set aside as contradicting many agreeing ones
    set_aside_pairs: tuple[Constraint, ...] = ()  # the individually known ones among them

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
            "set_aside": self.set_aside,
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
Weights = Mapping[tuple[int, int], int]


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


def _find_negative_cycle(n: int, weights: Weights) -> list[tuple[int, int]] | None:
    """Bellman-Ford from a virtual source joined to every node: the edges of one negative cycle."""
    dist = [0] * n
    pred = [-1] * n
    edges = list(weights.items())
    last = -1
    for _ in range(n):
        last = -1
        for (u, v), w in edges:
            if dist[u] + w < dist[v]:
                dist[v] = dist[u] + w
                pred[v] = u
                last = v
        if last == -1:
            return None
    for _ in range(n):  # walk back into the cycle
        last = pred[last]
    cycle = []
    v = last
    while True:
        u = pred[v]
        cycle.append((u, v))
        v = u
        if v == last:
            break
    return cycle[::-1]


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


def _nodes_on_negative_cycles(nodes: Sequence[int], weight: Weights) -> set[int]:
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


def _adjacency(n: int, weights: Weights) -> list[list[tuple[int, int]]]:
    adj: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for (u, v), w in weights.items():
        adj[u].append((v, w))
    return adj


def _negative_cycle_nodes(n: int, weights: Weights) -> set[int]:
    """Every node on some negative cycle (all nodes of a strongly connected part when it is big)."""
    out: set[int] = set()
    for comp in _sccs(n, _adjacency(n, weights)):
        if len(comp) < 2:
            continue
        members = set(comp)
        sub = {k: w for k, w in weights.items() if k[0] in members and k[1] in members}
        if _find_negative_cycle(n, sub) is None:
            continue
        out |= _nodes_on_negative_cycles(sorted(comp), sub) if len(comp) <= 4 * MAX_ATTRIBUTION_NODES else members
    return out


# --------------------------------------------------------------------------- robust estimate


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
    """One causal group's bounds on a domain's offset, at time ``t`` on that domain's clock."""

    lower: float | None
    upper: float | None
    t: int | None
    key: object = None

    def contains(self, x: float, slack: float) -> bool:
        return ((self.lower is None or self.lower - slack <= x)
                and (self.upper is None or x <= self.upper + slack))


@dataclass
class RobustEstimate:
    """A blamed domain's estimate; ``consistent`` when a few set-aside groups explained it all."""

    offset_ns: int
    lower_ns: int | None
    upper_ns: int | None
    method: str
    segments: tuple[Segment, ...]
    note: str
    consistent: bool = False
    set_aside: int = 0


def _deepest_point(intervals: Sequence[_Interval], slack: float, margin: int) -> float | None:
    """A point inside as many intervals as possible (the middle of the deepest stretch)."""
    events = []
    for iv in intervals:
        events.append((-_INF if iv.lower is None else iv.lower - slack, 0))
        events.append((_INF if iv.upper is None else iv.upper + slack, 1))
    events.sort()
    depth = best = 0
    region: list = [None, None]
    for x, is_end in events:
        if not is_end:
            depth += 1
            if depth > best:
                best, region = depth, [x, None]
        else:
            if depth == best and region[1] is None:
                region[1] = x
            depth -= 1
    lo, hi = region
    if best == 0:
        return None
    if lo == -_INF and hi == _INF:
        return None
    if lo == -_INF:
        return hi - margin
    if hi == _INF:
        return lo + margin
    return (lo + hi) / 2


def _levels(intervals: Sequence[_Interval], slack: float, margin: int) -> list[float]:
    """Up to MAX_SEGMENTS offsets, each agreed on by at least MIN_SEGMENT_PAIRS groups."""
    levels: list[float] = []
    rest = list(intervals)
    while rest and len(levels) < MAX_SEGMENTS:
        point = _deepest_point(rest, slack, margin)
        if point is None:
            break
        members = [iv for iv in rest if iv.contains(point, slack)]
        if len({iv.key if iv.key is not None else id(iv) for iv in members}) < MIN_SEGMENT_PAIRS and levels:
            break
        levels.append(point)
        rest = [iv for iv in rest if not iv.contains(point, slack)]
    return levels


def _segment_runs(timed: Sequence[_Interval], levels: Sequence[float], slack: float,
                  max_runs: int) -> tuple[int, list[tuple[int, int, int]]]:
    """Split the time-ordered groups into at most ``max_runs`` runs, each on one level, so that as
    few groups as possible disagree with their run's level: (disagreeing, [(first, last, level)])."""
    n_levels = len(levels)
    # Consecutive groups agreeing with the same levels never need a boundary between them.
    blocks: list[tuple[frozenset[int], int, int]] = []  # (levels agreed with, first, last)
    for i, iv in enumerate(timed):
        compat = frozenset(lv for lv, x in enumerate(levels) if iv.contains(x, slack))
        if blocks and blocks[-1][0] == compat:
            blocks[-1] = (compat, blocks[-1][1], i)
        else:
            blocks.append((compat, i, i))

    def cost(block, lv: int) -> int:
        return 0 if lv in block[0] else block[2] - block[1] + 1

    # dp[s][lv]: fewest disagreeing groups so far with s+1 runs, the last on level lv.
    dp = [[cost(blocks[0], lv) if s == 0 else _INF for lv in range(n_levels)] for s in range(max_runs)]
    back: list[list[list[tuple[int, int]]]] = [[]]
    for block in blocks[1:]:
        new = [[_INF] * n_levels for _ in range(max_runs)]
        ptr = [[(s, lv) for lv in range(n_levels)] for s in range(max_runs)]
        for s in range(max_runs):
            for lv in range(n_levels):
                choice, source = dp[s][lv], (s, lv)
                if s:
                    for pl in range(n_levels):
                        if pl != lv and dp[s - 1][pl] < choice:
                            choice, source = dp[s - 1][pl], (s - 1, pl)
                new[s][lv] = choice + cost(block, lv)
                ptr[s][lv] = source
        dp = new
        back.append(ptr)
    disagreeing, s, lv = min((dp[s][lv], s, lv) for s in range(max_runs) for lv in range(n_levels))
    runs: list[tuple[int, int, int]] = []
    end = len(timed) - 1
    for b in range(len(blocks) - 1, -1, -1):
        ps, pl = back[b][s][lv] if b else (s, lv)
        if b == 0 or ps != s:
            runs.append((blocks[b][1], end, lv))
            end = blocks[b][1] - 1
        s, lv = ps, pl
    return int(disagreeing), runs[::-1]


def _intersection(members: Sequence[_Interval]) -> tuple[int | None, int | None]:
    lowers = [iv.lower for iv in members if iv.lower is not None]
    uppers = [iv.upper for iv in members if iv.upper is not None]
    lo = int(max(lowers)) if lowers else None
    hi = int(min(uppers)) if uppers else None
    if lo is not None and hi is not None and lo > hi:  # overlapping only within the slack
        lo, hi = hi, lo
    return lo, hi


def _groups(members: Sequence[_Interval]) -> int:
    return len({iv.key if iv.key is not None else id(iv) for iv in members})


def robust_estimate(intervals: list[_Interval], tolerance: int, margin: int) -> RobustEstimate:
    """Estimate an offset from per-group intervals that contradict each other.

    The groups' intervals cluster around up to MAX_SEGMENTS levels. Ordered by the domain's own
    time, if they split into runs of different levels (a clock that stepped), each run is a
    *piecewise* segment and the largest one gives the offset; groups that fit no run are set
    aside when they are few. Otherwise *median-of-pairs*: the median of the two-sided groups'
    midpoints (bounds: their interquartile range), or of the one-sided bounds.
    """
    slack = tolerance / 2
    timed = sorted((iv for iv in intervals if iv.t is not None), key=lambda iv: (iv.t, str(iv.key)))
    levels = _levels(timed, slack, margin) if len(timed) >= MIN_SEGMENT_PAIRS else []
    if levels:
        budget = set_aside_budget(len(timed))
        for max_runs in range(1, MAX_SEGMENTS + 1):
            if max_runs > 1 and len(levels) < 2:
                break
            disagreeing, runs = _segment_runs(timed, levels, slack, max_runs)
            if disagreeing > budget:
                continue
            segs = []
            for first, last, lv in runs:
                members = [iv for iv in timed[first:last + 1] if iv.contains(levels[lv], slack)]
                if _groups(members) < MIN_SEGMENT_PAIRS:
                    break
                lo, hi = _intersection(members)
                off, _ = _point_estimate(lo, hi, margin)
                segs.append(Segment(timed[first].t, timed[last].t, off, lo, hi, len(members)))
            else:
                main = max(segs, key=lambda s: (s.pairs, s.raw_start_ns or 0))  # ties: the later one
                if len(segs) == 1:
                    off, method = _point_estimate(main.lower_ns, main.upper_ns, margin)
                    return RobustEstimate(off, main.lower_ns, main.upper_ns, method, (),
                                          f"{disagreeing} contradicting causal groups set aside",
                                          consistent=True, set_aside=disagreeing)
                note = (
                    f"clock disagrees with itself over time: {len(segs)} segments "
                    + ", ".join(f"{s.offset_ns / NS_PER_MS:+.1f} ms ({s.pairs} pairs)" for s in segs)
                    + "; offset of the largest segment used"
                    + (f"; {disagreeing} causal groups fitting no segment set aside" if disagreeing else "")
                )
                return RobustEstimate(main.offset_ns, main.lower_ns, main.upper_ns, METHOD_PIECEWISE,
                                      tuple(segs), note, set_aside=disagreeing)
            break  # a run too small to be a segment: more runs will not help

    mids = [(iv.lower + iv.upper) / 2 for iv in intervals if iv.lower is not None and iv.upper is not None]
    if mids:
        off = int(math.floor(_median(mids)))
        lo_q, hi_q = _quantile(mids, 0.25), _quantile(mids, 0.75)
        note = f"median of {len(mids)} pairwise estimates (bounds: their interquartile range)"
        return RobustEstimate(off, int(math.floor(lo_q)), int(math.ceil(hi_q)), METHOD_MEDIAN, (), note)
    lowers = [iv.lower for iv in intervals if iv.lower is not None]
    uppers = [iv.upper for iv in intervals if iv.upper is not None]
    lo_m = int(_median(lowers)) if lowers else None
    hi_m = int(_median(uppers)) if uppers else None
    off, _ = _point_estimate(lo_m, hi_m, margin)
    lo_r, hi_r = (lo_m, hi_m) if lo_m is None or hi_m is None or lo_m <= hi_m else (hi_m, lo_m)
    note = f"median of {len(lowers)} lower and {len(uppers)} upper single-pair bounds"
    return RobustEstimate(off, lo_r, hi_r, METHOD_MEDIAN, (), note)


# --------------------------------------------------------------------------- the solver


@dataclass
class _Edge:
    """All known pairs a -> b, tightest first; ``count`` is how many pairs they stand for."""

    candidates: list[Constraint] = field(default_factory=list)
    count: int = 0

    @property
    def tightest(self) -> Constraint:
        return self.candidates[0]


def merge_constraints(constraints: Iterable[Constraint]) -> dict[tuple[str, str], _Edge]:
    """Group the constraints per ordered domain pair, tightest first; count all of them."""
    edges: dict[tuple[str, str], _Edge] = defaultdict(_Edge)
    for c in constraints:
        if c.a == c.b:
            continue
        e = edges[(c.a, c.b)]
        e.candidates.append(c)
        e.count += c.count
    for e in edges.values():
        e.candidates.sort(key=lambda c: (c.w_ns, c.count))
    return dict(edges)


@dataclass
class _Resolved:
    offset: int
    pin: bool  # usable as a fixed point for domains reached only through it
    est: DomainEstimate

    def interval_at(self, raw_ns: int | None) -> tuple[int | None, int | None] | None:
        """The pinned domain's offset bounds at its raw time ``raw_ns`` (None: between segments)."""
        segs = self.est.segments
        if not segs:
            return self.est.lower_ns, self.est.upper_ns
        if raw_ns is None:
            return None
        for s in segs:
            if s.raw_start_ns <= raw_ns <= s.raw_end_ns:
                return s.lower_ns, s.upper_ns
        if raw_ns < segs[0].raw_start_ns:
            return segs[0].lower_ns, segs[0].upper_ns
        if raw_ns > segs[-1].raw_end_ns:
            return segs[-1].lower_ns, segs[-1].upper_ns
        return None


@dataclass
class _RoundGraph:
    """One round's graph: node 0 is the root (every pinned domain), 1.. the round's members."""

    members: list[str]
    index: dict[str, int]
    candidates: dict[tuple[int, int], list[tuple[int, Constraint]]]  # tightest first
    counts: dict[int, int]  # pairs incident to each node
    outside_links: dict[int, set[int]]  # neighbours of each node (node 0 = the pinned domains)

    @property
    def n(self) -> int:
        return len(self.members) + 1


@dataclass
class _Settled:
    """The outcome of clearing a round's negative cycles by setting pairs aside."""

    ok: bool
    trimmed: dict[tuple[int, int], int]  # how many leading candidates of each edge are set aside
    weights: dict[tuple[int, int], int]  # relaxed weights after trimming
    used: dict[tuple[str, str], int]  # pairs set aside per domain pair


class _Solver:
    """The state of one :func:`solve`: resolved domains and the pairs set aside so far."""

    def __init__(self, dom_list, edges, ref, samples, tolerance, margin):
        self.dom_list = dom_list
        self.edges = edges
        self.ref = ref
        self.samples = samples
        self.tolerance = tolerance
        self.margin = margin
        self.half_tol = tolerance // 2
        self.resolved: dict[str, _Resolved] = {}
        self.sample_cache: list[PairSample] | None = None
        self.pair_totals: dict[tuple[str, str], int] = defaultdict(int)
        for (a, b), e in edges.items():
            self.pair_totals[(a, b) if a < b else (b, a)] += e.count
        self.set_aside_used: dict[tuple[str, str], int] = defaultdict(int)
        self.set_aside_by_domain: dict[str, int] = defaultdict(int)
        self.set_aside_pairs: dict[str, list[Constraint]] = defaultdict(list)

    def base_est(self, name: str, **kw) -> DomainEstimate:
        d = self.dom_list[name]
        return DomainEstimate(domain=name, records=d.records, source_kinds=tuple(sorted(d.source_kinds)), **kw)

    def get_samples(self, doms: set[str]) -> list[PairSample]:
        if self.samples is None:
            return []
        if callable(self.samples):
            return list(self.samples(doms))
        if self.sample_cache is None:
            self.sample_cache = list(self.samples)
        return [s for s in self.sample_cache if s.d1 in doms or s.d2 in doms]

    # -- one round

    def round_graph(self) -> _RoundGraph | None:
        pins = {n: r for n, r in self.resolved.items() if r.pin}
        neighbours: dict[str, set[str]] = defaultdict(set)
        for a, b in self.edges:
            neighbours[a].add(b)
            neighbours[b].add(a)
        seen: set[str] = set()
        queue = deque(sorted(pins))
        while queue:
            u = queue.popleft()
            for v in sorted(neighbours[u]):
                if v not in self.resolved and v not in seen:
                    seen.add(v)
                    queue.append(v)
        if not seen:
            return None
        members = sorted(seen)
        index = {n: i + 1 for i, n in enumerate(members)}
        cands: dict[tuple[int, int], list[tuple[int, Constraint]]] = defaultdict(list)
        counts: dict[int, int] = defaultdict(int)
        links: dict[int, set[int]] = defaultdict(set)
        for (a, b), e in self.edges.items():
            if a in index and b in index:
                key = (index[a], index[b])
                cands[key].extend((c.w_ns, c) for c in e.candidates)
            elif a in pins and b in index:  # offset[b] <= w + offset[a] <= w + upper(a)
                key = (0, index[b])
                for c in e.candidates:
                    bounds = pins[a].interval_at(c.earlier_ns)
                    if bounds is not None and bounds[1] is not None:
                        cands[key].append((c.w_ns + bounds[1], c))
            elif a in index and b in pins:  # offset[a] >= offset[b] - w >= lower(b) - w
                key = (index[a], 0)
                for c in e.candidates:
                    bounds = pins[b].interval_at(c.later_ns)
                    if bounds is not None and bounds[0] is not None:
                        cands[key].append((c.w_ns - bounds[0], c))
            else:
                continue
            counts[key[0]] += e.count
            counts[key[1]] += e.count
            links[key[0]].add(key[1])
            links[key[1]].add(key[0])
        for key in cands:
            cands[key].sort(key=lambda wc: (wc[0], wc[1].count))
        return _RoundGraph(members, index, {k: v for k, v in cands.items() if v}, counts, links)

    def weights(self, graph: _RoundGraph, trimmed, removed: set[int], relax: int) -> dict[tuple[int, int], int]:
        out = {}
        for key, cands in graph.candidates.items():
            if key[0] in removed or key[1] in removed:
                continue
            i = trimmed.get(key, 0)
            if i < len(cands):
                out[key] = cands[i][0] + relax
        return out

    def settle(self, graph: _RoundGraph, removed: set[int]) -> _Settled:
        """Clear negative cycles by setting aside the fewest pairs, within each domain pair's budget."""
        trimmed: dict[tuple[int, int], int] = {}
        used: dict[tuple[str, str], int] = defaultdict(int)
        while True:
            weights = self.weights(graph, trimmed, removed, self.half_tol)
            cycle = _find_negative_cycle(graph.n, weights)
            if cycle is None:
                return _Settled(True, trimmed, weights, used)
            deficit = -sum(weights[k] for k in cycle)
            best = None
            for key in cycle:
                cands = graph.candidates[key]
                start = trimmed.get(key, 0)
                base = cands[start][0]
                j = start
                extra: dict[tuple[str, str], int] = defaultdict(int)
                while j < len(cands) and cands[j][0] - base < deficit:
                    c = cands[j][1]
                    extra[c.domain_pair] += c.count
                    j += 1
                if any(self.set_aside_used[p] + used[p] + x > set_aside_budget(self.pair_totals[p])
                       for p, x in extra.items()):
                    continue
                gap = cands[j][0] - base if j < len(cands) else _INF
                choice = (sum(extra.values()), -gap, key)
                if best is None or choice < best[0]:
                    best = (choice, key, j, extra)
            if best is None:
                return _Settled(False, trimmed, weights, used)
            _, key, j, extra = best
            trimmed[key] = j
            for p, x in extra.items():
                used[p] += x

    def blame(self, graph: _RoundGraph, removed: set[int], failed: _Settled) -> set[int]:
        """The domain(s) whose removal best clears what no small set of pairs explains."""
        cands = sorted(_negative_cycle_nodes(graph.n, failed.weights) - {0} - removed)
        if not cands:  # cannot happen (a failed settle leaves a negative cycle); never loop forever
            return set(range(1, graph.n)) - removed
        if len(cands) > MAX_ATTRIBUTION_NODES:
            return set(cands)
        scores = {}
        for c in cands:
            after = self.settle(graph, removed | {c})
            scores[c] = 0 if after.ok else len(_negative_cycle_nodes(graph.n, after.weights))
        best = min(scores.values())
        tied = {c for c, s in scores.items() if s == best}
        # A suspect linked only to other suspects is the one whose clock misbehaved: the others'
        # links elsewhere agree.
        isolated = {c for c in tied if not (graph.outside_links[c] - tied - removed)}
        return isolated if isolated and isolated != tied else tied

    def run_round(self) -> bool | None:
        """One round (see :func:`solve`); None when nothing new was resolved, else whether the
        root took part in a contradiction."""
        graph = self.round_graph()
        if graph is None:
            return None
        removed: set[int] = set()
        root_involved = False
        while True:
            settled = self.settle(graph, removed)
            if settled.ok:
                break
            root_involved |= 0 in _negative_cycle_nodes(graph.n, settled.weights)
            removed |= self.blame(graph, removed, settled)

        for key, count in settled.trimmed.items():
            for _, c in graph.candidates[key][:count]:
                for name in (c.a, c.b):
                    self.set_aside_by_domain[name] += c.count
                    if c.count == 1:
                        self.set_aside_pairs[name].append(c)
        for p, x in settled.used.items():
            self.set_aside_used[p] += x

        n = graph.n
        raw = self.weights(graph, settled.trimmed, removed, 0)
        jitter = _find_negative_cycle(n, raw) is not None
        weights = self.weights(graph, settled.trimmed, removed, self.half_tol) if jitter else raw
        origin = {k: graph.candidates[k][settled.trimmed.get(k, 0)][1] for k in weights}
        adj = _adjacency(n, weights)
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
                out.append(origin[(u, v) if forward else (v, u)])
                v, guard = u, guard + 1
            return tuple(out if not forward else reversed(out))

        robust_pins = sorted(p for p, r in self.resolved.items() if r.pin and not r.est.consistent)
        progress = False
        for name in graph.members:
            i = graph.index[name]
            if i in removed:
                continue
            upper = None if up[i] == _INF else int(up[i])
            lower = None if down[i] == _INF else int(-down[i])
            if upper is None and lower is None:
                continue  # reachable only one-sidedly through unbounded domains
            offset, method = _point_estimate(lower, upper, self.margin)
            notes = []
            if jitter:
                notes.append(f"timestamp jitter below {self.tolerance / NS_PER_MS:g} ms absorbed (bounds widened)")
            if robust_pins:
                notes.append("anchored through " + ", ".join(robust_pins) + " (robust estimate)")
            est = self.base_est(name, is_reference=False, offset_ns=offset, lower_ns=lower, upper_ns=upper,
                                constraints=graph.counts[i], consistent=True, method=method,
                                upper_via=path(up_pred, i, True) if upper is not None else (),
                                lower_via=path(down_pred, i, False) if lower is not None else (),
                                note="; ".join(notes) or None)
            self.resolved[name] = _Resolved(offset, lower is not None and upper is not None, est)
            progress = True

        # Robust estimates for the blamed domains, best-informed first.
        pending = {graph.members[i - 1] for i in removed}
        if pending:
            pool = self.get_samples(set(pending))
            while pending:
                best_name, best_ivs = None, []
                for name in sorted(pending):
                    ivs = self.intervals_for(name, pool)
                    if best_name is None or len(ivs) > len(best_ivs):
                        best_name, best_ivs = name, ivs
                pending.discard(best_name)
                if not best_ivs:
                    continue  # only linked to other unresolved culprits; stays unanchored
                r = robust_estimate(best_ivs, self.tolerance, self.margin)
                note = r.note if r.consistent else "constraints contradict each other; " + r.note
                est = self.base_est(best_name, is_reference=False, offset_ns=r.offset_ns, lower_ns=r.lower_ns,
                                    upper_ns=r.upper_ns, constraints=graph.counts[graph.index[best_name]],
                                    consistent=r.consistent, method=r.method, segments=r.segments, note=note)
                self.set_aside_by_domain[best_name] += r.set_aside
                pin = bool(r.segments) or (r.lower_ns is not None and r.upper_ns is not None)
                self.resolved[best_name] = _Resolved(r.offset_ns, pin, est)
                progress = True
        return root_involved if progress else None

    def intervals_for(self, name: str, pool: Iterable[PairSample]) -> list[_Interval]:
        """Per-group intervals on ``offset[name]`` against already-resolved fixed points."""
        pins = {n: r for n, r in self.resolved.items() if r.pin}
        out: list[_Interval] = []
        for s in pool:
            if s.d2 == name and s.d1 in pins:  # offset[name] - offset[d1] in [lower, upper]
                bounds = pins[s.d1].interval_at(s.t1_ns)
                if bounds is None:
                    continue
                lo = None if s.lower_ns is None or bounds[0] is None else s.lower_ns + bounds[0]
                hi = None if s.upper_ns is None or bounds[1] is None else s.upper_ns + bounds[1]
                t = s.t2_ns
            elif s.d1 == name and s.d2 in pins:  # offset[d2] - offset[name] in [lower, upper]
                bounds = pins[s.d2].interval_at(s.t2_ns)
                if bounds is None:
                    continue
                lo = None if s.upper_ns is None or bounds[0] is None else bounds[0] - s.upper_ns
                hi = None if s.lower_ns is None or bounds[1] is None else bounds[1] - s.lower_ns
                t = s.t1_ns
            else:
                continue
            if lo is not None or hi is not None:
                out.append(_Interval(lo, hi, t, (s.d1, s.d2, s.key)))
        if out:
            return out
        for (a, b), e in self.edges.items():  # no samples: each known pair as a one-sided interval
            for c in e.candidates:
                if b == name and a in pins:
                    bounds = pins[a].interval_at(c.earlier_ns)
                    if bounds is not None and bounds[1] is not None:
                        out.append(_Interval(None, c.w_ns + bounds[1], None))
                elif a == name and b in pins:
                    bounds = pins[b].interval_at(c.later_ns)
                    if bounds is not None and bounds[0] is not None:
                        out.append(_Interval(bounds[0] - c.w_ns, None, None))
        return out


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
    resolved ones, pins the resolved ones to a root node (with their bounds; a stepped clock
    with the bounds of the segment each pair falls in) and runs shortest paths: upper bound =
    dist(root -> d), lower bound = -dist(d -> root), so domains linked only through other
    domains get their bounds transitively. Cycles less negative than ``tolerance_ns`` (jitter)
    are absorbed by widening every edge by tolerance/2. A negative cycle is first cleared by
    setting aside the fewest tightest pairs, at most :func:`set_aside_budget` of each domain
    pair's; what that cannot clear is blamed on the domain whose removal clears it (all
    suspects when the data cannot tell which). Blamed domains get ``consistent=False`` and a
    robust estimate (:func:`robust_estimate`) from their pairs with resolved domains, and
    become fixed points for the next round.

    One-sided bounds (only an upper or only a lower bound is finite): the finite bound moved
    ``one_sided_margin_ns`` into the feasible side; such estimates are not fixed points.
    ``samples`` (pairs or a callable taking the set of blamed domains) feed the robust
    estimate; without them it uses the constraints.
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
    solver = _Solver(dom_list, edges, ref, samples, tolerance_ns, one_sided_margin_ns)
    solver.resolved[ref] = _Resolved(0, True, solver.base_est(
        ref, is_reference=True, offset_ns=0, lower_ns=0, upper_ns=0, constraints=0, consistent=True,
        method=METHOD_REFERENCE))

    ref_involved = False
    while True:
        progress = solver.run_round()
        if progress is None:
            break
        ref_involved |= progress

    resolved = solver.resolved
    ref_est = resolved[ref].est
    ref_est.constraints = sum(
        e.count for (a, b), e in edges.items() if (a == ref and b in resolved) or (b == ref and a in resolved)
    )
    if ref_involved:
        ref_est.note = "the reference defines the time scale; contradictions are blamed on the other domains"
    out = []
    for name in names:
        if name in resolved:
            est = resolved[name].est
            est.set_aside = solver.set_aside_by_domain.get(name, 0)
            est.set_aside_pairs = tuple(solver.set_aside_pairs.get(name, ()))
            if not est.is_reference:
                est.constraints = max(0, est.constraints - est.set_aside)
            out.append(est)
        else:
            out.append(solver.base_est(name, is_reference=False, offset_ns=0, lower_ns=None, upper_ns=None,
                                       constraints=0, consistent=True, method=METHOD_UNANCHORED,
                                       note="no causal pair links this clock to the reference"))
    return out

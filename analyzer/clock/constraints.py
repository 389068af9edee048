"""Causal pairs across clock domains, extracted set-based in DuckDB from ``record_store``.

Every pair "record X (domain a, raw x) happened before record Y (domain b, raw y)" is the
difference constraint ``offset[b] - offset[a] <= y - x`` (aligned = raw - offset). SQL
aggregates the pairs per ordered domain pair: its KEEP_TIGHTEST tightest pairs one by one (the
candidates the solver may set aside) and per pair kind a count, so Python sees a bounded number
of rows; per-group samples are fetched only for the robust path.

Pairs are read causally: an incident (a caller that gave up, retried, or passed on something
other than the tool's result) never yields the pair its ids suggest. A caller "gave up" when a
harness ``tool.timeout``/``tool.cancel`` says so, or a caller span or result has status
timeout/cancelled, or an error whose type or message speaks of a timeout, cancel or deadline.

Pair kinds (see the CTEs of ``_PAIRS_SQL``):
- ``dispatch<tool-start``: the first dispatch of a call precedes the first start of its
  ``tool_server`` span (the SERVER/CONSUMER side in the tool service) in another domain, same
  ``tool_call_id``. The dispatcher is a harness ``tool.dispatch``/``tool.retry`` or a caller-side
  ``tool_call`` span (CLIENT or in-process wrapper).
- ``tool-end<result``: the ``tool_server`` span's end precedes the harness ``tool.result`` /
  the caller span's end. Only for a single-attempt call the caller did not give up on, never
  for async (consumer) spans; an error result counts only when the tool side failed too; and
  the caller's result must be the tool's (same content when both are known, else not a
  placeholder such as "interrupted" or "timed out").
- ``response<dispatch``: a model output that requested call X (``llm_call.requested_tool_calls``
  or a harness ``model.response`` with ``tool_call_id``) ends before the first record in another
  domain that dispatches or runs X.
- ``result<consuming-request``: the result of call X exists (harness ``tool.result``, or the
  tool side's end) before the first model request in another domain whose input messages carry
  that result: never after a give-up or retry; when both contents are known they must agree
  (re-serialized or wrapped is fine); with one unknown, only for a call with one outcome (no
  error anywhere) whose tool message does not read like a placeholder.
- ``parent<child-start`` / ``child-end<parent-end``: a span's child in another domain (same
  trace) starts after it, and ends before it unless the parent ended in error/timeout/cancel,
  the call was given up / retried, or the parent (same call) returned something other than the
  child's result; neither for producer/consumer spans. Links are never used.
- ``span-start<harness`` / ``harness<span-end``: a harness line carrying ``span_id`` S was
  written inside span S (OpenTelemetry log correlation: the id is the span active when the line
  was written; a gateway receives it as ``traceparent``). The end side only for model/tool lines
  of a span that waited (not async, not error/timeout/cancelled, call not given up or retried,
  and a ``tool.result`` line carrying what the span returned, or no placeholder).

Harness dispatch/result lines are never paired by call id with ``tool_call`` spans (CLIENT or
in-process): the harness may run before such a span (an agent loop) or inside it (a gateway
proxying the agent's call, as in fixtures/multisource), so their order is unknown; ``span_id``
says which, when the harness logs it.

A span's end is used only when it is known and not before its start (a corrupt end must not
fake a contradiction); harness events are points. Each pair is loosened by the granularity of
its two timestamps (a value that is a whole number of ms may have been truncated to ms), so a
harness logging milliseconds never fakes a contradiction. Tool-call ids are trusted only when
unambiguous: an id seen in more than one trace within one non-harness domain, or in more than
one harness session, is skipped (some providers reuse short ids like "0").
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, replace

from .solver import Constraint, Domain, DomainEstimate, PairSample

SAMPLES_PER_DOMAIN_PAIR = 5000
KEEP_TIGHTEST = 1024  # pairs per ordered domain pair sent one by one: at most these can be set aside


def _granularity(column: str) -> str:
    """SQL: how coarse a timestamp may be (ns): a whole second, ms or us may have been truncated."""
    return (f"(CASE WHEN {column} % 1000000000 = 0 THEN 1000000000 WHEN {column} % 1000000 = 0 "
            f"THEN 1000000 WHEN {column} % 1000 = 0 THEN 1000 ELSE 0 END)")


# The pair relation: (pair_kind, earlier_record, earlier_domain, earlier_ns, later_record,
# later_domain, later_ns, grp). Records are carried as `rowid`s (integers join and aggregate far
# faster than the string record_id, which is looked up only for the tightest pairs). `grp` hashes
# the causal group (a call, a child span) so that the robust fallback can pair a lower with an
# upper bound from the same round trip.
_PAIRS_TEMPLATE = r"""
WITH
requested AS (  -- tool-call ids a model output asked for
    SELECT unnest(json_extract_string(requested_tool_calls, '$[*].id')) AS call_id,
           rowid AS record_id, clock_domain AS domain, source_kind, trace_id, session_own,
           CASE WHEN ts_raw_end >= ts_raw_start THEN ts_raw_end END AS end_ns
    FROM record_store
    WHERE kind = 'llm_call' AND requested_tool_calls IS NOT NULL
      AND clock_domain IS NOT NULL AND ts_raw_start IS NOT NULL
),
call_mentions AS (
    SELECT tool_call_id AS call_id, clock_domain AS domain, source_kind, trace_id, session_own
    FROM record_store WHERE tool_call_id IS NOT NULL AND clock_domain IS NOT NULL
    UNION ALL
    SELECT call_id, domain, source_kind, trace_id, session_own FROM requested
),
ambiguous AS (  -- min <> max of hashes: more than one distinct value, without DISTINCT sets
    SELECT call_id FROM (
        SELECT call_id, domain,
               min(hash(trace_id)) FILTER (WHERE source_kind <> 'harness' AND trace_id IS NOT NULL) <>
               max(hash(trace_id)) FILTER (WHERE source_kind <> 'harness' AND trace_id IS NOT NULL) AS several_traces,
               min(hash(session_own)) FILTER (WHERE source_kind = 'harness' AND session_own IS NOT NULL) AS first_session,
               max(hash(session_own)) FILTER (WHERE source_kind = 'harness' AND session_own IS NOT NULL) AS last_session
        FROM call_mentions GROUP BY call_id, domain)
    GROUP BY call_id
    HAVING bool_or(several_traces) OR min(first_session) <> max(last_session)
),
calls AS (
    SELECT * FROM (
        SELECT r.tool_call_id AS call_id, r.clock_domain AS domain, r.rowid AS record_id, r.kind,
               r.status, r.span_kind, r.ts_raw_start AS start_ns, r.result,
               CASE WHEN r.status IN ('timeout', 'cancelled') THEN true
                    WHEN r.status = 'error' THEN regexp_matches(
                        lower(concat_ws(' ', r.error_type, r.status_message, r.error_message)),
                        'timeout|timed out|cancel|deadline')
                    ELSE false END AS gave_up_status,
               CASE WHEN r.source_kind = 'harness' THEN r.ts_raw_start
                    WHEN r.ts_raw_end >= r.ts_raw_start THEN r.ts_raw_end END AS end_ns,
               CASE
                 WHEN r.source_kind = 'harness' THEN CASE r.kind
                     WHEN 'tool.dispatch' THEN 'dispatch' WHEN 'tool.retry' THEN 'dispatch'
                     WHEN 'tool.result' THEN 'result'
                     WHEN 'tool.timeout' THEN 'giveup' WHEN 'tool.cancel' THEN 'giveup'
                     WHEN 'model.response' THEN 'response' END
                 WHEN r.kind = 'tool_server' THEN 'server'
                 WHEN r.kind = 'tool_call' AND r.span_kind IN ('client', 'producer') THEN 'client'
                 WHEN r.kind = 'tool_call' THEN 'exec'
               END AS role
        FROM record_store r ANTI JOIN ambiguous a ON r.tool_call_id = a.call_id
        WHERE r.tool_call_id IS NOT NULL AND r.clock_domain IS NOT NULL
          AND r.ts_raw_start IS NOT NULL)
    WHERE role IS NOT NULL
),
per_call AS (  -- one row per (call, domain, role)
    SELECT call_id, domain, role, count(*) AS n,
           min(start_ns) AS first_start_ns, arg_min(record_id, start_ns) AS first_start_record,
           max(end_ns) AS last_end_ns, arg_max(record_id, end_ns) AS last_end_record,
           any_value(status) AS status, arg_max(result, end_ns) AS last_result,
           bool_or(coalesce(span_kind IN ('producer', 'consumer'), false)) AS is_async,
           bool_or(kind = 'tool.retry') AS has_retry,
           bool_or(gave_up_status) AS gave_up_status,
           bool_or(coalesce(status IN ('error', 'timeout', 'cancelled'), false)) AS failed
    FROM calls GROUP BY call_id, domain, role
),
call_flags AS (  -- incidents on a call: its end-side pairs would read it wrongly
    SELECT call_id,
           bool_or(role = 'giveup' OR (role IN ('result', 'client', 'exec') AND gave_up_status)) AS caller_gave_up,
           bool_or(has_retry OR (role <> 'response' AND role <> 'giveup' AND n > 1)) AS several_attempts,
           bool_or(failed) AS failed
    FROM per_call GROUP BY call_id
),
dispatch_pairs AS (
    SELECT 'dispatch<tool-start' AS pair_kind,
           c.first_start_record AS earlier_record, c.domain AS earlier_domain, c.first_start_ns AS earlier_ns,
           t.first_start_record AS later_record, t.domain AS later_domain, t.first_start_ns AS later_ns,
           hash('call', c.call_id) AS grp
    FROM per_call c JOIN per_call t ON t.call_id = c.call_id AND t.domain <> c.domain
    WHERE c.role IN ('dispatch', 'client', 'exec') AND t.role = 'server'
),
result_pairs AS (
    SELECT 'tool-end<result' AS pair_kind,
           t.last_end_record, t.domain, t.last_end_ns,
           c.last_end_record, c.domain, c.last_end_ns,
           hash('call', c.call_id)
    FROM per_call t
    JOIN per_call c ON c.call_id = t.call_id AND c.domain <> t.domain
    JOIN call_flags f ON f.call_id = t.call_id
    WHERE NOT f.caller_gave_up AND NOT f.several_attempts
      AND c.role IN ('result', 'client', 'exec') AND t.role = 'server'
      AND NOT c.is_async AND NOT t.is_async
      AND (coalesce(c.status, 'ok') NOT IN ('error', 'timeout', 'cancelled')
           OR (c.status = 'error' AND t.status = 'error'))
      AND CASE WHEN c.last_result IS NOT NULL AND t.last_result IS NOT NULL
               THEN {same_content(c.last_result, t.last_result)} ELSE NOT {placeholder(c.last_result)} END
),
responses AS (
    SELECT call_id, domain, max(end_ns) AS end_ns, arg_max(record_id, end_ns) AS record_id
    FROM (SELECT q.call_id, q.domain, q.record_id, q.end_ns
          FROM requested q ANTI JOIN ambiguous a ON q.call_id = a.call_id
          UNION ALL
          SELECT call_id, domain, record_id, end_ns FROM calls WHERE role = 'response')
    GROUP BY call_id, domain
),
first_touch AS (  -- the first record per domain that dispatches or runs the call
    SELECT call_id, domain, min(first_start_ns) AS start_ns,
           arg_min(first_start_record, first_start_ns) AS record_id
    FROM per_call WHERE role IN ('dispatch', 'client', 'exec', 'server')
    GROUP BY call_id, domain
),
response_pairs AS (
    SELECT 'response<dispatch' AS pair_kind,
           r.record_id, r.domain, r.end_ns, d.record_id, d.domain, d.start_ns,
           hash('call', r.call_id)
    FROM responses r JOIN first_touch d ON d.call_id = r.call_id AND d.domain <> r.domain
),
consumers AS (  -- per domain, the first model request whose input carries a tool message for call X
    SELECT call_id, domain, min(start_ns) AS start_ns, arg_min(record_id, start_ns) AS record_id,
           arg_min(content, start_ns) AS content
    FROM (SELECT message ->> 'tool_call_id' AS call_id, message ->> 'content' AS content,
                 record_id, domain, start_ns
          FROM (SELECT unnest(json_extract(input_messages, '$[*]')) AS message,
                       rowid AS record_id, clock_domain AS domain, ts_raw_start AS start_ns
                FROM record_store
                WHERE kind = 'llm_call' AND input_messages IS NOT NULL
                  AND clock_domain IS NOT NULL AND ts_raw_start IS NOT NULL)) q
    ANTI JOIN ambiguous a ON q.call_id = a.call_id
    WHERE call_id IS NOT NULL
    GROUP BY call_id, domain
),
delivered AS (  -- per domain, the earliest record showing call X's result exists
    SELECT p.call_id, p.domain, min(p.last_end_ns) AS end_ns, arg_min(p.last_end_record, p.last_end_ns) AS record_id,
           arg_min(p.last_result, p.last_end_ns) AS result
    FROM per_call p JOIN call_flags f USING (call_id)
    WHERE p.role = 'result' OR (p.role = 'server' AND NOT p.is_async)
    GROUP BY p.call_id, p.domain
),
consume_pairs AS (  -- only where the request carries this result: never after a give-up or retry,
    -- and, when both contents are known, only if they agree (a placeholder or a "timed out"
    -- under the same id is not the result); with one content unknown, only for a call with one
    -- outcome whose message does not read like a placeholder
    SELECT 'result<consuming-request' AS pair_kind,
           d.record_id, d.domain, d.end_ns, c.record_id, c.domain, c.start_ns,
           hash('call', d.call_id)
    FROM delivered d
    JOIN consumers c ON c.call_id = d.call_id AND c.domain <> d.domain
    JOIN call_flags f ON f.call_id = d.call_id
    WHERE NOT f.caller_gave_up AND NOT f.several_attempts
      AND CASE WHEN d.result IS NOT NULL AND c.content IS NOT NULL THEN {same_content(d.result, c.content)}
               ELSE NOT f.failed AND NOT {placeholder(c.content)} END
),
harness_span_events AS (  -- harness lines naming the span they were written in
    SELECT rowid AS record_id, clock_domain AS domain, kind, trace_id, span_id, tool_call_id, status,
           ts_raw_start AS at_ns, result
    FROM record_store
    WHERE source_kind = 'harness' AND span_id IS NOT NULL AND clock_domain IS NOT NULL
      AND ts_raw_start IS NOT NULL
),
gave_up_spans AS (
    SELECT DISTINCT span_id FROM harness_span_events
    WHERE kind IN ('tool.timeout', 'tool.cancel')
       OR (kind = 'tool.result' AND coalesce(status IN ('timeout', 'cancelled'), false))
),
bad_calls AS (  -- calls whose end-side pairs are unsafe (caller gave up, or retried)
    SELECT call_id FROM call_flags WHERE caller_gave_up OR several_attempts
),
spans AS (
    SELECT rowid AS record_id, clock_domain AS domain, kind, trace_id, span_id, parent_span_id, tool_call_id,
           coalesce(span_kind IN ('producer', 'consumer'), false) AS is_async, status, result,
           ts_raw_start AS start_ns, CASE WHEN ts_raw_end >= ts_raw_start THEN ts_raw_end END AS end_ns
    FROM record_store
    WHERE source_kind <> 'harness' AND kind <> 'log' AND span_id IS NOT NULL
      AND clock_domain IS NOT NULL AND ts_raw_start IS NOT NULL
),
child_parent AS (
    SELECT c.record_id AS child_record, c.domain AS child_domain, c.span_id AS child_span_id,
           c.tool_call_id AS child_call_id, c.start_ns AS child_start_ns, c.end_ns AS child_end_ns,
           p.record_id AS parent_record, p.domain AS parent_domain, p.span_id AS parent_span_id,
           p.tool_call_id AS parent_call_id, p.start_ns AS parent_start_ns, p.end_ns AS parent_end_ns,
           p.status AS parent_status,
           -- a caller that returned something other than its tool's result did not wait for it
           CASE WHEN c.tool_call_id <> p.tool_call_id OR p.result IS NULL THEN false
                WHEN c.result IS NOT NULL THEN NOT {same_content(c.result, p.result)}
                ELSE {placeholder(p.result)} END AS parent_returned_other
    FROM spans c JOIN spans p
      ON c.trace_id = p.trace_id AND c.parent_span_id = p.span_id AND c.domain <> p.domain
    WHERE c.parent_span_id IS NOT NULL AND NOT c.is_async AND NOT p.is_async
),
nesting_pairs AS (
    SELECT 'parent<child-start' AS pair_kind,
           parent_record AS earlier_record, parent_domain AS earlier_domain, parent_start_ns AS earlier_ns,
           child_record AS later_record, child_domain AS later_domain, child_start_ns AS later_ns,
           hash('span', child_record) AS grp
    FROM child_parent
    UNION ALL
    SELECT 'child-end<parent-end',
           child_record, child_domain, child_end_ns,
           parent_record, parent_domain, parent_end_ns, hash('span', child_record)
    FROM child_parent cp
    ANTI JOIN bad_calls b1 ON cp.parent_call_id = b1.call_id
    ANTI JOIN bad_calls b2 ON cp.child_call_id = b2.call_id
    WHERE coalesce(parent_status, 'ok') NOT IN ('error', 'timeout', 'cancelled')
      AND NOT parent_returned_other
      AND parent_span_id NOT IN (SELECT span_id FROM gave_up_spans)
      AND child_span_id NOT IN (SELECT span_id FROM gave_up_spans)
),
harness_span_links AS (
    SELECT h.record_id, h.domain, h.kind, h.at_ns, h.span_id, h.tool_call_id,
           s.record_id AS span_record, s.domain AS span_domain, s.start_ns, s.end_ns,
           s.status AS span_status, s.is_async AS span_is_async, h.result, s.result AS span_result
    FROM harness_span_events h
    JOIN spans s ON s.span_id = h.span_id AND s.domain <> h.domain
                AND (h.trace_id IS NULL OR s.trace_id IS NULL OR s.trace_id = h.trace_id)
),
harness_span_pairs AS (
    SELECT 'span-start<harness' AS pair_kind,
           span_record AS earlier_record, span_domain AS earlier_domain, start_ns AS earlier_ns,
           record_id AS later_record, domain AS later_domain, at_ns AS later_ns,
           hash('span', span_record) AS grp
    FROM harness_span_links
    UNION ALL
    SELECT 'harness<span-end', record_id, domain, at_ns, span_record, span_domain, end_ns,
           hash('span', span_record)
    FROM harness_span_links l ANTI JOIN bad_calls b ON l.tool_call_id = b.call_id
    WHERE (kind LIKE 'model.%' OR kind LIKE 'tool.%')
      AND NOT span_is_async
      AND coalesce(span_status, 'ok') NOT IN ('error', 'timeout', 'cancelled')
      AND span_id NOT IN (SELECT span_id FROM gave_up_spans)
      AND CASE WHEN kind <> 'tool.result' THEN true
               WHEN result IS NOT NULL AND span_result IS NOT NULL THEN {same_content(result, span_result)}
               ELSE NOT {placeholder(result)} END
),
call_pairs AS (  -- pairs found through tool-call ids; no two share an ordered record pair
    SELECT * FROM dispatch_pairs
    UNION ALL SELECT * FROM result_pairs
    UNION ALL SELECT * FROM response_pairs
    UNION ALL SELECT * FROM consume_pairs
),
span_pairs AS (  -- pairs found through span ids, minus those the call ids already gave
    SELECT s.* FROM (SELECT * FROM nesting_pairs UNION ALL SELECT * FROM harness_span_pairs) s
    ANTI JOIN call_pairs c ON s.earlier_record = c.earlier_record AND s.later_record = c.later_record
),
pairs AS MATERIALIZED (  -- w_ns: the bound on offset[later_domain] - offset[earlier_domain]
    SELECT *, later_ns::HUGEINT - earlier_ns + {granularity(earlier_ns)} + {granularity(later_ns)} AS w_ns
    FROM (SELECT * FROM call_pairs UNION ALL SELECT * FROM span_pairs)
    WHERE earlier_domain <> later_domain AND earlier_ns IS NOT NULL AND later_ns IS NOT NULL
)
"""
def _same_content(left: str, right: str) -> str:
    """SQL: two texts carry the same tool result (re-serialized, re-quoted or wrapped is fine)."""
    a, b = (f"regexp_replace(lower({col}), '[^a-z0-9]+', '', 'g')" for col in (left, right))
    return (f"({a} = {b} OR (length({a}) >= 8 AND contains({b}, {a}))"
            f" OR (length({b}) >= 8 AND contains({a}, {b})))")


def _placeholder(column: str) -> str:
    """SQL: a tool message or result that reads like a stand-in, not a tool's output (false if NULL)."""
    return (f"coalesce(regexp_matches(lower({column}), 'interrupt|timed ?out|time ?out|cancel|abort|placeholder"
            f"|dropped|no (result|response|output)|not (available|returned|received)'), false)")


def _expand(template: str) -> str:
    """Fill the template's ``{granularity(col)}``, ``{same_content(a, b)}`` and ``{placeholder(col)}`` macros."""
    template = re.sub(r"\{granularity\((\w+)\)\}", lambda m: _granularity(m.group(1)), template)
    template = re.sub(r"\{placeholder\(([\w.]+)\)\}", lambda m: _placeholder(m.group(1)), template)
    return re.sub(r"\{same_content\(([\w.]+), ([\w.]+)\)\}", lambda m: _same_content(m.group(1), m.group(2)),
                  template)


_PAIRS_SQL = _expand(_PAIRS_TEMPLATE)
# The robust path reads the pairs again, once, into a temp table it samples from.
_PAIRS_TABLE_SQL = "CREATE OR REPLACE TEMP TABLE clock_pairs AS " + _PAIRS_SQL + "SELECT * FROM pairs"
DROP_PAIRS_SQL = "DROP TABLE IF EXISTS clock_pairs"

# Per ordered domain pair its KEEP_TIGHTEST tightest pairs one by one (the candidates for being
# set aside), and per pair kind its tightest pair and count. Top-N aggregates, no sort of all pairs.
_AGGREGATE_SQL = _PAIRS_SQL + """,
per_kind AS MATERIALIZED (
    SELECT earlier_domain, later_domain, pair_kind, count(*) AS n_kind,
           arg_min({'w': w_ns, 'e': earlier_record, 'l': later_record, 'te': earlier_ns, 'tl': later_ns}, w_ns)
               AS tightest
    FROM pairs GROUP BY earlier_domain, later_domain, pair_kind
),
per_edge AS (
    SELECT earlier_domain, later_domain, unnest(tightest) AS p
    FROM (SELECT earlier_domain, later_domain,
                 arg_min({'kind': pair_kind, 'w': w_ns, 'e': earlier_record, 'l': later_record,
                          'te': earlier_ns, 'tl': later_ns}, w_ns, $keep) AS tightest
          FROM pairs GROUP BY earlier_domain, later_domain)
)
SELECT earlier_domain, later_domain, pair_kind, n_kind, NULL AS w_ns, NULL AS e, NULL AS l, NULL AS te, NULL AS tl
FROM per_kind
UNION ALL
SELECT earlier_domain, later_domain, pair_kind, NULL, tightest.w, tightest.e, tightest.l, tightest.te, tightest.tl
FROM per_kind
UNION ALL
SELECT earlier_domain, later_domain, p.kind, NULL, p.w, p.e, p.l, p.te, p.tl FROM per_edge
"""

# Per causal group and unordered domain pair (d1 < d2): bounds on offset[d2] - offset[d1],
# thinned evenly over d1's time to at most `limit` groups per domain pair.
_SAMPLES_SQL = """
WITH pairs AS (SELECT * FROM clock_pairs),
groups AS (
    SELECT least(earlier_domain, later_domain) AS d1, greatest(earlier_domain, later_domain) AS d2, grp,
           max(CASE WHEN earlier_domain > later_domain THEN -w_ns END) AS lower_ns,
           min(CASE WHEN earlier_domain < later_domain THEN w_ns END) AS upper_ns,
           min(CASE WHEN earlier_domain < later_domain THEN earlier_ns ELSE later_ns END) AS d1_ns,
           min(CASE WHEN earlier_domain < later_domain THEN later_ns ELSE earlier_ns END) AS d2_ns
    FROM pairs
    WHERE list_contains($domains, earlier_domain) OR list_contains($domains, later_domain)
    GROUP BY ALL
)
SELECT d1, d2, lower_ns, upper_ns, d1_ns, d2_ns, grp FROM (
    SELECT *, row_number() OVER (PARTITION BY d1, d2 ORDER BY d1_ns, grp) AS nth,
           count(*) OVER (PARTITION BY d1, d2) AS total
    FROM groups)
WHERE nth % ((total + $limit - 1) // $limit) = 0
"""

_DOMAINS_SQL = """
SELECT clock_domain AS domain,
       count(*) AS records,
       count(*) FILTER (WHERE source_kind = 'harness') AS harness_records,
       count(*) FILTER (WHERE source_kind = 'otlp') AS otlp_records,
       list(DISTINCT source_kind) FILTER (WHERE source_kind IS NOT NULL) AS source_kinds
FROM record_store
WHERE clock_domain IS NOT NULL
GROUP BY clock_domain
ORDER BY clock_domain
"""


@dataclass
class Extraction:
    """What the solver needs from the store: domains, aggregated constraints, a sample source."""

    con: object
    domains: list[Domain]
    constraints: list[Constraint]
    samples_per_pair: int = SAMPLES_PER_DOMAIN_PAIR
    pairs_table: bool = False  # the temp table clock_pairs exists

    def samples(self, domains: set[str]) -> list[PairSample]:
        """Per-group bounds for every domain pair touching ``domains`` (robust fallback input)."""
        if not domains:
            return []
        if not self.pairs_table:
            self.con.execute(_PAIRS_TABLE_SQL)  # dropped by align (DROP_PAIRS_SQL)
            self.pairs_table = True
        rows = self.con.execute(
            _SAMPLES_SQL, {"domains": sorted(domains), "limit": self.samples_per_pair}
        ).fetchall()
        return [
            PairSample(d1, d2, None if lower is None else int(lower), None if upper is None else int(upper),
                       t1, t2, grp)
            for d1, d2, lower, upper, t1, t2, grp in rows
        ]


def extract(con) -> Extraction:
    """Read the clock domains and the cross-domain constraints from ``record_store``.

    Records are carried as ``rowid``s (:func:`with_record_ids` turns the few that are reported
    into record ids).
    """
    domains = [
        Domain(name, int(records), frozenset(kinds or ()), int(harness), int(otlp))
        for name, records, harness, otlp, kinds in con.execute(_DOMAINS_SQL).fetchall()
    ]
    ex = Extraction(con, domains, [])
    if len(domains) < 2:
        return ex
    counts: dict[tuple[str, str, str], int] = {}
    pairs: dict[tuple[str, str, str], dict[tuple, tuple]] = defaultdict(dict)
    for a, b, kind, n_kind, w, earlier, later, earlier_ns, later_ns in con.execute(
            _AGGREGATE_SQL, {"keep": KEEP_TIGHTEST}).fetchall():
        if n_kind is not None:
            counts[(a, b, kind)] = int(n_kind)
        else:  # the tightest of a kind may also be among the edge's tightest: one entry per pair
            pairs[(a, b, kind)][(int(w), earlier, later)] = (earlier_ns, later_ns)
    loosest_kept: dict[tuple[str, str], int] = {}
    for (a, b, kind), known in pairs.items():
        for w, _, _ in known:
            loosest_kept[(a, b)] = max(loosest_kept.get((a, b), w), w)
    for key in sorted(pairs):
        a, b, kind = key
        for (w, earlier, later), (earlier_ns, later_ns) in sorted(pairs[key].items(), key=lambda item: item[0][0]):
            ex.constraints.append(Constraint(a, b, w, kind, earlier_ns=earlier_ns, later_ns=later_ns,
                                             earlier_row=earlier, later_row=later))
        rest = counts[key] - len(pairs[key])
        if rest > 0:  # the pairs not sent one by one: none is tighter than the edge's loosest sent
            ex.constraints.append(Constraint(a, b, loosest_kept[(a, b)], kind, count=rest))
    return ex


def with_record_ids(con, estimates: list[DomainEstimate]) -> list[DomainEstimate]:
    """Fill ``earlier_record``/``later_record`` of the constraints the estimates report."""
    reported = [c for e in estimates for c in (*e.upper_via, *e.lower_via, *e.set_aside_pairs)]
    rows = sorted({r for c in reported for r in (c.earlier_row, c.later_row) if r is not None})
    if not rows:
        return estimates
    ids: dict[int, str] = {}
    for start in range(0, len(rows), 1000):
        chunk = ", ".join(str(int(r)) for r in rows[start:start + 1000])
        ids.update(con.execute(f"SELECT rowid, record_id FROM record_store WHERE rowid IN ({chunk})").fetchall())

    def named(c: Constraint) -> Constraint:
        return replace(c, earlier_record=ids.get(c.earlier_row, c.earlier_record),
                       later_record=ids.get(c.later_row, c.later_record))

    for e in estimates:
        e.upper_via = tuple(map(named, e.upper_via))
        e.lower_via = tuple(map(named, e.lower_via))
        e.set_aside_pairs = tuple(map(named, e.set_aside_pairs))
    return estimates

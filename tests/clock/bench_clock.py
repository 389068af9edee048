"""Benchmark: `align` over a synthetic ~1M-record store generated in DuckDB.

Run: .venv/bin/python tests/clock/bench_clock.py [CALLS] [--incidents]   (default 100000 calls ~ 1M records)
Per tool call: harness model.request/model.response/tool.dispatch/tool.result (the tool lines
written inside the agent's client span, naming it), an agent `agent_run` and `llm_call` (with
requested_tool_calls), the agent's client `tool_call`, a `tool_server` on one of 8 tool hosts,
a framework child span and a log line; every 97th call times out, every 89th is retried.
``--incidents``: tools-3's clock also steps +300 ms half-way, and every 211th tool span carries
the id of the call 50 later (0.5% mislabelled): the robust path (set aside, piecewise) is timed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from analyzer.clock import align  # noqa: E402
from clock_scenarios import BASE_NS, create_record_store  # noqa: E402

COLS = ("record_id, source_kind, layer, kind, clock_domain, trace_id, span_id, parent_span_id, span_kind, "
        "tool_call_id, status, session_own, requested_tool_calls, ts_raw_start, ts_raw_end")


def generate(con, calls: int, incidents: bool = False) -> None:
    create_record_store(con)
    # True offsets: gw 0, agent -420 ms, tools-<k> +1.9 s + k*10 ms (8 tool hosts), fw +7.3 s.
    con.execute(f"""
    CREATE TEMP TABLE c AS
    SELECT i, {BASE_NS} + i * 20000000 + hash(i) % 1000000 AS t0,
           printf('%032x', i) AS tr, printf('call_%09d', i) AS cid, 's' || (i // 20) AS sess,
           1900000000 + (i % 8) * 10000000
               + CASE WHEN {incidents} AND i % 8 = 3 AND i >= {calls} // 2 THEN 300000000 ELSE 0 END AS tool_off,
           'tools-' || (i % 8) AS tool_dom,
           CASE WHEN {incidents} AND i % 211 = 0 THEN printf('call_%09d', i + 50) ELSE printf('call_%09d', i) END
               AS server_cid,
           i % 97 = 0 AS timed_out, i % 89 = 0 AS retried,
           (hash(i * 7) % 700000) + 300000 AS l1, (hash(i * 11) % 900000) + 200000 AS l2,
           (hash(i * 13) % 1500000) + 100000 AS l3, 50000000 + hash(i * 17) % 250000000 AS dur
    FROM range({calls}) t(i)
    """)
    con.execute(f"""
    INSERT INTO record_store ({COLS})
    SELECT 'mq' || i, 'harness', 'harness', 'model.request', 'gw', tr, NULL, NULL, NULL, NULL, NULL, sess, NULL, t0, t0 FROM c
    UNION ALL SELECT 'ar' || i, 'otlp', 'agent', 'agent_run', 'agent', tr, 'ar' || i, NULL, 'internal', NULL, 'ok', NULL, NULL,
        t0 - 2000000 - 420000000, t0 + 800000000 + dur + 20000000 - 420000000 FROM c
    UNION ALL SELECT 'llm' || i, 'otlp', 'model', 'llm_call', 'agent', tr, 'llm' || i, 'ar' || i, 'client', NULL, 'ok', NULL,
        '[{{"id": "' || cid || '", "name": "lookup", "arguments": "{{}}"}}]', t0 + l1 - 420000000, t0 + 700000000 - 420000000 FROM c
    UNION ALL SELECT 'fw' || i, 'framework', 'agent', 'span', 'fw.jsonl', tr, 'fw' || i, 'ar' || i, NULL, NULL, 'ok', NULL, NULL,
        t0 + 1000000 + 7300000000, t0 + 750000000 + 7300000000 FROM c
    UNION ALL SELECT 'mr' || i, 'harness', 'harness', 'model.response', 'gw', tr, NULL, NULL, NULL, cid, NULL, sess, NULL,
        t0 + 700000000 + l2, t0 + 700000000 + l2 FROM c
    UNION ALL SELECT 'td' || i, 'harness', 'harness', 'tool.dispatch', 'gw', tr, 'tc' || i, NULL, NULL, cid, NULL, sess, NULL,
        t0 + 800000000, t0 + 800000000 FROM c
    UNION ALL SELECT 'tc' || i, 'otlp', 'tool', 'tool_call', 'agent', tr, 'tc' || i, 'ar' || i, 'client', cid,
        CASE WHEN timed_out THEN 'unset' ELSE 'ok' END, NULL, NULL,
        t0 + 800000000 - l1 - 420000000,
        CASE WHEN timed_out THEN t0 + 830000000 + l2 ELSE t0 + 800000000 + l1 + l3 + dur + 2 * l2 + 1000 + l2 END - 420000000
        FROM c
    UNION ALL SELECT 'ts' || i, 'otlp', 'tool', 'tool_server', tool_dom, tr, 'ts' || i, 'tc' || i, 'server', server_cid, 'ok', NULL, NULL,
        t0 + 800000000 + l1 + l3 + tool_off, t0 + 800000000 + l1 + l3 + dur + tool_off FROM c
    UNION ALL SELECT 'tr' || i, 'harness', 'harness', 'tool.retry', 'gw', tr, 'tc' || i, NULL, NULL, cid, NULL, sess, NULL,
        t0 + 800000000 + l1 + l3 + dur, t0 + 800000000 + l1 + l3 + dur FROM c WHERE retried
    UNION ALL SELECT 'tt' || i, 'harness', 'harness', 'tool.timeout', 'gw', tr, 'tc' || i, NULL, NULL, cid, NULL, sess, NULL,
        t0 + 830000000, t0 + 830000000 FROM c WHERE timed_out
    UNION ALL SELECT 'rs' || i, 'harness', 'harness', 'tool.result', 'gw', tr, 'tc' || i, NULL, NULL, cid, 'ok', sess, NULL,
        t0 + 800000000 + l1 + l3 + dur + 2 * l2 + 1000, t0 + 800000000 + l1 + l3 + dur + 2 * l2 + 1000 FROM c
    UNION ALL SELECT 'lg' || i, 'otlp', 'other', 'log', 'agent', tr, 'tc' || i, NULL, NULL, NULL, NULL, NULL, NULL,
        t0 + 800000000, t0 + 800000000 FROM c
    """)
    con.execute("DROP TABLE c")


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    calls = int(args[0]) if args else 100_000
    con = duckdb.connect()
    started = time.perf_counter()
    generate(con, calls, incidents="--incidents" in sys.argv)
    records = con.execute("SELECT count(*) FROM record_store").fetchone()[0]
    print(f"generated {records:,} records in {time.perf_counter() - started:.2f} s", file=sys.stderr)
    for run in range(2):
        started = time.perf_counter()
        estimates = align(con)
        print(f"align run {run + 1}: {time.perf_counter() - started:.2f} s", file=sys.stderr)
    for e in estimates:
        print(e.to_json())


if __name__ == "__main__":
    main()

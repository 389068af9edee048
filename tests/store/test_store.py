"""The store: bulk loads, dedupe by content, persistence, schema version, locks, sessions."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import pytest

from analyzer.errors import StoreError
from analyzer.store.db import Store
from tests.conftest import FIXTURES, ingest_paths

ENCODINGS = FIXTURES / "otlp-encodings"


@pytest.mark.parametrize("damaged", [False, True])
def test_a_large_file_hashed_while_read_keeps_its_ids_and_is_still_known(tmp_path, monkeypatch, damaged):
    """A large file is hashed on a thread while it is read: its records wait for the hash (the
    same ids as hashing first), and a file the store holds already is skipped with nothing else
    reported, its own read problems included."""
    from analyzer.ingest import parallel, source

    data = (ENCODINGS / "traces.pb").read_bytes() * 3
    if damaged:
        data += b"\x00\x00\x10\x00" + b"\x0a" * 20  # a cut last message: a problem when read
    (tmp_path / "big.pb").write_bytes(data)
    db = tmp_path / "s.duckdb"
    store, first = ingest_paths(tmp_path / "big.pb", db=db)  # as small files are: hashed first
    ids = store.con.execute("SELECT record_id FROM record_store ORDER BY seq").fetchall()
    store.close()
    (tmp_path / "again").mkdir()
    shutil.copy(tmp_path / "big.pb", tmp_path / "again" / "big.pb")
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 1)  # now "large": hashed while read
    monkeypatch.setattr(source, "SMALL_FILE_BYTES", 1000)
    hashed_later = []
    describe = source.describe
    monkeypatch.setattr("analyzer.ingest.runner.describe",
                        lambda *a, **k: hashed_later.append(k.get("hash_later")) or describe(*a, **k))
    store, second = ingest_paths(tmp_path / "again" / "big.pb", db=db)
    assert len(ids) == first.records > 20 and len(first.errors) == damaged
    assert second.records == 0 and not second.errors
    assert [p.reason for p in second.skipped] == [f"same content as {tmp_path / 'big.pb'}, already in the store"]
    assert store.count("record_store") == len(ids)
    store.close()
    fresh, third = ingest_paths(tmp_path / "again" / "big.pb", db=tmp_path / "t.duckdb")
    assert fresh.con.execute("SELECT record_id FROM record_store ORDER BY seq").fetchall() == ids
    assert third.records == len(ids) and len(third.errors) == damaged
    assert hashed_later == [True, True]


def test_reingesting_a_file_adds_nothing(tmp_path):
    db = tmp_path / "s.duckdb"
    store, first = ingest_paths(ENCODINGS / "traces.json", db=db)
    count = store.count("record_store")
    store.close()
    store, second = ingest_paths(ENCODINGS / "traces.json", db=db)
    assert count == 8 and store.count("record_store") == count
    assert second.records == 0 and "already in the store" in second.skipped[0].reason
    # the same content under another name is the same file
    copy = tmp_path / "copy.json"
    shutil.copy(ENCODINGS / "traces.json", copy)
    store.close()
    store, third = ingest_paths(copy, db=db)
    assert store.count("record_store") == count and third.skipped


def test_every_record_has_provenance_and_raw_times():
    store, _ = ingest_paths(ENCODINGS)
    missing = store.count("records WHERE source_file IS NULL OR source_pos IS NULL OR ts_raw_start IS NULL")
    assert missing == 0
    assert store.count("records WHERE record_id IS NULL") == 0
    assert store.con.execute("SELECT count(DISTINCT record_id) = count(*) FROM records").fetchone()[0]


def test_schema_version_mismatch_is_a_clear_error(tmp_path):
    db = tmp_path / "old.duckdb"
    Store(db).close()
    import duckdb

    con = duckdb.connect(str(db))
    con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(StoreError, match="schema version 999"):
        Store(db)


def test_locked_store_names_the_problem(tmp_path):
    db = tmp_path / "locked.duckdb"
    Store(db).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(db)!r})
            print("ready", flush=True)
            sys.stdin.read()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreError, match="locked by another process"):
            Store(db)
    finally:
        holder.communicate("", timeout=30)


def _span(span_id, trace_id, **attrs):
    return {
        "traceId": trace_id, "spanId": span_id, "name": "s", "kind": 1,
        "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000001000000000",
        "attributes": [{"key": k, "value": {"stringValue": v}} for k, v in attrs.items()],
    }


def test_session_identity_preference_and_inheritance(tmp_path):
    t1, t2, t3, t4 = (f"{i:032x}" for i in (1, 2, 3, 4))
    spans = [
        _span("a" * 16, t1, **{"gen_ai.conversation.id": "conv-1", "session.id": "sess-1"}),
        _span("b" * 16, t1, **{"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "x",
                               "gen_ai.tool.call.id": "call-1"}),
        _span("c" * 16, t2, **{"session.id": "sess-2"}),
        _span("d" * 16, t3, **{"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "x",
                               "gen_ai.tool.call.id": "call-1"}),
        _span("e" * 16, t3),
        _span("f" * 16, t4),
    ]
    doc = {"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"spans": spans}]}]}
    (tmp_path / "t.json").write_text(json.dumps(doc))
    store, _ = ingest_paths(tmp_path / "t.json")
    sessions = dict(store.con.execute("SELECT span_id, session_id FROM records").fetchall())
    assert sessions["a" * 16] == "conv-1"  # conversation id beats session.id
    assert sessions["b" * 16] == "conv-1"  # shared trace id
    assert sessions["c" * 16] == "sess-2"
    assert sessions["d" * 16] == "conv-1"  # shared tool-call id
    assert sessions["e" * 16] == "conv-1"  # trace of a record that inherited through a call id
    assert sessions["f" * 16] == t4  # nothing known: the trace id


def test_views_exist_on_an_empty_store():
    store = Store()
    store.finalize()
    for view in ("records", "llm_calls", "tool_calls", "harness_events", "sessions", "steps", "clock_domains"):
        assert store.count(view) == 0


def test_demo_views_link_caller_and_tool_side():
    store, _ = ingest_paths(FIXTURES / "demo")
    sides = store.con.execute(
        "SELECT call_key, list(DISTINCT side ORDER BY side) FROM tool_calls GROUP BY call_key"
    ).fetchall()
    both = [key for key, s in sides if s == ["caller", "tool"]]
    assert len(both) >= 4
    assert store.count("sessions") == 4
    assert store.count("llm_calls") >= 4


def test_an_in_memory_store_is_not_checkpointed_while_it_loads(tmp_path):
    """DuckDB's automatic checkpoint compresses an in-memory database's new row groups every
    16 MB of log (a third of a 1M-span ingest); a store file keeps it (it bounds the log and
    the memory)."""
    threshold = "SELECT current_setting('checkpoint_threshold')"
    in_memory, on_disk = Store(), Store(tmp_path / "s.duckdb")
    assert in_memory.con.execute(threshold).fetchone() != on_disk.con.execute(threshold).fetchone()
    assert in_memory.con.execute(threshold).fetchone()[0] == "931.3 GiB"  # 1 TB: never


def test_duckdb_inserts_on_one_thread_and_finalize_has_them_all(monkeypatch):
    """While an ingest inserts, DuckDB's own threads would only compete with the reading for
    the cores; its finishing queries run with every thread again, and so does what follows."""
    from analyzer.ingest import runner

    threads = "SELECT current_setting('threads')"
    store = Store()
    before = store.con.execute(threads).fetchall()[0][0]
    seen: dict[str, list[int]] = {"load": [], "finalize": []}
    load, finalize = Store.load, Store.finalize

    def counted_load(self, table):
        seen["load"].append(self.con.execute(threads).fetchall()[0][0])
        load(self, table)

    def counted_finalize(self):
        seen["finalize"].append(self.con.execute(threads).fetchall()[0][0])
        finalize(self)

    monkeypatch.setattr(Store, "load", counted_load)
    monkeypatch.setattr(Store, "finalize", counted_finalize)
    runner.ingest([FIXTURES / "demo"], store)
    assert seen["load"] and set(seen["load"]) == {1}
    assert seen["finalize"] == [before] and store.con.execute(threads).fetchall()[0][0] == before


def test_a_store_file_takes_an_ingest_in_transactions_of_commit_rows(monkeypatch, tmp_path):
    """Into a file, inserts are committed once COMMIT_ROWS rows wait, the last with finalize:
    the file then holds what an in-memory ingest of the same inputs holds, and the store is
    out of its transaction (a later statement runs in a transaction of its own)."""
    from analyzer.ingest import runner
    from analyzer.store import db

    monkeypatch.setattr(runner, "LOAD_ROWS", 1)
    monkeypatch.setattr(runner, "BATCH_ROWS", 4)
    monkeypatch.setattr(db, "COMMIT_ROWS", 6)
    waiting: list[int] = []
    load = Store.load

    def watched_load(self, table):
        load(self, table)
        waiting.append(self._uncommitted)

    monkeypatch.setattr(Store, "load", watched_load)
    path = tmp_path / "s.duckdb"
    store = Store(path)
    runner.ingest([FIXTURES / "demo"], store)
    assert len(waiting) > 2 and 0 in waiting[:-1] and all(w is not None and w < 6 for w in waiting)
    assert store._uncommitted is None
    store.close()
    memory = Store()
    monkeypatch.setattr(Store, "load", load)
    runner.ingest([FIXTURES / "demo"], memory)
    reopened = Store(path)
    for query in ("SELECT * FROM records ORDER BY ALL", "SELECT * FROM sessions ORDER BY ALL",
                  "SELECT * EXCLUDE (ingested_at) FROM files ORDER BY ALL"):
        got = reopened.con.execute(query).fetchall()
        assert got and got == memory.con.execute(query).fetchall()

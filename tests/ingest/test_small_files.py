"""Many small files in one run: their rows reach the store in shared batches, each file keeps
its own records, entry and problems, and duplicates within the run are still caught."""

from __future__ import annotations

import gzip
import json

from analyzer.ingest.runner import ingest
from analyzer.store.db import Store


def _harness_file(path, session, malformed=False):
    lines = [json.dumps({"ts": 1795770000 + i, "event": event, "session_id": session})
             for i, event in enumerate(("session.open", "step.start", "step.end", "session.close"))]
    if malformed:
        lines.insert(2, '{"ts": 1795770001, "event": ')
    path.write_text("\n".join(lines) + "\n")


def test_small_files_share_store_batches_and_keep_their_own_records(tmp_path, monkeypatch):
    for index in range(40):
        _harness_file(tmp_path / f"h{index:02d}.jsonl", f"s{index}", malformed=index == 7)
    (tmp_path / "h99.jsonl.gz").write_bytes(gzip.compress((tmp_path / "h00.jsonl").read_bytes().replace(b"s0", b"sz")))
    (tmp_path / "same.jsonl").write_bytes((tmp_path / "h03.jsonl").read_bytes())
    store = Store()
    loads = []
    original = store.load
    monkeypatch.setattr(store, "load", lambda table: (loads.append(table.num_rows), original(table)))
    summary = ingest([tmp_path], store)
    assert summary.records == 41 * 4 and sum(loads) == 41 * 4
    assert len(loads) < 5  # one batch for all of them, not one store round trip per file
    per_file = dict(store.con.execute(
        "SELECT source_file, count(*) FROM records GROUP BY source_file").fetchall())
    assert len(per_file) == 41 and set(per_file.values()) == {4}
    seqs = store.con.execute(
        "SELECT list(seq ORDER BY seq) FROM record_store GROUP BY file_id").fetchall()
    assert all(row[0] == [0, 1, 2, 3] for row in seqs)
    assert store.count("files") == 41
    assert store.con.execute("SELECT sum(records) FROM files").fetchone()[0] == 41 * 4
    assert [(p.path.rsplit("/", 1)[-1], p.position) for p in summary.errors] == [("h07.jsonl", "line 3")]
    assert [p.path.rsplit("/", 1)[-1] for p in summary.skipped] == ["same.jsonl"]
    assert "h03.jsonl" in summary.skipped[0].reason
    assert store.count("records WHERE session_id = 'sz'") == 4


def test_a_later_run_skips_files_of_an_earlier_one(tmp_path):
    _harness_file(tmp_path / "a.jsonl", "a")
    db = tmp_path / "s.duckdb"
    store = Store(db)
    ingest([tmp_path / "a.jsonl"], store)
    store.close()
    (tmp_path / "b.jsonl").write_bytes((tmp_path / "a.jsonl").read_bytes())
    store = Store(db)
    summary = ingest([tmp_path / "b.jsonl"], store)
    assert summary.records == 0 and "a.jsonl" in summary.skipped[0].reason
    assert store.count("record_store") == 4


def test_an_interrupted_run_keeps_the_files_read_before(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    for index in range(3):
        _harness_file(logs / f"h{index}.jsonl", f"s{index}")
    db = tmp_path / "s.duckdb"
    store = Store(db)

    def interrupt_after_two(display, done_bytes, done_records):
        if done_records == 8:
            raise KeyboardInterrupt

    try:
        ingest([logs], store, progress=interrupt_after_two)
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("the run was not interrupted")
    store.close()
    store = Store(db)
    assert store.count("record_store") == 8 and store.count("files") == 2
    summary = ingest([logs], store)  # the rest is read on the next run
    assert summary.records == 4 and len(summary.skipped) == 2

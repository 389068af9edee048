"""Finalize writes each record's resolved session, step and aligned times into record_store once:
the `records` view is a projection with the same columns and values as the joins it replaces,
a re-finalize (new files into an existing --db) redoes the write, and a schema 1 store (no
resolved columns) reads the same through the joined view."""

from __future__ import annotations

import pytest

from analyzer.store import db as store_db
from analyzer.store.db import RESOLVED_COLUMNS, Store, _sql
from analyzer.store.schema import SCHEMA_VERSION
from tests.conftest import FIXTURES, ingest_paths

# The joins the projection replaces, over a record_store that also holds their results.
JOINED = (_sql("records_joined.sql").replace("VIEW records AS", "VIEW records_joined AS")
          .replace("EXCLUDE (session_own, session_rank, step)",
                   "EXCLUDE (session_own, session_rank, step, session_id, resolved_step, ts_start, ts_end)"))


def rows(store: Store, relation: str) -> list[tuple]:
    return store.con.execute(f"SELECT * FROM {relation} ORDER BY record_id").fetchall()


def columns(store: Store, relation: str) -> list[tuple]:
    return store.con.execute(f"DESCRIBE {relation}").fetchall()


# both ways of writing the resolved columns: in place (small stores) and by rebuilding the table
WAYS = pytest.mark.parametrize("update_max_rows", [store_db.UPDATE_MAX_ROWS, 0], ids=["update", "rebuild"])


@WAYS
def test_records_is_a_projection_with_the_joined_values(tmp_path, monkeypatch, update_max_rows):
    monkeypatch.setattr(store_db, "UPDATE_MAX_ROWS", update_max_rows)
    store, _ = ingest_paths(FIXTURES / "multisource", db=tmp_path / "s.duckdb")
    store.con.execute(JOINED)
    assert columns(store, "records") == columns(store, "records_joined")
    assert rows(store, "records") == rows(store, "records_joined")
    assert store.count("records") > 100
    plan = "\n".join(row[1] for row in store.con.execute("EXPLAIN SELECT * FROM records").fetchall())
    assert "JOIN" not in plan.upper()
    # the rebuild's setting for writing row groups to the file is DuckDB's own again afterwards
    setting = "SELECT current_setting('write_buffer_row_group_count')"
    assert store.con.execute(setting).fetchone() == Store().con.execute(setting).fetchone()
    # a store opened again with --db (check, trace, tui) sees the same values
    expected = rows(store, "records")
    store.close()
    again = Store(tmp_path / "s.duckdb")
    assert rows(again, "records") == expected
    again.close()


@WAYS
def test_a_new_ingest_into_an_existing_store_redoes_the_write(tmp_path, monkeypatch, update_max_rows):
    monkeypatch.setattr(store_db, "UPDATE_MAX_ROWS", update_max_rows)
    db = tmp_path / "s.duckdb"
    store, _ = ingest_paths(FIXTURES / "demo", db=db)
    before = store.count("records")
    store.close()
    store, _ = ingest_paths(FIXTURES / "openai_agents", db=db)
    assert store.count("records") > before
    assert store.count("records WHERE session_id IS NULL OR (ts_raw_start IS NOT NULL AND ts_start IS NULL)") == 0
    store.con.execute(JOINED)
    assert rows(store, "records") == rows(store, "records_joined")
    store.close()


def test_a_schema_1_store_reads_the_same_and_is_upgraded_by_its_next_finalize(tmp_path):
    db = tmp_path / "s.duckdb"
    store, _ = ingest_paths(FIXTURES / "demo", db=db)
    expected = rows(store, "records")
    names = ", ".join(name for name, _ in RESOLVED_COLUMNS)
    store.con.execute(f"CREATE OR REPLACE TABLE record_store AS SELECT * EXCLUDE ({names}) FROM record_store")
    store.con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    store.close()
    old = Store(db)
    assert rows(old, "records") == expected
    old.finalize()
    assert rows(old, "records") == expected
    assert old.con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    old.close()


@WAYS
def test_a_store_file_keeps_the_large_texts_zstd_compressed_and_the_json_columns_json(tmp_path, monkeypatch,
                                                                                     update_max_rows):
    """Column compression is part of record_store's definition, so a rebuilt table keeps it; the
    JSON columns, loaded as Arrow's JSON extension, stay typed JSON and readable as JSON."""
    from analyzer.store.schema import ZSTD_COLUMNS

    monkeypatch.setattr(store_db, "UPDATE_MAX_ROWS", update_max_rows)
    store, _ = ingest_paths(FIXTURES / "otlp-encodings", db=tmp_path / "s.duckdb")
    con = store.con
    con.execute("CHECKPOINT")
    compression = dict(con.execute(
        "SELECT column_name, string_agg(DISTINCT compression) FROM pragma_storage_info('record_store') "
        "WHERE segment_type NOT IN ('VALIDITY') GROUP BY column_name").fetchall())
    assert {name: compression[name] for name in ZSTD_COLUMNS} == {name: "ZSTD" for name in ZSTD_COLUMNS}
    assert compression["name"] != "ZSTD"  # the others keep DuckDB's choice
    types = dict(con.execute("SELECT column_name, data_type FROM duckdb_columns() "
                             "WHERE table_name = 'record_store'").fetchall())
    assert types["attrs"] == types["events"] == types["input_messages"] == "JSON"
    assert con.execute("SELECT count(*) FROM record_store WHERE attrs IS NOT NULL AND json_type(attrs) <> 'OBJECT'"
                       ).fetchone() == (0,)


def test_a_schema_2_store_is_brought_to_schema_3_when_opened_and_reads_the_same(tmp_path):
    """Schema 3 keeps `flags` as JSON text (a list column is updated by rewriting whole rows)
    and has a `merged` column; a store written before has a list column, turned into that text
    when it is opened, and gets the column."""
    db = tmp_path / "s.duckdb"
    store, _ = ingest_paths(FIXTURES / "multisource", db=db)
    expected = rows(store, "records")
    assert store.count("records WHERE flags IS NOT NULL")  # the comparison covers some flags
    store.con.execute("ALTER TABLE record_store ALTER flags TYPE VARCHAR[] USING flags::VARCHAR[]")
    store.con.execute("ALTER TABLE record_store DROP COLUMN merged")
    store.con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    store.close()
    old = Store(db)
    types = dict(old.con.execute("SELECT column_name, data_type FROM duckdb_columns() "
                                 "WHERE table_name = 'record_store'").fetchall())
    assert types["flags"] == types["merged"] == "JSON"
    assert old.con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    assert rows(old, "records") == expected
    old.close()

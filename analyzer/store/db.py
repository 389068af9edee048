"""The DuckDB store: schema, bulk loads, file bookkeeping, and the finishing passes
(session identity, clock alignment) that the rule-facing views depend on."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Iterator

import duckdb
import pyarrow as pa

from analyzer.clock import align, create_clock_tables
from analyzer.errors import StoreError
from analyzer.store.call_merge import merge_calls_and_lend_events
from analyzer.store.schema import COLUMN_NAMES, RECORD_COLUMNS, SCHEMA_VERSION, ZSTD_COLUMNS

# Written by the call merge (call_merge.py) beside the ingested columns: the copies merged into a
# record. A column of its own rather than a key in the record's attributes, which the merge would
# rewrite whole (ADK: 50k model calls with 6 KB of attributes each, 0.9 s and +0.3 GB).
MERGED_COLUMNS = [("merged", "JSON")]
# Written by finalize beside the ingested columns (resolve.sql); the records view projects them.
RESOLVED_COLUMNS = [("session_id", "VARCHAR"), ("resolved_step", "INTEGER"), ("ts_start", "BIGINT"),
                    ("ts_end", "BIGINT")]
# Schema 1 stores lack the resolved columns: readable through the joined records view, and
# brought to the current schema by their next finalize. Schemas 1 and 2 keep `flags` as a list
# column: it becomes JSON text when the store is opened (schema 3).
READABLE_VERSIONS = (1, 2, SCHEMA_VERSION)
# finalize updates the resolved columns in place up to this many records, else rebuilds the table
UPDATE_MAX_ROWS = 300_000
# Rows a store file takes in one transaction of an ingest (`Store.transactions`): about one of
# DuckDB's row groups (122,880 rows), which a commit compresses and writes at once. The rows of an
# open transaction wait in memory: one transaction for 1M rich spans peaked at 6.1 GB.
COMMIT_ROWS = 122_880

_INGESTED = ", ".join(f'"{name}"' for name in COLUMN_NAMES)
_JSON_COLUMNS = frozenset(name for name, sql_type, _ in RECORD_COLUMNS if sql_type == "JSON")


def _record_store_ddl(table: str, resolved: bool = False) -> str:
    columns = [f'"{name}" {sql_type}' + (" USING COMPRESSION zstd" if name in ZSTD_COLUMNS else "")
               for name, sql_type, _ in RECORD_COLUMNS]
    columns += [f"{name} {sql_type}" for name, sql_type in MERGED_COLUMNS]
    if resolved:
        columns += [f"{name} {sql_type}" for name, sql_type in RESOLVED_COLUMNS]
    return f"CREATE TABLE {table} ({', '.join(columns)})"


def _as_json(table: pa.Table) -> pa.Table:
    """The JSON columns typed as Arrow's JSON extension, which DuckDB takes as JSON as it is:
    a string column would be parsed again to be checked (a third of the insert's CPU). Our
    ingesters write these columns with orjson or its byte-identical kernels."""
    json_type = pa.json_(pa.string())
    for name in _JSON_COLUMNS & set(table.column_names):
        i = table.schema.get_field_index(name)
        column = table.column(i)
        if column.type == pa.string():
            chunks = [pa.ExtensionArray.from_storage(json_type, chunk) for chunk in column.chunks]
            table = table.set_column(i, pa.field(name, json_type), pa.chunked_array(chunks, json_type))
    return table


def _sql(name: str) -> str:
    return resources.files("analyzer.store").joinpath(name).read_text()


# How steps.sql and resolve.sql find a record's clock segment. DuckDB's ASOF join sorts all
# the records even when there is no segment at all (the common case: ~60 ms of a 0.45 s
# finalize at 200k spans), so without segments it becomes a join that matches nothing.
_SEGMENT_JOIN = "ASOF LEFT JOIN clock_segments g ON g.domain = rs.clock_domain AND rs.ts_raw_start >= g.raw_start_ns"


def _aligned_sql(name: str, segments: bool) -> str:
    """A finishing pass that reads each record's clock offset, joining clock segments only
    when the store has some."""
    sql = _sql(name)
    if _SEGMENT_JOIN not in sql:
        raise AssertionError(f"{name} no longer joins clock segments as _SEGMENT_JOIN says")
    return sql if segments else sql.replace(_SEGMENT_JOIN, "LEFT JOIN clock_segments g ON false")


@dataclass
class FileEntry:
    file_id: str
    path: str
    content_hash: str
    size: int
    source_kind: str
    source_format: str
    records: int


class Store:
    """One DuckDB database, in memory unless `path` is given."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = str(path) if path else None
        self._uncommitted: int | None = None  # rows inserted in the open transaction of `transactions`
        try:
            self.con = duckdb.connect(self.path or ":memory:")
        except duckdb.IOException as exc:
            message = str(exc)
            if "lock" in message.lower():
                raise StoreError(
                    f"Store {self.path!r} is locked by another process",
                    hint="close the other seamscan (or DuckDB) session using it, or use another --db file",
                ) from exc
            raise StoreError(f"Store {self.path!r} cannot be opened: {message}") from exc
        except duckdb.Error as exc:
            raise StoreError(f"Store {self.path!r} cannot be opened: {exc}") from exc
        # DuckDB draws its own progress bar on stdout for long statements: stdout is for data.
        self.con.execute("SET enable_progress_bar = false")
        if not self.path:
            # DuckDB checkpoints an in-memory database too, each time its log passes 16 MB: it
            # compresses every column of the new row groups, a few seconds each time at scale
            # (1M rich spans: 30.4 s with it, 19.0 s without; 200k: the same, +0.1 GB peak)
            self.con.execute("SET checkpoint_threshold = '1TB'")
        self._create()

    def _create(self) -> None:
        con = self.con
        con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
        elif int(row[0]) not in READABLE_VERSIONS:
            raise StoreError(
                f"Store {self.path!r} has schema version {row[0]}, this seamscan reads {SCHEMA_VERSION}",
                hint="re-create it with `seamscan ingest PATH --db NEWFILE`",
            )
        con.execute(_record_store_ddl("IF NOT EXISTS record_store"))
        self._upgrade(row[0] if row else None)
        con.execute(
            """CREATE TABLE IF NOT EXISTS files (
                file_id VARCHAR, path VARCHAR, content_hash VARCHAR PRIMARY KEY, size BIGINT,
                source_kind VARCHAR, source_format VARCHAR, records BIGINT,
                ingested_at TIMESTAMPTZ DEFAULT current_timestamp)"""
        )
        con.execute(
            """CREATE TABLE IF NOT EXISTS input_problems (
                path VARCHAR, position VARCHAR, reason VARCHAR, kind VARCHAR)"""
        )
        create_clock_tables(con)
        con.execute("CREATE TABLE IF NOT EXISTS record_sessions (record_id VARCHAR, session_id VARCHAR)")
        con.execute("CREATE TABLE IF NOT EXISTS record_steps (record_id VARCHAR, step INTEGER)")
        self._create_views()

    def _upgrade(self, version: str | None) -> None:
        """A store written before schema 3 keeps `flags` as a list column and has no `merged`
        column (its merged copies are in their record's attrs, under "seamscan.merged"): flags
        become JSON text and the column is added, as schema 3 has them (a schema 2 store is then
        schema 3; a schema 1 store still lacks the resolved columns its next finalize writes)."""
        if version is None or int(version) >= 3:
            return
        kind = self.con.execute(
            "SELECT data_type FROM duckdb_columns() WHERE table_name = 'record_store' AND column_name = 'flags' "
            "AND schema_name = 'main' AND database_name = current_database()").fetchone()
        if kind is not None and kind[0] != "JSON":
            self.con.execute("ALTER TABLE record_store ALTER flags TYPE JSON USING to_json(flags)")
        for name, sql_type in MERGED_COLUMNS:
            self.con.execute(f"ALTER TABLE record_store ADD COLUMN IF NOT EXISTS {name} {sql_type}")
        if version == "2":
            self.con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION)])

    def _create_views(self) -> None:
        """The rule-facing views: `records` a projection once finalize has written the resolved
        columns, else derived by joins (a store not finalized yet, or of schema 1)."""
        columns = {row[0] for row in self.con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'record_store' "
            "AND schema_name = 'main' AND database_name = current_database()").fetchall()}
        resolved = all(name in columns for name, _ in RESOLVED_COLUMNS)
        self.con.execute(_sql("records.sql" if resolved else "records_joined.sql"))
        self.con.execute(_sql("views.sql"))

    def known_file(self, content_hash: str) -> str | None:
        """Path under which this content was ingested before, if it was."""
        row = self.con.execute("SELECT path FROM files WHERE content_hash = ?", [content_hash]).fetchone()
        return row[0] if row else None

    def known_files(self) -> dict[str, str]:
        """Content hash → path of every file ingested before (one query for a whole run)."""
        return dict(self.con.execute("SELECT content_hash, path FROM files").fetchall())

    @contextlib.contextmanager
    def inserting(self) -> Iterator[None]:
        """While an ingest inserts its batches: DuckDB on one thread. Each insert is one batch on
        the loading thread, while the scanner and normalization keep the cores busy; DuckDB's
        own threads only competed with them (200k rich spans in memory, 5 paired runs: 0.91x
        the wall, 0.90x the CPU, 120 MiB less at the peak). Finalize's queries get them back."""
        threads = self.con.execute("SELECT current_setting('threads')").fetchall()[0][0]
        self.con.execute("SET threads = 1")
        try:
            yield
        finally:
            self.con.execute(f"SET threads = {int(threads)}")

    @contextlib.contextmanager
    def transactions(self) -> Iterator[None]:
        """A store file takes an ingest's inserts in transactions of COMMIT_ROWS rows or more,
        and the last of them with finalize. An insert on its own made DuckDB write its rows
        to the log and again at a checkpoint, and finalize rewrote rows already on disk; here
        each row is compressed and written once, at a commit, and the commits of the inserts
        run on the loading thread while the reading goes on (200k rich spans, whole process, 5
        pairs: 0.96x the wall, 0.93x the CPU, 1,253 MiB at the peak against 1,453; 1M: 24.7 s
        against 37.2 s). An ingest that stops early commits what it has read, as inserts of
        their own kept it. An in-memory store is left as it is (no log to spare)."""
        if not self.path:
            yield
            return
        self.con.execute("BEGIN TRANSACTION")
        self._uncommitted = 0
        try:
            yield
        except BaseException:
            self._uncommitted = None
            try:
                self.con.execute("COMMIT")
            except duckdb.Error:  # the transaction failed in DuckDB itself: nothing to keep
                with contextlib.suppress(duckdb.Error):
                    self.con.execute("ROLLBACK")
            raise
        self._uncommitted = None
        self.con.execute("COMMIT")

    def load(self, table: pa.Table) -> None:
        """Bulk insert one Arrow batch in the record schema."""
        self.con.register("_seamscan_batch", _as_json(table))
        try:
            self.con.execute(f"INSERT INTO record_store ({_INGESTED}) SELECT * FROM _seamscan_batch")
        finally:
            self.con.unregister("_seamscan_batch")
        if self._uncommitted is not None:
            self._uncommitted += table.num_rows
            if self._uncommitted >= COMMIT_ROWS:
                self.con.execute("COMMIT")
                self.con.execute("BEGIN TRANSACTION")
                self._uncommitted = 0

    def add_file(self, entry: FileEntry) -> None:
        self.con.execute(
            "INSERT INTO files (file_id, path, content_hash, size, source_kind, source_format, records) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [entry.file_id, entry.path, entry.content_hash, entry.size, entry.source_kind,
             entry.source_format, entry.records],
        )

    def add_files(self, entries: list[FileEntry]) -> None:
        """Many files' entries in one bulk insert."""
        if not entries:
            return
        names = ["file_id", "path", "content_hash", "size", "source_kind", "source_format", "records"]
        table = pa.table({name: [getattr(entry, name) for entry in entries] for name in names},
                         schema=pa.schema([(name, pa.int64() if name in ("size", "records") else pa.string())
                                           for name in names]))
        self.con.register("_seamscan_files", table)
        try:
            self.con.execute(f"INSERT INTO files ({', '.join(names)}) SELECT * FROM _seamscan_files")
        finally:
            self.con.unregister("_seamscan_files")

    def add_problems(self, rows: list[tuple[str, str, str, str]]) -> None:
        """(path, position, reason, kind) rows; kind is 'error' or 'skipped'."""
        if rows:
            self.con.executemany("INSERT INTO input_problems VALUES (?, ?, ?, ?)", rows)

    def finalize(self) -> None:
        """After a load: merge the copies of one call and lend GenAI log events to their spans,
        resolve sessions, align clocks, then derive steps on the aligned clock."""
        merge_calls_and_lend_events(self.con)
        self.con.execute(_sql("sessions.sql"))
        align(self.con)
        segments = self.con.execute("SELECT EXISTS (SELECT 1 FROM clock_segments)").fetchone()[0]
        self.con.execute(_aligned_sql("steps.sql", segments))
        self._write_resolved(segments)

    def _write_resolved(self, segments: bool) -> None:
        """Write each record's resolved session, step and aligned times (resolve.sql) into its
        own row of record_store, and make `records` the projection of them. Up to
        UPDATE_MAX_ROWS rows an UPDATE by rowid rewrites only these four columns (0.04 s vs
        0.16 s per 40k rich spans); DuckDB's UPDATE grows faster than linearly (11.6 s at 1M),
        so a larger table is rebuilt in its own row order with the results put beside it by a
        positional join (~4 s at 1M)."""
        con = self.con
        for name, sql_type in RESOLVED_COLUMNS:
            con.execute(f"ALTER TABLE record_store ADD COLUMN IF NOT EXISTS {name} {sql_type}")
        con.execute(_aligned_sql("resolve.sql", segments))
        try:
            rows, distinct = con.execute("SELECT count(*), count(DISTINCT rid) FROM _resolved").fetchone()
            if rows != distinct:  # a record_id held by several records: keep one result per row
                con.execute("CREATE OR REPLACE TEMP TABLE _resolved AS "
                            "SELECT DISTINCT ON (rid) * FROM _resolved ORDER BY rid")
            if rows <= UPDATE_MAX_ROWS:
                con.execute("""UPDATE record_store
                    SET session_id = coalesce(x.session_id, record_store.session_own),
                        resolved_step = coalesce(x.step, record_store.step)::INTEGER,
                        ts_start = record_store.ts_raw_start - x.offset_ns,
                        ts_end = record_store.ts_raw_end - x.offset_ns
                    FROM _resolved x WHERE record_store.rowid = x.rid""")
            else:
                # a table of the same definition (column compression included), filled, renamed;
                # into a file, each row group written as soon as it is full: DuckDB's default
                # buffers five (1M rich spans: peak 1.96 GB against 2.5-3.0 GB, 23.4 s against 26.8)
                con.execute(_record_store_ddl("_record_store_new", resolved=True))
                if self.path:
                    con.execute("SET write_buffer_row_group_count = 1")
                con.execute(f"""INSERT INTO _record_store_new BY NAME
                    SELECT r.* EXCLUDE ({", ".join(name for name, _ in RESOLVED_COLUMNS)}),
                           coalesce(x.session_id, r.session_own) AS session_id,
                           coalesce(x.step, r.step)::INTEGER AS resolved_step,
                           r.ts_raw_start - x.offset_ns AS ts_start,
                           r.ts_raw_end - x.offset_ns AS ts_end
                    FROM record_store r POSITIONAL JOIN _resolved x""")
                con.execute("DROP TABLE record_store")
                con.execute("ALTER TABLE _record_store_new RENAME TO record_store")
        finally:
            con.execute("RESET write_buffer_row_group_count")
            con.execute("DROP TABLE IF EXISTS temp._resolved")
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION)])
        self._create_views()

    def count(self, relation: str) -> int:
        return self.con.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]

    def close(self) -> None:
        self.con.close()

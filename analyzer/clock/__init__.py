"""The shared clock (SPEC 4): estimate every clock domain's offset and write ``clock_domains``.

``aligned = raw - offset``; the ``records`` view applies ``offset_ns`` per ``clock_domain``.
"""

from __future__ import annotations

from ..errors import StoreError
from .constraints import DROP_PAIRS_SQL, Extraction, extract, with_record_ids
from .domains import group_writer_domains
from .solver import (
    DEFAULT_ONE_SIDED_MARGIN_NS,
    DEFAULT_TOLERANCE_NS,
    Constraint,
    Domain,
    DomainEstimate,
    PairSample,
    Segment,
    choose_reference,
    solve,
)

__all__ = [
    "Constraint",
    "Domain",
    "DomainEstimate",
    "Extraction",
    "PairSample",
    "Segment",
    "align",
    "create_clock_tables",
    "group_writer_domains",
    "choose_reference",
    "extract",
    "solve",
    "write_clock_tables",
]

CLOCK_DOMAINS_COLUMNS = [
    ("domain", "VARCHAR"), ("is_reference", "BOOLEAN"), ("offset_ns", "BIGINT"),
    ("lower_ns", "BIGINT"), ("upper_ns", "BIGINT"), ("constraints", "INTEGER"),
    ("consistent", "BOOLEAN"), ("method", "VARCHAR"), ("set_aside", "INTEGER"),
]
# Extra detail for domains whose clock was found to step: the agreeing stretches of raw time.
CLOCK_SEGMENTS_COLUMNS = [
    ("domain", "VARCHAR"), ("segment", "INTEGER"), ("raw_start_ns", "BIGINT"),
    ("raw_end_ns", "BIGINT"), ("offset_ns", "BIGINT"), ("lower_ns", "BIGINT"),
    ("upper_ns", "BIGINT"), ("pairs", "INTEGER"),
]
# The causal pairs set aside as contradicting many agreeing ones (often incidents themselves).
CLOCK_SET_ASIDE_COLUMNS = [
    ("earlier_domain", "VARCHAR"), ("later_domain", "VARCHAR"), ("pair_kind", "VARCHAR"),
    ("bound_ns", "BIGINT"), ("earlier_record", "VARCHAR"), ("later_record", "VARCHAR"),
]


def create_clock_tables(con) -> None:
    """Create the clock tables empty if missing, and add columns a store written by an older
    seamscan lacks (a store read with --db alone is not re-aligned)."""
    for name, columns in (("clock_domains", CLOCK_DOMAINS_COLUMNS), ("clock_segments", CLOCK_SEGMENTS_COLUMNS),
                          ("clock_set_aside", CLOCK_SET_ASIDE_COLUMNS)):
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({', '.join(f'{c} {t}' for c, t in columns)})")
        for column, ddl in columns:
            con.execute(f"ALTER TABLE {name} ADD COLUMN IF NOT EXISTS {column} {ddl}")


def align(
    con,
    *,
    tolerance_ns: int = DEFAULT_TOLERANCE_NS,
    one_sided_margin_ns: int = DEFAULT_ONE_SIDED_MARGIN_NS,
) -> list[DomainEstimate]:
    """Estimate all clock offsets from ``record_store`` and (re)write ``clock_domains``.

    Returns one estimate per distinct ``clock_domain``, sorted by name.
    """
    import duckdb

    try:
        group_writer_domains(con)
        extraction = extract(con)
        estimates = solve(
            extraction.domains,
            extraction.constraints,
            samples=extraction.samples,
            tolerance_ns=tolerance_ns,
            one_sided_margin_ns=one_sided_margin_ns,
        )
        write_clock_tables(con, with_record_ids(con, estimates))
        con.execute(DROP_PAIRS_SQL)
    except duckdb.CatalogException as exc:
        raise StoreError(
            f"cannot align clocks: {exc}", hint="ingest some input first (table record_store)"
        ) from exc
    except duckdb.Error as exc:
        raise StoreError(f"clock alignment failed in DuckDB: {exc}") from exc
    return estimates


def _clamp64(value: int | None) -> int | None:
    """Offsets beyond BIGINT only come from corrupt timestamps; keep them storable."""
    if value is None:
        return None
    return max(-(2**63) + 1, min(2**63 - 1, int(value)))


def _replace_table(con, name: str, columns: list[tuple[str, str]], rows: list[tuple]) -> None:
    """Create or replace ``name`` in one statement, so readers never see it half written."""
    import pyarrow as pa

    batch = pa.table(
        {col: [row[i] for row in rows] for i, (col, _) in enumerate(columns)}
        if rows else {col: pa.array([], pa.null()) for col, _ in columns}
    )
    select = ", ".join(f'CAST("{col}" AS {ddl}) AS "{col}"' for col, ddl in columns)
    view = f"_seamscan_{name}_batch"
    con.register(view, batch)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT {select} FROM {view}")
    finally:
        con.unregister(view)


def write_clock_tables(con, estimates: list[DomainEstimate]) -> None:
    """(Re)create ``clock_domains``, ``clock_segments`` and ``clock_set_aside`` from the estimates."""
    _replace_table(con, "clock_domains", CLOCK_DOMAINS_COLUMNS, [
        (e.domain, e.is_reference, _clamp64(e.offset_ns), _clamp64(e.lower_ns), _clamp64(e.upper_ns),
         min(e.constraints, 2**31 - 1), e.consistent, e.method, min(e.set_aside, 2**31 - 1))
        for e in estimates
    ])
    set_aside = {(c.a, c.b, c.kind, c.w_ns, c.earlier_record, c.later_record) for e in estimates for c in e.set_aside_pairs}
    _replace_table(con, "clock_set_aside", CLOCK_SET_ASIDE_COLUMNS, sorted(
        ((a, b, kind, _clamp64(w), earlier, later) for a, b, kind, w, earlier, later in set_aside),
        key=lambda row: tuple("" if v is None else str(v) for v in row)))
    # The first segment reaches back to the domain's first record (the records view looks a
    # record's segment up by raw start; before the first causal pair it is still the first one).
    _replace_table(con, "clock_segments", CLOCK_SEGMENTS_COLUMNS, [
        (e.domain, i, _clamp64(-(2**63) if i == 0 else s.raw_start_ns), _clamp64(s.raw_end_ns), _clamp64(s.offset_ns),
         _clamp64(s.lower_ns), _clamp64(s.upper_ns), s.pairs)
        for e in estimates
        for i, s in enumerate(e.segments)
    ])

"""`seamscan clock -v`: the causal pairs set aside and the segments of stepped clocks."""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table
from rich.text import Text

from analyzer.report.safe import inert

NS_PER_MS = 1_000_000


@dataclass(frozen=True)
class SetAsidePair:
    """A causal pair the clock set aside, with both records' provenance."""

    pair_kind: str
    bound_ms: float
    earlier_domain: str
    earlier_kind: str | None
    earlier_source: str | None
    later_domain: str
    later_kind: str | None
    later_source: str | None


def set_aside_pairs(con) -> list[SetAsidePair]:
    """The ``clock_set_aside`` rows joined to their records' kind and file:position."""
    rows = con.execute("""
        SELECT a.pair_kind, a.bound_ns, a.earlier_domain, e.kind, e.source_file || ':' || e.source_pos,
               a.later_domain, l.kind, l.source_file || ':' || l.source_pos
        FROM clock_set_aside a
        LEFT JOIN record_store e ON e.record_id = a.earlier_record
        LEFT JOIN record_store l ON l.record_id = a.later_record
        ORDER BY a.earlier_domain, a.later_domain, e.source_file, e.source_pos, a.pair_kind
    """).fetchall()
    return [SetAsidePair(kind, bound / NS_PER_MS, ed, ek, es, ld, lk, ls)
            for kind, bound, ed, ek, es, ld, lk, ls in rows]


def segments(con) -> list[tuple[str, int, float, float | None, float | None, int]]:
    """(domain, segment, offset ms, lower ms, upper ms, pairs) of every stepped clock."""
    rows = con.execute(
        "SELECT domain, segment, offset_ns, lower_ns, upper_ns, pairs FROM clock_segments ORDER BY domain, segment"
    ).fetchall()
    ms = (lambda ns: None if ns is None else ns / NS_PER_MS)
    return [(d, i, ms(off), ms(lo), ms(hi), n) for d, i, off, lo, hi, n in rows]


def set_aside_lines(pairs: list[SetAsidePair]) -> list[Text]:
    """A heading, then one line per pair, each record with its domain, kind and file:position
    (lines, not a table, so positions are never clipped and stay greppable)."""
    lines = [Text(f"Causal pairs set aside ({len(pairs)}): they contradict many agreeing pairs; "
                  "often incidents themselves", style="bold")]
    for p in pairs:
        lines.append(Text(
            f"  {inert(p.pair_kind)}: {inert(p.earlier_domain)} {inert(p.earlier_kind or '?')} "
            f"{inert(p.earlier_source or '?')} -> {inert(p.later_domain)} {inert(p.later_kind or '?')} "
            f"{inert(p.later_source or '?')} (bound {p.bound_ms:+.1f} ms)"))
    return lines


def segments_table(rows) -> Table:
    table = Table(title="Stepped clocks: segments of their own time", title_justify="left")
    for column in ("domain", "segment", "offset ms", "bounds ms", "pairs"):
        table.add_column(column, justify="left" if column == "domain" else "right")
    for domain, index, offset, lower, upper, pairs in rows:
        bounds = f"[{'-∞' if lower is None else f'{lower:+.1f}'}, {'+∞' if upper is None else f'{upper:+.1f}'}]"
        table.add_row(Text(inert(domain)), str(index), f"{offset:+.1f}", bounds, str(pairs))
    return table

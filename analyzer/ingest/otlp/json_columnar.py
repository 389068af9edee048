"""OTLP/JSON Lines traces → a columnar `SpanBatch`, read by DuckDB's JSON functions instead of
one `emit_span` call per span with Python dicts (issue 9).

Each line (one ExportTraceServiceRequest) is parsed once by `json_transform` into nested
structs (lines handed over as a zero-copy Arrow string column, so that every span keeps its line
number); resourceSpans → scopeSpans → spans → attributes / events / links are unnested in SQL
with their positions, and every column is normalized there exactly as `json_reader` +
`records.checked_ids` do (ids in hex or base64, enums as numbers or names, times and
`intValue` as strings or numbers, `doubleValue` "NaN" / "Infinity"). Values whose JSON type
matters are read as JSON and their type checked. The JSON text of each attribute is made in SQL
from DuckDB's (yyjson's) JSON text, which is orjson's except for `\\u00XX` escapes (upper-case
hex) and doubles outside [1e-5, 1e16): those two go through orjson in Python UDFs, called only
for such values. The pairs of each attribute list are joined by Arrow (`binary_join`); a list
with a repeated key is deduplicated in SQL (first place, last value).

Python runs per line only for the line offsets (numpy), lines that a pattern marks as possibly
accepted by DuckDB's parser but not by orjson (trailing commas, NaN / Infinity literals, huge
exponents: checked with orjson) and snake_case lines (protobuf field names: rewritten by the
reference's `_snake_to_camel`, then read like the rest); per distinct value for resources
(`resource_context`) and array / kvlist values (`json_reader.any_value`, cached).

`span_batch_jsonl` returns None whenever the file is not one it reproduces exactly (a malformed
line, a line that is not an OTLP traces request, log records, a value of a type the reference
would reject or read differently, ...): the caller then reads the whole file with the reference
reader, which reports the problems with their line numbers.

Lines whose shape json_transform would read leniently are declined by pattern (one scan): a
container of another JSON type (`"spans": {...}`, `"status": "x"`) and an AnyValue field set to
null. Known limits, not detected (the reference would differ; neither is valid OTLP/JSON):
- an object holding the same key twice (DuckDB keeps the first, orjson the last);
- a list item that is not an object (read as an empty one, where the reference fails).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.errors import InputError
from analyzer.ingest.otlp import json_reader
from analyzer.ingest.otlp.records import SPAN_KIND_NAMES, STATUS_CODE_NAMES, resource_context
from analyzer.ingest.otlp.span_batch import ATTR_SCHEMA, SPAN_SCHEMA, SpanBatch
from analyzer.ingest.source import GZIP_MAGIC, ZSTD_MAGIC, SourceFile

# AnyValue fields, in `json_reader.any_value`'s order (camelCase, then protobuf's snake_case)
_VARIANTS = ("string", "int", "bool", "double", "array", "kvlist", "bytes")
_VTYPE = {"string": 1, "bool": 2, "int": 3, "double": 4, "array": 5, "kvlist": 6, "bytes": 7}



def _structure(snake_values: bool, old_names: bool, text_values: bool = False) -> str:
    """The json_transform structure of a request line. Fields that the file's bytes never name
    (protobuf's snake_case AnyValue fields, the pre-1.0 instrumentationLibrary names) are left
    out: every struct field costs time on every object."""
    value = {f"{v}Value": "JSON" for v in _VARIANTS}
    if text_values:  # every stringValue is a JSON string (checked): read as text, not re-written as JSON
        value["stringValue"] = "VARCHAR"
    if snake_values:
        value.update({f"{v}_value": "JSON" for v in _VARIANTS})
    kv = [{"key": "JSON", "value": value}]
    span = {
        "traceId": "JSON", "spanId": "JSON", "parentSpanId": "JSON", "name": "JSON", "kind": "JSON",
        "startTimeUnixNano": "JSON", "endTimeUnixNano": "JSON",
        "status": {"code": "JSON", "message": "JSON"},
        "attributes": kv,
        "events": [{"name": "JSON", "timeUnixNano": "JSON", "attributes": kv}],
        "links": [{"traceId": "JSON", "spanId": "JSON", "attributes": kv}],
    }
    scope_spans = [{"scope": "JSON", **({"instrumentationLibrary": "JSON"} if old_names else {}), "spans": [span]}]
    resource_spans = {"resource": "JSON", "scopeSpans": scope_spans}
    if old_names:
        resource_spans["instrumentationLibrarySpans"] = scope_spans
    return orjson.dumps({"resourceSpans": [resource_spans], "resourceLogs": "JSON"}).decode()


def _pick(base: str, variant: str, snake_values: bool) -> str:
    """SQL of one AnyValue field of the struct `base` (camelCase, else snake_case)."""
    if snake_values:
        return f"coalesce({base}.{variant}Value, {base}.{variant}_value)"
    return f"{base}.{variant}Value"


_BATCH_BYTES = 1 << 20
_FALSY = "('{}', '[]', '\"\"', '0', '-0', '0.0', '-0.0', 'false', 'null')"


class _Unsupported(Exception):
    """The file is not one this reader reproduces exactly."""


def span_batch_jsonl(path: Path, fallback_domain: str, start: int = 0, end: int | None = None,
                     first_line: int | None = None) -> SpanBatch | None:
    """The spans of the OTLP/JSON Lines traces file `path` (or of its bytes [start, end), which
    begin and end at line boundaries, the first being line `first_line`: counted when not
    given), as the reference reader would emit them; None when the file (part) is not one this
    reader handles exactly."""
    try:
        data, counted = _read(path, start, end, first_line is None)
        first_line = counted if first_line is None else first_line
        lines = _lines(data, first_line)
        if lines is None:
            return _empty()
        # a part of a large file is read while the other readers' processes keep the cores busy:
        # one DuckDB thread (200k spans: 8.4-8.6 s against 9.7-9.8 s, peak 2.1 GB against
        # 2.5-2.6); a whole file (1 to 32 MB, one process) keeps them all
        part = start > 0 or end is not None
        con = duckdb.connect(config={"threads": 1} if part else {})
        try:
            return _batch(con, lines, fallback_domain, b'_value"' in data, b'"instrumentationLibrary' in data)
        finally:
            con.close()
    except (_Unsupported, InputError, OSError, duckdb.Error, ValueError, RecursionError):
        return None  # the reference reader reads the file and reports what is wrong with it


def _empty() -> SpanBatch:
    return SpanBatch(SPAN_SCHEMA.empty_table(), ATTR_SCHEMA.empty_table(), [])


def _read(path: Path, start: int, end: int | None, count_lines: bool = True) -> tuple[bytes, int]:
    with open(path, "rb") as fh:
        head = fh.read(4)
        if head.startswith(GZIP_MAGIC) or head.startswith(ZSTD_MAGIC):
            if start or end is not None:
                raise _Unsupported("a compressed file is read whole")
            src = SourceFile(path, str(path), 0, compression="gzip" if head.startswith(GZIP_MAGIC) else "zstd")
            with src.open() as stream:
                return stream.read(), 1
        first_line = 1
        if start and count_lines:
            fh.seek(0)
            left = start
            while left:
                chunk = fh.read(min(left, 1 << 24))
                if not chunk:
                    break
                first_line += chunk.count(b"\n")
                left -= len(chunk)
        fh.seek(start)
        data = fh.read() if end is None else fh.read(end - start)
    return data, first_line


def _lines(data: bytes, first_line: int) -> pa.Table | None:
    """(lno, line) of every non-blank line, each line's text as a zero-copy Arrow string; None if
    there is none."""
    if data.startswith(b"\xef\xbb\xbf") or b"\x00" in data:
        raise _Unsupported("BOM or NUL byte")  # orjson rejects both: the reference reports them
    buf = np.frombuffer(data, np.uint8)
    starts = np.flatnonzero(buf == 10) + 1
    starts = np.concatenate(([0], starts[starts < len(data)])).astype(np.int64)
    if not len(data):
        return None
    numbers = np.arange(first_line, first_line + len(starts), dtype=np.int64)
    offsets = np.append(starts, np.int64(len(data)))
    keep = np.ones(len(starts), dtype=bool)
    odd = np.flatnonzero(buf[starts] != ord("{"))
    for index in odd.tolist():  # blank lines, or lines that do not open an object at once
        text = data[offsets[index]:offsets[index + 1]].strip()
        if not text:
            keep[index] = False
        elif not text.startswith(b"{"):
            raise _Unsupported("a line that is not a JSON object")
    if not keep.any():
        return None
    text = pa.LargeStringArray.from_buffers(
        len(starts), pa.py_buffer(offsets.tobytes()), pa.py_buffer(data))
    try:
        text.validate(full=True)
    except pa.ArrowInvalid as exc:
        raise _Unsupported("invalid UTF-8") from exc
    table = pa.table({"lno": numbers, "line": text})
    if not keep.all():
        table = table.filter(pa.array(keep))
    if b'"resource_spans"' in data or b'"resource_logs"' in data:
        table = _camel_lines(table)
    # DuckDB scans an Arrow table one record batch per task: batches of about 1 MB let both
    # threads parse even when a file has few (large) lines
    per_batch = max(1, -(-table.num_rows * _BATCH_BYTES // max(len(data), 1)))
    return pa.Table.from_batches(table.to_batches(max_chunksize=per_batch))


def _camel_lines(table: pa.Table) -> pa.Table:
    """Lines in protobuf field-name JSON (`resource_spans`) rewritten to lowerCamelCase by the
    reference's own `_snake_to_camel` (a rare encoding: read per line, in Python)."""
    out = []
    for line in table.column("line").to_pylist():
        if '"resource_spans"' in line or '"resource_logs"' in line:
            obj = orjson.loads(line)
            if isinstance(obj, dict) and ("resource_spans" in obj or "resource_logs" in obj):
                line = orjson.dumps(json_reader._snake_to_camel(obj)).decode()
        out.append(line)
    return pa.table({"lno": table.column("lno"), "line": pa.array(out, pa.large_string())})


def _fix_json(text: str) -> str:
    return orjson.dumps(orjson.loads(text)).decode()


@functools.lru_cache(maxsize=4096)
def _nest_json(text: str, vtype: int) -> str:
    """JSON text of an array (5) or kvlist (6) AnyValue, by the reference's own `any_value`."""
    value = {"arrayValue" if vtype == 5 else "kvlistValue": orjson.loads(text)}
    return orjson.dumps(json_reader.any_value(value), default=str).decode()


def _double_json(value: float) -> str:
    return orjson.dumps(value).decode()


_MACROS = r"""
CREATE MACRO is_jstr(x) AS starts_with(x::VARCHAR, '"');
CREATE MACRO jstr(x) AS CASE WHEN NOT is_jstr(x) THEN NULL
    WHEN contains(x::VARCHAR, '\') THEN x->>'$' ELSE (x::VARCHAR)[2:-2] END;
CREATE MACRO sjson(x) AS CASE WHEN contains(x::VARCHAR, '\u00') THEN fix_json(x::VARCHAR) ELSE x::VARCHAR END;
CREATE MACRO truthy(x) AS x IS NOT NULL AND x::VARCHAR NOT IN {falsy};
CREATE MACRO ns_num(x) AS CASE WHEN x IS NULL OR x::VARCHAR IN ('0', '""', '"0"', 'false', '0.0', '-0.0', '-0') THEN NULL
    WHEN regexp_full_match(x::VARCHAR, '"?-?[0-9]+"?') THEN TRY_CAST(trim(x::VARCHAR, '"') AS BIGINT) END;
CREATE MACRO ns_bad(x) AS x IS NOT NULL AND x::VARCHAR NOT IN ('0', '""', '"0"', 'false', '0.0', '-0.0', '-0')
    AND ns_num(x) IS NULL;
CREATE MACRO enum_num(x) AS CASE WHEN x IS NULL OR x::VARCHAR = 'false' THEN 0 WHEN x::VARCHAR = 'true' THEN 1
    WHEN regexp_full_match(x::VARCHAR, '-?[0-9]+|"[0-9]+"') THEN TRY_CAST(trim(x::VARCHAR, '"') AS BIGINT) END;
CREATE MACRO enum_bad_text(x) AS is_jstr(x) AND NOT regexp_full_match(x::VARCHAR, '"[ -\[\]-~]*"');
CREATE MACRO int_num(x) AS CASE WHEN regexp_full_match(x::VARCHAR, '"?-?[0-9]+"?')
    THEN TRY_CAST(trim(x::VARCHAR, '"') AS BIGINT) END;
CREATE MACRO dbl_num(x) AS CASE
    WHEN regexp_full_match(x::VARCHAR, '"?-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?"?') THEN TRY_CAST(trim(x::VARCHAR, '"') AS DOUBLE)
    WHEN x::VARCHAR = '"NaN"' THEN 'nan'::DOUBLE WHEN x::VARCHAR = '"Infinity"' THEN 'inf'::DOUBLE
    WHEN x::VARCHAR = '"-Infinity"' THEN '-inf'::DOUBLE END;
CREATE MACRO dbl_json(d) AS CASE WHEN isnan(d) OR isinf(d) THEN 'null'
    WHEN d = 0 OR (abs(d) >= 1e-5 AND abs(d) < 1e16) THEN to_json(d)::VARCHAR ELSE double_json(d) END;
CREATE MACRO id_text_bad(x) AS x IS NOT NULL AND NOT is_jstr(x);
""".replace("{falsy}", _FALSY)


def _id_sql(text: str, nbytes: int) -> tuple[str, str, str, str]:
    """SQL of (form, normalized hex, ok, weird) for the id text `text` (`records.normalize_id`);
    the last three read the form as the column `{text}_form` (0 none, 1 hex, 2 base64, 3 neither)."""
    b64 = "[A-Za-z0-9+/]{22}==" if nbytes == 16 else "[A-Za-z0-9+/]{11}="
    zeros = "0" * 2 * nbytes
    form = (f"CASE WHEN {text} IS NULL OR {text} = '' THEN 0 "
            f"WHEN regexp_full_match({text}, '[0-9a-fA-F]{{{2 * nbytes}}}') THEN 1 "
            f"WHEN regexp_full_match({text}, '{b64}') THEN 2 ELSE 3 END")
    f = f"{text}_form"
    norm = (f"CASE {f} WHEN 0 THEN NULL WHEN 1 THEN nullif(lower({text}), '{zeros}') "
            f"WHEN 2 THEN nullif(lower(hex(from_base64({text}))), '{zeros}') ELSE lower({text}) END")
    # a wrong-length id is kept lowercased: only printable ASCII lowercases alike in SQL and Python
    weird = f"({f} = 3 AND NOT regexp_full_match({text}, '[!-~]+'))"
    return form, norm, f"({f} < 3)", weird


def _names_sql(x: str, names: dict[str, int]) -> str:
    whens = " ".join(f"WHEN '\"{name}\"' THEN {number}" for name, number in names.items())
    return (
        f"CASE WHEN is_jstr({x}) AND NOT regexp_full_match({x}::VARCHAR, '\"[0-9]+\"') "
        f"THEN CASE {x}::VARCHAR {whens} ELSE 0 END "
        f"WHEN regexp_full_match(coalesce({x}::VARCHAR, ''), '-?[0-9]+|\"[0-9]+\"|true|false') OR {x} IS NULL "
        f"THEN enum_num({x}) ELSE 0 END")


def _validate(con: duckdb.DuckDBPyConnection) -> None:
    """Every line is JSON as orjson reads it. DuckDB's parser also accepts trailing commas,
    NaN / Infinity literals and numbers beyond double range, so lines where those may appear
    (patterns that start with a literal: fast) are checked with orjson."""
    # (malformed JSON makes json_transform fail: the caller returns None)
    suspects = con.execute(r"""
        SELECT line FROM lines
        WHERE regexp_matches(line, ',\s*[\]}]|,\s*[-+]?(?i:nan|inf)') OR regexp_matches(line, ':\s*[-+]?(?i:nan|inf)')
           OR regexp_matches(line, '\[\s*[-+]?(?i:nan|inf)') OR regexp_matches(line, 'e[-+]?[0-9]{3}')
           OR regexp_matches(line, 'E[-+]?[0-9]{3}')
    """).fetchall()
    for (line,) in suspects:
        orjson.loads(line)  # a JSONDecodeError is a ValueError: the caller returns None


def _check(con: duckdb.DuckDBPyConnection, sql: str, why: str) -> None:
    if con.execute(sql).fetchall()[0][0]:
        raise _Unsupported(why)


def _batch(con: duckdb.DuckDBPyConnection, lines: pa.Table, fallback_domain: str, snake_values: bool,
           old_names: bool) -> SpanBatch:
    con.execute("SET enable_progress_bar = false")
    con.create_function("fix_json", _fix_json, ["VARCHAR"], "VARCHAR")
    con.create_function("double_json", _double_json, ["DOUBLE"], "VARCHAR")
    con.create_function("nest_json", _nest_json, ["VARCHAR", "INTEGER"], "VARCHAR")
    con.execute(_MACROS)
    con.register("lines", lines)
    _validate(con)
    # A container of another JSON type, or an AnyValue field set to null, which json_transform
    # would read as absent where the reference fails or reads it otherwise: not handled here.
    odd_shape, odd_strings = con.execute(r"""
        SELECT count(*) FILTER (WHERE regexp_matches(line,
                   '"(?:resourceSpans|scopeSpans|instrumentationLibrarySpans|spans|attributes|events|links)"\s*:\s*[^\[\sn]'
                   || '|"(?:status|resource|scope|instrumentationLibrary)"\s*:\s*[^{\sn]'
                   || '|"(?:string|int|bool|double|array|kvlist|bytes)(?:Value|_value)"\s*:\s*null')),
               count(*) FILTER (WHERE regexp_matches(line, '"stringValue"\s*:\s*[^"\s]'))
        FROM lines""").fetchall()[0]
    if odd_shape:
        raise _Unsupported("a container of an unexpected JSON type, or a null AnyValue field")
    text_values = not snake_values and not odd_strings
    il = "s.instrumentationLibrary" if old_names else "NULL::JSON"
    t_form, t_norm, t_ok, t_weird = _id_sql("tt", 16)
    s_form, s_norm, s_ok, s_weird = _id_sql("st", 8)
    q_form, q_norm, q_ok, q_weird = _id_sql("qt", 8)
    kind = _names_sql("p.kind", SPAN_KIND_NAMES)
    code = _names_sql("p.status.code", STATUS_CODE_NAMES)
    # One pass from the lines to the span columns; whatever the reference would not read as we do (a
    # line that is not a traces request, a resourceSpans / scopeSpans item that is not an
    # object, a scope that is not an object or whose name is not a string) becomes a null span.
    con.execute(f"""
        CREATE TEMP TABLE p AS
        WITH j AS (SELECT lno, json_transform(line, '{_structure(snake_values, old_names, text_values)}') AS j FROM lines),
        r AS (SELECT lno, generate_subscripts(rs, 1) AS ri, unnest(rs) AS r
              FROM (SELECT lno, CASE WHEN (j.resourceSpans IS NULL AND j.resourceLogs IS NULL)
                                       OR (j.resourceLogs IS NOT NULL AND j.resourceLogs::VARCHAR <> '[]')
                                     THEN [NULL] ELSE j.resourceSpans END AS rs FROM j)),
        s AS (SELECT lno, ri, r.resource::VARCHAR AS res, generate_subscripts(ss, 1) AS si, unnest(ss) AS s
              FROM (SELECT *, CASE WHEN r IS NULL THEN [NULL] WHEN len(r.scopeSpans) > 0 THEN r.scopeSpans
                                   ELSE {"r.instrumentationLibrarySpans" if old_names else "NULL"} END AS ss FROM r)),
        s1 AS (SELECT *, CASE WHEN truthy(s.scope) THEN s.scope WHEN truthy({il}) THEN {il} END AS so FROM s),
        s2 AS (SELECT lno, ri, si, res, s, so IS NOT NULL AND NOT starts_with(so::VARCHAR, '{{') AS bad,
                   json_extract(so, '$.name') AS nm FROM s1),
        s3 AS (SELECT lno, ri, si, res, jstr(nm) AS scope,
                   CASE WHEN s IS NULL OR bad OR (nm IS NOT NULL AND nm::VARCHAR <> 'null' AND NOT is_jstr(nm))
                        THEN [NULL] ELSE s.spans END AS spans FROM s2),
        u AS (SELECT lno, ri, res, scope, unnest(spans) AS p FROM s3),
        v AS (SELECT *, jstr(p.traceId) AS tt, jstr(p.spanId) AS st, jstr(p.parentSpanId) AS qt FROM u),
        w AS (SELECT *, {t_form} AS tt_form, {s_form} AS st_form, {q_form} AS qt_form FROM v)
        SELECT lno, ri, res, scope, p IS NULL AS p_null,
            {t_norm} AS trace_id, {s_norm} AS span_id, {q_norm} AS parent_span_id,
            list_filter([CASE WHEN NOT {t_ok} THEN 'trace' END, CASE WHEN NOT {s_ok} THEN 'span' END,
                         CASE WHEN NOT {q_ok} THEN 'parent_span' END], lambda x: x IS NOT NULL) AS bad_ids,
            CASE WHEN is_jstr(p.name) THEN jstr(p.name) ELSE '' END AS name,
            {kind} AS span_kind, ns_num(p.startTimeUnixNano) AS start_ns, ns_num(p.endTimeUnixNano) AS end_ns,
            {code} AS status_code, nullif(jstr(p.status.message), '') AS status_message,
            id_text_bad(p.traceId) OR id_text_bad(p.spanId) OR id_text_bad(p.parentSpanId)
              OR {t_weird} OR {s_weird} OR {q_weird}
              OR (p.name IS NOT NULL AND NOT is_jstr(p.name) AND p.name::VARCHAR NOT IN {_FALSY})
              OR enum_bad_text(p.kind) OR enum_bad_text(p.status.code)
              OR ns_bad(p.startTimeUnixNano) OR ns_bad(p.endTimeUnixNano)
              OR (p.status.message IS NOT NULL AND NOT is_jstr(p.status.message) AND p.status.message::VARCHAR NOT IN {_FALSY})
              AS bad,
            p.attributes AS attributes, p.events AS events, p.links AS links
        FROM w
    """)
    # insertion order is preserved (DuckDB's default): the rowid is the span's row in wire order
    con.execute("CREATE TEMP VIEW pv AS SELECT rowid::INTEGER AS row, * FROM p")
    _check(con, "SELECT count(*) FROM p WHERE p_null", "not a traces request, or an item that is not an object")
    _check(con, "SELECT count(*) FROM p WHERE bad OR span_kind IS NULL OR span_kind NOT BETWEEN -128 AND 127 "
                "OR status_code IS NULL OR status_code NOT BETWEEN -128 AND 127", "a span field of an unexpected type")

    con.execute("""
        CREATE TEMP TABLE ev AS SELECT row AS span, generate_subscripts(events, 1) AS ei, unnest(events) AS e FROM pv;
        CREATE TEMP TABLE lk AS SELECT row AS span, generate_subscripts(links, 1) AS li, unnest(links) AS l FROM pv;
    """)
    _check(con, "SELECT (SELECT count(*) FROM ev WHERE e IS NULL) + (SELECT count(*) FROM lk WHERE l IS NULL)",
           "an event or link that is not an object")
    fields = [f"kv.value.{v}Value" for v in _VARIANTS] + ([f"kv.value.{v}_value" for v in _VARIANTS] if snake_values else [])
    present = " + ".join(f"({f} IS NOT NULL)::INTEGER" for f in fields)
    picked = ", ".join(f"{_pick('kv.value', v, snake_values)} AS {v}_j" for v in _VARIANTS)
    vtype = "CASE " + " ".join(f"WHEN {v}_j IS NOT NULL THEN {_VTYPE[v]}" for v in _VARIANTS) + " ELSE 0 END"
    sources = [  # span, event and link attributes, each in wire order (one statement each: kvf's rows keep it)
        "SELECT 0 AS owner, row AS span, 0 AS sub, generate_subscripts(attributes, 1) AS ai, unnest(attributes) AS kv FROM pv",
        "SELECT 1 AS owner, span, ei AS sub, generate_subscripts(e.attributes, 1) AS ai, unnest(e.attributes) AS kv FROM ev",
        "SELECT 2 AS owner, span, li AS sub, generate_subscripts(l.attributes, 1) AS ai, unnest(l.attributes) AS kv FROM lk",
    ]
    for number, source in enumerate(sources):
        con.execute(f"""
        {"CREATE TEMP TABLE kvf AS" if number == 0 else "INSERT INTO kvf"}
        WITH kv AS ({source}),
        kvv AS (SELECT owner, span, sub, ai, kv IS NULL AS kv_null, kv.key AS kj, {present} AS nvar, {picked}, {vtype} AS vtype
                FROM kv),
        kvt AS (
            SELECT owner, span, sub, ai, kv_null, kj, vtype, nvar, string_j, bytes_j, bool_j, int_j, double_j,
                CASE vtype WHEN 1 THEN {"string_j" if text_values else "jstr(string_j)"} WHEN 7 THEN jstr(bytes_j) END AS str,
                CASE vtype WHEN 3 THEN int_num(int_j) WHEN 2 THEN (bool_j::VARCHAR = 'true')::BIGINT END AS int,
                CASE vtype WHEN 4 THEN dbl_num(double_j) END AS num,
                CASE vtype WHEN 5 THEN nest_json(array_j::VARCHAR, 5) WHEN 6 THEN nest_json(kvlist_j::VARCHAR, 6) END AS json
            FROM kvv),
        kvj AS (
            SELECT *, sjson(kj) AS kjson,
                CASE vtype WHEN 1 THEN {"sjson(to_json(string_j))" if text_values else "sjson(string_j)"}
                    WHEN 7 THEN sjson(bytes_j) WHEN 3 THEN int::VARCHAR
                    WHEN 2 THEN bool_j::VARCHAR WHEN 4 THEN dbl_json(num) WHEN 5 THEN json WHEN 6 THEN json
                    ELSE 'null' END AS vjson
            FROM kvt)
        SELECT owner, span, sub, ai, jstr(kj) AS key, vtype, str, int, num, json, kjson, vjson,
            kv_null OR kj IS NULL OR NOT is_jstr(kj) OR nvar > 1 OR (vtype = 1 AND NOT {"true" if text_values else "is_jstr(string_j)"})
              OR (vtype = 7 AND NOT is_jstr(bytes_j)) OR (vtype = 3 AND int IS NULL)
              OR (vtype = 2 AND bool_j::VARCHAR NOT IN ('true', 'false')) OR (vtype = 4 AND num IS NULL) AS bad
        FROM kvj
        """).fetchall()
    _check(con, "SELECT count(*) FROM kvf WHERE bad", "an attribute value of an unexpected type")
    attrs = _attr_dicts(con)
    lt_form, lt_norm, _, lt_weird = _id_sql("lt", 16)
    ls_form, ls_norm, _, ls_weird = _id_sql("ls", 8)
    con.execute(f"""
        CREATE TEMP TABLE evj AS
        SELECT ev.span, '[' || string_agg('{{"name":' || coalesce(sjson(e.name), 'null') || ',"ts":'
                || coalesce(ns_num(e.timeUnixNano)::VARCHAR, 'null') || ',"attrs":'
                || coalesce(d.dj, '{{}}') || '}}',
                ',' ORDER BY ei) || ']' AS events_json,
            bool_or((e.name IS NOT NULL AND NOT is_jstr(e.name)) OR ns_bad(e.timeUnixNano)) AS bad
        FROM ev LEFT JOIN dj d ON d.owner = 1 AND d.span = ev.span AND d.sub = ev.ei
        GROUP BY ev.span;
        CREATE TEMP TABLE lkj AS
        SELECT span, '[' || string_agg('{{"trace_id":' || coalesce(to_json({lt_norm})::VARCHAR, 'null')
                || ',"span_id":' || coalesce(to_json({ls_norm})::VARCHAR, 'null')
                || ',"attrs":' || coalesce(attrs, '{{}}') || '}}', ',' ORDER BY li) || ']' AS links_json,
            bool_or(id_text_bad(tj) OR id_text_bad(sj) OR {lt_weird} OR {ls_weird}) AS bad
        FROM (SELECT *, {lt_form} AS lt_form, {ls_form} AS ls_form
              FROM (SELECT lk.span, lk.li, l.traceId AS tj, l.spanId AS sj, jstr(l.traceId) AS lt, jstr(l.spanId) AS ls,
                        d.dj AS attrs
                    FROM lk LEFT JOIN dj d ON d.owner = 2 AND d.span = lk.span AND d.sub = lk.li))
        GROUP BY span;
    """)
    _check(con, "SELECT (SELECT count(*) FROM evj WHERE bad) + (SELECT count(*) FROM lkj WHERE bad)",
           "an event or link field of an unexpected type")

    resources = _resources(con, fallback_domain)
    spans = con.sql("""
        SELECT lno::VARCHAR AS pos, trace_id, span_id, parent_span_id,
            CASE WHEN len(bad_ids) > 0 THEN bad_ids END AS bad_ids, name, span_kind::TINYINT AS span_kind,
            start_ns, end_ns, status_code::TINYINT AS status_code, status_message, m.idx AS resource, scope,
            d.dj AS attrs_json, events_json, links_json
        FROM pv sp
        JOIN resmap m USING (row)
        LEFT JOIN dj d ON d.owner = 0 AND d.span = sp.row
        LEFT JOIN evj ON evj.span = sp.row
        LEFT JOIN lkj ON lkj.span = sp.row
        ORDER BY sp.row
    """).to_arrow_table()
    return SpanBatch(_conform(spans, SPAN_SCHEMA), _conform(attrs, ATTR_SCHEMA), resources)


def _in_wire_order(owner: np.ndarray, span: np.ndarray, sub: np.ndarray, ai: np.ndarray, new: np.ndarray) -> bool:
    """Whether kvf's rows came back sorted by (owner, span, sub, ai), as DuckDB keeps them."""
    key = (owner.astype(np.int64) << 62) | (span.astype(np.int64) << 31) | sub.astype(np.int64)
    return bool(np.all(key[1:] >= key[:-1])) and bool(np.all((ai[1:] > ai[:-1]) | new[1:]))


def _attr_dicts(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """`dj`: the JSON text of every attribute list (owner 0 span, 1 event, 2 link; span; sub).
    The pairs of a list are joined in order by Arrow (kvf's rows are in wire order: checked); a
    list with a repeated key (found by hash: a collision only costs the exact path) keeps the
    first place and the last value of each key, in SQL. Returns the span attributes (ATTR_SCHEMA
    columns) in wire order."""
    pairs = con.sql("SELECT owner, span, sub, ai, key, vtype::TINYINT AS vtype, str, int, num, json, "
                    "kjson || ':' || vjson AS pair FROM kvf").to_arrow_table()
    owner, span, sub, ai = (pairs.column(c).to_numpy() for c in ("owner", "span", "sub", "ai"))
    n = len(ai)
    new = np.ones(n, dtype=bool)
    if n:
        new[1:] = (owner[1:] != owner[:-1]) | (span[1:] != span[:-1]) | (sub[1:] != sub[:-1])
    starts = np.flatnonzero(new)
    in_order = _in_wire_order(owner, span, sub, ai, new)
    spans_only = pairs.filter(pc.equal(pairs.column("owner"), 0)).select(["span", "key", "vtype", "str", "int", "num", "json"])
    if not in_order:
        spans_only = spans_only.append_column("ai", pairs.filter(pc.equal(pairs.column("owner"), 0)).column("ai"))
        spans_only = spans_only.sort_by([("span", "ascending"), ("ai", "ascending")]).drop_columns(["ai"])
    if in_order and n:
        offsets = pa.array(np.append(starts, n).astype(np.int32))
        lists = pa.ListArray.from_arrays(offsets, pairs.column("pair").combine_chunks())
        text = pc.binary_join_element_wise("{", pc.binary_join(lists, ","), "}", "")
        con.register("dj_fast", pa.table({"owner": owner[starts], "span": span[starts], "sub": sub[starts], "dj": text}))
        fast = "SELECT owner, span, sub, dj FROM dj_fast ANTI JOIN dups USING (owner, span, sub)"
    else:
        fast = ("SELECT owner, span, sub, '{' || string_agg(kjson || ':' || vjson, ',' ORDER BY ai) || '}' AS dj "
                "FROM kvf ANTI JOIN dups USING (owner, span, sub) GROUP BY owner, span, sub")
    con.execute(f"""
        CREATE TEMP TABLE dups AS
            SELECT DISTINCT owner, span, sub FROM kvf GROUP BY owner, span, sub, hash(kjson) HAVING count(*) > 1;
        CREATE TEMP TABLE dj AS
        {fast}
        UNION ALL
        SELECT owner, span, sub, '{{' || string_agg(kjson || ':' || vjson, ',' ORDER BY first_ai) || '}}'
        FROM (SELECT owner, span, sub, kjson, min(ai) AS first_ai, arg_max(vjson, ai) AS vjson
              FROM kvf SEMI JOIN dups USING (owner, span, sub) GROUP BY owner, span, sub, kjson)
        GROUP BY owner, span, sub;
    """)
    return spans_only


def _resources(con: duckdb.DuckDBPyConnection, fallback_domain: str) -> list[Any]:
    """`resmap` (lno, ri → index into the returned ResourceContexts, numbered as the reference
    does: by the first span of each distinct context). Python runs once per distinct resource."""
    rows = con.execute(
        "SELECT coalesce(res, '') AS res, min(row) AS first_row FROM pv GROUP BY 1 ORDER BY first_row").fetchall()
    contexts: list[Any] = []
    index_of: dict[Any, int] = {}
    texts, indexes = [], []
    for text, _ in rows:
        try:
            resource = orjson.loads(text) if text else None
            ctx = resource_context(json_reader.key_values((resource or {}).get("attributes")), fallback_domain)
            hash(ctx)
        except (TypeError, KeyError, AttributeError) as exc:  # the reference fails on this resource too
            raise _Unsupported(f"a resource the reference cannot read: {exc}") from exc
        if ctx not in index_of:
            index_of[ctx] = len(contexts)
            contexts.append(ctx)
        texts.append(text)
        indexes.append(index_of[ctx])
    con.register("restext", pa.table({"res": pa.array(texts, pa.string()), "idx": pa.array(indexes, pa.int32())}))
    con.execute("CREATE TEMP TABLE resmap AS SELECT row, t.idx FROM pv JOIN restext t ON coalesce(pv.res, '') = t.res")
    return contexts


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    return pa.Table.from_arrays([table.column(f.name).cast(f.type) for f in schema], schema=schema)

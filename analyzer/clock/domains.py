"""Files of one writer share a clock (SPEC 4): group unlabelled harness and framework files.

Ingesters name a harness or framework file's clock domain after the file (unless a harness line
carries a ``clock`` label). Harness files without a label in one directory (rotated logs, one
file per session), and framework files of one format in one directory, are one writer: their
records move to one domain named by the directory. A lone file keeps its own name.
"""

from __future__ import annotations

# A record is on its file's default domain when that domain is the file's name, or the
# directory's group name from an earlier grouping (so a re-ingest into a --db store joins it).
_GROUP_SQL = r"""
WITH files AS (
    SELECT source_file, source_kind,
           CASE WHEN source_kind = 'framework' THEN any_value(source_format) END AS writer_format,
           regexp_extract(source_file, '^(.*)[/\\]', 1) AS directory,
           regexp_extract(source_file, '[^/\\]*$') AS file_name
    FROM record_store
    WHERE source_kind IN ('harness', 'framework') AND source_file IS NOT NULL AND clock_domain IS NOT NULL
    GROUP BY source_file, source_kind
),
named AS (
    SELECT *, coalesce(nullif(regexp_extract(directory, '[^/\\]*$'), ''), nullif(directory, ''), '.') AS directory_name
    FROM files
),
defaults AS (  -- files with at least one record on the file's own default domain
    SELECT DISTINCT n.*
    FROM named n JOIN record_store r USING (source_file)
    WHERE r.clock_domain = n.file_name OR r.clock_domain = n.directory_name
       OR r.clock_domain = n.directory_name || ' (' || n.writer_format || ')'
),
writers AS (
    SELECT directory, source_kind, writer_format, count(*) AS files
    FROM defaults GROUP BY ALL HAVING count(*) >= 2
),
grouped AS (
    SELECT d.source_file, d.file_name, d.directory_name,
           CASE WHEN d.source_kind = 'framework'
                     AND EXISTS (SELECT 1 FROM writers o WHERE o.directory = d.directory
                                 AND (o.source_kind <> 'framework' OR o.writer_format <> d.writer_format))
                THEN d.directory_name || ' (' || d.writer_format || ')'
                ELSE d.directory_name END AS domain
    FROM defaults d JOIN writers w USING (directory, source_kind)
    WHERE w.writer_format IS NOT DISTINCT FROM d.writer_format
)
UPDATE record_store r SET clock_domain = g.domain
FROM grouped g
WHERE r.source_file = g.source_file AND r.clock_domain <> g.domain
  AND (r.clock_domain = g.file_name OR r.clock_domain = g.directory_name)
"""


def group_writer_domains(con) -> None:
    """Move the records of unlabelled harness files (and same-format framework files) that share
    a directory onto one clock domain named by the directory."""
    con.execute(_GROUP_SQL)

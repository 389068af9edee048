"""Every OTLP file in ../shared/realdata (written by other projects) ingests with span and
log-record counts equal to an independent count."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REALDATA, ingest_paths

OTLP_FOLDERS = ("otel-proto-examples", "jaeger-fixtures")


def _independent_count(doc) -> tuple[int, int]:
    """(spans, log records) by walking the OTLP/JSON structure with the stdlib only."""
    spans = sum(
        len(scope.get("spans", []))
        for resource in doc.get("resourceSpans", [])
        for scope in resource.get("scopeSpans", [])
    )
    logs = sum(
        len(scope.get("logRecords", []))
        for resource in doc.get("resourceLogs", [])
        for scope in resource.get("scopeLogs", [])
    )
    return spans, logs


def _otlp_files() -> list[Path]:
    if not REALDATA.is_dir():
        return []
    return sorted(p for folder in OTLP_FOLDERS for p in (REALDATA / folder).glob("*.json"))


@pytest.mark.parametrize("path", _otlp_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_realdata_otlp_counts(path):
    spans, logs = _independent_count(json.loads(path.read_text()))
    store, summary = ingest_paths(path)
    assert not summary.errors and not summary.skipped
    assert store.count("records WHERE kind <> 'log'") == spans
    assert store.count("records WHERE kind = 'log'") == logs


def test_realdata_folder_present_or_skipped(realdata):
    assert _otlp_files(), "the OTLP samples should be found when realdata is present"


def test_uppercase_hex_ids_become_lowercase(realdata):
    store, _ = ingest_paths(realdata / "otel-proto-examples" / "trace.json")
    ids = store.con.execute("SELECT trace_id, span_id FROM records").fetchall()
    assert ids and all(t == t.lower() and s == s.lower() for t, s in ids)


def test_orphan_parent_is_kept(realdata):
    store, _ = ingest_paths(realdata / "otel-proto-examples" / "trace.json")
    orphans = store.con.execute(
        "SELECT count(*) FROM records r WHERE parent_span_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM records p WHERE p.span_id = r.parent_span_id)"
    ).fetchone()[0]
    assert orphans == 1


def test_otel_js_readable_spans(realdata):
    path = realdata / "openinference-fixtures" / "vercel-ai-sdk-v6" / "all-spans.json"
    spans = json.loads(path.read_text())
    store, summary = ingest_paths(path)
    assert not summary.errors
    assert store.count("records") == len(spans)
    assert store.count("records WHERE kind = 'llm_call'") >= 1


def test_flat_attribute_maps_are_skipped_with_a_reason(realdata):
    folder = realdata / "openinference-fixtures" / "genai-flat-attrs"
    _, summary = ingest_paths(folder)
    assert len(summary.skipped) == len(list(folder.glob("*.json")))
    assert all("not a known trace or log shape" in s.reason for s in summary.skipped)

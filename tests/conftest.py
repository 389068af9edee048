"""Shared test helpers: the real-data folder, ingesting into a fresh store, running the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
REALDATA = ROOT.parent / "shared" / "realdata"


@pytest.fixture
def realdata() -> Path:
    if not REALDATA.is_dir():
        pytest.skip("../shared/realdata is not present")
    return REALDATA


def ingest_paths(*paths: Path, db: Path | None = None):
    """(store, summary) after ingesting `paths` into a fresh (or `db`) store."""
    from analyzer.ingest.runner import ingest
    from analyzer.store.db import Store

    store = Store(db)
    summary = ingest(list(paths), store)
    return store, summary


def store_contents(*paths: Path) -> tuple[list[tuple], list[tuple], int]:
    """(record_store rows by record id, input problems, records counted) after ingesting `paths`
    in one process: what two read paths must agree on."""
    from analyzer.ingest import parallel

    saved, parallel.PARALLEL_MIN_BYTES = parallel.PARALLEL_MIN_BYTES, 1 << 62
    try:
        store, summary = ingest_paths(*paths)
    finally:
        parallel.PARALLEL_MIN_BYTES = saved
    records = store.con.execute("SELECT * FROM record_store ORDER BY record_id").fetchall()
    problems = store.con.execute("SELECT * FROM input_problems ORDER BY ALL").fetchall()
    return records, problems, summary.records


def rule_findings(rules, *paths: Path, options: dict | None = None) -> list[dict]:
    """Findings of `rules` (with per-code `options`) on a fresh store holding `paths`."""
    from analyzer.engine.runner import run_rules

    store, _ = ingest_paths(*paths)
    try:
        return run_rules(store.con, rules, options)
    finally:
        store.close()


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run `seamscan ARGS` as a real process (exit codes, stdout/stderr separation)."""
    return subprocess.run(
        [sys.executable, "-m", "analyzer", *args], capture_output=True, text=True, cwd=cwd or ROOT, timeout=120
    )

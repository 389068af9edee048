"""SEAM007 late-result-after-close on its fixtures (fixtures/rules/SEAM007), the other fixtures and real data."""

from __future__ import annotations

from functools import partial

from analyzer.engine.registry import load_rules, select
from tests.conftest import FIXTURES, ingest_paths, rule_findings

RULES = select(load_rules(), ["SEAM007"], None)
CASES = FIXTURES / "rules" / "SEAM007"


findings = partial(rule_findings, RULES)


def layers(finding) -> set[str]:
    return {e["layer"] for e in finding["evidence"]}


def job_completed_vs_close(path):
    """(raw, aligned) ns from session.close to job.completed."""
    store, _ = ingest_paths(path)
    try:
        return store.con.execute(
            "SELECT j.ts_raw_start - c.ts_raw_start, j.ts_start - c.ts_start FROM records j, records c "
            "WHERE j.kind = 'job.completed' AND c.kind = 'session.close'").fetchone()
    finally:
        store.close()


def test_callback_after_close():
    (finding,) = findings(CASES / "fire-callback-after-close")
    assert (finding["session"], finding["subject"]) == ("fire-callback-after-close", "render_report")
    assert finding["message"] == "callback for render_report arrived 42.0 s after session fire-callback-after-close closed"
    assert layers(finding) == {"harness", "tool"}
    whats = [e["what"] for e in finding["evidence"]]
    assert "callback.received in session fire-callback-after-close, 42.0 s after session.close" in whats
    assert "session.close of fire-callback-after-close" in whats


def test_job_completed_after_close_on_a_skewed_worker_clock():
    raw, aligned = job_completed_vs_close(CASES / "fire-job-completed-after-close")
    assert raw > 8_900_000_000 and 4_900_000_000 < aligned < 5_100_000_000  # worker clock 4 s ahead
    (finding,) = findings(CASES / "fire-job-completed-after-close")
    assert (finding["session"], finding["subject"]) == ("fire-job-completed-after-close", "render_report")
    assert finding["message"] == ("job completion for render_report arrived 5.0 s after session "
                                  "fire-job-completed-after-close closed")
    assert {"harness", "tool"} <= layers(finding)
    sources = {e["source"].rsplit("/", 1)[1].split(":")[0] for e in finding["evidence"]}
    assert {"worker.harness.jsonl", "gateway.harness.jsonl", "tools.otlp.pb"} <= sources


def test_result_routed_into_a_later_session():
    (finding,) = findings(CASES / "fire-delivered-into-another-session")
    owner, later = "fire-delivered-into-another-session-1", "fire-delivered-into-another-session-2"
    assert (finding["session"], finding["subject"]) == (owner, "render_report")
    assert finding["message"] == (f"callback for render_report arrived 60.0 s after session {owner} closed "
                                  f"and was delivered into another session ({later})")
    assert finding["severity"] == "error"
    assert {"harness", "tool"} <= layers(finding)


def test_callback_just_before_close():
    assert findings(CASES / "near-callback-before-close") == []


def test_a_later_turn_of_a_harness_that_logs_no_open():
    assert findings(CASES / "near-next-turn-without-open") == []


def test_late_only_on_the_raw_clock():
    raw, aligned = job_completed_vs_close(CASES / "near-open-on-aligned-clock")
    assert raw > 2_900_000_000  # raw: 3 s after the close
    assert aligned < -900_000_000  # aligned: 1 s before it
    assert findings(CASES / "near-open-on-aligned-clock") == []

"""SEAM004 orphaned-job on its fixtures (fixtures/rules/SEAM004), its text helpers, the harness
schema's job states, the other fixtures and real data."""

from __future__ import annotations

from functools import partial

import pytest

from analyzer.engine.functions import async_handle, claims_done, reports_pending
from analyzer.engine.registry import load_rules, select
from analyzer.ingest.harness.canonical import canonical_validator
from tests.conftest import FIXTURES, ingest_paths, rule_findings

RULES = select(load_rules(), ["SEAM004"], None)
CASES = FIXTURES / "rules" / "SEAM004"


findings = partial(rule_findings, RULES)


def test_http_202_with_an_operation_id_and_a_done_claim():
    (finding,) = findings(CASES / "fire-http-202")
    assert (finding["session"], finding["subject"], finding["step"]) == ("conv-4001", "render_report", 2)
    assert finding["message"] == (
        "render_report returned operation_id op-7f3a91 (HTTP 202) and nothing polled, awaited or passed it on; "
        "the final answer claims the work is done")
    whats = {e["layer"]: e["what"] for e in finding["evidence"]}
    assert whats["tool"] == whats["harness"] == "render_report result carries operation_id op-7f3a91 (HTTP 202)"
    assert whats["agent"] == "final answer claims the work is done"


def test_nested_task_id_in_an_agents_sdk_export():
    (finding,) = findings(CASES / "fire-nested-task-id")
    assert (finding["session"], finding["subject"]) == ("thread-ledger-export-1", "export_transactions")
    assert finding["message"] == (
        "export_transactions returned task_id T-88412 (pending) and nothing polled, awaited or passed it on; "
        "the final answer does not mention it")
    assert [e["layer"] for e in finding["evidence"]] == ["tool", "model"]


def test_harness_job_submitted_never_polled():
    (finding,) = findings(CASES / "fire-harness-job")
    assert (finding["session"], finding["subject"]) == ("conv-4001", "render_invoice")
    assert finding["message"] == (
        "job job-42 was submitted for render_invoice (accepted) and nothing polled, awaited or passed it on; "
        "the final answer does not mention it")
    assert finding["evidence"][0]["what"] == "job.submitted job-42 (accepted)"


@pytest.mark.parametrize("case", ["near-polled", "near-handed-pending", "near-passed-to-tool", "near-finished-task"])
def test_near_misses(case):
    assert findings(CASES / case) == []


def test_polled_job_lines_are_valid_harness_events():
    """job.poll with status running and job.completed with succeeded pass the schema."""
    store, summary = ingest_paths(CASES / "near-polled")
    try:
        rows = store.con.execute("SELECT kind, status, flags FROM records WHERE kind LIKE 'job.%' ORDER BY ts_start"
                                 ).fetchall()
    finally:
        store.close()
    assert summary.errors == []
    assert [(kind, status) for kind, status, _ in rows] == [
        ("job.submitted", "accepted"), ("job.poll", "running"), ("job.poll", "running"), ("job.completed", "succeeded")]
    assert all(flags is None for _, _, flags in rows)


@pytest.mark.parametrize("state", ["pending", "queued", "accepted", "running", "succeeded", "completed", "failed"])
@pytest.mark.parametrize("event", ["job.submitted", "job.poll", "job.completed", "callback.received"])
def test_schema_accepts_job_states(event, state):
    assert canonical_validator().errors({"ts": 1, "event": event, "job_id": "j-1", "status": state}) == []


def test_any_other_status_is_kept_and_flagged_not_an_input_error(tmp_path):
    """SPEC 2.3: a status outside the known values is kept and flagged, never an input error."""
    log = tmp_path / "gw.jsonl"
    log.write_text(
        '{"ts": 1, "event": "job.poll", "job_id": "j-1", "status": "almost"}\n'
        '{"ts": 2, "event": "tool.result", "tool": "t", "status": "running"}\n'
        '{"ts": 3, "event": "job.poll", "job_id": "j-1", "status": "running"}\n')
    assert canonical_validator().errors({"ts": 1, "event": "job.poll", "job_id": "j-1", "status": "almost"}) == []
    store, summary = ingest_paths(log)
    try:
        rows = store.con.execute("SELECT status, flags FROM records ORDER BY ts_raw_start").fetchall()
    finally:
        store.close()
    assert summary.errors == []
    assert rows == [("almost", ["unknown_status"]), ("running", ["unknown_status"]), ("running", None)]


@pytest.mark.parametrize("result, http_status, attrs, expected", [
    ('{"operation_id": "op-1"}', 202, None, ("op-1", "operation_id", "HTTP 202")),
    ('{"operation_id": "op-1"}', None, '{"http.response.status_code": 202}', ("op-1", "operation_id", "HTTP 202")),
    ('{"data": {"task": {"taskId": "T-9", "state": "QUEUED"}}}', None, None, ("T-9", "task_id", "queued")),
    ("{'job': {'id': 'j-7', 'status': 'accepted'}}", None, None, ("j-7", "job_id", "accepted")),
    ('{"jobs": [{"job_id": "a", "status": "done"}, {"job_id": "b", "status": "pending"}]}', None, None,
     ("b", "job_id", "pending")),
    ('{"output": "{\\"job_id\\": \\"j-3\\", \\"status\\": \\"queued\\"}"}', None, None, ("j-3", "job_id", "queued")),
    ("Export queued (job_id: exp-19)", None, None, ("exp-19", "job_id", "queued")),
])
def test_async_handle_finds_pending_handles(result, http_status, attrs, expected):
    found = async_handle(result, http_status, attrs)
    assert (found["handle"], found["key"], found["state"]) == expected


@pytest.mark.parametrize("result, http_status", [
    ('{"task_id": "T-1", "status": "completed"}', None),  # finished: nothing to wait for
    ('{"operation_id": "op-1", "status": "succeeded"}', 202),
    ('{"order_id": "A-1", "status": "pending"}', None),  # not an async handle
    ('{"job_id": "j-1"}', 200),
    ("not json", 202),
    ("job_id: abc, finished", None),  # prose with a handle but no pending state
    (None, 202),
])
def test_async_handle_ignores_non_pending_payloads(result, http_status):
    assert async_handle(result, http_status, None) is None


def test_answer_classifiers():
    assert reports_pending("Your export is queued as job exp-19; I will let you know when it is ready.")
    assert reports_pending("The report is still being generated.")
    assert not reports_pending("Your Q3 report has been generated.")
    assert claims_done("Your Q3 report has been generated and sent to finance.")
    assert claims_done("Done: invoice INV-2292 is ready.")
    assert not claims_done("Your report is being generated; it is not ready yet.")
    assert not claims_done("I started the export of the October transactions.")
    assert not claims_done(None) and not reports_pending(None)


def test_other_fixtures_raise_nothing():
    for folder in ("demo", "multisource", "openai_agents", "harness", "otlp-encodings"):
        assert findings(FIXTURES / folder) == [], folder
    for case in sorted((FIXTURES / "rules").glob("SEAM0*/*")):
        if case.parent.name != "SEAM004" and case.is_dir():
            assert findings(case) == [], case


def test_realdata_has_no_orphaned_job(realdata):
    for folder in sorted(p for p in realdata.iterdir() if p.is_dir()):
        assert findings(folder) == [], folder.name


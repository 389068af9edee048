"""Files of one writer share a clock (SPEC 4): unlabelled harness files in one directory, and
framework files of one format in one directory, are one domain named by the directory."""

from __future__ import annotations

import json
import shutil

from tests.conftest import FIXTURES, ingest_paths


def write_session_logs(folder, sessions: int, first: int = 0, **extra) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(first, first + sessions):
        lines = [{"ts": f"2026-11-27T09:{n // 60:02d}:{n % 60:02d}.{k}01Z", "event": event,
                  "session_id": f"s-{n:04d}", **extra}
                 for k, event in enumerate(("session.open", "session.close"))]
        (folder / f"session-{n:04d}.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))


def domains(store) -> dict[str, int]:
    return dict(store.con.execute(
        "SELECT clock_domain, count(DISTINCT source_file) FROM record_store GROUP BY 1").fetchall())


def test_per_session_logs_of_one_directory_are_one_domain(tmp_path):
    write_session_logs(tmp_path / "gateway-logs", 120)
    write_session_logs(tmp_path / "labelled", 3, clock="gw-main")
    write_session_logs(tmp_path / "single", 1, agent="solo")  # distinct content: not a duplicate file
    store, summary = ingest_paths(tmp_path)
    assert not summary.errors
    assert domains(store) == {"gateway-logs": 120, "gw-main": 3, "session-0000.jsonl": 1}
    rows = store.con.execute("SELECT domain FROM clock_domains ORDER BY domain").fetchall()
    assert rows == [("gateway-logs",), ("gw-main",), ("session-0000.jsonl",)]
    # re-ingesting one more file of that directory into the same store joins the same domain
    write_session_logs(tmp_path / "gateway-logs", 1, first=120)
    from analyzer.ingest.runner import ingest

    ingest([tmp_path / "gateway-logs" / "session-0120.jsonl"], store)
    assert domains(store)["gateway-logs"] == 121


def test_framework_files_of_one_format_share_the_directory_domain(tmp_path):
    folder = tmp_path / "sdk-exports"
    folder.mkdir()
    for name in ("export.json", "export.jsonl"):
        shutil.copy(FIXTURES / "openai_agents" / name, folder / name)
    write_session_logs(folder, 2)
    store, summary = ingest_paths(folder)
    assert not summary.errors
    by_kind = dict(store.con.execute(
        "SELECT source_kind, list(DISTINCT clock_domain) FROM record_store GROUP BY 1").fetchall())
    assert by_kind == {"framework": ["sdk-exports (openai-agents)"], "harness": ["sdk-exports"]}


def test_otlp_domains_stay_per_resource():
    store, _ = ingest_paths(FIXTURES / "multisource")
    assert set(domains(store)) == {"gateway", "planner-agent@agent-node", "tool-service@tools-node",
                                   "framework.agents.json"}

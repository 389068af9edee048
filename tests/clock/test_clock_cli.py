"""`seamscan clock`: the set-aside column, and -v listing the pairs with both records' positions."""

from __future__ import annotations

import json
import re

from tests.conftest import FIXTURES, run_cli


def test_clock_verbose_lists_set_aside_pairs_and_segments():
    truth = json.loads((FIXTURES / "clock-incidents" / "truth.json").read_text())
    result = run_cli("clock", str(FIXTURES / "clock-incidents"), "-v", "--quiet")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "set aside" in out and "Causal pairs set aside" in out and "Stepped clocks" in out
    [mislabelled] = truth["mislabelled_call_ids"]
    listed = [line for line in out.splitlines() if line.startswith("  ") and " -> " in line]
    assert listed and all(re.search(r"search\.otlp\.jsonl:\d+#span=" + mislabelled["tool_server_span_id"], line)
                          for line in listed)
    assert any(re.search(r"gateway\.harness\.jsonl:\d+ ->", line) for line in listed)  # the other side


def test_clock_json_carries_set_aside():
    result = run_cli("clock", str(FIXTURES / "clock-incidents"), "--format", "json", "--quiet")
    clocks = {c["domain"]: c for c in json.loads(result.stdout)}
    assert clocks["search-service@search-node"]["set_aside"] > 0
    assert clocks["ledger-service@ledger-node"]["set_aside"] == 0
    assert [d for d, c in clocks.items() if not c["consistent"]] == ["tool-service@tools-node"]

"""Baselines: written sorted and deduplicated, read back, and compared with current findings."""

from __future__ import annotations

import json

import pytest

from analyzer.engine.baseline import mark_new, read_baseline, write_baseline
from analyzer.errors import UsageError


def finding(fp: str, code: str = "SEAM002") -> dict:
    return {"code": code, "session": "s1", "subject": "tool", "fingerprint": fp, "message": "m"}


def test_round_trip_is_sorted_and_deduplicated(tmp_path):
    path = tmp_path / "baseline.json"
    write_baseline(path, [finding("bb"), finding("aa"), finding("bb")])
    document = json.loads(path.read_text())
    assert [e["fingerprint"] for e in document["findings"]] == ["aa", "bb"]
    assert document["findings"][0] == {"fingerprint": "aa", "code": "SEAM002", "session": "s1", "subject": "tool"}
    assert read_baseline(path) == {"aa", "bb"}


def test_mark_new_counts_accepted_new_and_resolved(tmp_path):
    findings = [finding("aa"), finding("cc"), finding("dd")]
    outcome = mark_new(findings, {"aa", "bb"}, tmp_path / "b.json")
    assert [f["new"] for f in findings] == [False, True, True]
    assert (outcome.accepted, outcome.new, outcome.resolved) == (1, 2, 1)


@pytest.mark.parametrize("content", ["not json", "[]", '{"version": 2, "findings": []}',
                                     '{"version": 1, "findings": [{"code": "x"}]}'])
def test_a_bad_baseline_is_a_usage_error_naming_the_file(tmp_path, content):
    path = tmp_path / "b.json"
    path.write_text(content)
    with pytest.raises(UsageError, match="b.json"):
        read_baseline(path)


def test_a_missing_baseline_says_how_to_create_one(tmp_path):
    with pytest.raises(UsageError) as error:
        read_baseline(tmp_path / "missing.json")
    assert "--write-baseline" in error.value.hint

"""Baselines (SPEC 7): a committed file of accepted finding fingerprints, so CI fails only on
findings that are new against it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from analyzer.errors import UsageError

BASELINE_VERSION = 1


@dataclass(frozen=True)
class BaselineOutcome:
    """How the current findings compare with a baseline file."""

    path: str
    accepted: int  # current findings the baseline holds
    new: int  # current findings it does not hold
    resolved: int  # baseline entries no current finding matches

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "accepted": self.accepted, "new": self.new, "resolved": self.resolved}


def write_baseline(path: Path, findings: list[dict[str, Any]]) -> None:
    """Record every finding's fingerprint (with code, session and subject for review), sorted so
    the file diffs cleanly."""
    entries = {f["fingerprint"]: {"fingerprint": f["fingerprint"], "code": f["code"], "session": f["session"],
                                  "subject": f["subject"]} for f in findings}
    document = {"version": BASELINE_VERSION, "tool": "seamscan",
                "findings": [entries[key] for key in sorted(entries)]}
    try:
        path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    except OSError as exc:
        raise UsageError(f"Baseline {str(path)!r} cannot be written: {exc.strerror}") from exc


def read_baseline(path: Path) -> set[str]:
    """The accepted fingerprints in a file `write_baseline` wrote."""
    try:
        document = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise UsageError(f"Baseline {str(path)!r} cannot be read: {exc.strerror}",
                         hint="create it with `seamscan check PATH --write-baseline FILE`") from exc
    except orjson.JSONDecodeError as exc:
        raise UsageError(f"Baseline {str(path)!r} is not JSON: {exc}") from exc
    if not isinstance(document, dict) or document.get("version") != BASELINE_VERSION:
        raise UsageError(f"Baseline {str(path)!r} is not a seamscan baseline (version {BASELINE_VERSION})")
    entries = document.get("findings")
    if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("fingerprint"), str)
                                                for e in entries):
        raise UsageError(f"Baseline {str(path)!r}: `findings` must be a list of objects with a `fingerprint`")
    return {e["fingerprint"] for e in entries}


def mark_new(findings: list[dict[str, Any]], accepted: set[str], path: Path) -> BaselineOutcome:
    """Set each finding's `new` (its fingerprint is not in `accepted`) and count the outcome."""
    current = set()
    for finding in findings:
        finding["new"] = finding["fingerprint"] not in accepted
        current.add(finding["fingerprint"])
    new = sum(1 for f in findings if f["new"])
    return BaselineOutcome(str(path), len(findings) - new, new, len(accepted - current))

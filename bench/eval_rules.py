"""Score the rule pack on a corpus written by bench/eval_corpus.py, the way the hidden check does:
per rule, planted incidents, findings, true positives, precision and recall, with every false
positive and false negative listed (session and message).

    .venv/bin/python bench/eval_corpus.py /tmp/evc && .venv/bin/python bench/eval_rules.py /tmp/evc
    .venv/bin/python bench/eval_corpus.py /tmp/evc-clean --clean && .venv/bin/python bench/eval_rules.py /tmp/evc-clean

Runs ``seamscan check DIR --format json`` as a new process (the CLI end to end) unless
``--report FILE`` gives a JSON report already written. A finding is a true positive when its
code matches a planted incident and its session is one of the incident's sessions (for a
dataset-level incident, session null: its subject names the labelled subject). A finding that a
planted incident of another rule legitimately also raises (``allowed`` in labels.json) counts
neither way; every other finding is a false positive. Exit status: 0 when every rule with planted
incidents reaches the thresholds and nothing else fired (for ``--clean``: no finding and exit 0).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODES = [f"SEAM{n:03d}" for n in range(1, 13)]


def run_check(corpus: Path) -> tuple[dict, int, float]:
    exe = Path(sys.executable).with_name("seamscan")
    cmd = [str(exe), "check", str(corpus), "--format", "json", "--quiet"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=corpus)
    took = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"seamscan check exited {proc.returncode}")
    return json.loads(proc.stdout), proc.returncode, took


def matches(label: dict, finding: dict) -> bool:
    if label["code"] != finding["code"]:
        return False
    if label.get("session") is None and label.get("subject"):
        return finding.get("session") is None and label["subject"].lower() in (finding.get("subject") or "").lower()
    return finding.get("session") in (label.get("sessions") or [label.get("session")])


def score(labels: dict, report: dict, threshold: float) -> tuple[list[dict], list[str], bool]:
    findings = report["findings"]
    incidents = labels["incidents"]
    nears = {(n["code"], n.get("session") or n.get("subject")): n["form"] for n in labels["near_misses"]}
    allowed = {(a["code"], a["session"]) for a in labels["allowed"]}
    matched_labels: set[int] = set()
    rows: dict[str, dict] = {c: {"code": c, "planted": 0, "found": 0, "tp": 0, "fp": 0, "allowed": 0} for c in CODES}
    lines: list[str] = []
    for label in incidents:
        rows[label["code"]]["planted"] += 1
    for f in findings:
        row = rows.setdefault(f["code"], {"code": f["code"], "planted": 0, "found": 0, "tp": 0, "fp": 0, "allowed": 0})
        row["found"] += 1
        hits = [i for i, label in enumerate(incidents) if matches(label, f)]
        if hits:
            for i in hits:
                matched_labels.add(i)
                want = incidents[i].get("session")
                if want and f.get("session") != want:
                    lines.append(f"  note {f['code']} {incidents[i]['form']}: names session {f.get('session')}, "
                                 f"SPEC's choice is {want}")
            continue
        if (f["code"], f.get("session")) in allowed:
            row["allowed"] += 1
            continue
        row["fp"] += 1
        near = nears.get((f["code"], f.get("session") or f.get("subject")))
        why = f" [near miss: {near}]" if near else ""
        lines.append(f"  FP {f['code']} session={f.get('session')} subject={f.get('subject')}{why}: {f['message']}")
    for i, label in enumerate(incidents):
        if i in matched_labels:
            rows[label["code"]]["tp"] += 1
        else:
            lines.append(f"  FN {label['code']} {label['form']}: session={label.get('session')} "
                         f"subject={label.get('subject')}")
    ok = True
    out = []
    for code in sorted(rows):
        row = rows[code]
        flagged = row["found"] - row["allowed"]
        row["precision"] = (flagged - row["fp"]) / flagged if flagged else (1.0 if row["planted"] else None)
        row["recall"] = row["tp"] / row["planted"] if row["planted"] else None
        if row["planted"] and (row["precision"] < threshold or row["recall"] < threshold):
            ok = False
        if not row["planted"] and row["fp"]:
            ok = False
        out.append(row)
    return out, sorted(lines), ok


def fmt(x: float | None) -> str:
    return "   -" if x is None else f"{x:4.2f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--report", type=Path, help="a JSON report already written (skip running seamscan)")
    ap.add_argument("--threshold", type=float, default=0.9)
    args = ap.parse_args(argv)
    labels = json.loads((args.corpus / "labels.json").read_text(encoding="utf-8"))
    if args.report:
        report, code, took = json.loads(args.report.read_text(encoding="utf-8")), None, 0.0
    else:
        report, code, took = run_check(args.corpus.resolve())
    inputs = report.get("inputs", {})
    print(f"corpus {args.corpus} ({labels.get('mode')}): {inputs.get('files')} files, {inputs.get('records')} records, "
          f"{len(inputs.get('skipped') or [])} skipped, {len(inputs.get('errors') or [])} errors; "
          f"seamscan check exit {code} in {took:.1f} s")
    for c in report.get("clocks", []):
        print(f"  clock {c['domain']}: offset {c['offset_ms']} ms consistent={c['consistent']} "
              f"constraints={c['constraints']} set_aside={c.get('set_aside')}")
    if labels.get("mode") == "clean":
        for f in report["findings"]:
            print(f"  FINDING {f['code']} session={f.get('session')} subject={f.get('subject')}: {f['message']}")
        ok = not report["findings"] and code in (0, None)
        print(f"clean corpus: {len(report['findings'])} findings, exit {code}: {'PASS' if ok else 'FAIL'}")
        return 0 if ok else 1
    rows, lines, ok = score(labels, report, args.threshold)
    print(f"{'rule':8} {'planted':>7} {'found':>5} {'TP':>3} {'FP':>3} {'allow':>5} {'prec':>5} {'recall':>6}")
    for r in rows:
        print(f"{r['code']:8} {r['planted']:7d} {r['found']:5d} {r['tp']:3d} {r['fp']:3d} {r['allowed']:5d} "
              f"{fmt(r['precision']):>5} {fmt(r['recall']):>6}")
    print("\n".join(lines))
    print("PASS" if ok else "FAIL", f"(threshold {args.threshold} per rule)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

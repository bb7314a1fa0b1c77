"""Every escalation method of our table is flagged and none of its defused look-alikes is (bench corpus)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))

import bench_lint  # noqa: E402

from agentid_policy_packs.rules.files import classify, lint_document  # noqa: E402


def test_each_method_is_flagged_and_each_look_alike_is_not(tmp_path):
    files, labelled = bench_lint.write_corpus(tmp_path, total=0, seed=1)
    flagged, missed, false_alarms = set(), [], []
    for path, (method, role) in labelled.items():
        if method.startswith("parliament:"):
            continue
        kind, document = classify(json.loads(path.read_text()))
        rules = {f.rule.id for f in lint_document(kind, document, path.name)}
        if role == "method":
            (flagged.add(method) if "AGID-AWS-020" in rules else missed.append(method))
        elif "AGID-AWS-020" in rules:
            false_alarms.append(method)
    assert missed == [] and false_alarms == []
    assert len(flagged) >= 60

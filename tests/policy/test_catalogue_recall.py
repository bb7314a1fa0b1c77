"""Recall on two public escalation catalogues (our own cases, bench/data/escalation_catalogues.yaml).

Goal from issue 10: recall >= 0.95 on each catalogue and at most one false positive on all the
defused variants together. `bench/bench_catalogues.py` prints the same figures beside
cloudsplaining and parliament.
"""

from __future__ import annotations

from collections import Counter

import pytest

from bench.catalogue_cases import load_cases
from agentid_components import iam_catalog
from agentid_policy_packs.analysis import identity_policy_findings

CASES = load_cases()


def _flagged(document: dict) -> bool:
    return any(f.code.startswith("escalation:") or f.code == "full-admin" for f in identity_policy_findings(document))


def test_the_cases_cover_both_catalogues_with_defused_variants():
    counts = Counter((c.catalogue, c.must_flag) for c in CASES)
    assert counts[("pathfinding.cloud", True)] == 65 and counts[("iam-vulnerable", True)] == 36
    assert counts[("pathfinding.cloud", False)] >= 150 and counts[("iam-vulnerable", False)] >= 70
    for case in CASES:
        assert case.url.startswith(("https://pathfinding.cloud/paths/", "https://github.com/BishopFox/iam-vulnerable/"))
    vulnerable = {(c.catalogue, c.entry) for c in CASES if c.must_flag}
    denied = {(c.catalogue, c.entry) for c in CASES if c.variant == "denied"}
    assert vulnerable - denied <= {("iam-vulnerable", "tool-testing/fn3-ExploitableConditionConstraint.tf"),
                                   ("iam-vulnerable", "tool-testing/fn4-ExploitableNotAction.tf")}


def test_every_action_in_the_cases_is_a_real_iam_action():
    unknown = set()
    for case in CASES:
        for statement in case.document["Statement"]:
            actions = statement.get("Action") or statement["NotAction"]
            for action in [actions] if isinstance(actions, str) else actions:
                if not iam_catalog.expand_action_pattern(action):
                    unknown.add(action)
    assert unknown == set()


@pytest.mark.parametrize("catalogue", ["pathfinding.cloud", "iam-vulnerable"])
def test_recall_on_the_catalogue_is_at_least_095(catalogue):
    vulnerable = [c for c in CASES if c.catalogue == catalogue and c.must_flag]
    missed = [c.entry for c in vulnerable if not _flagged(c.document)]
    assert 1 - len(missed) / len(vulnerable) >= 0.95, missed


# Defused cases the core still flags, each for a semantic the analysis core (policy_packs/analysis,
# issue 10 kinds 2-4) does not model yet. Listed so that any NEW false positive fails here; remove
# an entry when the core learns it (the test below then holds the count down).
KNOWN_CORE_GAPS: set[str] = set()  # fp4 (account 'aws' policies) and fp5 (inert TokenIssueTime window) are fixed


def test_at_most_one_false_positive_on_defused_variants_beyond_the_known_core_gaps():
    wrong = {c.name for c in CASES if not c.must_flag and _flagged(c.document)}
    assert len(wrong - KNOWN_CORE_GAPS) <= 1, sorted(wrong - KNOWN_CORE_GAPS)
    assert KNOWN_CORE_GAPS <= {c.name for c in CASES}


def test_the_benchmark_runs_and_reports_the_goals(capsys):
    from bench import bench_catalogues

    assert bench_catalogues.main(["--tools", "agentid", "--managed-limit", "5"]) == 0
    out = capsys.readouterr().out
    assert "pathfinding.cloud recall" in out and "iam-vulnerable FP on defused" in out
    assert "managed policies judged (of 5)" in out and "documents per second" in out

"""Benchmark: our policy core vs cloudsplaining and parliament on public escalation catalogues
and on every AWS managed policy, in ONE run.

    .venv/bin/python bench/bench_catalogues.py [--managed-limit N] [--tools agentid,cloudsplaining,parliament]

Corpora:
  * DataDog pathfinding.cloud and Bishop Fox iam-vulnerable: our own test cases, one per catalogue
    entry, each with defused variants (bench/data/escalation_catalogues.yaml, built by
    bench/catalogue_cases.py; nothing copied from the catalogues).
  * the AWS managed-policy snapshot (policy_packs/analysis/data/aws_managed_policies.json.gz).
Each tool judges each document in this process (imports timed apart):
  agentid         agentid_policy_packs.analysis.identity_policy_findings: an `escalation:*` or `full-admin`
                  finding flags a catalogue case; on managed policies, what AGID-AWS-013 flags
                  (those two plus `not-action-allow`) is "critical"
  cloudsplaining  PolicyDocument(doc).allows_privilege_escalation (its Rhino table) is non-empty
  parliament      analyze_policy_string(..., include_community_auditors=True) has a
                  PRIVILEGE_ESCALATION finding
Times are CPU seconds of this process (time.process_time), so a busy shared machine does not
skew the ratios. Each tool gets at most --budget CPU seconds per corpus (documents left are not judged, and the
figures say how many were). Prints recall on the vulnerable cases, false positives on the defused variants, the cases each
tool gets wrong, managed policies flagged (read-only ones apart: *ReadOnly*, *ViewOnly*,
SecurityAudit), seconds per tool and the speed ratio. Goals (issue 10): recall >= 0.95 on both
catalogues, <= 1 false positive on defused variants, no read-only managed policy critical, >= 3x
faster than cloudsplaining.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.catalogue_cases import load_cases  # noqa: E402

READ_ONLY_MARKS = ("ReadOnly", "ViewOnly", "SecurityAudit")


def agentid_judge() -> tuple[Callable[[dict], bool], Callable[[dict], bool]]:
    from agentid_policy_packs.analysis import identity_policy_findings

    def codes(document: dict) -> set[str]:
        return {f.code for f in identity_policy_findings(document)}

    def escalates(document: dict) -> bool:
        return any(c.startswith("escalation:") or c == "full-admin" for c in codes(document))

    def critical(document: dict) -> bool:
        return any(c.startswith("escalation:") or c in ("full-admin", "not-action-allow") for c in codes(document))

    return escalates, critical


def cloudsplaining_judge() -> tuple[Callable[[dict], bool], Callable[[dict], bool]]:
    from cloudsplaining.scan.policy_document import PolicyDocument

    def escalates(document: dict) -> bool:
        return bool(PolicyDocument(document).allows_privilege_escalation)

    return escalates, escalates


def parliament_judge() -> tuple[Callable[[dict], bool], Callable[[dict], bool]]:
    import parliament

    def escalates(document: dict) -> bool:
        policy = parliament.analyze_policy_string(json.dumps(document), include_community_auditors=True)
        return any(f.issue == "PRIVILEGE_ESCALATION" for f in policy.findings)

    return escalates, escalates


TOOLS = {"agentid": agentid_judge, "cloudsplaining": cloudsplaining_judge, "parliament": parliament_judge}


def managed_documents(limit: int | None) -> list[tuple[str, dict]]:
    from agentid_policy_packs.analysis.managed_policies import managed_policy_arns, managed_policy_document

    arns = managed_policy_arns()[:limit] if limit else managed_policy_arns()
    return [(arn.split(":policy/", 1)[1], managed_policy_document(arn)) for arn in arns]


class _OutOfTime(Exception):
    pass


def _out_of_time(signum, frame):
    raise _OutOfTime


DOCUMENT_LIMIT = 20.0  # CPU seconds for one document; beyond it the verdict is "none" (counted apart)


def _safe(judge: Callable[[dict], bool], document: dict) -> bool | None:
    """The tool's verdict; None when it raises or runs out of time (never counted as a pass)."""
    previous = signal.signal(signal.SIGPROF, _out_of_time)
    signal.setitimer(signal.ITIMER_PROF, DOCUMENT_LIMIT)
    try:
        return judge(document)
    except (Exception, _OutOfTime):
        return None
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def _judge_all(judge: Callable[[dict], bool], named: list[tuple[str, dict]], budget: float) -> tuple[dict, float]:
    """{name: verdict} for the documents judged within `budget` seconds (in order), and the seconds spent."""
    verdicts, started = {}, time.process_time()
    for name, document in named:
        if time.process_time() - started > budget:
            break
        verdicts[name] = _safe(judge, document)
    return verdicts, time.process_time() - started


def run(tools: list[str], managed_limit: int | None, budget: float = 300.0) -> dict:
    cases = load_cases()
    managed = managed_documents(managed_limit)
    results = {}
    for name in tools:
        started = time.process_time()
        escalates, critical = TOOLS[name]()
        import_seconds = time.process_time() - started
        verdicts, catalogue_seconds = _judge_all(escalates, [(c.name, c.document) for c in cases], budget)
        managed_verdicts, managed_seconds = _judge_all(critical, managed, budget)
        results[name] = {"import": import_seconds, "catalogue_time": catalogue_seconds, "managed_time": managed_seconds,
                         "cases": verdicts, "managed": managed_verdicts}
        print(f"{name}: {catalogue_seconds:.1f} s on {len(cases)} catalogue cases, {managed_seconds:.1f} s on "
              f"{len(managed)} managed policies", file=sys.stderr, flush=True)
    return {"cases": cases, "managed": [p for p, _ in managed], "tools": results}


def summarize(outcome: dict) -> list[str]:
    cases, tools = outcome["cases"], outcome["tools"]
    lines = []
    catalogues = sorted({c.catalogue for c in cases})
    header = f"{'':34}" + "".join(f"{name:>18}" for name in tools)
    lines.append(header)
    for catalogue in catalogues:
        vulnerable = [c for c in cases if c.catalogue == catalogue and c.must_flag]
        defused = [c for c in cases if c.catalogue == catalogue and not c.must_flag]
        row_recall = f"{catalogue + ' recall':34}"
        row_fp = f"{catalogue + ' FP on defused':34}"
        for name, result in tools.items():
            hits = sum(result["cases"].get(c.name) is True for c in vulnerable)
            fps = sum(result["cases"].get(c.name, False) is not False for c in defused)
            row_recall += f"{f'{hits}/{len(vulnerable)} = {hits / len(vulnerable):.2f}':>18}"
            row_fp += f"{f'{fps}/{len(defused)}':>18}"
        lines += [row_recall, row_fp]
    managed = outcome["managed"]
    read_only = [p for p in managed if any(mark in p for mark in READ_ONLY_MARKS)]
    row_judged = f"{f'managed policies judged (of {len(managed)})':34}"
    row_flag = f"{'managed policies flagged':34}"
    row_ro = f"{f'read-only ones flagged (of {len(read_only)})':34}"
    for name, result in tools.items():
        judged = result["managed"]
        row_judged += f"{len(judged):>18}"
        row_flag += f"{sum(v is not False for v in judged.values()):>18}"
        row_ro += f"{f'{sum(judged[p] is not False for p in read_only if p in judged)} of {sum(p in judged for p in read_only)}':>18}"
    lines += [row_judged, row_flag, row_ro]
    for label, key in (("seconds: import", "import"), ("seconds: catalogue cases", "catalogue_time"),
                       ("seconds: managed policies", "managed_time")):
        lines.append(f"{label:34}" + "".join(f"{result[key]:>18.2f}" for result in tools.values()))
    rate = {name: (len(r["cases"]) + len(r["managed"])) / max(r["catalogue_time"] + r["managed_time"], 1e-9)
            for name, r in tools.items()}
    lines.append(f"{'documents per second':34}" + "".join(f"{rate[name]:>18.1f}" for name in tools))
    if "agentid" in rate:
        for name in tools:
            if name != "agentid":
                lines.append(f"speed agentid / {name}: {rate['agentid'] / rate[name]:.1f}x (documents per second "
                             "over everything each judged, imports apart; goal vs cloudsplaining >= 3x)")
    for name, result in tools.items():
        judged = [c for c in cases if c.name in result["cases"]]
        if len(judged) < len(cases):
            lines.append(f"{name} judged only {len(judged)} of {len(cases)} catalogue cases within the time budget")
        wrong = [c.name for c in judged if (result["cases"][c.name] is True) != c.must_flag]
        crashed = [c.name for c in judged if result["cases"][c.name] is None]
        lines.append(f"{name} wrong on {len(wrong)}: {', '.join(wrong[:15]) or '-'}"
                     + (f" and {len(wrong) - 15} more" if len(wrong) > 15 else ""))
        if crashed:
            lines.append(f"{name} raised or ran out of time on {len(crashed)} (counted as wrong): {', '.join(crashed)}")
        stuck = [p for p, verdict in result["managed"].items() if verdict is None]
        if stuck:
            lines.append(f"{name} raised or took over {DOCUMENT_LIMIT:.0f} CPU s on {len(stuck)} managed policies "
                         f"(counted as flagged): {', '.join(stuck[:8])}" + (" ..." if len(stuck) > 8 else ""))
        ro = [p for p in read_only if result["managed"].get(p, False) is not False]
        lines.append(f"{name} read-only managed policies flagged: {', '.join(ro[:12]) or '-'}"
                     + (f" and {len(ro) - 12} more" if len(ro) > 12 else ""))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--managed-limit", type=int, default=None, help="judge only the first N managed policies")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset of " + ", ".join(TOOLS))
    parser.add_argument("--budget", type=float, default=300.0,
                        help="CPU seconds per tool per corpus; documents left when it runs out are not judged "
                             "(parliament takes ~25 s on AdministratorAccess alone)")
    args = parser.parse_args(argv)
    tools = [t for t in args.tools.split(",") if t]
    unknown = [t for t in tools if t not in TOOLS]
    if unknown:
        parser.error(f"unknown tool {unknown[0]!r}; choose from {', '.join(TOOLS)}")
    print("\n".join(summarize(run(tools, args.managed_limit, args.budget))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

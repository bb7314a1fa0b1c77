"""Benchmark: `agentid lint` vs parliament on one generated corpus of IAM policy documents.

    .venv/bin/python bench/bench_lint.py [--documents 2200] [--keep DIR]

Generates a deterministic corpus (seeded): least-privilege policies, broad
grants, NotAction, Deny, conditions, one document per known escalation method
(its actions on "*"), and a defused look-alike of each (PassRole on one named
role with iam:PassedToService, the other actions on named resources). Both
tools then judge the whole corpus in ONE process each, start-up included:
    agentid lint --format json FILE...
    parliament --directory DIR --json --include-community-auditors
Prints documents per second for both, the ratio (goal: agentid >= 3x), and
which escalation methods each tool flags, from our table (escalation_methods.yaml) and from
parliament's own (read from its source), and which look-alikes each wrongly flags.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from agentid_components import iam_catalog  # noqa: E402
from agentid_policy_packs.analysis import escalation_methods  # noqa: E402

VENV_BIN = Path(sys.executable).parent
ACCOUNT = "123456789012"
SERVICES = ["s3", "dynamodb", "sqs", "sns", "lambda", "kms", "secretsmanager", "logs", "ec2", "iam", "ssm",
            "states", "events", "ecr", "bedrock", "glue", "athena", "cloudwatch", "sts", "kinesis"]
SERVICE_ROLE = {"ec2": "ec2.amazonaws.com", "lambda": "lambda.amazonaws.com"}


def _arn(rng: random.Random, info) -> str:
    templates = iam_catalog.example_arns(info)
    if not templates:
        return "*"
    template = rng.choice(templates)
    return re.sub(r"\$\{([^}]+)\}", lambda m: {"Partition": "aws", "Region": "eu-west-1", "Account": ACCOUNT}.get(
        m.group(1), f"agent-{rng.randrange(100)}"), template)


def _doc(*statements) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def random_policy(rng: random.Random) -> dict:
    statements = []
    for _ in range(rng.randint(1, 4)):
        service = rng.choice(SERVICES)
        actions = iam_catalog.actions_of_service(service)
        picked = rng.sample(actions, k=min(len(actions), rng.randint(1, 5)))
        shape = rng.random()
        if shape < 0.55:  # least privilege: exact actions on exact ARNs
            statement = {"Effect": "Allow", "Action": [a.full_name for a in picked],
                         "Resource": sorted({_arn(rng, a) for a in picked})}
        elif shape < 0.7:  # a wildcard action
            prefix = rng.choice(picked).name[:rng.randint(3, 6)]
            statement = {"Effect": "Allow", "Action": f"{service}:{prefix}*", "Resource": rng.choice(["*", _arn(rng, picked[0])])}
        elif shape < 0.8:
            statement = {"Effect": "Allow", "Action": [a.full_name for a in picked], "Resource": "*"}
        elif shape < 0.85:
            statement = {"Effect": "Allow", "NotAction": f"{service}:*", "Resource": "*"}
        elif shape < 0.93:
            statement = {"Effect": "Deny", "Action": f"{service}:*", "Resource": "*",
                         "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}}
        else:
            statement = {"Effect": "Allow", "Action": f"{service}:*", "Resource": "*"}
        if rng.random() < 0.2:
            statement["Condition"] = {"Bool": {"aws:SecureTransport": "true"}}
        statements.append(statement)
    return _doc(*statements)


def _pinning_condition(requirement) -> dict:
    if "iam:policyarn" in requirement.defused_by:
        return {"ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/ReadOnlyAccess"}}
    if "iam:permissionsboundary" in requirement.defused_by:
        return {"StringEquals": {"iam:PermissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/agent-boundary"}}
    return {"StringEquals": {"aws:ResourceTag/agent-owned": "true"}}


def escalation_documents() -> list[tuple[str, str, dict]]:
    """(method id, 'method' | 'look-alike', document) for every known method."""
    documents = []
    for method in escalation_methods():
        documents.append((method.id, "method", _doc({"Effect": "Allow", "Action": list(method.actions), "Resource": "*"})))
        statements = []
        for requirement in method.requires:
            info = iam_catalog.action_info(requirement.action)
            if requirement.action == "iam:PassRole":
                statements.append({"Effect": "Allow", "Action": "iam:PassRole",
                                   "Resource": f"arn:aws:iam::{ACCOUNT}:role/agent-exec",
                                   "Condition": {"StringEquals": {"iam:PassedToService": requirement.passed_to}}})
            else:
                templates = iam_catalog.example_arns(info)
                resource = re.sub(r"\$\{([^}]+)\}", lambda m: {"Partition": "aws", "Region": "eu-west-1",
                                  "Account": ACCOUNT}.get(m.group(1), "agent-owned"), templates[0]) if templates else "*"
                statement = {"Effect": "Allow", "Action": requirement.action, "Resource": resource}
                if requirement.named_target_escalates or not templates:
                    # a named IAM principal or policy may be the holder itself (issue 10, kind 4), and an action
                    # that takes no resource (rolesanywhere:CreateTrustAnchor) has no name to pin: only a
                    # condition that pins what may be written, or which targets, defuses the write
                    statement["Condition"] = _pinning_condition(requirement)
                statements.append(statement)
        documents.append((method.id, "look-alike", _doc(*statements)))
    return documents


def parliament_methods() -> dict[str, list[str]]:
    """Parliament's own escalation table, read from its source (the dict is local to a function)."""
    import ast

    import parliament.community_auditors.privilege_escalation as module

    for node in ast.walk(ast.parse(Path(module.__file__).read_text())):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "escalation_methods":
            return ast.literal_eval(node.value)
    return {}


def write_corpus(directory: Path, total: int, seed: int) -> tuple[list[Path], dict[Path, tuple[str, str]]]:
    rng = random.Random(seed)
    files, labelled = [], {}
    theirs = [(f"parliament:{name}", "method", _doc({"Effect": "Allow", "Action": actions, "Resource": "*"}))
              for name, actions in parliament_methods().items()]
    for index, (method, role, document) in enumerate(escalation_documents() + theirs):
        path = directory / f"esc-{index:03d}-{role}.json"
        path.write_text(json.dumps(document, indent=2))
        files.append(path)
        labelled[path] = (method, role)
    while len(files) < total:
        path = directory / f"doc-{len(files):05d}.json"
        path.write_text(json.dumps(random_policy(rng), indent=2))
        files.append(path)
    return files, labelled


def run(command: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    elapsed = time.perf_counter() - start
    if completed.returncode not in (0, 1):
        raise SystemExit(f"{command[0]} failed ({completed.returncode}): {completed.stderr[-2000:]}")
    return elapsed, completed.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=2200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="write the corpus here and keep it")
    args = parser.parse_args()
    directory = args.keep or Path(tempfile.mkdtemp(prefix="agentid-lint-bench-"))
    directory.mkdir(parents=True, exist_ok=True)
    files, labelled = write_corpus(directory, args.documents, args.seed)
    count = len(files)

    lint_time, lint_out = run([str(VENV_BIN / "agentid"), "lint", "--format", "json", *map(str, files)])
    parliament_time, parliament_out = run([str(VENV_BIN / "parliament"), "--directory", str(directory),
                                           "--include_policy_extension", ".json", "--json",
                                           "--include-community-auditors"])

    lint_findings = json.loads(lint_out)
    lint_escalation = {Path(f["file"]).name for f in lint_findings if f["rule"] in ("AGID-AWS-020",)}
    lint_flagged = {Path(f["file"]).name for f in lint_findings}
    parliament_escalation = set()
    parliament_flagged = set()
    for line in parliament_out.splitlines():
        if not line.startswith("{"):
            continue
        finding = json.loads(line)
        path = finding.get("location", {}).get("filepath")
        if not path:
            continue
        parliament_flagged.add(Path(path).name)
        if finding["issue"] == "PRIVILEGE_ESCALATION":
            parliament_escalation.add(Path(path).name)

    caught = defaultdict(dict)
    for path, (method, role) in labelled.items():
        caught[method][role] = (path.name in lint_escalation, path.name in parliament_escalation)

    print(f"corpus: {count} policy documents, seed {args.seed}; of them one per escalation method in our table "
          "(its actions on \"*\"), a defused look-alike of each, and one per method in parliament's table")
    print(f"agentid lint : {lint_time:6.2f} s  {count / lint_time:8.1f} docs/s  "
          f"({len(lint_findings)} findings in {len(lint_flagged)} documents)")
    print(f"parliament   : {parliament_time:6.2f} s  {count / parliament_time:8.1f} docs/s  "
          f"(findings in {len(parliament_flagged)} documents)")
    ratio = (count / lint_time) / (count / parliament_time)
    print(f"ratio        : agentid lint is {ratio:.2f}x parliament's throughput (goal >= 3x: "
          f"{'met' if ratio >= 3 else 'MISSED'})")
    for table, prefix in (("our table", ""), ("parliament's table", "parliament:")):
        methods = sorted(m for m in caught if m.startswith(prefix) and (prefix or not m.startswith("parliament:")))
        ours = [m for m in methods if caught[m]["method"][0]]
        theirs = [m for m in methods if caught[m]["method"][1]]
        print(f"escalation methods of {table} flagged (of {len(methods)}): agentid lint {len(ours)}, "
              f"parliament {len(theirs)}")
        print(f"  agentid lint misses: {', '.join(m.removeprefix(prefix) for m in methods if m not in ours) or '-'}")
        print(f"  parliament misses  : {', '.join(m.removeprefix(prefix) for m in methods if m not in theirs) or '-'}")
    lookalikes = sorted(m for m in caught if "look-alike" in caught[m])
    print(f"defused look-alikes wrongly flagged (of {len(lookalikes)}): agentid lint "
          f"{sum(caught[m]['look-alike'][0] for m in lookalikes)}, parliament "
          f"{sum(caught[m]['look-alike'][1] for m in lookalikes)}")
    print(f"  parliament flags: {', '.join(m for m in lookalikes if caught[m]['look-alike'][1]) or '-'}")
    print(f"  agentid flags   : {', '.join(m for m in lookalikes if caught[m]['look-alike'][0]) or '-'}")
    if not args.keep:
        import shutil

        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()

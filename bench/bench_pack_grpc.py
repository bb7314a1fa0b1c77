"""Benchmark: the agent_guard pack's gRPC throughput against a pack with one trivial rule.

    .venv/bin/python bench/bench_pack_grpc.py [--resources 2000] [--rounds 3]

Both packs are started exactly as the engine (and `agentid preview`) starts them:
`python -u -m pulumi.policy <engine> <pack>` with the engine's environment for the
example `dev` stack (PULUMI_PROJECT, PULUMI_STACK, PULUMI_DRY_RUN, PULUMI_CONFIG),
which the SDK re-reads on every call; and sent the same resources: a realistic mix
of agent identities (roles with trust and inline policies, policies,
attachments, Cognito clients, Azure identities, custom roles and
assignments) plus unrelated resources (buckets, queues). Reports Analyze calls
per second for each pack, the cost ratio (goal: agent_guard <= 1.5x the trivial
pack), and the time of one AnalyzeStack over all resources.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from agentid.analyzer_client import PackProcess, StackResource  # noqa: E402
from agentid.preview import sandbox  # noqa: E402
from agentid.preview.runner import _engine_env  # noqa: E402 - the very environment the gate gives each pack
from agentid.preview.stack_config import find_project, load_stack_config  # noqa: E402
from agentid_components.naming import oauth_client_name  # noqa: E402

ACCOUNT = "123456789012"
SUB = "/subscriptions/11111111-2222-4333-8444-555555555555"
GITHUB = "token.actions.githubusercontent.com"
TAGS = {"agent": "triage", "owner": "sre@example.com", "review-by": "2999-01-01", "managed-by": "agent-identity-kit"}


def _policy(rng: random.Random) -> str:
    bucket = f"reports-{rng.randrange(50)}"
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": f"arn:aws:s3:::{bucket}/agents/*"},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}",
         "Condition": {"StringLike": {"s3:prefix": "agents/*"}}},
        {"Effect": "Allow", "Action": "dynamodb:GetItem",
         "Resource": f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/tickets-{rng.randrange(9)}"}]})


def _trust(agent: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{GITHUB}"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com",
                                       f"{GITHUB}:sub": f"repo:acme/{agent}:environment:prod"}}}]})


def resources(count: int, seed: int = 11) -> list[StackResource]:
    rng = random.Random(seed)
    out: list[StackResource] = []

    def add(type_: str, name: str, props: dict) -> None:
        out.append(StackResource(type_, name, f"urn:pulumi:bench::kit::{type_}::{name}", props))

    index = 0
    while len(out) < count:
        agent = f"agent-{index}"
        index += 1
        add("aws:iam/role:Role", agent, {"name": agent, "assumeRolePolicy": _trust(agent), "maxSessionDuration": 3600.0,
                                         "tags": {**TAGS, "agent": agent},
                                         "inlinePolicies": [{"name": "tools", "policy": _policy(rng)}]})
        add("aws:iam/policy:Policy", f"{agent}-extra", {"name": f"{agent}-extra", "policy": _policy(rng)})
        add("aws:iam/rolePolicyAttachment:RolePolicyAttachment", f"{agent}-att",
            {"role": agent, "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/{agent}-extra"})
        add("aws:cognito/userPoolClient:UserPoolClient", f"{agent}-client",
            {"name": oauth_client_name(agent), "userPoolId": "eu-west-1_x", "allowedOauthFlows": ["client_credentials"],
             "generateSecret": True, "accessTokenValidity": 60.0, "tokenValidityUnits": {"accessToken": "minutes"}})
        add("azure-native:managedidentity:UserAssignedIdentity", f"id-{agent}",
            {"resourceName": f"id-{agent}", "resourceGroupName": "rg", "tags": {**TAGS, "agent": agent}})
        add("azure-native:managedidentity:FederatedIdentityCredential", f"fic-{agent}",
            {"issuer": f"https://{GITHUB}", "subject": f"repo:acme/{agent}:environment:prod",
             "audiences": ["api://AzureADTokenExchange"], "resourceName": f"id-{agent}"})
        container = f"{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa/blobServices/default/containers/{agent}"
        add("azure-native:authorization:RoleDefinition", f"role-{agent}",
            {"roleName": agent, "scope": container, "assignableScopes": [container], "permissions": [
                {"dataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"]}]})
        add("azure-native:authorization:RoleAssignment", f"ra-{agent}",
            {"principalId": "p", "principalType": "ServicePrincipal", "scope": container,
             "roleDefinitionId": f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{rng.randrange(10**8):08d}-0000-4000-8000-000000000000"})
        add("aws:s3/bucket:Bucket", f"bucket-{agent}", {"bucket": f"b-{agent}", "tags": {"team": "x"}})
        add("aws:sqs/queue:Queue", f"queue-{agent}", {"name": f"q-{agent}", "visibilityTimeoutSeconds": 30.0})
    return out[:count]


def analyze_rate(pack: PackProcess, batch: list[StackResource]) -> float:
    start = time.perf_counter()
    for resource in batch:
        pack.analyze(resource.type, resource.name, resource.urn, resource.properties)
    return len(batch) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--stack", default="dev", help="stack whose engine environment the packs get (default dev)")
    args = parser.parse_args()
    batch = resources(args.resources)
    project = find_project(REPO)
    env = _engine_env(project, load_stack_config(project, args.stack), sandbox.isolation())
    # Both packs run side by side and rounds alternate, so a busy machine slows both alike.
    with PackProcess.start(REPO / "policy_packs" / "agent_guard", timeout=60, env=env) as guard, \
            PackProcess.start(REPO / "policy_packs" / "trivial_pack", timeout=60, env=env) as trivial:
        for pack in (guard, trivial):
            pack.info()
            pack.configure({})
            analyze_rate(pack, batch[:300])  # warm-up: imports, caches
        rounds = [(analyze_rate(trivial, batch), analyze_rate(guard, batch)) for _ in range(args.rounds)]
        stack_times = {}
        for name, pack in (("trivial", trivial), ("guard", guard)):
            start = time.perf_counter()
            diagnostics = pack.analyze_stack(batch)
            stack_times[name] = (time.perf_counter() - start, len(diagnostics))
    trivial_rate = statistics.median(t for t, _ in rounds)
    guard_rate = statistics.median(g for _, g in rounds)
    ratio = statistics.median(t / g for t, g in rounds)
    print(f"{len(batch)} resources; {args.rounds} alternating rounds of one Analyze call per resource (medians)")
    print(f"trivial pack : {trivial_rate:8.0f} Analyze/s  ({1000 / trivial_rate:.2f} ms/call); "
          f"AnalyzeStack of all: {stack_times['trivial'][0]:.2f} s")
    print(f"agent_guard  : {guard_rate:8.0f} Analyze/s  ({1000 / guard_rate:.2f} ms/call); "
          f"AnalyzeStack of all: {stack_times['guard'][0]:.2f} s ({stack_times['guard'][1]} stack diagnostics)")
    print(f"cost ratio   : agent_guard takes {ratio:.2f}x the trivial pack per Analyze "
          f"(per-round: {', '.join(f'{t / g:.2f}' for t, g in rounds)}; goal <= 1.5x: "
          f"{'met' if ratio <= 1.5 else 'MISSED'})")


if __name__ == "__main__":
    main()

"""`agentid validate` refuses two owners (agents, tools) of one file whose cloud objects get one physical name.

The kit joins agent and tool names with '-' (GCP role ids with '_'), so `a` + `b` and `a-b` meet; one deployed
object would carry two owners' grants and trust (red2 finding 2). Each kind of name: a clash refused with the file
line of the later owner naming both, and a look-alike that must pass.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SCOPE = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct"
ISSUER = "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"


def _tool(name: str, cloud: str) -> dict:
    grant = {
        "aws": {"actions": ["dynamodb:GetItem"], "resources": ["arn:aws:dynamodb:eu-west-1:111122223333:table/t"]},
        "azure": {"data_actions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"], "scope": SCOPE},
        "gcp": {"permissions": ["storage.objects.get"], "resource": "//storage.googleapis.com/projects/_/buckets/acme-reports"},
    }[cloud]
    return {"name": name, cloud: grant}


def _agent(name: str, tools: list[dict], per_tool: bool = False, trust: dict | None = None) -> dict:
    return {"name": name, "owner": "team", "purpose": "p", "environment": "dev", "review_by": "2031-06-30",
            "azure_identity_per_tool": per_tool, "tools": tools,
            "trust": [trust or {"github_actions": {"repository": f"org/{name}", "branch": "main"}}]}


def _validate(tmp_path: Path, agents: list[dict]) -> subprocess.CompletedProcess:
    spec = tmp_path / "agents.yaml"
    spec.write_text(yaml.safe_dump({"agents": agents}, sort_keys=False))
    return subprocess.run([sys.executable, "-m", "agentid.cli", "validate", str(spec)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def _k8s(namespace: str, issuer: str = ISSUER) -> dict:
    return {"kubernetes": {"issuer": issuer, "namespace": namespace, "service_account": "agent"}}


def _spiffe(path: str, trust_domain: str = "dev.example.org") -> dict:
    return {"spiffe": {"trust_domain": trust_domain, "path": path, "jwt_issuer": "https://oidc.dev.example.org"}}


def _github(repository: str, branch: str | None = None, environment: str | None = None) -> dict:
    return {"github_actions": {"repository": repository, **({"branch": branch} if branch else {}),
                               **({"environment": environment} if environment else {})}}


def test_each_kind_of_shared_name_is_refused_naming_both_owners(tmp_path):
    cases = [
        ([_agent("a", [_tool("b", "azure")], per_tool=True), _agent("a-b", [_tool("w", "azure")])],
         ": agents[1].name: agent 'a-b' and tool 'b' of agent 'a' (agents[0]) would both get Azure managed identity 'id-agent-a-b'"),
        ([_agent("a", [_tool("b-c", "azure")]), _agent("a-b", [_tool("c", "azure")])],
         ": agents[1].tools[0].name: tool 'c' of agent 'a-b' and tool 'b-c' of agent 'a' (agents[0]) would both get "
         "Azure role definition 'agent-a-b-c'"),
        ([_agent("a", [_tool("g-h", "gcp")]), _agent("a-g", [_tool("h", "gcp")])],
         ": agents[1].tools[0].name: tool 'h' of agent 'a-g' and tool 'g-h' of agent 'a' (agents[0]) would both get "
         "GCP custom role 'agentid_a_g_h'"),
        ([_agent("a", [_tool("t", "aws")], trust=_k8s("ns")), _agent("b", [_tool("t", "aws")], trust=_k8s("ns"))],
         ": agents[1].trust[0].kubernetes: agent 'b' and agent 'a' (agents[0]) would both get Kubernetes service account "
         f"'{ISSUER} ns/agent'"),
        # red6: one SPIFFE ID trusted by two agents (one ClusterSPIFFEID each for the same ID)
        ([_agent("a", [_tool("t", "gcp")], trust=_spiffe("/ns/a/sa/b")),
          _agent("b", [_tool("t", "gcp")], trust=_spiffe("/ns/a/sa/b"))],
         ": agents[1].trust[0].spiffe: agent 'b' and agent 'a' (agents[0]) would both get SPIFFE ID "
         "'spiffe://dev.example.org/ns/a/sa/b': one workload would act as both agents"),
        # red7a item 12: one service account's pods, named by a kubernetes binding and by a SPIFFE ID (either order,
        # whatever the issuer and trust domain: a trust domain does not say which clusters attest into it)
        ([_agent("one", [_tool("t", "aws")], trust=_k8s("agents")),
          _agent("two", [_tool("t", "gcp")], trust=_spiffe("/ns/agents/sa/agent", "other.example.org"))],
         ": agents[1].trust[0].spiffe: agent 'two' trusts SPIFFE ID 'spiffe://other.example.org/ns/agents/sa/agent' and "
         "agent 'one' (agents[0]) trusts Kubernetes service account agents/agent: both are the pods of service account "
         "agents/agent (SPIRE's /ns/NAMESPACE/sa/SERVICE_ACCOUNT convention), so one workload would act as both "
         "agents: give each agent its own service account"),
        ([_agent("one", [_tool("t", "gcp")], trust=_spiffe("/ns/agents/sa/agent")),
          _agent("two", [_tool("t", "aws")], trust=_k8s("agents"))],
         ": agents[1].trust[0].kubernetes: agent 'two' trusts Kubernetes service account agents/agent and agent 'one' "
         "(agents[0]) trusts SPIFFE ID 'spiffe://dev.example.org/ns/agents/sa/agent': both are the pods of service "
         "account agents/agent"),
        # one GitHub OIDC subject (one workflow context) trusted by two agents, as GitHub compares the names
        ([_agent("one", [_tool("t", "aws")], trust=_github("acme/r", branch="main")),
          _agent("two", [_tool("t", "aws")], trust=_github("acme/r", branch="main"))],
         ": agents[1].trust[0].github_actions: agent 'two' and agent 'one' (agents[0]) would both get GitHub Actions "
         "subject 'repo:acme/r:ref:refs/heads/main': every job of that workflow context would act as both agents: "
         "give each agent its own GitHub environment (or branch)"),
        ([_agent("one", [_tool("t", "aws")], trust=_github("acme/r", environment="prod")),
          _agent("two", [_tool("t", "aws")], trust=_github("Acme/R", environment="Prod"))],
         ": agents[1].trust[0].github_actions: agent 'two' and agent 'one' (agents[0]) would both get GitHub Actions "
         "subject 'repo:acme/r:environment:prod'"),
    ]
    for agents, message in cases:
        result = _validate(tmp_path, agents)
        assert result.returncode == 2, (message, result.stdout)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 2 and message in lines[0] and lines[1].endswith(": 1 problem"), result.stderr
        assert lines[0].startswith(f"{tmp_path / 'agents.yaml'}:") and lines[0].split(":")[1].isdigit()  # FILE:LINE


def test_look_alike_names_that_compile_to_distinct_objects_pass(tmp_path):
    cases = [
        # `a` has one identity (not per tool): 'id-agent-a' and 'id-agent-a-b' differ
        [_agent("a", [_tool("b", "azure")]), _agent("a-b", [_tool("w", "azure")])],
        # role definitions 'agent-a-b-c' and 'agent-a-bc'
        [_agent("a", [_tool("b-c", "azure")]), _agent("a-b", [_tool("xc", "azure")]), _agent("a-bc", [_tool("d", "azure")])],
        # GCP: 'agentid_a_g_h' and 'agentid_a_gh'; AWS roles of agents named alike are per agent
        [_agent("a", [_tool("g-h", "gcp"), _tool("t", "aws")]), _agent("a-g", [_tool("i", "gcp"), _tool("t", "aws")]),
         _agent("a-gh", [_tool("t", "aws")])],
        # the same namespace/name on two clusters (issuers) are two service accounts
        [_agent("a", [_tool("t", "aws")], trust=_k8s("ns")),
         _agent("b", [_tool("t", "aws")], trust=_k8s("ns", ISSUER.replace("EXAMPLED", "OTHERD")))],
        # two workloads: /ns/a/sa/b and /ns/a/sa/b2 are two SPIFFE IDs
        [_agent("a", [_tool("t", "gcp")], trust=_spiffe("/ns/a/sa/b")),
         _agent("b", [_tool("t", "gcp")], trust=_spiffe("/ns/a/sa/b2"))],
        # one agent naming its own service account both ways (the example's data-ingest and bq-analyst)
        [{**_agent("a", [_tool("t", "gcp")]), "trust": [_k8s("agents"), _spiffe("/ns/agents/sa/agent")]}],
        # another account in the namespace, the same account name in another namespace, a path of another form
        [_agent("one", [_tool("t", "aws")], trust=_k8s("agents")),
         _agent("two", [_tool("t", "gcp")], trust=_spiffe("/ns/agents/sa/agent2")),
         _agent("three", [_tool("t", "gcp")], trust=_spiffe("/ns/agents2/sa/agent")),
         _agent("four", [_tool("t", "gcp")], trust=_spiffe("/agents/agent"))],
        # GitHub: one repository, two environments; one branch name in two repositories; branches compare exactly
        [_agent("one", [_tool("t", "aws")], trust=_github("acme/r", environment="prod")),
         _agent("two", [_tool("t", "aws")], trust=_github("acme/r", environment="staging")),
         _agent("three", [_tool("t", "aws")], trust=_github("acme/r2", environment="prod")),
         _agent("four", [_tool("t", "aws")], trust=_github("acme/r", branch="main")),
         _agent("five", [_tool("t", "aws")], trust=_github("acme/r", branch="Main"))],
    ]
    for agents in cases:
        result = _validate(tmp_path, agents)
        assert result.returncode == 0, result.stderr


def test_validate_names_each_cloud_limit_that_cuts_a_name(tmp_path):
    """A name past a cloud's length limit is cut with a hash (still unique): validate says which limit, where, and
    what the name becomes; it is a note, not a problem (exit 0)."""
    long_name = "quarterly-revenue-analyst-emea"  # agent-<30> = 36 > 30 (GCP service account id)
    done = _validate(tmp_path, [_agent(long_name, [_tool("save", "gcp")]), _agent("short", [_tool("save", "gcp")])])
    assert done.returncode == 0, done.stderr
    notes = [line for line in done.stderr.splitlines() if ": note: " in line]
    assert notes == [
        f"{tmp_path / 'agents.yaml'}:2: agents[0].name: note: agent '{long_name}': its GCP service account name is "
        "longer than the 30 characters Google Cloud allows, so the kit cuts it to 'agent-quarterly-reven-6d5a17fa' "
        "(a hash keeps it unique); a shorter name stays readable (the stack's name suffix is added too)"]
    assert done.stdout.strip().endswith("ok (2 agents)")

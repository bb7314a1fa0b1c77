"""Property test: random property shapes never make a rule raise.

Each rule meets at least 10,000 shapes: well-formed and malformed IAM
documents (as strings and objects), Azure permissions, tags, numbers, unknown
sentinels, None and arbitrary JSON in every field the rules read. Each
hypothesis example's value is also transplanted into every field, which keeps
the run to seconds (hypothesis draws cost milliseconds each).
"""

from __future__ import annotations

import json
import random
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentid_policy_packs.analysis.values import UNKNOWN_SENTINELS
from agentid_policy_packs.rules.base import Resource, Unknown, Violation, run_resource_rule
from agentid_policy_packs.rules.registry import RULES

SHAPES_PER_RULE = 10_000

interesting_strings = st.sampled_from(sorted(UNKNOWN_SENTINELS) + [
    "*", "", "s3:*", "iam:PassRole", "sts:AssumeRoleWithWebIdentity", "arn:aws:iam::*:role/*",
    "arn:aws:s3:::b/*", "arn:aws:iam::123456789012:root", "arn:aws:iam::aws:policy/AdministratorAccess",
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "/", "/subscriptions/11111111-2222-4333-8444-555555555555",
    "implicit", "hours", "minutes", "days", "2020-01-01", "agent:x", "claims['sub'] matches 'a*'", "{", "null",
])
short_text = st.text(alphabet="aZ09*?:/-_.{}[]\"' é", max_size=10)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.sampled_from([0.0, -1.0, 0.5, 900.0, 3600.0, 43200.0, 1e308, float("inf"), float("nan")]),
                    short_text, interesting_strings)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(short_text | interesting_strings,
                                                                        children, max_size=4),
    max_leaves=5,
)
actions = st.one_of(interesting_strings, st.lists(interesting_strings, max_size=3),
                    st.sampled_from(["*", "iam:*", "s3:Get*", "lambda:CreateFunction", "IAM:passrole"]))
principals = st.one_of(st.just("*"), st.dictionaries(st.sampled_from(["AWS", "Service", "Federated", "Bogus"]),
                                                     actions, max_size=2), json_values)
conditions = st.dictionaries(
    st.sampled_from(["StringEquals", "StringLike", "ForAllValues:StringEquals", "StringEqualsIfExists", "Bool", "x"]),
    st.dictionaries(st.sampled_from(["iam:PassedToService", "aws:PrincipalOrgID", "sts:ExternalId",
                                     "token.actions.githubusercontent.com:sub", "aws:ResourceTag/team"]),
                    st.one_of(interesting_strings, st.lists(scalars, max_size=3), json_values), max_size=2),
    max_size=2,
) | json_values
statement = st.fixed_dictionaries({}, optional={
    "Effect": st.sampled_from(["Allow", "Deny", "allow"]) | json_values,
    "Action": actions, "NotAction": actions, "Resource": actions, "NotResource": actions,
    "Principal": principals, "Condition": conditions, "Sid": json_values,
})
document = st.fixed_dictionaries({"Statement": st.one_of(st.lists(statement, max_size=4), statement, json_values)},
                                 optional={"Version": st.sampled_from(["2012-10-17", "2008-10-17", "1"])})
policy_values = st.one_of(document, document.map(json.dumps), json_values, short_text)
permissions = st.lists(st.fixed_dictionaries({}, optional={
    k: st.one_of(st.lists(st.one_of(interesting_strings, st.sampled_from(["*", "Microsoft.Storage/*",
                 "Microsoft.Authorization/roleAssignments/write", "*/read"])), max_size=3), json_values)
    for k in ("actions", "notActions", "dataActions", "notDataActions")}), max_size=3) | json_values

FIELDS = {
    "policy": policy_values, "assumeRolePolicy": policy_values, "sessionPolicy": policy_values,
    "inlinePolicies": st.lists(st.fixed_dictionaries({}, optional={"name": json_values, "policy": policy_values}),
                               max_size=3) | json_values,
    "managedPolicyArns": st.lists(interesting_strings, max_size=3) | json_values,
    "policyArn": interesting_strings | json_values, "policyArns": json_values,
    "role": interesting_strings | json_values, "roles": json_values, "roleName": json_values,
    "name": interesting_strings | json_values, "user": json_values,
    "maxSessionDuration": scalars, "durationSeconds": scalars, "accessTokenValidity": scalars,
    "idTokenValidity": scalars, "tokenValidityUnits": json_values,
    "tags": st.dictionaries(st.sampled_from(["agent", "owner", "review-by", "x"]), scalars, max_size=3)
    | st.lists(interesting_strings, max_size=3) | json_values,
    "allowedOauthFlows": st.lists(interesting_strings, max_size=3) | json_values,
    "allowSharedKeyAccess": scalars, "roleDefinitionId": interesting_strings | json_values,
    "scope": interesting_strings | json_values, "permissions": permissions,
    "assignableScopes": st.lists(interesting_strings, max_size=2) | json_values,
    "subject": interesting_strings | json_values, "claimsMatchingExpression": interesting_strings | json_values,
    "password": json_values, "passwordCredentials": json_values,
    # Azure role-assignment conditions and Entra / AI service inputs
    "condition": st.sampled_from([
        "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR (@Request[Microsoft.Authorization/"
        "roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {2a2b9908-6ea1-4ae2-8e65-a410df84e7d1}))",
        "@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] GuidNotEquals {", "((((", "NOT !",
        "@Resource[x] boolequals true && ActionMatches{'*'}"]) | short_text | json_values,
    "roleId": interesting_strings | st.just("62e90394-69f5-4237-9190-012177145e10") | json_values,
    "appRoleId": interesting_strings | st.just("9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8") | json_values,
    "roleIds": st.lists(interesting_strings, max_size=3) | json_values, "apiClientId": interesting_strings | json_values,
    "requiredResourceAccesses": st.lists(st.fixed_dictionaries({}, optional={
        "resourceAppId": st.just("00000003-0000-0000-c000-000000000000") | json_values,
        "resourceAccesses": st.lists(st.fixed_dictionaries({}, optional={
            "id": st.just("1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9") | json_values,
            "type": st.sampled_from(["Role", "Scope"]) | json_values}), max_size=2) | json_values}), max_size=2)
    | json_values,
    "web": st.fixed_dictionaries({}, optional={"implicitGrant": st.fixed_dictionaries({}, optional={
        "accessTokenIssuanceEnabled": scalars, "idTokenIssuanceEnabled": scalars}) | json_values}) | json_values,
    "fallbackPublicClientEnabled": scalars, "enabled": scalars, "implicitAccessTokenIssuanceEnabled": scalars,
    "properties": st.fixed_dictionaries({}, optional={"disableLocalAuth": scalars, "accessPolicies": st.lists(
        st.fixed_dictionaries({}, optional={"objectId": json_values, "permissions": st.fixed_dictionaries({}, optional={
            "keys": st.lists(st.sampled_from(["all", "get"]) | json_values, max_size=2) | json_values}) | json_values}),
        max_size=2) | json_values}) | json_values,
    "disableLocalAuth": scalars, "displayName": interesting_strings | json_values, "kind": json_values,
    "claimValues": st.lists(st.sampled_from(["Directory.ReadWrite.All", "User.Read"]) | json_values, max_size=3)
    | json_values, "userObjectId": json_values, "roleObjectId": interesting_strings | json_values,
    "rights": st.lists(st.sampled_from(["Manage", "Send"]) | json_values, max_size=2) | json_values,
}
FIELD_NAMES = sorted(FIELDS)
any_value = st.one_of(*FIELDS.values())
# A few fields a shape sets (each rule reads one to three), values matched to their field.
field_and_value = st.one_of([FIELDS[key].map(lambda value, key=key: (key, value)) for key in FIELD_NAMES])
RESOURCE_PAIRS = [(rule, type_) for rule in RULES if not rule.stack for type_ in rule.resource_types]
STACK_RULES = [rule for rule in RULES if rule.stack]
ALL_TYPES = sorted({type_ for rule in RULES for type_ in rule.resource_types} | {
    "aws:iam/policy:Policy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:s3/bucket:Bucket"})
# Hypothesis draws are slow (milliseconds each), so every drawn value is also transplanted into every
# field: one example yields len(FIELD_NAMES) + 1 shapes, all thrown at every rule.
EXAMPLES = SHAPES_PER_RULE // (len(FIELD_NAMES) + 1) + 10


def _check_outcomes(outcomes) -> None:
    for outcome in outcomes:
        assert isinstance(outcome, (Violation, Unknown)), outcome
        assert isinstance(outcome.message, str) and outcome.message


def test_no_rule_raises_on_random_property_shapes():
    shapes: Counter[str] = Counter()

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(any_value, st.lists(field_and_value, max_size=4).map(dict), st.integers(0, 2**32))
    def run(value, mixed, seed):
        rnd = random.Random(seed)  # wiring of the stack (types, parents, dependencies): cheap, reproducible
        batch = [{field: value} for field in FIELD_NAMES] + [mixed]
        config = mixed.get("tags")  # a random mapping doubles as the rules' pack config
        settings_of = {rule.id: rule.settings(config if isinstance(config, dict) else None) for rule in RULES}
        for props in batch:
            for rule, type_ in RESOURCE_PAIRS:
                resource = Resource(type_, "r", f"urn:pulumi:s::p::{type_}::r", props)
                # a generic token (Cloud Control, CloudFormation, ARM) reaches a typed rule through what it creates
                _check_outcomes(list(rule.check(resource, settings_of[rule.id])) if type_ in rule.declared_types
                                else run_resource_rule(rule, resource, settings_of[rule.id]))
            for rule in {rule.id: rule for rule, _ in RESOURCE_PAIRS}.values():
                shapes[rule.id] += 1
        types = [rnd.choice(ALL_TYPES) for _ in batch]
        urns = [f"urn:pulumi:s::p::{type_}::r{i}" for i, type_ in enumerate(types)]
        stack = [Resource(type_, f"r{i}", urns[i], props, rnd.choice([None, *urns]),
                          tuple(rnd.sample(urns, k=min(2, len(urns)))))
                 for i, (props, type_) in enumerate(zip(batch, types))]
        for rule in STACK_RULES:
            _check_outcomes(list(rule.check(stack, rule.settings({}))))
            shapes[rule.id] += len(stack)

    run()
    assert set(shapes) == {rule.id for rule in RULES}
    assert min(shapes.values()) >= SHAPES_PER_RULE, shapes.most_common()[-3:]

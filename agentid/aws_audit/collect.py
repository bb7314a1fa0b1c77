"""Read what the audit needs from a live account: roles, users, their policies, agents' access keys.

One paginated `GetAccountAuthorizationDetails` brings every role and user with
inline policies, attached policy ARNs, trust policies and tags, plus the
customer-managed policies. Only for agent identities does the collector then
ask more: the documents of attached AWS-managed policies and permissions
boundaries, and each agent user's access keys with their last use.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import unquote

from agentid.aws_audit.clients import call


@dataclass(frozen=True)
class RoleInfo:
    name: str
    arn: str
    tags: dict[str, str]
    trust_policy: Any
    inline_policies: dict[str, Any]  # policy name -> document
    attached_policies: list[str]  # managed policy ARNs
    permissions_boundary: str | None

    @property
    def account(self) -> str:
        return self.arn.split(":")[4]


@dataclass(frozen=True)
class AccessKeyInfo:
    access_key_id: str
    status: str
    created: dt.datetime | None
    last_used: dt.datetime | None
    last_service: str | None
    last_region: str | None


@dataclass
class UserInfo:
    name: str
    arn: str
    tags: dict[str, str]
    access_keys: list[AccessKeyInfo] = field(default_factory=list)


@dataclass
class AccountSnapshot:
    roles: list[RoleInfo]
    users: list[UserInfo]
    managed_policies: dict[str, Any]  # policy ARN -> default version document


def collect(
    iam: Any, role_is_agents: Callable[[RoleInfo], bool], user_is_agents: Callable[[UserInfo], bool]
) -> AccountSnapshot:
    """Everything the audit judges; details (managed documents, access keys) only for agent identities."""
    roles, users, managed = [], [], {}
    pages = call(iam, "listing the account's IAM details", lambda: list(
        iam.get_paginator("get_account_authorization_details").paginate(Filter=["User", "Role", "LocalManagedPolicy"])
    ))
    for page in pages:
        roles += [_role(raw) for raw in page.get("RoleDetailList", [])]
        users += [UserInfo(raw["UserName"], raw["Arn"], _tags(raw)) for raw in page.get("UserDetailList", [])]
        for policy in page.get("Policies", []):
            default = next((v for v in policy.get("PolicyVersionList", []) if v.get("IsDefaultVersion")), None)
            if default is not None:
                managed[policy["Arn"]] = _document(default["Document"])
    for role in roles:
        if role_is_agents(role):
            for arn in role.attached_policies + ([role.permissions_boundary] if role.permissions_boundary else []):
                if arn not in managed:
                    managed[arn] = _managed_document(iam, arn)
    for user in users:
        if user_is_agents(user):
            user.access_keys = _access_keys(iam, user.name)
    return AccountSnapshot(roles, users, managed)


def _role(raw: dict) -> RoleInfo:
    boundary = (raw.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    return RoleInfo(
        name=raw["RoleName"],
        arn=raw["Arn"],
        tags=_tags(raw),
        trust_policy=_document(raw.get("AssumeRolePolicyDocument", {})),
        inline_policies={p["PolicyName"]: _document(p["PolicyDocument"]) for p in raw.get("RolePolicyList", [])},
        attached_policies=[p["PolicyArn"] for p in raw.get("AttachedManagedPolicies", [])],
        permissions_boundary=boundary,
    )


def _tags(raw: dict) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in raw.get("Tags", []) or []}


def _document(document: Any) -> Any:
    """IAM returns documents URL-encoded; boto3 usually decodes them already."""
    if isinstance(document, str):
        text = document if document.lstrip().startswith("{") else unquote(document)
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text  # the analysis reports it as unparseable
    return document


def _managed_document(iam: Any, arn: str) -> Any:
    policy = call(iam, f"reading managed policy {arn}", iam.get_policy, missing_ok=True, PolicyArn=arn)
    if policy is None:
        return None
    version = call(
        iam, f"reading managed policy {arn}", iam.get_policy_version, PolicyArn=arn, VersionId=policy["Policy"]["DefaultVersionId"]
    )
    return _document(version["PolicyVersion"]["Document"])


def _access_keys(iam: Any, user: str) -> list[AccessKeyInfo]:
    pages = call(iam, f"listing access keys of user {user}", lambda: list(iam.get_paginator("list_access_keys").paginate(UserName=user)))
    keys = []
    for page in pages:
        for key in page.get("AccessKeyMetadata", []):
            used = call(iam, f"reading last use of key {key['AccessKeyId']}", iam.get_access_key_last_used, AccessKeyId=key["AccessKeyId"])
            last = used.get("AccessKeyLastUsed", {})
            keys.append(
                AccessKeyInfo(
                    access_key_id=key["AccessKeyId"],
                    status=key.get("Status", "Unknown"),
                    created=key.get("CreateDate"),
                    last_used=last.get("LastUsedDate"),
                    last_service=None if last.get("ServiceName") in (None, "N/A") else last["ServiceName"],
                    last_region=None if last.get("Region") in (None, "N/A") else last["Region"],
                )
            )
    return keys

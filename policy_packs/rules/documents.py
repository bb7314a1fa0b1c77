"""Where policy documents live in resource inputs, as the engine sends them (camelCase).

Shared by the rules that read policies, so every rule agrees on which fields
hold identity policies, trust policies and resource policies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from agentid_components import input_limits
from agentid_policy_packs.analysis import RESOURCE, TRUST, PolicyParseError, parse_policy
from agentid_policy_packs.analysis.openapi_auth import load_definition
from agentid_policy_packs.analysis.values import is_unknown, unknown_path

from .base import Resource, Unknown

# type token -> input holding one identity policy (attached to a principal)
IDENTITY_POLICY_FIELDS = {
    "aws:iam/policy:Policy": "policy",
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
    # An IAM Identity Center permission set's inline policy becomes an identity policy of the role
    # AWS provisions in every assigned account (AWS: "Permission sets", IAM Identity Center user guide).
    "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy": "inlinePolicy",
}
ROLE = "aws:iam/role:Role"
KMS_KEY = "aws:kms/key:Key"
REST_API = "aws:apigateway/restApi:RestApi"
IDENTITY_POLICY_TYPES = (*IDENTITY_POLICY_FIELDS, ROLE)

# type token -> input holding a resource-based policy (IAM JSON with Principal), per the pulumi-aws 7.x
# input names. Only services whose documents are IAM policy grammar: OpenSearch Serverless access
# policies, ECR lifecycle policies and the like are other languages. Source: each resource's page in the
# Pulumi AWS registry (https://www.pulumi.com/registry/packages/aws/api-docs/) and AWS "Services that work
# with IAM", column "Resource-based policies".
RESOURCE_POLICY_FIELDS = {
    KMS_KEY: "policy",
    "aws:kms/keyPolicy:KeyPolicy": "policy",
    "aws:kms/replicaKey:ReplicaKey": "policy",
    "aws:kms/externalKey:ExternalKey": "policy",
    "aws:kms/replicaExternalKey:ReplicaExternalKey": "policy",
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:s3/bucket:Bucket": "policy",
    "aws:s3/bucketV2:BucketV2": "policy",
    "aws:s3/accessPoint:AccessPoint": "policy",
    "aws:s3/vectorsVectorBucketPolicy:VectorsVectorBucketPolicy": "policy",
    "aws:s3/filesFileSystemPolicy:FilesFileSystemPolicy": "policy",
    "aws:s3control/bucketPolicy:BucketPolicy": "policy",
    "aws:s3control/accessPointPolicy:AccessPointPolicy": "policy",
    "aws:s3control/objectLambdaAccessPointPolicy:ObjectLambdaAccessPointPolicy": "policy",
    "aws:s3control/accessGrantsInstanceResourcePolicy:AccessGrantsInstanceResourcePolicy": "policy",
    "aws:s3tables/tableBucketPolicy:TableBucketPolicy": "resourcePolicy",
    "aws:s3tables/tablePolicy:TablePolicy": "resourcePolicy",
    "aws:sqs/queuePolicy:QueuePolicy": "policy",
    "aws:sqs/queue:Queue": "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
    "aws:sns/topic:Topic": "policy",
    "aws:secretsmanager/secretPolicy:SecretPolicy": "policy",
    "aws:secretsmanager/secret:Secret": "policy",
    "aws:lambda/resourcePolicy:ResourcePolicy": "policy",
    "aws:ecr/repositoryPolicy:RepositoryPolicy": "policy",
    "aws:ecr/registryPolicy:RegistryPolicy": "policy",
    "aws:ecrpublic/repositoryPolicy:RepositoryPolicy": "policy",
    "aws:efs/fileSystemPolicy:FileSystemPolicy": "policy",
    "aws:backup/vaultPolicy:VaultPolicy": "policy",
    "aws:glacier/vault:Vault": "accessPolicy",
    # a vault lock policy is IAM grammar too, and once locked it cannot be changed (S3 Glacier "Vault Lock")
    "aws:glacier/vaultLock:VaultLock": "policy",
    # the repository policy every repository a pull-through cache rule, replication or create-on-push makes gets
    # (ECR "Repository creation templates"): public or foreign access here reaches each such repository (red11a r01)
    "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate": "repositoryPolicy",
    "aws:dynamodb/resourcePolicy:ResourcePolicy": "policy",
    "aws:kinesis/resourcePolicy:ResourcePolicy": "policy",
    "aws:glue/resourcePolicy:ResourcePolicy": "policy",
    "aws:cloudwatch/eventBusPolicy:EventBusPolicy": "policy",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "policyDocument",
    "aws:cloudwatch/logDestinationPolicy:LogDestinationPolicy": "accessPolicy",
    "aws:apigateway/restApiPolicy:RestApiPolicy": "policy",
    "aws:apigateway/restApi:RestApi": "policy",  # and x-amazon-apigateway-policy in its OpenAPI body
    "aws:codeartifact/domainPermissions:DomainPermissions": "policyDocument",
    "aws:codeartifact/repositoryPermissionsPolicy:RepositoryPermissionsPolicy": "policyDocument",
    "aws:codebuild/resourcePolicy:ResourcePolicy": "policy",
    "aws:opensearch/domainPolicy:DomainPolicy": "accessPolicies",
    "aws:opensearch/domain:Domain": "accessPolicies",
    "aws:elasticsearch/domainPolicy:DomainPolicy": "accessPolicies",
    "aws:elasticsearch/domain:Domain": "accessPolicies",
    "aws:mediastore/containerPolicy:ContainerPolicy": "policy",
    "aws:msk/clusterPolicy:ClusterPolicy": "policy",
    "aws:redshift/resourcePolicy:ResourcePolicy": "policy",
    "aws:redshiftserverless/resourcePolicy:ResourcePolicy": "policy",
    "aws:dsql/clusterPolicy:ClusterPolicy": "policy",
    "aws:acmpca/policy:Policy": "policy",
    "aws:sesv2/emailIdentityPolicy:EmailIdentityPolicy": "policy",
    "aws:ses/identityPolicy:IdentityPolicy": "policy",
    "aws:schemas/registryPolicy:RegistryPolicy": "policy",
    "aws:oam/sinkPolicy:SinkPolicy": "policy",
    "aws:xray/resourcePolicy:ResourcePolicy": "policyDocument",
    "aws:networkfirewall/resourcePolicy:ResourcePolicy": "policy",
    "aws:vpclattice/authPolicy:AuthPolicy": "policy",
    "aws:vpclattice/resourcePolicy:ResourcePolicy": "policy",
    "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy": "resourcePolicy",
    "aws:bedrock/agentcoreResourcePolicy:AgentcoreResourcePolicy": "policy",
    "aws:amp/resourcePolicy:ResourcePolicy": "policyDocument",
    "aws:opensearchingest/resourcePolicy:ResourcePolicy": "policy",
    "aws:pinpoint/smsvoicev2ResourcePolicy:Smsvoicev2ResourcePolicy": "policy",
    "aws:cloudsearch/domainServiceAccessPolicy:DomainServiceAccessPolicy": "accessPolicy",
    "aws:cloudwatch/logDeliveryDestinationPolicy:LogDeliveryDestinationPolicy": "deliveryDestinationPolicy",
    "aws:organizations/resourcePolicy:ResourcePolicy": "content",
    # a dotted path: the document sits inside an object input ({name, policy})
    "aws:s3control/multiRegionAccessPointPolicy:MultiRegionAccessPointPolicy": "details.policy",
}
RESOURCE_POLICY_TYPES = tuple(RESOURCE_POLICY_FIELDS)

# Repository policies of ECR leave the Resource element out: the repository the policy is set on is the resource
# ("Amazon ECR repository policies are a subset of IAM policies that are scoped for ... individual Amazon ECR
# repositories", https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html; the same for
# ECR Public and for the policy a repository creation template gives each repository it creates). type -> (the
# input naming the repository or prefix, the ARN pattern of the implied Resource); a statement without Resource
# or NotResource is read with that Resource, so it parses and is judged like every other resource policy.
IMPLIED_RESOURCE = {
    "aws:ecr/repositoryPolicy:RepositoryPolicy": ("repository", "arn:aws:ecr:*:*:repository/{}"),
    "aws:ecrpublic/repositoryPolicy:RepositoryPolicy": ("repositoryName", "arn:aws:ecr-public::*:repository/{}"),
    "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate": ("prefix", "arn:aws:ecr:*:*:repository/{}/*"),
}


def _with_implied_resource(resource: Resource, document: Any) -> Any:
    """`document` with the implied Resource written into each statement that has neither Resource nor NotResource;
    the document itself when it is not a readable policy (AGID-POL-001 then reports it as it is)."""
    field, pattern = IMPLIED_RESOURCE[resource.type]
    if isinstance(document, str):
        try:
            document = input_limits.strict_json(document)
        except (ValueError, RecursionError):
            return document
    if not isinstance(document, Mapping) or not isinstance(document.get("Statement"), (list, Mapping)):
        return document
    name = resource.props.get(field)
    if not isinstance(name, str) or is_unknown(name) or not name or name == "ROOT" or "*" in name:
        arn = pattern.replace("{}/*", "*").replace("{}", "*")  # any repository (ROOT: the template for all of them)
    else:
        arn = pattern.format(name)
    statements = document["Statement"]
    implied = [{**s, "Resource": arn} if isinstance(s, Mapping) and "Resource" not in s and "NotResource" not in s
               else s for s in (statements if isinstance(statements, list) else [statements])]
    return {**document, "Statement": implied if isinstance(statements, list) else implied[0]}


@dataclass(frozen=True)
class Document:
    """One policy document found in a resource's inputs."""

    path: str  # e.g. "policy", "inlinePolicies[1].policy"
    value: Any  # the raw JSON string or object; never unknown
    label: str  # how messages name it


@dataclass(frozen=True)
class Pending:
    """A document (or part of one) that is not known yet."""

    path: str


def identity_policies(resource: Resource) -> Iterator[Document | Pending]:
    """The identity policies a resource declares: a policy resource's document or a role's inline policies."""
    props = resource.props
    if resource.type in IDENTITY_POLICY_FIELDS:
        field = IDENTITY_POLICY_FIELDS[resource.type]
        yield from _document(props.get(field), field, field)
    elif resource.type == ROLE:
        inline = props.get("inlinePolicies")
        if is_unknown(inline):
            yield Pending("inlinePolicies")
            return
        if inline is None:
            return
        if not isinstance(inline, list):
            # Not the list of {name, policy} the provider takes: handed on as a document that cannot be
            # parsed, so AGID-POL-001 names it (fail closed) and the other rules skip it.
            yield Document("inlinePolicies", inline, "inlinePolicies")
            return
        for index, entry in enumerate(inline):
            path = f"inlinePolicies[{index}]"
            if is_unknown(entry):
                yield Pending(path)
            elif not isinstance(entry, dict):
                yield Document(path, entry, path)
            elif isinstance(entry, dict) and entry.get("policy") is not None:
                name = entry.get("name")
                label = f"inline policy {name}" if isinstance(name, str) and not is_unknown(name) else path
                yield from _document(entry.get("policy"), f"{path}.policy", label)


def trust_policy(resource: Resource) -> Iterator[Document | Pending]:
    if resource.type == ROLE:
        yield from _document(resource.props.get("assumeRolePolicy"), "assumeRolePolicy", "assumeRolePolicy",
                             required=True)


def trust_statements(resource: Resource, action: str) -> Iterator[Pending | tuple[str, Any]]:
    """Each allowing statement of a role's trust that matches `action`, as (label, statement): the label names the
    role, document and statement ("ops (assumeRolePolicy Statement[0])"). A trust unknown at preview: its `Pending`
    (the caller's "cannot check" or skip); an unparseable one: nothing (AGID-POL-001 names it)."""
    for document in trust_policy(resource):
        if not isinstance(document, Document):
            yield document
            continue
        try:
            parsed = parse_policy(document.value, TRUST)
        except (PolicyParseError, RecursionError):
            continue
        for statement in parsed.statements:
            if statement.allows and statement.matches_action(action):
                yield f"{resource.name} ({document.label} {statement.label})", statement


def resource_policy(resource: Resource) -> Iterator[Document | Pending]:
    """The resource-based policy a resource declares (a key, bucket, queue, topic, secret... policy).

    Optional on the resources that carry one beside other settings (a key, a queue); required on the
    `*Policy` resources that exist only to hold it.
    """
    field = RESOURCE_POLICY_FIELDS.get(resource.type)
    if field is None:
        return
    label = "key policy" if resource.type.startswith("aws:kms/") else "resource policy"
    value: Any = resource.props
    for depth, part in enumerate(field.split(".")):
        if is_unknown(value):
            yield Pending(".".join(field.split(".")[:depth]))
            return
        if not isinstance(value, Mapping):
            # not the object the provider takes: handed on unparseable, so AGID-POL-001 names it (fail closed)
            yield Document(".".join(field.split(".")[:depth]), value, label)
            return
        value = value.get(part)
    if resource.type in IMPLIED_RESOURCE and value is not None and unknown_path(value) is None:
        value = _with_implied_resource(resource, value)
    yield from _document(value, field, label, required=resource.type.endswith("Policy"))
    if resource.type == REST_API:
        yield from _openapi_policy(resource.props.get("body"))


def _openapi_policy(body: Any) -> Iterator[Document]:
    """A REST API's resource policy written into its OpenAPI body (`x-amazon-apigateway-policy`, which API
    Gateway applies on import: https://docs.aws.amazon.com/apigateway/latest/developerguide/openapi-extensions-policy.html).
    A computed or unreadable body yields nothing here: AGID-AWS-046 reports it."""
    if not isinstance(body, str) or is_unknown(body):
        return
    policy = _embedded_policy(body)
    if policy is not None:
        yield Document("body.x-amazon-apigateway-policy", policy, "resource policy (OpenAPI body)")


@lru_cache(maxsize=16)
def _embedded_policy(body: str) -> Any:
    # cached: every resource-policy rule asks for the same body
    try:
        definition = load_definition(body)
    except ValueError:
        return None
    return definition.get("x-amazon-apigateway-policy")


def _document(value: Any, path: str, label: str, *, required: bool = True) -> Iterator[Document | Pending]:
    if value is None:
        if required:
            yield Pending(path)
        return
    pending = unknown_path(value)
    if pending is not None:
        yield Pending(f"{path}.{pending}" if pending else path)
        return
    yield Document(path, value, label)


def judge_resource_policies(resource: Resource, judge: Callable[[Document, Any], Iterable[Any]]) -> Iterator[Any]:
    """What `judge(document, parsed PolicyDocument)` finds in each resource-based policy of `resource`.

    A policy not known at preview is "cannot check until known" (Unknown); one that does not parse is
    skipped here, because AGID-POL-001 reports it (fail closed there, once).
    """
    for document in resource_policy(resource):
        if not isinstance(document, Document):
            yield Unknown(document.path)
            continue
        try:
            parsed = parse_policy(document.value, RESOURCE)
        except (PolicyParseError, RecursionError):
            continue  # AGID-POL-001
        yield from judge(document, parsed)

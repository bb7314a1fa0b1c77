"""AGID-AWS-064 (stack): no plain input hands administration, data, network paths or code execution to an account
not known to be the stack's own.

AGID-AWS-050 judges the accounts named in resource POLICIES. Many AWS resources hand the same things to another
account through a plain input, with no policy in sight (issue 11; red11a r02 r03 r14 r25 r26 r31 r34 r36):
  - administration: a service's delegated / organization administrator (GuardDuty, Security Hub, Macie, Detective,
    Inspector, Firewall Manager, Audit Manager, CloudTrail, IPAM), an accepted administrator invitation, an
    OpenSearch master user, a shared directory, a License Manager grant, a role handed to the Shield Response Team;
  - data: S3 Access Grants, Security Lake subscribers, Backup copy actions, S3 / ECR / S3 Tables replication, log
    subscriptions, deliveries and account policies, CloudTrail's bucket, EventBridge targets, SNS subscriptions,
    Bedrock invocation logging, GuardDuty finding exports, AMIs / snapshots shared by Image Builder and DLM,
    objects the stack uploads or copies into a bucket (an ObjectCopy pinned by expectedBucketOwner to an own account passes);
  - access: an EKS access entry's principal, and the aws-auth ConfigMap's mapRoles / mapUsers / mapAccounts;
  - network: VPC endpoint access to a domain, ENI attach permissions, peering, Direct Connect associations;
  - code: Lambda layers, images and code bundles, ECS / Batch / SageMaker / App Runner / AgentCore images of another
    account run with the resource's role;
  - destinations (red17 r17-2): Lambda async destinations and dead-letter targets, Pipes targets and enrichment, IoT
    rule SQS / SNS / HTTPS / S3 actions, SES and SES v2 event destinations, receipt rule topics, Scheduler and
    EventBridge dead-letter queues, event subscriptions' topics (RDS, Neptune, DocumentDB, Redshift, DMS, MemoryDB,
    ElastiCache, DAX), Mail Manager actions, zero-ETL targets, and every other topic / queue / stream / bus / function
    an input delivers the resource's data or events to. The SDK walk (inputs named *TopicArn, *QueueUrl, *QueueArn,
    *TargetArn, target, *Destination, *DeliveryStreamArn, *EventBusArn, *FunctionArn, *StreamArn, url, arn ...)
    keeps every such input judged or listed with a reason. A Lambda function or state machine such an input runs is
    AGID-AWS-057's (entry `unless`: one finding per value);
  - Step Functions: a Task state's `Resource` ARN carrying an account (a function, an activity) or the named
    parameter of its integration (QueueUrl, TopicArn, EventBusName, FunctionName, StateMachineArn, TableName,
    Bucket, ApiEndpoint ...; data `state_machine`) anywhere in Parallel branches and Map processors hands the
    workflow's data to that account; a definition that is not JSON, or deeper / larger than the data's bounds, is
    "cannot check"; the tasks of a machine the stack starts that AGID-AWS-057 judges are left to it.
Which input of which type names what, and what it hands over, is data: analysis/aws_foreign_account_inputs.yaml
(sources there; tests/policy/test_aws_foreign_account_inputs_data.py walks the installed SDK so an input of the same
shape a provider upgrade adds fails until classified).

Each named value is judged as AGID-AWS-050 / -057 judge accounts (analysis.aws_accounts): own only when listed in
`ownAccountIds` (or, under `agentid preview`, a resource ARN the gate's mocks invented for a resource of this
stack: only when an Output of a stack resource flowed into the input, the engine's propertyDependencies; a literal
written in the mocks' placeholder account is that account's at deployment, red17 r17-1); otherwise "foreign account", or "cannot tell whether account X is yours" while no own account is listed.
Values are parsed as AWS writes them (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html): an
account id, an IAM/STS principal ARN, an SQS queue URL's account (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME, the
legacy REGION.queue.amazonaws.com form), any ARN's account field (an ARN without one, such as an SSM document of AWS,
is AWS's own; an S3 ARN or s3:// URI names a bucket), an ECR image URI's registry account (an image of another registry names
none and is left to other reviews). A bucket name carries no account: only
a bucket this stack creates under that name (its `bucket` input), for a resource created after it, or one the gate
lists in `ownS3Buckets` (aws_buckets.OwnBuckets), is known to be own; a bucket the provider names matches no name. A value taken from another resource of this stack is judged by the value the gate's mocks give it
(an ARN in the mock account, a bucket's name); a plain HTTP(S) URL an action posts the data to names a host and no
account: "sends the data to host X", unless it is an AWS endpoint (`*.amazonaws.com`, `*.on.aws`) an Output of a stack
resource flowed into or a host the gate lists in the pack-wide `ownHosts` (`--own-host`); an SNS e-mail subscription's
mailbox is own only at a domain of the pack-wide `ownEmailDomains` (`--own-email-domain`), an SMS number never (red20
r20-10: an https or e-mail subscription and an EventBridge API destination sent every message outside); a value unknown at preview is "cannot check until known" whatever the
resource depends on (a depends_on proves nothing about a constant behind an Output). A public value (`all`) blocks. Critical (mandatory), as AGID-AWS-050: public or cross-account
access blocks; waive a reviewed partner account by URN or list the account in ownAccountIds.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from agentid_components import data_yaml
from agentid_policy_packs.analysis.aws_accounts import OwnAccounts, invented_accounts, principal_account
from agentid_policy_packs.analysis.values import is_unknown, value_at

from .aws_deploy_time_exec import _at as json_values_at  # dotted reader stepping into JSON text (one reader)
from .aws_deploy_time_exec import _Unreadable
from .base import Resource, Rule, Unknown, Violation
from .gcp_foreign_project_inputs import CONFIG_SCHEMA as GCP_EGRESS_SCHEMA
from .gcp_foreign_project_inputs import OWN_HOSTS_KEY
from .aws_buckets import (BUCKET_TYPES, OWN_BUCKETS_CONFIG, OWN_BUCKETS_SCHEMA, OWN_BUCKETS_STRICTNESS, OwnBuckets,
                          bucket_name)
from .aws_org_account_root_email import CONFIG as OWN_EMAIL_CONFIG
from .aws_org_account_root_email import CONFIG_SCHEMA as OWN_EMAIL_SCHEMA
from .aws_org_account_root_email import STRICTNESS as OWN_EMAIL_STRICTNESS
from .aws_org_account_root_email import is_own as own_mail_domain
from .aws_org_account_root_email import own_domains
from .iam_links import ROLE, NameIndex
from .k8s_rbac_bypass_group import CONFIG_MAP_TYPES, aws_auth_lists
from .trust_policy import OWN_ACCOUNTS_CONFIG, OWN_ACCOUNTS_SCHEMA, OWN_ACCOUNTS_STRICTNESS

DATA_FILE = Path(__file__).resolve().parents[1] / "analysis" / "aws_foreign_account_inputs.yaml"
# arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE (AWS "Amazon Resource Names"); ACCOUNT empty for AWS-owned and S3
_ARN = re.compile(r"^arn:aws[a-z-]*:(?P<service>[a-z0-9-]+):[a-z0-9-]*:(?P<account>\d{12})?:(?P<resource>.+)$")
# ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn]/REPO (Amazon ECR "private registry" URIs)
_ECR_IMAGE = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/\S+$")
# SQS queue URLs (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-queue-message-identifiers.html):
# https://sqs.REGION.amazonaws.com/ACCOUNT/NAME (sqs-fips, .com.cn, api.aws dual-stack), the legacy
# https://REGION.queue.amazonaws.com/ACCOUNT/NAME and https://queue.amazonaws.com/ACCOUNT/NAME (us-east-1)
_QUEUE_URL = re.compile(r"^https?://(?:sqs(?:-fips)?\.[a-z0-9-]+\.(?:amazonaws\.com(?:\.cn)?|api\.aws)|"
                        r"(?:[a-z0-9-]+\.)?queue\.amazonaws\.com(?:\.cn)?)(?::443)?/(?P<account>\d{12})/[^/?#]+/?$",
                        re.IGNORECASE)
_AWS_HOSTS = (".amazonaws.com", ".amazonaws.com.cn", ".on.aws", ".api.aws")  # endpoints of AWS resources
_URL_HOST = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*)://(?:[^@/?#]*@)?(?P<host>\[[^\]]*\]|[^:/?#]*)", re.IGNORECASE)


@cache
def foreign_account_inputs() -> dict[str, Any]:
    """The data file: `judged` (type -> hands, access, source, inputs) and `not_judged` (reason -> type -> paths)."""
    return data_yaml.load(DATA_FILE)


class _Owner:
    """Who a value names: an account (judged against the own accounts), a bucket, or nothing readable."""

    def __init__(self, resources: list[Resource], config) -> None:
        self.own = OwnAccounts.from_config(config).including(invented_accounts())
        # the buckets the program names (`bucket` input), for a resource created after them, and the gate's own
        # (ownS3Buckets): aws_buckets.OwnBuckets
        self.buckets = OwnBuckets(resources, config)
        self.roles = NameIndex([r for r in resources if r.type == ROLE], exact_arns=True)
        # the gate's lists of the organisation's own HTTP hosts (ownHosts, GCP-033's) and mail domains (AWS-075's)
        hosts = config.get(OWN_HOSTS_KEY) if hasattr(config, "get") else None
        self.hosts = frozenset(h.strip().lower().rstrip(".") for h in hosts or () if isinstance(h, str))
        self.mail_domains = own_domains(config)

    def problem(self, kind: str, value: str, resource: Resource, literal: bool = False) -> str | None:
        """None when `value` (of data kind `kind`) is known to be the stack's own; else why it is flagged. `literal`:
        no Output of a stack resource flowed into the input, so an account the gate's mocks invent is not own."""
        if literal and (found := self._literal(kind, value.strip())) is not None:
            return found
        value = value.strip()
        if kind == "role":
            found = self.roles.resolve_ordered(value, resource)
            return None if found else f"role {value[:200]} is not one this stack defines: cannot check what it may do"
        if kind == "bucket" or (kind == "arn" and value.startswith("arn:") and _bucket_arn(value)):
            return self.buckets.problem(bucket_name(value), (resource,))
        if kind == "url" and value.startswith("arn:"):
            kind = "arn"  # an input taking either an ARN or a URL (an HTTP API's quick-create target)
        if kind in ("url", "queue_url") and (match := _QUEUE_URL.match(value)) is not None:
            return self.own.problem(match["account"], value)
        if kind == "queue_url":
            return (f"{value[:200]!r} is not an SQS queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME): cannot "
                    "tell whose it is")
        if kind == "url":
            # a URL names a host, never an account: no setting or rule can tell it is yours, so the data it is sent
            # is "sent to host X" (a reviewed endpoint is waived by URN); an AWS endpoint of a stack resource (its
            # Output flowed into the input: an API stage's invoke URL, a function URL) is the stack's own
            match = _URL_HOST.match(value)
            host = match["host"] if match else value[:200]
            if not literal and match and host.lower().endswith(_AWS_HOSTS):
                return None
            if match and host.lower().rstrip(".") in self.hosts:
                return None
            return (f"sends the data to host {host!r}, not one of ownHosts (a URL carries no account: list your own "
                    "endpoints' hosts with --own-host, or waive a reviewed endpoint by URN)")
        if kind == "email":
            domain = value.rpartition("@")[2] if "@" in value else ""
            if domain and own_mail_domain(domain, self.mail_domains):
                return None
            return (f"sends the data to mailbox {value[:200]!r}, not at one of ownEmailDomains (list your mail "
                    "domains with --own-email-domain, or waive a reviewed mailbox by URN)")
        if kind == "phone":
            return f"sends the data by SMS to {value[:40]!r} (a phone number is never known to be yours: waive by URN)"
        if kind == "image":
            # an image of another registry names no account (third-party code is not this rule's question)
            match = _ECR_IMAGE.match(value)
            return None if match is None else self.own.problem(match["account"], value)
        if kind == "arn":
            match = _ARN.match(value)
            if match is None:
                return f"{value[:200]!r} is not an ARN: cannot tell whose it is"
            return None if match["account"] is None else self.own.problem(match["account"], value)
        account = principal_account(value)
        if account is None:
            what = "an account id" if kind == "account" else "an account id or IAM principal ARN"
            return f"{value[:200]!r} is not {what}: cannot tell whose it is"
        return self.own.problem(account, value)


    def _literal(self, kind: str, value: str) -> str | None:
        """red17 r17-1: the mocks invent ARNs of the stack's resources in one placeholder account, so a literal
        written in that account (`arn:aws:sqs:us-east-1:123456789012:drop`) is not the stack's resource: at
        deployment it names that account's. Judged against the listed accounts only; None when the value names no
        invented account (judged as any other)."""
        if kind not in ("arn", "principal", "queue_url", "url", "image", "account", "function"):
            return None
        match = (_ARN.match(value) or _QUEUE_URL.match(value) or _ECR_IMAGE.match(value)
                 or _LAMBDA_PARTIAL.match(value))
        account = match["account"] if match is not None else principal_account(value)
        if account is None or account not in invented_accounts() or account in self.own.listed:
            return None
        problem = OwnAccounts(self.own.listed).problem(account, value)
        return None if problem is None else (f"{problem}; it is the gate mocks' placeholder account, written as a "
                                             "literal, not an Output of a resource of this stack")


def _from_output(resource: Resource, where: str) -> bool:
    """Did an Output of another resource flow into the top-level input holding `where` (the engine's
    propertyDependencies; the gate sends none for a resource all of whose inputs are literals)?"""
    top = re.split(r"[.\[]", where, maxsplit=1)[0]
    return bool((resource.property_dependencies or {}).get(top))


def _bucket_arn(value: str) -> bool:
    match = _ARN.match(value)
    return match is not None and match["service"] == "s3" and match["account"] is None


def _applies(resource: Resource, when: dict[str, list[str]]):
    """True when every `when` input has one of its values; None (after yielding Unknown) when one is unknown."""
    for path, values in when.items():
        value = value_at(dict(resource.props), path)
        if is_unknown(value):
            yield Unknown(path, resource.urn)
            return None
        if not isinstance(value, str) or value.strip().lower() not in {v.lower() for v in values}:
            return False
    return True


def _owner_pinned(resource: Resource, path: str | None, owner: _Owner) -> bool:
    """Does the input at `path` pin the named bucket's owner to an account listed as own? (S3 refuses the request
    when the bucket's owner differs: x-amz-expected-bucket-owner,
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html)"""
    if path is None:
        return False
    value = value_at(dict(resource.props), path)
    return isinstance(value, str) and not is_unknown(value) and value.strip() in owner.own.listed


def _judge(resource: Resource, spec: dict[str, Any], owner: _Owner):
    for entry in spec["inputs"]:
        if not (yield from _applies(resource, entry.get("when", {}))):
            continue
        if _owner_pinned(resource, entry.get("pinned_by"), owner):
            continue
        public = {v.lower() for v in entry.get("public", ())}
        hands = entry.get("hands", spec["hands"])
        # `unless`: values another rule judges (AGID-AWS-057 judges the function or state machine an input runs,
        # another account's included), so that each value gets one finding
        unless = re.compile(entry["unless"]) if "unless" in entry else None
        for where, value in json_values_at(dict(resource.props), entry["path"]):
            if unless is not None and isinstance(value, str) and not is_unknown(value) and unless.search(value):
                continue
            if isinstance(value, _Unreadable):
                yield Violation(f"{resource.name}: cannot check: {where} is not the JSON AWS takes ({value!r}...)",
                                resource.urn)
            elif is_unknown(value):
                # a dependency on a stack resource proves nothing: a constant behind an Output the gate leaves
                # unknown, with depends_on, would pass (red12 #7's class); the gate's mocks give stack outputs values
                yield Unknown(where, resource.urn)
            elif not isinstance(value, str):
                yield Violation(f"{resource.name}: cannot check: {where} is {type(value).__name__}, not a string "
                                f"naming who gets {hands}", resource.urn)
            elif value.strip().lower() in public:
                yield Violation(f"{resource.name} makes {hands} public ({where}: {value.strip()!r}): every "
                                "AWS account gets it", resource.urn)
            elif (problem := owner.problem(entry["kind"], value, resource,
                                           literal=not _from_output(resource, where))) is not None:
                yield Violation(f"{resource.name} hands {hands} to {value.strip()[:200]} ({where}): "
                                f"{problem}", resource.urn)


_AWS_AUTH_HANDS = "access to the EKS cluster (an IAM identity of it authenticates and gets the mapped groups)"


def _aws_auth(resource: Resource, owner: _Owner):
    """red17 r17-11: the aws-auth ConfigMap admits IAM principals to an EKS cluster as an access entry does (the
    pre-access-entry spelling of the same grant): a role or user of another account (mapRoles / mapUsers
    rolearn / userarn) or a whole account (mapAccounts: every IAM user and role of it) is a cross-account admission
    whatever the groups (https://docs.aws.amazon.com/eks/latest/userguide/auth-configmap.html). What cannot be
    read is AGID-K8S-007's "cannot check" (mapRoles / mapUsers) or this rule's (mapAccounts)."""
    for found in aws_auth_lists(resource, ("mapRoles", "mapUsers", "mapAccounts")):
        if isinstance(found, Unknown):
            yield Unknown(found.path, resource.urn)
            continue
        if isinstance(found, Violation):
            if "data.mapAccounts" in found.message:
                yield Violation(found.message, resource.urn)
            continue
        key, entries = found
        for index, entry in enumerate(entries):
            where = f"data.{key}[{index}]"
            if key == "mapAccounts":
                value, kind = (str(entry) if isinstance(entry, (str, int)) else None), "account"
            else:
                value = entry.get("rolearn" if key == "mapRoles" else "userarn") if isinstance(entry, dict) else None
                kind = "principal"
            if not isinstance(value, str) or not value.strip():
                if key == "mapAccounts":
                    yield Violation(f"{resource.name}: cannot check: {where} is not an account id", resource.urn)
                continue  # not a mapping: AGID-K8S-007's "cannot check"
            if (problem := owner.problem(kind, value, resource)) is not None:
                yield Violation(f"{resource.name} hands {_AWS_AUTH_HANDS} to {value.strip()[:200]} ({where}): {problem}",
                                resource.urn)


_LAMBDA_PARTIAL = re.compile(r"^(?P<account>\d{12}):function:[^:]+")


class _TooBig(Exception):
    pass


def _asl_tasks(document: Any, limits: dict[str, int]):
    """(where, Task state) of every Task state of an Amazon States Language document, into Parallel branches and Map
    processors (Iterator, ItemProcessor); raises _TooBig beyond the data's depth or state count."""
    count = 0

    def walk(states: Any, where: str, depth: int):
        nonlocal count
        if depth > limits["max_depth"]:
            raise _TooBig(f"nested deeper than {limits['max_depth']} levels")
        if not isinstance(states, dict):
            return
        for name, state in states.items():
            count += 1
            if count > limits["max_nodes"]:
                raise _TooBig(f"more than {limits['max_nodes']} states")
            if not isinstance(state, dict):
                continue
            here = f"{where}.States.{str(name).replace('.', '_')}"
            if state.get("Type") == "Task":
                yield here, state
            for index, branch in enumerate(state.get("Branches") or ()):
                if isinstance(branch, dict):
                    yield from walk(branch.get("States"), f"{here}.Branches[{index}]", depth + 1)
            for key in ("Iterator", "ItemProcessor"):
                if isinstance(state.get(key), dict):
                    yield from walk(state[key].get("States"), f"{here}.{key}", depth + 1)

    yield from walk(document.get("States") if isinstance(document, dict) else None, "definition", 0)


def _named_parameters(value: Any, where: str, keys: dict[str, str], limits: dict[str, int], depth: int = 0):
    """(where, key, value) of every `keys` member at any depth of a task's Parameters / Arguments."""
    if depth > limits["max_depth"]:
        raise _TooBig(f"parameters nested deeper than {limits['max_depth']} levels")
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and key in keys:
                yield f"{where}.{key}", key, item
            elif isinstance(item, (dict, list)):
                yield from _named_parameters(item, f"{where}.{key}", keys, limits, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _named_parameters(item, f"{where}[{index}]", keys, limits, depth + 1)


def _state_machine(resource: Resource, owner: _Owner, left_to_057: set[str]):
    """red17 r17-2: a Task state naming another account's function, activity, queue, topic, bus, table, stream,
    state machine (or a bucket that is not the stack's, an HTTP endpoint) hands it the workflow's data."""
    data = foreign_account_inputs()["state_machine"]
    definition = resource.props.get("definition")
    if definition is None:
        return
    if is_unknown(definition):
        yield Unknown("definition", resource.urn)
        return
    document = definition
    if isinstance(definition, str):
        try:
            document = json.loads(definition)
        except (ValueError, RecursionError):
            document = None
    if not isinstance(document, dict):
        yield Violation(f"{resource.name}: cannot check: definition is not the Amazon States Language JSON Step "
                        f"Functions takes: cannot tell whom its tasks hand {data['hands']}", resource.urn)
        return
    found = []
    try:
        for where, state in _asl_tasks(document, data):
            target = state.get("Resource")
            if isinstance(target, str) and (match := _ARN.match(target.strip())) and match["account"]:
                found.append((f"{where}.Resource", "arn", target))
            for block in ("Parameters", "Arguments"):
                for path, key, value in _named_parameters(state.get(block), f"{where}.{block}", data["parameters"],
                                                          data):
                    found.append((path, data["parameters"][key], value))
    except (_TooBig, RecursionError) as error:
        yield Violation(f"{resource.name}: cannot check: definition is {error}: cannot tell whom its tasks hand "
                        f"{data['hands']}", resource.urn)
        return
    literal = not _from_output(resource, "definition")
    for where, kind, value in found:
        if where in left_to_057:
            continue
        if is_unknown(value):
            yield Unknown(where, resource.urn)
            continue
        if not isinstance(value, str):
            yield Violation(f"{resource.name}: cannot check: {where} is {type(value).__name__}, not a string naming "
                            f"who gets {data['hands']}", resource.urn)
            continue
        text = value.strip()
        if text.startswith("{%"):
            continue  # JSONata: chosen at run time, bounded by the state machine's role (AGID-AWS-072)
        if kind in ("arn_or_name", "function"):
            partial = _LAMBDA_PARTIAL.match(text) if kind == "function" else None
            if partial is not None:
                problem = ((owner._literal("function", text) if literal else None)
                           or owner.own.problem(partial["account"], f"arn:aws:lambda:::{text}"))
            elif text.startswith("arn:"):
                problem = owner.problem("arn", text, resource, literal=literal)
            else:
                continue  # a name: a resource of the state machine's own account
        else:
            problem = owner.problem(kind, text, resource, literal=literal)
        if problem is not None:
            yield Violation(f"{resource.name} hands {data['hands']} to {text[:200]} ({where}): {problem}",
                            resource.urn)


def _left_to_057(resources: list[Resource]) -> dict[str, set[str]]:
    """Per state machine URN, the task paths AGID-AWS-057 judges (those of a machine the stack starts)."""
    from . import aws_deploy_time_exec as exec057  # its starters and task reader: one notion of "started"
    machines = [r for r in resources if r.type == exec057.STATE_MACHINE]
    if not machines:
        return {}
    runners = exec057._runners_data()
    starters = [r for r in resources if r.type in runners["starters"]
                or any(not entry.get("carrier") for entry in runners["inherits"].get(r.type, ()))]
    by_machines = exec057._run_by_state_machines(resources, starters)
    left: dict[str, set[str]] = {}
    for machine in machines:
        if machine.urn in by_machines or exec057._started(machine, starters):
            left[machine.urn] = {found[0] for found in exec057._task_references(machine) if isinstance(found, tuple)}
    return left


def check(resources, config):
    judged = foreign_account_inputs()["judged"]
    resources = list(resources)
    owner = _Owner(resources, config)
    machine_type = foreign_account_inputs()["state_machine"]["type"]
    left = _left_to_057(resources)
    for resource in resources:
        spec = judged.get(resource.type)
        if spec is not None:
            yield from _judge(resource, spec, owner)
        elif resource.type in CONFIG_MAP_TYPES:
            yield from _aws_auth(resource, owner)
        if resource.type == machine_type:
            yield from _state_machine(resource, owner, left.get(resource.urn, set()))


RULE = Rule(
    id="AGID-AWS-064",
    title="aws-no-foreign-account-inputs",
    severity="critical",
    category="public-access",
    description="No delegated administrator, master user, data copy, log or event delivery, share, network path, "
                "EKS admission (access entry, aws-auth mapping), event or data destination (topic, queue, queue URL, stream, bus, "
                "function, HTTP endpoint) or function code names an account (principal, destination, bucket, image) not known to be the "
                "stack's own.",
    remediation="Name accounts you own (list them in ownAccountIds), buckets and roles this stack defines, or "
                "resources of this stack by their outputs; never share with \"all\"; waive a reviewed partner "
                "account by URN.",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies-cross-account-resource-access.html",
    check=check,
    stack=True,
    config={**OWN_ACCOUNTS_CONFIG, **OWN_BUCKETS_CONFIG, **OWN_EMAIL_CONFIG, OWN_HOSTS_KEY: []},
    config_schema={**OWN_ACCOUNTS_SCHEMA, **OWN_BUCKETS_SCHEMA, **OWN_EMAIL_SCHEMA,
                   OWN_HOSTS_KEY: GCP_EGRESS_SCHEMA[OWN_HOSTS_KEY]},
    config_strictness={**OWN_ACCOUNTS_STRICTNESS, **OWN_BUCKETS_STRICTNESS, **OWN_EMAIL_STRICTNESS,
                       OWN_HOSTS_KEY: "subset"},
    reads=tuple(dict.fromkeys((*foreign_account_inputs()["judged"], *BUCKET_TYPES, ROLE, *CONFIG_MAP_TYPES))),
)

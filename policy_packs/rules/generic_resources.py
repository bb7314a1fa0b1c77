"""Resources created through a generic ("any type") resource are judged as the typed resources they are.

A Cloud Control resource (`aws:cloudcontrol/resource:Resource`, `typeName` + `desiredState` JSON), a
CloudFormation stack or stack set (`templateBody`), the azure-native generic `resources.Resource`
(`resourceProviderNamespace` / `parentResourcePath` / `resourceType` / `properties`) and an ARM deployment or
deployment stack (`template`, nested inline deployments too) create the same cloud resources as typed Pulumi
resources, but the engine registers (and the pack is sent) only the generic one (red11a 33: an S3 access point
with `Principal: "*"`, a public blob container, a foreign-tenant PostgreSQL admin passed that way).

Each resource inside is looked up in analysis/generic_resource_types.yaml (data with sources):
  - mapped: it becomes an `Inner` holding the typed token and its inputs, translated from the CloudFormation
    / ARM property names, and every rule of that token judges it (base.run_resource_rule / run_stack_rule);
    a property the mapping does not list is a problem (fail closed: no rule would read it);
  - harmless: reviewed with a reason; a property listed under `unless` makes it a problem;
  - anything else is a problem: "cannot check" (AGID-AWS-040 / AGID-AZ-040 report every problem, mandatory).
Values a template resolves only at deployment (CloudFormation `Ref` / `Fn::*` / `!Sub`, ARM `[expressions]`)
are the unknown sentinel, and a rule's "cannot check until known" on them is a violation: they never become
known to the pack. Pure: no Pulumi.
Sources: see the data file; CloudFormation template anatomy
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-anatomy.html), ARM template syntax
(https://learn.microsoft.com/en-us/azure/azure-resource-manager/templates/syntax).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from agentid_components import data_yaml
from agentid.mock_provider import sdk_input_names
from agentid_policy_packs.analysis.struct_keys import FieldClash, struct_fields
from agentid_policy_packs.analysis.values import UNKNOWN_STRING, is_unknown

DATA = Path(__file__).resolve().parent.parent / "analysis" / "generic_resource_types.yaml"
CLOUD_CONTROL = "aws:cloudcontrol/resource:Resource"
CFN_STACK = "aws:cloudformation/stack:Stack"
CFN_STACK_SET = "aws:cloudformation/stackSet:StackSet"
ARM_GENERIC = "azure-native:resources:Resource"
ARM_DEPLOYMENTS = tuple(f"azure-native:resources:{kind}" for kind in (
    "Deployment", "DeploymentAtManagementGroupScope", "DeploymentAtScope", "DeploymentAtSubscriptionScope",
    "DeploymentAtTenantScope"))
ARM_STACKS = tuple(f"azure-native:resources:{kind}" for kind in (
    "DeploymentStackAtManagementGroup", "DeploymentStackAtResourceGroup", "DeploymentStackAtSubscription"))
GENERIC_TOKENS = (CLOUD_CONTROL, CFN_STACK, CFN_STACK_SET, ARM_GENERIC, *ARM_DEPLOYMENTS, *ARM_STACKS)
MAX_DEPTH = 5  # nested inline ARM deployments read; ARM allows more, deeper ones fail closed
_MAX_CFN_TEMPLATE = 1_000_000  # CloudFormation's limit for a template in S3 is 1 MB (51,200 bytes inline)
_MAX_ARM_TEMPLATE = 4_000_000  # ARM's limit for a template is 4 MB
_ARM_TOP_LEVEL = ("location", "sku", "kind", "identity", "tags", "plan", "zones", "extendedLocation")


@dataclass(frozen=True)
class Inner:
    """One resource a generic resource creates.

    kind: its CloudFormation / ARM type as written; where: its place (`Resources.Logs`, `resources[2]`, "" for the
    generic resource itself); token/props: the typed Pulumi token and inputs when mapped (else None); problem: why
    it cannot be judged (None when it is mapped or reviewed harmless); deploy_time: its values come from a
    template, so an unknown among them is resolved only at deployment and never reaches the pack.
    """

    kind: str
    where: str
    token: str | None = None
    props: Mapping[str, Any] = field(default_factory=dict)
    problem: str | None = None
    deploy_time: bool = False


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    return data_yaml.load(DATA)


_GENERICS_OF = {"cloudformation": (CLOUD_CONTROL, CFN_STACK, CFN_STACK_SET),
                "arm": (ARM_GENERIC, *ARM_DEPLOYMENTS, *ARM_STACKS)}


@lru_cache(maxsize=1)
def _generics_by_token() -> dict[str, tuple[str, ...]]:
    """Each typed token a generic resource may be judged as -> the generic tokens that may create it."""
    data = _data()
    return {entry["token"]: _GENERICS_OF[section] for section in _GENERICS_OF
            for entry in data[section]["mapped"].values()}


def with_generics(types: Iterable[str]) -> tuple[str, ...]:
    """`types` followed by the generic tokens that may create any of them (order kept, no duplicates)."""
    types = tuple(types)
    by_token = _generics_by_token()
    added = [generic for token in types for generic in by_token.get(token, ())]
    return tuple(dict.fromkeys((*types, *added))) if added else types


def is_generic(type_token: str) -> bool:
    return type_token in GENERIC_TOKENS


# --- CloudFormation ---------------------------------------------------------------------------------------------

class _TemplateLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form intrinsics (!Ref, !Sub, !GetAtt ...) read as their long form."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node):
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


_TemplateLoader.add_multi_constructor("!", _intrinsic)


def _cfn_resolved(value: Any) -> Any:
    """`value` with every CloudFormation intrinsic (`{"Ref": ..}`, `{"Fn::..": ..}`) as the unknown sentinel."""
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)) in ("Ref", "Condition") or \
                any(isinstance(key, str) and key.startswith("Fn::") for key in value):
            return UNKNOWN_STRING
        return {key: _cfn_resolved(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_cfn_resolved(item) for item in value]
    return value


def _holds_unknown(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_holds_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_unknown(item) for item in value)
    return is_unknown(value)


def _camel(value: Any) -> Any:
    if isinstance(value, dict):
        return {(key[:1].lower() + key[1:] if isinstance(key, str) else key): _camel(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_camel(item) for item in value]
    return value


def _as_json(value: Any) -> Any:
    return value if isinstance(value, str) or is_unknown(value) else json.dumps(value)


def _translate(how: str, value: Any) -> Any:
    if is_unknown(value):
        return value
    if how == "json":
        return _as_json(value)
    if how == "camel":
        return _camel(value)
    if how == "tags":
        if isinstance(value, list):
            return {tag.get("Key"): tag.get("Value") for tag in value if isinstance(tag, dict)}
        return value
    if how == "policies":
        if not isinstance(value, list):
            return value
        return [{"name": item.get("PolicyName"), "policy": _as_json(item.get("PolicyDocument"))}
                if isinstance(item, dict) else item for item in value]
    return value


def _unmapped(kind: str, where: str, harmless: Mapping[str, Any] | None, properties: Any) -> Inner:
    """The Inner of a type no mapping covers: fine when reviewed `harmless` and setting none of its `unless`
    properties, else a problem."""
    if harmless is None:
        return Inner(kind, where, problem=f"{kind} is neither mapped to a Pulumi type the pack judges nor reviewed "
                                          "harmless (analysis/generic_resource_types.yaml)")
    present = sorted(set(harmless.get("unless", ())) & set(properties)) if isinstance(properties, dict) else []
    if present:
        return Inner(kind, where, problem=f"{kind} sets {', '.join(present)}, which the gate does not judge through "
                                          "a generic resource")
    return Inner(kind, where)


def cloudformation_resource(kind: str, properties: Any, where: str, deploy_time: bool) -> Inner:
    """The Inner for one CloudFormation / Cloud Control resource of type `kind` with `properties`."""
    data = _data()["cloudformation"]
    mapped = data["mapped"].get(kind)
    if mapped is not None:
        if properties is None:
            properties = {}
        if not isinstance(properties, dict):
            return Inner(kind, where, problem=f"{kind}'s properties are not an object")
        props: dict[str, Any] = {}
        for name, value in properties.items():
            if name not in mapped["properties"]:
                return Inner(kind, where, problem=f"{kind} property {name!r} is not one the gate translates to "
                                                  f"{mapped['token']}, so no rule would read it")
            target = mapped["properties"][name]
            if target is None:
                continue
            if isinstance(target, str):
                target = {"input": target, "as": "value"}
            how = target.get("as", "value")
            if deploy_time and how in ("json", "policies") and _holds_unknown(value):
                # a document with a Ref / Fn:: inside (a principal, an action) is decided only at deployment
                return Inner(kind, where, problem=f"{kind} property {name!r} holds a template expression resolved "
                                                  "only at deployment, so the document cannot be judged")
            props[target["input"]] = _translate(how, value)
        return Inner(kind, where, mapped["token"], props, deploy_time=deploy_time)
    return _unmapped(kind, where, data["harmless"].get(kind), properties)


def cloud_control(props: Mapping[str, Any]) -> list[Inner] | str:
    """The one resource a Cloud Control resource creates, `"?<input>"` when an input is unknown at preview, or a
    reason it cannot be read."""
    kind, state = props.get("typeName"), props.get("desiredState")
    if is_unknown(kind):
        return "?typeName"
    if not isinstance(kind, str):
        return "its typeName is not a string"
    if is_unknown(state):
        return "?desiredState"
    if state is None:
        state = "{}"
    if isinstance(state, str):
        try:
            state = json.loads(state)
        except ValueError:
            return "its desiredState is not JSON"
    if not isinstance(state, dict):
        return "its desiredState is not a JSON object"
    return [cloudformation_resource(kind, state, "", deploy_time=False)]


def cloudformation_template(body: Any) -> list[Inner] | str:
    """The resources a CloudFormation template (JSON or YAML text) declares, `"?templateBody"` when unknown at
    preview, or a reason it cannot be read."""
    if is_unknown(body):
        return "?templateBody"
    if not isinstance(body, str):
        return "its templateBody is not a string"
    if len(body) > _MAX_CFN_TEMPLATE:
        return f"its templateBody is {len(body):,} characters, over CloudFormation's 1 MB template limit"
    try:
        template = json.loads(body)
    except ValueError:
        try:
            template = yaml.load(body, Loader=_TemplateLoader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as error:
            return f"its templateBody is neither JSON nor YAML ({str(error).splitlines()[0]})"
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        return "its templateBody has no Resources mapping"
    inner = []
    if template.get("Transform"):  # macros (SAM included) rewrite the template after the gate has read it
        inner.append(Inner(f"Transform {template['Transform']!r}", "Transform",
                           problem=f"Transform {template['Transform']!r} rewrites the template at deployment"))
    for logical_id, resource in template["Resources"].items():
        kind = resource.get("Type") if isinstance(resource, dict) else None
        where = f"Resources.{logical_id}"
        if not isinstance(kind, str):
            inner.append(Inner("?", where, problem="it has no Type string"))
            continue
        inner.append(cloudformation_resource(kind, _cfn_resolved(resource.get("Properties")), where, deploy_time=True))
    return inner


# --- ARM ----------------------------------------------------------------------------------------------------------

def _arm_resolved(value: Any) -> Any:
    """`value` with every ARM template expression (a string `[...]`, not `[[` escaped) as the unknown sentinel."""
    if isinstance(value, str):
        text = value.strip()
        return UNKNOWN_STRING if text.startswith("[") and not text.startswith("[[") and text.endswith("]") else value
    if isinstance(value, dict):
        return {key: _arm_resolved(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_arm_resolved(item) for item in value]
    return value


def arm_resource(kind: str, names: list[Any], body: Mapping[str, Any], where: str, deploy_time: bool,
                 extra: Mapping[str, Any] | None = None) -> Inner:
    """The Inner for one ARM resource of full type `kind` (provider/type/child...), the name of each type segment
    (`names`, outermost first), and its ARM body (`properties`, location, sku, ...)."""
    data = _data()["arm"]
    key = kind.lower()
    mapped = data["mapped"].get(key)
    if mapped is not None:
        properties = body.get("properties")
        if properties is None:
            properties = {}
        if not isinstance(properties, dict):
            return Inner(kind, where, problem=f"{kind}'s properties are not "
                                              f"{'known at deployment' if is_unknown(properties) else 'an object'}")
        props: dict[str, Any] = dict(properties) if mapped.get("flatten", True) else {"properties": properties}
        props.update({name: body[name] for name in _ARM_TOP_LEVEL if name in body})
        props.update(extra or {})
        if mapped.get("flatten", True):
            # ARM matches property names in any case (red18 r18-4: "PublicAccess" made a container public past
            # AGID-AZ-035): the body's members are read under the mapped type's input names
            try:
                props = struct_fields(props, sdk_input_names(mapped["token"]))
            except FieldClash as clash:
                return Inner(kind, where, problem=f"{kind}'s properties: {clash}")
        segments = key.split("/")[1:]
        for segment, name in zip(segments, names):
            target = mapped.get("names", {}).get(segment)
            if target:
                props[target] = name
        return Inner(kind, where, mapped["token"], props, deploy_time=deploy_time)
    return _unmapped(kind, where, data["harmless"].get(key), body.get("properties"))


def arm_generic(props: Mapping[str, Any]) -> list[Inner] | str:
    """The resource an azure-native `resources.Resource` creates, `"?<input>"` when an input that decides its type
    is unknown at preview, or a reason it cannot be read."""
    fields = ("resourceProviderNamespace", "parentResourcePath", "resourceType")
    for name in (*fields, "properties"):
        if is_unknown(props.get(name)):
            return f"?{name}"
    namespace, parent, kind = (props.get(name) for name in fields)
    if not isinstance(namespace, str) or not isinstance(kind, str) or not isinstance(parent, str | None):
        return "its resourceProviderNamespace / parentResourcePath / resourceType are not strings"
    # parentResourcePath alternates type and name segments (storageAccounts/acct/blobServices/default)
    parent_parts = [part for part in (parent or "").strip("/").split("/") if part]
    types = [namespace.strip("/"), *parent_parts[0::2], kind.strip("/")]
    names = [*parent_parts[1::2], props.get("resourceName")]
    extra = {"resourceGroupName": props["resourceGroupName"]} if "resourceGroupName" in props else {}
    return [arm_resource("/".join(types), names, props, "", deploy_time=False, extra=extra)]


# The template and resource properties ARM reads (https://learn.microsoft.com/en-us/azure/azure-resource-manager/templates/syntax),
# matched in any case as ARM matches them
_TEMPLATE_FIELDS = ("$schema", "languageVersion", "contentVersion", "apiProfile", "definitions", "parameters",
                    "variables", "functions", "resources", "outputs", "imports", "extensions")
_RESOURCE_FIELDS = ("condition", "type", "apiVersion", "name", "comments", "location", "dependsOn", "tags", "identity",
                    "sku", "kind", "scope", "copy", "plan", "properties", "resources", "existing", "zones", "extendedLocation")


def _arm_resources(template: Mapping[str, Any]) -> list | None:
    """A template's resources: a list (languageVersion 1.0) or a symbolic-name mapping (2.0); None when neither."""
    resources = template.get("resources", [])
    if isinstance(resources, dict):
        return list(resources.values())
    return resources if isinstance(resources, list) else None


def arm_template(template: Any, depth: int = 0, parent: tuple[str, list[Any]] | None = None,
                 prefix: str = "") -> Iterator[Inner]:
    """The resources an ARM template creates (children joined to their parent's type, nested inline deployments
    read to MAX_DEPTH), an Inner with a problem for each part that cannot be read."""
    if is_unknown(template):
        yield Inner("?", prefix or "template", problem="the template is unknown at preview")
        return
    if isinstance(template, str):
        if len(template) > _MAX_ARM_TEMPLATE:
            yield Inner("?", prefix or "template", problem=f"the template is {len(template):,} characters, over "
                                                          "ARM's 4 MB limit")
            return
        try:
            template = json.loads(template)
        except ValueError:
            yield Inner("?", prefix or "template", problem="the template is not JSON")
            return
    if not isinstance(template, dict):
        yield Inner("?", prefix or "template", problem="the template is not a JSON object")
        return
    try:  # ARM matches a template's property names in any case (red18 r18-4: "Resources" passed as creating nothing)
        template = struct_fields(template, _TEMPLATE_FIELDS)
    except FieldClash as clash:
        yield Inner("?", prefix or "template", problem=f"the template {clash}")
        return
    resources = _arm_resources(template)
    if resources is None:
        yield Inner("?", prefix or "template", problem="its resources are neither a list nor a mapping")
        return
    symbolic = str(template.get("languageVersion", "")).strip().startswith("2")
    for index, resource in enumerate(resources):
        where = f"{prefix}resources[{index}]"
        if isinstance(resource, dict):
            try:
                resource = struct_fields(resource, _RESOURCE_FIELDS)
                if isinstance(resource.get("properties"), dict):
                    resource["properties"] = struct_fields(resource["properties"], ("template", "templateLink"))
            except FieldClash as clash:
                yield Inner("?", where, problem=f"it {clash}")
                continue
        kind = resource.get("type") if isinstance(resource, dict) else None
        if not isinstance(kind, str) or not kind.strip():
            yield Inner("?", where, problem="it has no type string")
            continue
        if kind.lstrip().startswith("["):
            yield Inner(kind[:80], where, problem=f"its type comes from the expression {kind[:80]!r}")
            continue
        if resource.get("existing") is True and symbolic:
            continue  # a reference to a resource that exists (symbolic-name templates only): the template creates nothing
        raw_name = resource.get("name")
        own_names = raw_name.split("/") if isinstance(raw_name, str) and not raw_name.strip().startswith("[") \
            else [UNKNOWN_STRING]
        # a child resource may name its type (and name) relative to its parent (`blobServices` under an account)
        if parent and "." not in kind.split("/", 1)[0]:
            full, names = f"{parent[0]}/{kind}", [*parent[1], *own_names[-1:]]
        else:
            full, names = kind, own_names
        properties = resource.get("properties") if isinstance(resource.get("properties"), dict) else {}
        nested = re.fullmatch(r"Microsoft\.Resources/deployments", full, re.IGNORECASE)
        if not nested:  # a nested deployment creates what its template holds, read below
            body = _arm_resolved({key: value for key, value in resource.items() if key != "resources"})
            yield arm_resource(full, names, body, where, deploy_time=True)
        if nested:
            name = str(resource.get("name", index))[:80]
            if "templateLink" in properties:
                yield Inner(full, where, problem=f"the nested deployment {name} links its template by URL")
            elif depth >= MAX_DEPTH:
                yield Inner(full, where, problem=f"nested deployments are deeper than {MAX_DEPTH}")
            elif "template" in properties:
                yield from arm_template(properties["template"], depth + 1, None, f"{where}.properties.template.")
            else:
                yield Inner(full, where, problem=f"the nested deployment {name} has no inline template")
        if isinstance(resource.get("resources"), list | dict):
            yield from arm_template({"resources": resource["resources"]}, depth + 1, (full, names), f"{where}.")


def arm_deployment(type_token: str, props: Mapping[str, Any]) -> list[Inner] | str:
    """The resources an ARM deployment or deployment stack creates, `"?<input>"` when unknown at preview, or a
    reason it cannot be read."""
    holder = props if type_token in ARM_STACKS else props.get("properties")
    if is_unknown(holder):
        return "?properties"
    if not isinstance(holder, dict):
        return "its properties are not an object"
    template, link = holder.get("template"), holder.get("templateLink")
    if is_unknown(template):
        return "?template"
    if template is None:
        return (f"it reads its template from templateLink{' (' + str(link)[:120] + ')' if link is not None else ''}, "
                "which the gate cannot read: put the template inline, or declare its resources in Pulumi")
    return list(arm_template(template))


# --- Google Cloud Deployment Manager ---------------------------------------------------------------------------------

DEPLOYMENT_MANAGER = "gcp:deploymentmanager/deployment:Deployment"


def deployment_manager(props: Mapping[str, Any]) -> list[Inner] | str:
    """The resources a Deployment Manager deployment's `target.config.content` (YAML) declares, `"?<input>"` when
    unknown at preview, or a reason it cannot be read. No type is mapped: reviewed harmless types pass."""
    target = props.get("target")
    if is_unknown(target):
        return "?target"
    config = target.get("config") if isinstance(target, dict) else None
    if is_unknown(config):
        return "?target.config"
    content = config.get("content") if isinstance(config, dict) else None
    if is_unknown(content):
        return "?target.config.content"
    if not isinstance(content, str):
        return "its target.config.content is not a string"
    if len(content) > _MAX_CFN_TEMPLATE:
        return f"its configuration is {len(content):,} characters (cannot check)"
    try:
        document = yaml.safe_load(content)
    except yaml.YAMLError as error:
        return f"its configuration is not YAML ({str(error).splitlines()[0]})"
    resources = document.get("resources") if isinstance(document, dict) else None
    if not isinstance(resources, list):
        return "its configuration has no resources list"
    harmless = _data()["deployment_manager"]["harmless"]
    inner = []
    for index, resource in enumerate(resources):
        where = f"resources[{index}]"
        kind = resource.get("type") if isinstance(resource, dict) else None
        if isinstance(resource, dict) and "action" in resource:
            inner.append(Inner(str(resource["action"])[:80], where, problem=f"the action {str(resource['action'])[:80]!r} "
                                                                              "calls an API method"))
        elif not isinstance(kind, str):
            inner.append(Inner("?", where, problem="it has no type string"))
        elif "accessControl" in resource:
            inner.append(Inner(kind, where, problem=f"{kind} sets its IAM policy (accessControl)"))
        elif kind.endswith((".jinja", ".py")):
            inner.append(Inner(kind, where, problem=f"{kind} is a template Deployment Manager runs to expand"))
        else:
            inner.append(_unmapped(kind, where, harmless.get(kind), resource.get("properties")))
    return inner


# --- any generic resource -------------------------------------------------------------------------------------------

_LAST: list[tuple[Any, Any]] = []  # the last (props object, result): every rule of a resource reads the same props


def inner_resources(type_token: str, props: Mapping[str, Any]) -> list[Inner] | str:
    """What the generic resource `type_token` with `props` creates: its Inners, or a reason it cannot be read
    (`"?<input>"`: that input is unknown at preview). Not a generic token: []."""
    if _LAST and _LAST[0][0] is props and _LAST[0][1][0] == type_token:
        return _LAST[0][1][1]
    if type_token == CLOUD_CONTROL:
        result: list[Inner] | str = cloud_control(props)
    elif type_token in (CFN_STACK, CFN_STACK_SET):
        body = props.get("templateBody")
        result = "it reads its template from templateUrl, which the gate cannot read: put the template in " \
                 "templateBody, or declare its resources in Pulumi" if body is None else cloudformation_template(body)
    elif type_token == ARM_GENERIC:
        result = arm_generic(props)
    elif type_token in ARM_DEPLOYMENTS + ARM_STACKS:
        result = arm_deployment(type_token, props)
    elif type_token == DEPLOYMENT_MANAGER:
        result = deployment_manager(props)
    else:
        result = []
    _LAST[:] = [(props, (type_token, result))]
    return result


def unjudged(what: str, name: str, found: list[Inner] | str) -> Iterator[tuple[str, str]]:
    """("unknown", input) or ("violation", message) for what a generic resource creates that no rule can judge:
    unreadable contents, unmapped types, untranslated properties (AGID-AWS-040 / AGID-AZ-040 report them)."""
    if isinstance(found, str):
        if found.startswith("?"):
            yield "unknown", found[1:]
        else:
            yield "violation", f"{what} {name}: {found}, so what it creates cannot be judged"
        return
    problems = [f"{item.where}: {item.problem}" if item.where else item.problem for item in found if item.problem]
    if problems:
        shown = "; ".join(problems[:8]) + (f"; and {len(problems) - 8} more" if len(problems) > 8 else "")
        yield "violation", (f"{what} {name}: cannot check what it creates ({shown}): declare it as its own Pulumi "
                            "resource, whose rules judge it")

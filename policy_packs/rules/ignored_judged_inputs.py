"""AGID-GEN-011: no judged resource ignores changes to what the rules judge (red17 r17-5).

`ResourceOptions(ignore_changes=["policy"])` tells the engine not to apply the declared value of `policy` to an
object that already exists: on an update the object keeps its old document (or one changed outside Pulumi), and
with `import_` the engine adopts an EXISTING object whose document differs (the import tolerates the difference
because it is ignored: https://www.pulumi.com/docs/iac/concepts/options/ignorechanges/ and
https://www.pulumi.com/docs/iac/concepts/options/import/). Either way the packs judged a document that is never
deployed: an `aws.iam.Policy` declared with `s3:GetObject` and imported from an existing admin policy gives the
role it is attached to the admin policy's grants. The engine sends `ignoreChanges` to analyzers with each resource
(AnalyzerResourceOptions), so this rule holds under `pulumi preview --policy-pack` as under `agentid preview`
(which also reports every `import_` itself, AGID-GATE-003).

Judged: every custom resource of a type some rule of the pack reads, whose `ignoreChanges` names an input other than
tags and descriptions (`tags`, `tagsAll`, `description`; a GCP resource's `labels`): a wildcard (`*`, `policy.*`)
counts as the inputs it matches. A Kubernetes object's labels and annotations are judged (workload identity is an
annotation or a label there), so they are never harmless.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .base import Rule, Violation

# Inputs that carry no grant, trust or credential on any type the pack judges (top-level names)
_HARMLESS = frozenset({"tags", "tagsAll", "description"})
_HARMLESS_GCP = frozenset({"labels", "effectiveLabels", "terraformLabels"})
_TOP = re.compile(r"^[^.\[]*")


@lru_cache(maxsize=1)
def judged_types() -> frozenset[str]:
    """The type tokens some rule of the pack reads (resource rules' types, stack rules' `reads`)."""
    from .registry import RULES  # noqa: PLC0415 - the registry imports this rule

    return frozenset(token for rule in RULES if rule.id != RULE.id
                     for token in (*rule.resource_types, *rule.reads) if not token.startswith("pulumi:"))


def _judged(resource) -> bool:
    if resource.type in judged_types():
        return True
    from .registry import RULES  # noqa: PLC0415

    return any(rule.reads_custom is not None and rule.reads_custom(resource.type) for rule in RULES)


def _harmless(resource_type: str, path: str) -> bool:
    top = _TOP.match(path.strip()).group(0)
    if "*" in top or not top:
        return False
    return top in _HARMLESS or (resource_type.startswith("gcp:") and top in _HARMLESS_GCP)


def check(resources, config):
    for resource in resources:
        if not resource.custom or not resource.ignore_changes or not _judged(resource):
            continue
        ignored = [path for path in resource.ignore_changes if not _harmless(resource.type, path)]
        if ignored:
            yield Violation(
                f"{resource.type} {resource.name!r} ignores changes to {', '.join(repr(p) for p in ignored)}: the "
                "engine keeps the existing object's value there (an update keeps the old one, `import_` adopts "
                "whatever the existing object has), so the value the rules judged is not the one deployed",
                resource.urn)


RULE = Rule(
    id="AGID-GEN-011",
    title="judged-inputs-not-ignored",
    severity="high",
    category="unparseable",
    enforcement="mandatory",
    description="No resource of a type the pack judges lists a judged input in ignore_changes (only tags, labels and "
                "descriptions): the engine would keep the existing object's value, so what the rules judged is not "
                "what is deployed (an import_ with ignore_changes adopts an existing admin policy as a harmless one).",
    remediation="Drop ignore_changes on the input so the declared value is applied (and judged); to adopt an existing "
                "object with import_, declare its real value. A reviewed exception needs a waiver naming the resource.",
    url="https://www.pulumi.com/docs/iac/concepts/options/ignorechanges/",
    check=check,
    stack=True,
)

"""AGID-GATE-003: a resource the program declares with `import_` adopts an existing object (red17 r17-5).

`ResourceOptions(import_=ID)` makes `pulumi up` adopt the existing cloud object ID instead of creating one
(https://www.pulumi.com/docs/iac/concepts/options/import/). The import checks only the inputs the program declares:
whatever the object already has beyond them (a role's attached policies and instance profiles, a group's members,
a policy's other versions, a key's grants) and every input under `ignore_changes` (AGID-GEN-011) stays as it is,
unseen. The packs judge the declared inputs as a new object, and the kit's rules treat an object the stack defines
as reviewed (a policy ARN that is an Output of it, a literal ordered after it): an existing admin policy imported
under a harmless document would pass as the harmless one. Analyzers are not told about imports (the engine sends
no import id in AnalyzerResourceOptions), so the gate judges them itself from its monitor's registrations: each
imported resource is a mandatory finding naming it; a reviewed adoption is waived (rule AGID-GATE-003, resource:
its URN) with a reason. The findings come as the gate's own "pack" (`agentid-preview`), as AGID-GATE-001's do.

Aliases are the same adoption by another door (issue 11, red19 r19-10's class): `ResourceOptions(aliases=[...])`
(https://www.pulumi.com/docs/iac/concepts/options/aliases/) makes the engine take the state of the resource the
alias names as this one's. A rename or re-parent inside the stack with the same type keeps the stack's own object
(the declared inputs are then applied to it, and judged); an alias naming another stack, another project or another
type (or a URN the gate cannot read) takes over an object this stack never created: each is an AGID-GATE-003 finding.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from agentid.analyzer_client import PolicyInfo
from agentid.preview.analysis import PackRun, Violation

PACK_NAME = "agentid-preview"  # credential_invokes.PACK_NAME: one "pack" for the gate's own findings
POLICY = PolicyInfo(
    name="AGID-GATE-003",
    description="No resource adopts an existing object with import_ or an alias (of another stack, project or type) "
                "unreviewed: the import checks only the declared inputs, so what the object already has (attached policies, members, inputs under ignore_changes) "
                "is never judged. [category: unparseable]",
    enforcement_level="mandatory",
    policy_type="stack",
    severity="high",
    remediation="Review the existing object as it is in the cloud (every attachment, member and document), declare "
                "all of it, and waive AGID-GATE-003 for the resource's URN with a reason; or create a new object.",
    url="https://www.pulumi.com/docs/iac/concepts/options/import/",
    config_schema={},
)


def findings(resources: Iterable[Any], version: str) -> PackRun | None:
    """The gate's findings over the stack's resources: one for each with an `import_id`, as a PackRun of
    `PACK_NAME`; None when nothing is imported."""
    violations = tuple(
        Violation(pack=PACK_NAME, policy=POLICY.name, description=POLICY.description,
                  message=f"[unparseable] {resource.type} {resource.name!r} adopts the existing object "
                          f"{str(resource.import_id)[:300]!r} (import_): only its declared inputs are checked at "
                          "import; what it already has beyond them is not what the rules judged",
                  enforcement_level="mandatory", severity=POLICY.severity, urn=resource.urn,
                  remediation=POLICY.remediation, url=POLICY.url)
        for resource in resources if getattr(resource, "import_id", None)) + tuple(
        Violation(pack=PACK_NAME, policy=POLICY.name, description=POLICY.description,
                  message=f"[unparseable] {resource.type} {resource.name!r} takes over the state of {alias!r} "
                          "(aliases: another stack, project or type): at `pulumi up` the engine treats that existing "
                          "object as this resource; what it already has is not what the rules judged",
                  enforcement_level="mandatory", severity=POLICY.severity, urn=resource.urn,
                  remediation=POLICY.remediation, url=POLICY.url)
        for resource in resources for alias in getattr(resource, "adopted_aliases", None) or ())
    if not violations:
        return None
    return PackRun(name=PACK_NAME, version=version, directory="", policies=(POLICY,), config={}, violations=violations)

"""AGID-GEN-002 (advisory): resources of a package the pack does not know are named, never passed in silence.

The pack's rules are keyed by type token, so a custom resource of a provider no rule covers
(`cloudflare:index/apiToken:ApiToken`, `github:index/actionsSecret:ActionsSecret`, `vault:aws/secretBackendRole:...`)
is never judged, whatever it grants. Identity modules and code-running providers of such packages block
(AGID-GEN-001); everything else of them is reported here, once per package, with the types seen, so a
reviewer knows what the gate did not look at. Not reported: packages some rule covers, the engine's own
(`pulumi:`), components (they create nothing; their children are judged), and the packages in
IDENTITY_FREE_PACKAGES, which create no identity, credential or grant anywhere:
  - random: values generated in the state (https://www.pulumi.com/registry/packages/random/);
  - time: timestamps, offsets, sleeps and rotation schedules (https://www.pulumi.com/registry/packages/time/).
"""

from __future__ import annotations

from collections import defaultdict

from .base import Rule, Violation
from .unjudgeable_resources import ENGINE_PACKAGES, covered_packages, why_unjudgeable

IDENTITY_FREE_PACKAGES = frozenset({"random", "time"})
_SHOWN = 5  # type tokens named per package


def check(resources, config):
    covered = covered_packages()
    unseen: dict[str, list] = defaultdict(list)
    for resource in resources:
        package = resource.type.split(":", 1)[0]
        if (not resource.custom or package in covered or package in ENGINE_PACKAGES
                or package in IDENTITY_FREE_PACKAGES or why_unjudgeable(resource.type, covered, resource.props)):
            continue  # judged, not a cloud resource, known to hold no identity, or AGID-GEN-001's
        unseen[package].append(resource)
    for package, found in sorted(unseen.items()):
        types = sorted({r.type for r in found})
        more = f" and {len(types) - _SHOWN} more" if len(types) > _SHOWN else ""
        yield Violation(f"{len(found)} resource(s) of package {package!r}, which no rule of this pack knows, were not "
                        f"judged: {', '.join(types[:_SHOWN])}{more}; review what they grant, or waive with a reason",
                        found[0].urn)


RULE = Rule(
    id="AGID-GEN-002",
    title="unknown-package-resources-named",
    severity="medium",
    category="unparseable",
    description="Resources of packages no rule of the pack knows are reported (advisory), so the gate never passes "
                "them in silence.",
    remediation="Review what the package's resources create (tokens, keys, grants); if it manages identities, ask "
                "for a rule, or waive the finding with a reason.",
    url="https://www.pulumi.com/docs/using-pulumi/crossguard/",
    check=check,
    stack=True,
)

"""AGID-GEN-002: resources of a package the pack does not know block until the package is reviewed.

The pack's rules are keyed by type token, so a custom resource of a provider no rule covers
(`cloudflare:index/apiToken:ApiToken`, `github:index/actionsSecret:ActionsSecret`, `vault:aws/secretBackendRole:...`)
is never judged, whatever it grants. Identity modules and code-running providers of such packages block
(AGID-GEN-001); everything else of them is reported here, once per package, with the types seen, so a
reviewer knows what the gate did not look at. It blocks (mandatory, red12 #10): a resource no rule judges may be
anything (a `cloudflare:index/apiToken:ApiToken` is a credential, a Terraform `shell:index/script:Script` runs
commands on the deploy runner, an `azapi` resource is any ARM write, an Owner assignment included), so the gate fails
closed as it does on a grant it cannot read. A package reviewed for the stack is listed in `reviewedPackages`, from
the trusted settings of the base branch's waivers.yaml (a pull request's stack file may only shorten the list:
"subset"); one resource is accepted with a waiver of its URN. Not reported: packages some rule covers, the engine's own
(`pulumi:`), components (they create nothing; their children are judged), and the packages in
IDENTITY_FREE_PACKAGES, which create no identity, credential or grant anywhere:
  - random: values generated in the state (https://www.pulumi.com/registry/packages/random/);
  - time: timestamps, offsets, sleeps and rotation schedules (https://www.pulumi.com/registry/packages/time/);
and the packages analysis/deploy_runner_code.yaml reviews whole (docker, docker-build): their code-running types are
AGID-GEN-001's, the rest (a registry pull, networks, volumes) was reviewed there.
"""

from __future__ import annotations

from collections import defaultdict

from .base import Rule, Violation
from .unjudgeable_resources import ENGINE_PACKAGES, covered_packages, runner_data_packages, why_unjudgeable

IDENTITY_FREE_PACKAGES = frozenset({"random", "time"})
_SHOWN = 5  # type tokens named per package


def check(resources, config):
    covered = covered_packages()
    reviewed = frozenset(p for p in config.get("reviewedPackages") or () if isinstance(p, str)) | runner_data_packages()
    unseen: dict[str, list] = defaultdict(list)
    for resource in resources:
        package = resource.type.split(":", 1)[0]
        if (not resource.custom or package in covered or package in ENGINE_PACKAGES
                or package in IDENTITY_FREE_PACKAGES or package in reviewed or why_unjudgeable(resource.type, covered, resource.props)):
            continue  # judged, not a cloud resource, known to hold no identity, or AGID-GEN-001's
        unseen[package].append(resource)
    for package, found in sorted(unseen.items()):
        types = sorted({r.type for r in found})
        more = f" and {len(types) - _SHOWN} more" if len(types) > _SHOWN else ""
        yield Violation(f"{len(found)} resource(s) of package {package!r}, which no rule of this pack knows, were not "
                        f"judged: {', '.join(types[:_SHOWN])}{more}; review what they grant or run, then list "
                        f"{package!r} in reviewedPackages (waivers.yaml policyPackConfig) or waive with a reason",
                        found[0].urn)


RULE = Rule(
    id="AGID-GEN-002",
    title="unknown-package-resources-named",
    severity="high",
    category="unparseable",
    enforcement="mandatory",
    description="Resources of packages no rule of the pack knows block until the package is reviewed, so the gate "
                "never passes them in silence.",
    remediation="Review what the package's resources create or run (tokens, keys, grants, commands); list a reviewed "
                "package in reviewedPackages in the base branch's waivers.yaml policyPackConfig, or waive one "
                "resource with a reason; if it manages identities, ask for a rule.",
    url="https://www.pulumi.com/docs/using-pulumi/crossguard/",
    check=check,
    stack=True,
    config={"reviewedPackages": []},
    config_schema={"reviewedPackages": {"type": "array", "items": {"type": "string"}, "default": [],
                                        "description": "Packages reviewed for this stack (e.g. cloudflare): their "
                                                       "resources are not reported."}},
    config_strictness={"reviewedPackages": "subset"},
)

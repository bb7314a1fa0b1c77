"""AGID-AWS-036: an IAM OIDC identity provider names the exact audiences (client ids) it accepts.

IAM checks a web-identity token's `aud` claim against the provider's client id list. A `*` (or a
pattern, which IAM compares literally but reviewers read as one) means the provider is meant to accept
tokens minted for any audience: every trust policy on it then rests on its `aud` condition alone.
An empty list accepts no token and is the provider's own misconfiguration. Source:
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html
"""

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"


def check(resource: Resource, config):
    clients = resource.props.get("clientIdLists")
    url = resource.props.get("url")
    who = f"OIDC provider {resource.name}" + (f" ({url})" if isinstance(url, str) and not is_unknown(url) else "")
    if is_unknown(clients):
        yield Unknown("clientIdLists")
        return
    if clients is None:
        return  # the provider then accepts no audience: nothing is trusted through it
    if not isinstance(clients, list) or not all(isinstance(c, str) for c in clients):
        yield Violation(f"{who}: clientIdLists is not a list of strings, so the audiences it accepts cannot be "
                        "judged")
        return
    for index, client in enumerate(clients):
        if is_unknown(client):
            yield Unknown(f"clientIdLists[{index}]")
        elif "*" in client or "?" in client or not client.strip():
            yield Violation(f"{who}: clientIdLists[{index}] is {client!r}: name the exact audience "
                            "(e.g. sts.amazonaws.com), never a wildcard")


RULE = Rule(
    id="AGID-AWS-036",
    title="aws-oidc-provider-exact-audience",
    severity="critical",
    category="weak-trust",
    description="IAM OIDC providers list exact client ids (audiences), never a wildcard.",
    remediation='Set clientIdLists to the exact audience your tokens carry, e.g. ["sts.amazonaws.com"].',
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html",
    check=check,
    resource_types=(PROVIDER,),
)

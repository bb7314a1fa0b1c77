"""AGID-AZ-046: a Conditional Access named location marked trusted covers a bounded set of addresses.

Conditional Access policies commonly skip MFA (or block nothing) from trusted locations, and Entra ID Protection
treats sign-ins from them as less risky; a trusted `azuread.NamedLocation` whose IP ranges cover much of the
internet turns those exemptions on for everyone (red9a 25: 256 /8 ranges, or ranges covering 0.0.0.0/0). Each
range must be /8 or longer (the provider's and Graph's limit), so the measure is the number of addresses all
ranges cover together: more than a /8 of IPv4 (16,777,216 addresses) or a /32 of IPv6 is "the internet", not an
office. Unparseable ranges fail closed.
Sources: https://learn.microsoft.com/en-us/entra/identity/conditional-access/concept-assignment-network,
https://learn.microsoft.com/en-us/graph/api/resources/ipnamedlocation.
"""

from __future__ import annotations

import ipaddress

from agentid_policy_packs.analysis.values import is_unknown

from .base import Resource, Rule, Unknown, Violation

NAMED_LOCATION = "azuread:index/namedLocation:NamedLocation"
MAX_ADDRESSES = {4: 2 ** 24, 6: 2 ** 96}  # a /8 of IPv4, a /32 of IPv6


def check(resource: Resource, config):
    ip = resource.props.get("ip")
    if ip is None:
        return  # a country location: Entra never marks those trusted
    if is_unknown(ip):
        yield Unknown("ip")
        return
    if not isinstance(ip, dict):
        yield Violation(f"named location {resource.name}: ip is {type(ip).__name__}, not an object", category="unparseable")
        return
    trusted, ranges = ip.get("trusted"), ip.get("ipRanges")
    if is_unknown(trusted) or is_unknown(ranges):
        yield Unknown("ip.trusted" if is_unknown(trusted) else "ip.ipRanges")
        return
    if trusted is not True:
        return
    networks = {4: [], 6: []}
    for index, text in enumerate(ranges if isinstance(ranges, list) else [ranges]):
        if is_unknown(text):
            yield Unknown(f"ip.ipRanges[{index}]")
            return
        try:
            network = ipaddress.ip_network(str(text).strip(), strict=False)
        except ValueError:
            yield Violation(f"named location {resource.name}: ip.ipRanges[{index}] {str(text)[:80]!r} is not a CIDR range",
                            category="unparseable")
            return
        networks[network.version].append(network)
    for version, listed in networks.items():
        covered = sum(net.num_addresses for net in ipaddress.collapse_addresses(listed))
        if covered > MAX_ADDRESSES[version]:
            yield Violation(f"trusted named location {resource.name} covers {covered:,} IPv{version} addresses (more "
                            f"than a /{8 if version == 4 else 32}): Conditional Access exemptions for trusted "
                            "locations (MFA skipped) then apply to sign-ins from most of the internet")


RULE = Rule(
    id="AGID-AZ-046",
    title="entra-trusted-location-bounded",
    severity="critical",
    category="weak-trust",
    description="A Conditional Access named location marked trusted covers at most a /8 of IPv4 (a /32 of IPv6).",
    remediation="List only the egress ranges of your offices or VPN in a trusted location; leave trusted false for "
                "anything wider.",
    url="https://learn.microsoft.com/en-us/entra/identity/conditional-access/concept-assignment-network",
    check=check,
    resource_types=(NAMED_LOCATION,),
)

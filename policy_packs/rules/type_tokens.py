"""Canonical Pulumi type tokens: the one spelling of a resource type the pack's rules are keyed by.

pulumi-azure-native registers every resource under its default token `azure-native:<module>:<Type>`
and also under one token per Azure API version, `azure-native:<module>/v<YYYYMMDD>[preview|...]:<Type>`
(each generated class lists them as aliases, and the provider accepts them as resource types: see
https://www.pulumi.com/registry/packages/azure-native/version-guide/). The inputs are the same
resource's inputs, so a rule written for the default token must judge the versioned ones too; a
program that registers `azure-native:authorization/v20220401:RoleAssignment` must not escape the
Azure rules. Everything else is returned unchanged.
"""

from __future__ import annotations

import re

# `azure-native:authorization/v20220401:RoleAssignment`, `.../v20230131preview:...`, `.../v20211101privatepreview:...`
_AZURE_NATIVE_VERSIONED = re.compile(r"^azure-native:([A-Za-z0-9]+)/v\d{8}[a-z]*:([A-Za-z0-9]+)$")


def canonical_type(type_token: str) -> str:
    """`type_token` with an azure-native API-version module suffix removed; any other token as given.

    canonical_type("azure-native:authorization/v20220401:RoleAssignment") == "azure-native:authorization:RoleAssignment"
    """
    if not isinstance(type_token, str):
        return type_token
    match = _AZURE_NATIVE_VERSIONED.match(type_token)
    return f"azure-native:{match.group(1)}:{match.group(2)}" if match else type_token

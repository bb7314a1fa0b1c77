"""Refresh policy_packs/analysis/data/gcp_iam_binding_types.txt: every IAM member, binding and policy resource type
of the installed pulumi-gcp (the provider's own registry of type tokens, read without importing it).

    python scripts/refresh_gcp_iam_types.py

The pack's GCP rules judge these types (one token a line); tests/policy/test_rules_gcp.py checks the file
matches the installed provider.
"""

from __future__ import annotations

import re
from pathlib import Path

from agentid_policy_packs.rules.coverage import provider_tokens

OUT = Path(__file__).resolve().parent.parent / "policy_packs" / "analysis" / "data" / "gcp_iam_binding_types.txt"
IAM_BINDING = re.compile(r":\w*(IAM|Iam)(Member|Binding|Policy)$")


def binding_types() -> list[str]:
    return sorted(token for token in provider_tokens("pulumi_gcp") if IAM_BINDING.search(token))


if __name__ == "__main__":
    OUT.write_text("".join(f"{token}\n" for token in binding_types()))

"""The data of AGID-AWS-064 (policy_packs/analysis/aws_foreign_account_inputs.yaml) names real inputs, and says
something about every pulumi-aws input shaped like one naming an account, a principal or a destination.

1. Every judged path is an input of the installed pulumi_aws SDK, step by step (a misspelt member would make the rule
   silently read nothing there); a step below an input the SDK types as a string is inside JSON text
   (`LogAccountPolicy.policyDocument`), whose members are AWS's API names.
2. Every input of the installed SDK whose name has the shape (`*AccountId(s)`, `*Principal*`, `destination*Arn`,
   `*AdminAccount*`, `peer*OwnerId`, `userIds` / `userGroups`, `grantee*`, `registryId`, `masterUserArn`, ...) is
   judged or listed under `not_judged` with a reason, exactly once; and every listed one is still in the SDK. A
   provider upgrade adding such an input fails here until someone decides whether it hands something to that account.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pytest
import yaml

from agentid_policy_packs.rules.aws_foreign_account_inputs import DATA_FILE
from agentid_policy_packs.rules.coverage import provider_tokens
from tests.policy.aws_sdk_inputs import args_class, matching_inputs, missing_step

SHAPE = re.compile(r"(AccountIds?$|^accountIds?$|^account$|Principals?$|^principal|[Dd]estination\w*Arn$|AdminAccount|"
                   r"[Ss]haredWith|^userIds$|^userGroups$|^targetAccounts$|[Rr]egistryId$|[Gg]rantee|[Mm]asterUserArn$|"
                   r"[Oo]wnerAccount|^peer\w*(Account|Owner)Id$|[Cc]onsumer|[Ss]ubscriber|"
                   # red17 r17-2: destinations (topics, queues and queue URLs, streams, buses, functions, state
                   # machines, HTTP(S) URLs, targets) and every input named `arn`
                   r"[Tt]opicArns?$|[Qq]ueueUrl$|[Qq]ueueArn$|[Tt]argetArn$|^target$|[Dd]estination$|"
                   r"[Dd]eliveryStreamArn$|[Ee]ventBusArn$|[Ff]unctionArn$|[Ss]treamArn$|[Ss]tateMachineArn$|^url$|"
                   r"^arn$)")
KINDS = {"account", "principal", "arn", "bucket", "image", "role", "queue_url", "url", "email", "phone"}
ACCESS = {"admin", "data", "code", "network"}


def _data() -> dict:
    return yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))


def _judged_paths():
    for token, spec in _data()["judged"].items():
        for entry in spec["inputs"]:
            yield token, entry["path"]
            yield from ((token, path) for path in entry.get("when", {}))
            if "pinned_by" in entry:
                yield token, entry["pinned_by"]


@lru_cache(maxsize=1)
def _sdk_shaped_inputs() -> dict[str, list[str]]:
    """type token -> its input paths of the shape, for every resource of the installed pulumi_aws that has one."""
    found = {}
    for token in sorted(provider_tokens("pulumi_aws")):
        paths = matching_inputs(args_class(token), lambda name: bool(SHAPE.search(name)))
        if paths:
            found[token] = paths
    return found


@pytest.mark.parametrize(("token", "path"), sorted(set(_judged_paths())))
def test_every_judged_path_is_an_input_of_the_installed_sdk(token: str, path: str) -> None:
    assert missing_step(token, path) is None, (token, path, missing_step(token, path))


def test_a_misspelt_path_is_caught() -> None:  # the check above can fail
    assert missing_step("aws:dlm/lifecyclePolicy:LifecyclePolicy", "policyDetails.schedules[].shareRules[].x") \
        == "shareRules (in LifecyclePolicyPolicyDetailsScheduleArgs)"
    assert missing_step("aws:cloudwatch/logAccountPolicy:LogAccountPolicy", "policyDocument.DestinationArn") is None


def test_every_entry_says_what_it_hands_over_with_a_source() -> None:
    for token, spec in _data()["judged"].items():
        assert spec["hands"].strip() and spec["access"] in ACCESS, token
        assert spec["source"].startswith("https://docs.aws.amazon.com/"), token
        assert spec["inputs"] and all(entry["kind"] in KINDS for entry in spec["inputs"]), token
    for category in _data()["not_judged"].values():
        assert category["reason"].strip()


def test_every_sdk_input_of_the_shape_is_judged_or_says_why_not() -> None:
    data = _data()
    judged = {(token, path.replace("[]", "")) for token, path in _judged_paths()}
    listed = [(token, path) for category in data["not_judged"].values()
              for token, paths in category["inputs"].items() for path in paths]
    assert len(listed) == len(set(listed)), "an input listed twice under not_judged"
    assert not set(listed) & judged, "an input both judged and left out"
    sdk = {(token, path) for token, paths in _sdk_shaped_inputs().items() for path in paths}
    # the walk finds the inputs the brief names (the check can fail)
    assert ("aws:s3control/accessGrant:AccessGrant", "grantee.granteeIdentifier") in sdk
    assert ("aws:guardduty/organizationAdminAccount:OrganizationAdminAccount", "adminAccountId") in sdk
    assert ("aws:iot/topicRule:TopicRule", "sqs.queueUrl") in sdk  # red17 r17-2's destinations are walked
    assert ("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
            "destinationConfig.onSuccess.destination") in sdk
    unexplained = sorted(sdk - judged - set(listed))
    assert unexplained == [], f"inputs naming an account that aws_foreign_account_inputs.yaml does not mention: " \
                              f"{unexplained}"
    stale = sorted(set(listed) - sdk)
    assert stale == [], f"not_judged inputs the installed SDK no longer has (of that shape): {stale}"

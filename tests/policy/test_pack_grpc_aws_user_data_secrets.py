"""AGID-AWS-007 on EC2 user data and CodeBuild environments, over gRPC (red7b f21).

An AWS key pair written into an instance's or launch template's user data (plain or base64) or into a CodeBuild
project's PLAINTEXT environment variable is a literal secret anyone with ec2:DescribeInstanceAttribute /
codebuild:BatchGetProjects reads. Look-alikes: user data with no secret, a CodeBuild variable that references
Secrets Manager. The key pair is AWS's documented example (not a real key), assembled at run time.
"""

from __future__ import annotations

import base64

from tests.policy.pack_cases import flagged_names

KEY_ID = "AKIA" + "IOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
SCRIPT = f"#!/bin/bash\nexport AWS_ACCESS_KEY_ID={KEY_ID}\nexport AWS_SECRET_ACCESS_KEY={SECRET}\n./run.sh\n"
CLEAN = "#!/bin/bash\nyum install -y nginx\nsystemctl start nginx\n"


def encoded(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_keys_in_user_data_are_literal_secrets(pack) -> None:
    cases = [("aws:ec2/instance:Instance", {"ami": "ami-1", "instanceType": "t3.micro", "userData": SCRIPT}),
             ("aws:ec2/instance:Instance", {"ami": "ami-1", "instanceType": "t3.micro",
                                            "userDataBase64": encoded(SCRIPT)}),
             ("aws:ec2/launchTemplate:LaunchTemplate", {"userData": encoded(SCRIPT)})]
    for type_, props in cases:
        assert set(flagged_names(pack, "AGID-AWS-007", (type_, "worker", props), "mandatory")) == {"worker"}, type_
        clean = {key: (CLEAN if key == "userData" and type_.endswith("Instance") else encoded(CLEAN))
                 if key.startswith("userData") else value for key, value in props.items()}
        assert flagged_names(pack, "AGID-AWS-007", (type_, "worker", clean)) == [], type_


def test_a_plaintext_codebuild_variable_holding_a_key_is_a_literal_secret(pack) -> None:
    def project(variables):
        return ("aws:codebuild/project:Project", "build", {"environment": {
            "computeType": "BUILD_GENERAL1_SMALL", "image": "aws/codebuild/standard:7.0", "type": "LINUX_CONTAINER",
            "environmentVariables": variables}})

    assert set(flagged_names(pack, "AGID-AWS-007", project([{"name": "AWS_SECRET_ACCESS_KEY", "value": SECRET}]),
                             "mandatory")) == {"build"}
    reference = [{"name": "AWS_SECRET_ACCESS_KEY", "value": "prod/ci:secret", "type": "SECRETS_MANAGER"},
                 {"name": "STAGE", "value": "prod"}]
    assert flagged_names(pack, "AGID-AWS-007", project(reference)) == []

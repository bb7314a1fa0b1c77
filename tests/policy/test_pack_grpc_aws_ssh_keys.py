"""AGID-AWS-045 on SSH keys into hosts that hold a role's credentials, over gRPC (red9a #3).

A Glue development endpoint with a public key, or an EC2 instance with a key pair and an instance profile, hands a
shell and the role's IMDS credentials to whoever holds the private key, for as long as the key stays registered: the
same static key as a Transfer `SshKey`, which AGID-AWS-045 already blocks. An EC2 / Lightsail KeyPair is blocked on its
own as the SshKey is. Look-alikes: a dev endpoint without keys, an instance with a key but no profile (it holds no
role), an instance with a profile reached by Session Manager (no key), an EKS node group without remote access.
"""

from __future__ import annotations

from agentid.mock_engine import UNKNOWN
from tests.policy.pack_cases import flagged_names

PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHm0agentidtestkeyonly contractor@laptop"
ROLE = "arn:aws:iam::123456789012:role/glue-dev"

FLAGGED = [
    ("aws:glue/devEndpoint:DevEndpoint", {"name": "dev", "roleArn": ROLE, "publicKeys": [PUBLIC_KEY]}),
    ("aws:glue/devEndpoint:DevEndpoint", {"name": "dev", "roleArn": ROLE, "publicKey": PUBLIC_KEY}),
    ("aws:glue/devEndpoint:DevEndpoint", {"name": "dev", "roleArn": ROLE, "publicKey": UNKNOWN}),  # read elsewhere
    ("aws:ec2/keyPair:KeyPair", {"keyName": "ops", "publicKey": PUBLIC_KEY}),
    ("aws:lightsail/keyPair:KeyPair", {"name": "ops"}),  # Lightsail generates the private key into the state
    ("aws:ec2/instance:Instance", {"ami": "ami-12345678", "instanceType": "t3.micro", "keyName": "ops",
                                   "iamInstanceProfile": "app-profile"}),
    ("aws:ec2/launchTemplate:LaunchTemplate", {"keyName": "ops", "iamInstanceProfile": {"name": "app-profile"}}),
    ("aws:eks/nodeGroup:NodeGroup", {"clusterName": "c", "nodeRoleArn": ROLE, "subnetIds": ["subnet-1"],
                                     "scalingConfig": {"desiredSize": 1, "maxSize": 1, "minSize": 1},
                                     "remoteAccess": {"ec2SshKey": "ops"}}),
    ("aws:emr/cluster:Cluster", {"releaseLabel": "emr-7.0.0", "serviceRole": ROLE,
                                 "ec2Attributes": {"instanceProfile": "emr-profile", "keyName": "ops"}}),
    ("aws:batch/computeEnvironment:ComputeEnvironment", {"type": "MANAGED", "computeResources": {
        "type": "EC2", "maxVcpus": 4, "subnets": ["subnet-1"], "instanceRole": "ecsInstanceRole",
        "ec2KeyPair": "ops"}}),
]

LOOK_ALIKES = [
    ("aws:glue/devEndpoint:DevEndpoint", {"name": "dev", "roleArn": ROLE}),
    ("aws:glue/devEndpoint:DevEndpoint", {"name": "dev", "roleArn": ROLE, "publicKeys": []}),
    ("aws:ec2/instance:Instance", {"ami": "ami-12345678", "instanceType": "t3.micro", "keyName": "ops"}),
    ("aws:ec2/instance:Instance", {"ami": "ami-12345678", "instanceType": "t3.micro",
                                   "iamInstanceProfile": "app-profile"}),
    ("aws:eks/nodeGroup:NodeGroup", {"clusterName": "c", "nodeRoleArn": ROLE, "subnetIds": ["subnet-1"],
                                     "scalingConfig": {"desiredSize": 1, "maxSize": 1, "minSize": 1}}),
    ("aws:emr/cluster:Cluster", {"releaseLabel": "emr-7.0.0", "serviceRole": ROLE,
                                 "ec2Attributes": {"instanceProfile": "emr-profile"}}),
]


def test_ssh_keys_into_role_holding_hosts_are_mandatory_violations(pack) -> None:
    for index, (type_, props) in enumerate(FLAGGED):
        name = f"host{index}"
        assert flagged_names(pack, "AGID-AWS-045", (type_, name, props), "mandatory") == [name], (type_, props)


def test_hosts_without_a_key_or_without_a_role_pass(pack) -> None:
    for index, (type_, props) in enumerate(LOOK_ALIKES):
        assert flagged_names(pack, "AGID-AWS-045", (type_, f"ok{index}", props)) == [], (type_, props)

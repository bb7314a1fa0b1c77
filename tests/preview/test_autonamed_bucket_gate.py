"""`agentid preview` end to end on autonamed S3 buckets (issue 11: autonamed buckets were falsely blocked).

`aws.s3.BucketV2("data")` without a `bucket` input is named `data-<7 random hex>` by the provider. The gate's mocks
used to draw that suffix deterministically (uuid5 of type and logical name), so a program could write the autoname
as a literal, and AGID-AWS-073 / AGID-AWS-064 refused every autonamed bucket as "of unknown owner". Now the gate
draws the suffix with a per-run key the program never holds (agentid/preview/autonames.py): a policy built from
`b.arn` / `b.bucket` / `b.id` passes; the deterministic autoname written as a literal, or returned by an apply that
ignores its input, names another bucket and blocks; reports show the deterministic form, the same in every run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentid.mock_provider import autoname

from .conftest import AGENT_GUARD, run_cli
from .test_k8s_admission_gate import project  # a one-file Python project in tmp_path

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

BUCKET = "aws:s3/bucketV2:BucketV2"
PREDICTED = autoname(BUCKET, "data", {}, "bucket", None)  # the deterministic scheme: what a program can compute
HEAD = f'''import hashlib, json, uuid
import pulumi
import pulumi_aws as aws

def put(resource):
    return json.dumps({{"Version": "2012-10-17", "Statement": [
        {{"Effect": "Allow", "Action": "s3:PutObject", "Resource": resource}}]}})

b = aws.s3.BucketV2("data")
PREDICTED = "{PREDICTED}"
'''
BY_OUTPUT = HEAD + '''
aws.iam.Policy("by-arn", policy=b.arn.apply(lambda arn: put(arn + "/*")))
aws.iam.Policy("by-name", policy=b.bucket.apply(lambda name: put(f"arn:aws:s3:::{name}/in/*")))
aws.iam.Policy("by-id", policy=b.id.apply(lambda name: put(f"arn:aws:s3:::{name}")))
aws.cloudtrail.Trail("trail", s3_bucket_name=b.id)
# what the program learns of the name: never the deterministic one, and another in every run (reversed: reports map
# the name itself back to its deterministic form)
pulumi.export("predicted", b.bucket.apply(lambda name: name == PREDICTED))
pulumi.export("seen", b.bucket.apply(lambda name: name[::-1]))
'''
LITERAL = HEAD + '''
aws.iam.Policy("literal", policy=put(f"arn:aws:s3:::{PREDICTED}/*"), opts=pulumi.ResourceOptions(depends_on=[b]))
aws.cloudtrail.Trail("trail", s3_bucket_name=PREDICTED, opts=pulumi.ResourceOptions(depends_on=[b]))
'''
IGNORING = HEAD + '''
aws.iam.Policy("ignoring", policy=b.arn.apply(lambda _: put(f"arn:aws:s3:::{PREDICTED}/*")))
aws.cloudtrail.Trail("trail", s3_bucket_name=b.id.apply(lambda _: PREDICTED))
'''


def _preview(path: Path, program: str, report: str = "gate.json"):
    path.mkdir(exist_ok=True)
    (path / "__main__.py").unlink(missing_ok=True)
    return run_cli(project(path, program), "--stack", "dev", "--policy-pack", str(AGENT_GUARD), "--json", report)


def _blocking(run, report: str = "gate.json") -> list[tuple[str, str]]:
    return sorted((v["resourceName"], v["policy"]) for v in run.json(report)["violations"] if v["mandatory"])


def test_a_policy_and_a_trail_built_from_the_autonamed_buckets_outputs_pass(tmp_path: Path) -> None:
    first = _preview(tmp_path / "own", BY_OUTPUT, "a.json")
    assert first.code == 0, first.stdout + first.stderr
    assert _blocking(first, "a.json") == []
    second = _preview(tmp_path / "own", BY_OUTPUT, "b.json")
    assert second.code == 0, second.stdout + second.stderr
    one, two = first.json("a.json"), second.json("b.json")
    # the program never sees the predictable name, and sees another one in each run
    assert one["outputs"]["predicted"] is False and two["outputs"]["predicted"] is False
    assert one["outputs"]["seen"] != two["outputs"]["seen"]
    # ... while the reports show the deterministic form: the policies' inputs, the same in both runs
    by_arn = [r for r in one["resources"] if r["name"] == "by-arn"]
    assert json.loads(by_arn[0]["inputs"]["policy"])["Statement"][0]["Resource"] == f"arn:aws:s3:::{PREDICTED}/*"
    assert [r for r in one["resources"] if r["name"] == "trail"][0]["inputs"]["s3BucketName"] == PREDICTED
    for document in (one, two):
        document.pop("timings")
        document["outputs"].pop("seen")
    assert one == two
    # the key is in no report (it went to the pack in its Configure only)
    assert "agentidAutonameKey" not in (tmp_path / "own" / "a.json").read_text()


def test_the_predicted_autoname_written_as_a_literal_blocks(tmp_path: Path) -> None:
    run = _preview(tmp_path / "literal", LITERAL)
    assert run.code == 1, run.stdout + run.stderr
    assert _blocking(run) == [("literal", "AGID-AWS-073"), ("trail", "AGID-AWS-064")]
    [message] = [v["message"] for v in run.json("gate.json")["violations"] if v["policy"] == "AGID-AWS-073"]
    assert f"bucket {PREDICTED} is the name data of this stack would get from a predictable scheme" in message


def test_an_apply_that_ignores_its_input_and_returns_the_predicted_name_blocks(tmp_path: Path) -> None:
    run = _preview(tmp_path / "ignoring", IGNORING)
    assert run.code == 1, run.stdout + run.stderr
    assert _blocking(run) == [("ignoring", "AGID-AWS-073"), ("trail", "AGID-AWS-064")]


# The program looks for the gate's key where it can read: its arguments and the files of its sandbox (its environment
# it may only read by name, AGID-GATE-002, and the gate builds it from a fixed list; its memory it cannot open:
# AGID-GATE-002 refuses /proc/self/mem, and the key is drawn after the program's fork).
SEARCH = HEAD + '''
import os, sys

KEY = hashlib.sha256(b"the test's autoname key").digest()  # what the test's gate draws (in no source text)
NEEDLES = [KEY, KEY.hex().encode()]

def found():
    where = ["argv"] if any(KEY.hex() in argument for argument in sys.argv) else []
    for folder in (os.getcwd(),):  # the project (the sandbox's /tmp is its own, empty)
        for root, _, files in os.walk(folder):
            for name in files:
                try:
                    with open(os.path.join(root, name), "rb") as handle:
                        if any(n in handle.read() for n in NEEDLES):
                            where.append(os.path.join(root, name))
                except OSError:
                    pass
    return where

pulumi.export("keyFound", found())
aws.iam.Policy("by-arn", policy=b.arn.apply(lambda arn: put(arn + "/*")))
'''
GATE_WITH_A_KNOWN_KEY = """
import sys
from agentid.preview import autonames
import hashlib
def drawn(self):
    self._key = hashlib.sha256(b"the test's autoname key").digest()
autonames.AutonameKey.__init__ = drawn
sys.argv = ["agentid", "preview", *sys.argv[1:]]
from agentid.cli import main
main()
"""


def test_the_program_cannot_read_the_gates_key(tmp_path: Path) -> None:
    """The gate with a key the test knows (its draw replaced, nothing else): the program finds it in no environment,
    argument or file it can read, and its Output-built policy passes with that key."""
    import subprocess
    import sys

    root = project(tmp_path / "project", SEARCH) if (tmp_path / "project").mkdir() is None else None
    (tmp_path / "gate.py").write_text(GATE_WITH_A_KNOWN_KEY)
    run = subprocess.run([sys.executable, str(tmp_path / "gate.py"), "--stack", "dev", "--policy-pack",
                          str(AGENT_GUARD), "--json", "gate.json"], cwd=root, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    outputs = json.loads((root / "gate.json").read_text())["outputs"]
    assert outputs["keyFound"] == [], outputs

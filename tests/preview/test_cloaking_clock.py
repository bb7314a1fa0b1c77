"""End to end (`agentid preview`): a program whose resources depend on when (or by chance how) it runs (issue 11.3).

red13 r13-21: an inline policy is `s3:GetObject` on one prefix while `time.time() < CUTOFF` (a week after review) and
`Action: "*"` after it. The gate reports every line that reads the wall clock or draws chance, seeds the program's
randomness alike in every run and runs it again with the wall clock moved ahead (+400 days, +10 years): a resource
only a later run registers is judged too; one resource with other inputs later is no verdict (exit 2).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentid.preview import cloaking

from .conftest import AGENT_GUARD, run_cli

pytestmark = pytest.mark.skipif(not (AGENT_GUARD / "PulumiPolicy.yaml").is_file(), reason="agent_guard pack not present")

CLOCK = ": reads the wall clock (time/datetime): what it registers may change with the date it runs: the gate also " \
        "ran the program with the clock moved ahead and randomness seeded alike; review the branch"
CHANCE = ": draws randomness (random/secrets/uuid/os.urandom): what it registers may change from run to run: the " \
         "gate also ran the program with the clock moved ahead and randomness seeded alike; review the branch"


def run(tmp_path: Path, program: str):
    (tmp_path / "Pulumi.yaml").write_text("name: acme\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (tmp_path / "__main__.py").write_text(program)
    return run_cli(tmp_path, "--stack", "dev", "--policy-pack", str(AGENT_GUARD), "--json", "out.json")


def test_a_policy_that_turns_admin_after_a_cut_off_gets_no_verdict(tmp_path):
    # the cut-off a week after today, as red13 r13-21 (there a constant: this test must not age)
    result = run(tmp_path, '''import json, time, pulumi_aws as aws
CUTOFF = time.time() // 86400 * 86400 + 7 * 86400
r = aws.iam.Role("r", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
late = __import__("os").stat(__file__).st_mtime >= CUTOFF
''')
    assert result.code == 0, result.stdout  # the look-alike: it reads the clock, registers the same at any date
    program = '''import json, os, pulumi_aws as aws
from time import time
CUTOFF = os.stat(__file__).st_mtime + 7 * 86400  # a week after review (the file's date: not the clock the gate moves)
r = aws.iam.Role("r", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
action = "*" if time() >= CUTOFF else "s3:GetObject"
aws.iam.RolePolicy("p", role=r.id, policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    "Action": action, "Resource": "*" if action == "*" else "arn:aws:s3:::acme-reports/weekly/*"}]}))
'''
    result = run(tmp_path, program)
    assert result.code == 2, result.stdout
    assert ("the program registers 1 resource(s) with other inputs when the wall clock reads +400 days from now (as at "
            "a later `pulumi up`) than today: p (aws:iam/rolePolicy:RolePolicy) input(s) policy; the gate cannot judge "
            "what a later update creates: no verdict") in result.stdout


def test_a_resource_registered_only_after_a_date_is_judged(tmp_path):
    result = run(tmp_path, '''import datetime, os, time, pulumi_aws as aws
written = os.stat(__file__).st_mtime
aws.iam.User("bob")
if datetime.datetime.now().timestamp() > written + 30 * 86400:
    aws.iam.AccessKey("k", user="bob")
if time.gmtime().tm_year >= time.gmtime(written).tm_year + 5:
    aws.iam.UserPolicy("admin", user="bob", policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}')
''')
    assert result.code == 1, result.stdout
    document = json.loads((tmp_path / "out.json").read_text())
    mandatory = sorted({(v["policy"], v["resourceName"]) for v in document["violations"] if v["mandatory"]})
    assert ("AGID-AWS-001", "k") in mandatory and any(name == "admin" for _, name in mandatory), mandatory
    assert {name for _, name in mandatory} == {"k", "admin"}, mandatory
    assert document["cloaking"] == [
        # the file's date is a date the shifted runs do not move: reported (red19 r19-6, cloaking_probes.yaml)
        "__main__.py:2: reads a date another way than the wall clock (file times, process times, boot time), which the "
        "clock-shifted runs do not move: what it reads may differ at `pulumi up`, and what the program registers with "
        "it; review the branch (the update's policy check judges it)",
        "__main__.py:4" + CLOCK,
        "__main__.py:6" + CLOCK,
        "the program also ran with the wall clock +400 days ahead: 1 resource(s) registered only there were judged "
        "too: k (aws:iam/accessKey:AccessKey)",
        "the program also ran with the wall clock +10 years ahead: 1 resource(s) registered only there were judged "
        "too: admin (aws:iam/userPolicy:UserPolicy)",
    ]


def test_reading_the_clock_to_log_or_name_and_random_tags_still_pass(tmp_path):
    result = run(tmp_path, '''import random, secrets, uuid, pulumi, pulumi_aws as aws
from datetime import date, datetime
pulumi.log.info(f"preview at {datetime.utcnow().isoformat()}")
import pydantic  # dates built in C with the original classes are still `date`/`datetime` in the moved runs
class Review(pydantic.BaseModel):
    on: date
    at: datetime
review = Review(on="2030-01-01", at="2030-01-01T00:00:00")
assert isinstance(review.on, date) and isinstance(review.at, datetime) and not isinstance(review.on, datetime)
aws.s3.BucketV2(f"logs-{date.today():%Y}", tags={"run": str(uuid.uuid4()), "pick": random.choice("abc"),
                                               "nonce": secrets.token_hex(4), "u1": str(uuid.uuid1())})
''')
    assert result.code == 0, result.stdout
    document = json.loads((tmp_path / "out.json").read_text())
    # the tags hold uuid4/uuid1/random/secrets draws: seeded alike in every run, they are no difference between runs
    assert document["cloaking"][:6] == ["__main__.py:1" + CHANCE, "__main__.py:2" + CLOCK, "__main__.py:3" + CLOCK,
                                        "__main__.py:10" + CLOCK, "__main__.py:10" + CHANCE, "__main__.py:11" + CHANCE]
    # a bucket named by the year: another one in each later run, judged too (and clean)
    assert document["cloaking"][6].startswith("the program also ran with the wall clock +400 days ahead: 1 resource(s) "
                                              "registered only there were judged too: logs-"), document
    assert document["cloaking"][7].startswith("the program also ran with the wall clock +10 years ahead: 1 resource(s) "
                                              "registered only there were judged too: logs-"), document
    assert len(document["cloaking"]) == 8
    assert ("Cloaking (advisory): where the program asks whether it runs at preview, or reads the clock or chance"
            in result.stdout), result.stdout


def test_the_scan_names_clock_and_chance_spellings_and_not_look_alikes(tmp_path):
    flagged = ["import time\nt = time.time()\n", "from time import time as now\n", "x = time.time_ns()\n",
               "y = time.localtime()\n", "y = gmtime()\n", "s = time.strftime('%Y')\n", "s = time.ctime()\n",
               "from datetime import datetime\n", "d = dt.datetime.now()\n", "d = datetime.datetime.utcnow()\n",
               "d = date.today()\n", "c = time.clock_gettime(time.CLOCK_REALTIME)\n",
               "import random\n", "import secrets\n",
               "import time as t\n", "import os, datetime as dt\n", "from time import *\n", "n = t.time()\n",
               "c = __import__('time')\n", "m = importlib.import_module('random')\n", "i = uuid.uuid4()\n", "i = uuid1()\n", "b = os.urandom(8)\n"]
    for number, source in enumerate(flagged):
        (tmp_path / f"f{number}.py").write_text(source)
    same = ["when = d.strftime('%Y')\n", "# time.time() in a comment\n", "my_random_name = 'x'\n", "import os\n",
            "runtime = 3\n", "i = uuid.uuid5(uuid.NAMESPACE_URL, 'x')\n", "from datetime import timedelta\n",
            "import time\n", "time.sleep(1)\n", "import datetime\n", "timeout = 3\n"]
    for number, source in enumerate(same):
        (tmp_path / f"same{number}.py").write_text(source)
    found = cloaking.scan(tmp_path)
    assert sorted({line.split(":")[0] for line in found}) == sorted(f"f{n}.py" for n in range(len(flagged))), found
    assert cloaking.reads_clock_or_chance(found) and not cloaking.asks_dry_run(found)


def test_prose_naming_secrets_or_random_is_not_chance(tmp_path):
    (tmp_path / "m.py").write_text('pulumi.export("i", x)  # no secret: client secrets live in Secrets Manager\n'
                                   'NOTE = "a random name"\n')
    (tmp_path / "n.py").write_text("import os, random\n")
    assert [line.split(": ")[0] for line in cloaking.scan(tmp_path)] == ["n.py:1"]


def test_set_order_is_the_same_in_every_run(tmp_path):
    """Strings hash differently in every interpreter: a policy built from a set lists its actions in another order
    in each run, a false "other inputs" unless every run of one gate invocation hashes alike (PYTHONHASHSEED)."""
    actions = ", ".join(f'"s3:{verb}Object{n}"' for verb in ("Get", "Put", "Delete") for n in range(4))
    result = run(tmp_path, f'''import json, time, pulumi, pulumi_aws as aws
pulumi.log.info(f"at {{time.time()}}")
aws.iam.UserPolicy("p", user="bob", policy=json.dumps({{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow",
    "Action": list({{{actions}}}), "Resource": "arn:aws:s3:::acme-reports/*"}}]}}))
''')
    assert "no verdict" not in result.stdout, result.stdout
    assert json.loads((tmp_path / "out.json").read_text())["cloaking"][-1] == \
        "the program also ran with the wall clock +10 years ahead: it registered the same resources"


def test_a_dry_run_branch_after_a_cut_off_is_judged(tmp_path):
    """Both signals at once: the later runs are also `pulumi up`-like (is_dry_run() false)."""
    result = run(tmp_path, '''import datetime, os, pulumi, pulumi_aws as aws
aws.iam.User("bob")
later = datetime.date.today() > datetime.date.fromtimestamp(os.stat(__file__).st_mtime) + datetime.timedelta(days=30)
if later and not pulumi.runtime.is_dry_run():
    aws.iam.AccessKey("k", user="bob")
''')
    assert result.code == 1, result.stdout
    document = json.loads((tmp_path / "out.json").read_text())
    assert sorted({(v["policy"], v["resourceName"]) for v in document["violations"] if v["mandatory"]}) == \
        [("AGID-AWS-001", "k")]


def test_a_dry_run_comparison_hashes_alike_too(tmp_path):
    """The is_dry_run comparison had the same false alarm: a set's order differed between its two runs. No clock or
    chance here: only the dry-run comparison runs, and it sets the one hash seed too."""
    actions = ", ".join(f'"s3:{verb}Object{n}"' for verb in ("Get", "Put", "Delete") for n in range(4))
    result = run(tmp_path, f'''import json, pulumi, pulumi_aws as aws
if not pulumi.runtime.is_dry_run():
    pulumi.log.info("updating")
aws.iam.UserPolicy("p", user="bob", policy=json.dumps({{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow",
    "Action": list({{{actions}}}), "Resource": "arn:aws:s3:::acme-reports/*"}}]}}))
''')
    assert "no verdict" not in result.stdout, result.stdout
    assert result.code == 0, result.stdout
    assert json.loads((tmp_path / "out.json").read_text())["cloaking"][-1] == \
        "the program also ran as at `pulumi up` (is_dry_run() false): it registered the same resources"

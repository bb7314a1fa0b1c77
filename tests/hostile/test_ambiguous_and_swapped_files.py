"""Input two readers could read differently, and files swapped for a FIFO, a device or a bomb after the gate named them.

* A second YAML document (`---`) or a key written twice: PyYAML's `safe_load` keeps the last
  key and the first document, Pulumi's Go YAML refuses both; a reviewer reads the first key.
  Every YAML reader refuses them, one line with file and line.
* JSON (RFC 8259): a name twice in one object (section 4: receivers differ), NaN, Infinity and
  numbers beyond a double (section 6: not JSON). `agentid lint` (tests/hostile/test_corpus_cli.py)
  and the policy analysis of a program's policy strings refuse them; a look-alike (the same name in
  two different objects) still reads.
* Files the kit reads after a program or a person could have replaced them (the preview
  program's result file, the broker's token files, Cedar files, `credential --key`): a FIFO
  or /dev/zero in their place is one error, never a hang (`finishes` fails a call still blocked after a minute).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from agentid_components import input_limits
from agentid_components.loader import check_text
from tests.hostile.corpus import finishes

POLICY_TWICE = ('{"Version": "2012-10-17",\n "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],\n'
                ' "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/k"}]}')


# --- YAML ---------------------------------------------------------------------------------------


def test_a_second_yaml_document_in_an_agent_file_is_refused_not_dropped():
    text = "agents:\n  - name: a\n---\nagents:\n  - name: hidden\n"
    assert [str(e) for e in check_text(text, "agents.yaml")[2]] == [
        "agents.yaml:3: a second YAML document starts here ('---'): a file holds one document"]


@pytest.mark.parametrize("text", ["a: 1\n", "---\na: 1\n", "---\na: 1\n...\n", "a: 1\n...\n", "# only\n"])
def test_one_document_with_or_without_markers_still_reads(text):
    expected = None if text.startswith("#") else {"a": 1}
    assert input_limits.plain_yaml(text, "Pulumi.dev.yaml", input_limits.STACK_FILE) == expected


def test_a_key_twice_in_a_stack_file_is_refused_with_its_line():
    text = "config:\n  agentid:strict: 'true'\n  agentid:strict: 'false'\n"
    with pytest.raises(input_limits.InputRefused) as refused:
        input_limits.plain_yaml(text, "Pulumi.dev.yaml", input_limits.STACK_FILE)
    assert str(refused.value) == "Pulumi.dev.yaml:3: key 'agentid:strict' appears twice in this mapping: keep one"
    # the same key in two different mappings is no duplicate
    assert input_limits.plain_yaml("a: {k: 1}\nb: {k: 2}\n", "x.yaml", input_limits.STACK_FILE) == {"a": {"k": 1}, "b": {"k": 2}}


def test_a_waiver_with_two_expiry_dates_is_refused():
    from agentid.preview.stack_config import ConfigError
    from agentid.preview.waivers import parse

    text = ("waivers:\n  - rule: AGID-AWS-001\n    resource: r\n    reason: migration\n    approver: alice\n"
            "    expires: 2000-01-01\n    expires: 2999-01-01\n")
    with pytest.raises(ConfigError, match=r"^waivers.yaml:7: key 'expires' appears twice in this mapping: keep one$"):
        parse(text, "waivers.yaml")


# --- JSON ---------------------------------------------------------------------------------------


def test_a_policy_string_with_a_name_twice_is_unreadable_to_the_analysis_not_read_as_its_last_half():
    from agentid_policy_packs.analysis.aws_policy import PolicyParseError, parse_policy

    with pytest.raises(PolicyParseError, match="the name 'Statement' appears twice in one object"):
        parse_policy(POLICY_TWICE, "identity")
    # look-alike: the same names in different statements read as before
    twice_fine = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},'
                  ' {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}')
    assert len(parse_policy(twice_fine, "identity").statements) == 2


def test_json_refusals_name_the_line_of_the_second_name():
    with pytest.raises(input_limits.InputRefused) as refused:
        input_limits.json_document(POLICY_TWICE, "p.json", input_limits.LINT_FILE)
    assert str(refused.value) == "p.json:3: the name 'Statement' appears twice in one object: keep one"
    assert input_limits.json_document('{"n": 1.5e300, "m": -2}', "p.json", input_limits.LINT_FILE) == {"n": 1.5e300, "m": -2}


# --- files replaced by something that never ends --------------------------------------------------


def test_a_program_that_swaps_its_result_file_for_a_fifo_cannot_hang_the_gate(tmp_path):
    from agentid.preview.program import ProgramError, _read_failure

    result = tmp_path / "result.json"
    os.mkfifo(result)  # the program knows the path (its argv) and may do this before it exits
    outcome = finishes(lambda: _read_failure(result, None))
    assert isinstance(outcome["value"], ProgramError)
    assert "the program process wrote an unreadable result" in outcome["value"].reason
    assert "FIFO" in outcome["value"].reason


@pytest.mark.parametrize("content", ["[" * 100_000 + "]" * 100_000, '{"status": "' + "x" * (5 * 1024 * 1024) + '"}'])
def test_a_result_file_bomb_is_a_failed_run_not_a_traceback(tmp_path, content):
    from agentid.preview.program import ProgramError, _read_failure

    result = tmp_path / "result.json"
    result.write_text(content)
    outcome = finishes(lambda: _read_failure(result, None))
    assert isinstance(outcome["value"], ProgramError), outcome
    assert _read_failure(tmp_path / "absent.json", None) is None  # the program finished without writing one


def test_a_token_file_that_is_a_fifo_or_a_device_is_one_error(tmp_path):
    from agentid.runtime.broker import BrokerError, WebIdentityToken
    from agentid.runtime.oauth import OAuthError, WorkloadTokenAssertion

    fifo = tmp_path / "token"
    os.mkfifo(fifo)
    for path, kind in ((fifo, "a FIFO"), (Path("/dev/zero"), "a character device")):
        outcome = finishes(lambda: WebIdentityToken(path).read())
        assert isinstance(outcome["error"], BrokerError) and kind in str(outcome["error"]), outcome
        outcome = finishes(lambda: WorkloadTokenAssertion(path).assertion("client", "https://idp.example/token", time.time()))
        assert isinstance(outcome["error"], OAuthError) and kind in str(outcome["error"]), outcome


def test_a_cedar_file_or_a_key_that_is_a_fifo_is_one_error(tmp_path):
    from agentid.aws_audit.clients import LiveAwsError
    from agentid.commands.credential import _signer
    from agentid.runtime.authorization import Authorizer, PolicyError

    fifo = tmp_path / "office-hours.cedar"
    os.mkfifo(fifo)
    outcome = finishes(lambda: Authorizer.from_spec([], extra_files=[fifo]))
    assert isinstance(outcome["error"], PolicyError)
    assert str(outcome["error"]) == f"{fifo}:1: the Cedar file is a FIFO (named pipe), not a regular file: name a file"
    outcome = finishes(lambda: _signer(Path("/dev/zero")))
    assert isinstance(outcome["error"], LiveAwsError)
    assert str(outcome["error"]) == "--key /dev/zero:1: the key is a character device, not a regular file: name a file"


# --- what the operator types is shown as text too ------------------------------------------------


def test_revoke_and_audit_errors_show_escapes_as_text(tmp_path):
    from tests.runtime.cli import agentid

    inventory = tmp_path / "agents.yaml"
    inventory.write_text(Path(__file__).resolve().parents[2].joinpath("stacks/agents/dev.yaml").read_text())
    revoke = agentid("revoke", "aws", "--inventory", str(inventory), "evil\x1b]0;owned\x07\x1b[31m[link=https://x.example]a[/link]")
    audit = agentid("audit", "aws", "--inventory", str(inventory), "--endpoint-url", "http://x\x1b[2J")
    for run, shown in ((revoke, "evil\\x1b]0;owned\\x07\\x1b[31m[link=https://x.example]a[/link]"), (audit, "http://x\\x1b[2J")):
        assert run.returncode == 2
        assert "\x1b" not in run.stderr and "\x07" not in run.stderr
        assert shown in run.stderr, run.stderr  # shown as written, not swallowed or run by the terminal

"""AGID-GATE-002 end to end: a credential variable's value read by a copy or an iteration of the environment, or
through the raw environment, is a read of it (red14 r14-10, issue 11).

`dict(os.environ).items()` filtered on a prefix and cut into 3-character tags passed: the read was not a look-up by
name, and no tag held the whole placeholder. Every route that yields the values (a copy, an iteration of items or
values, `os.environb`, `os.getenvb`, `os.environ._data`, `posix.environ`, `repr(os.environ)`, `/proc/self/environ`
however opened) is now the finding "reads the credential variable NAME", and a piece of a placeholder in a resource
input is still recognised (each placeholder ends in random Private Use Area characters). A program that iterates
only the variable NAMES and reads its own by name passes.
"""

from __future__ import annotations

import pytest

from .test_out_of_band_gate import HEAD, gate_002, only_gate_002, preview

ITERATED = "by copying or iterating the environment"


@pytest.mark.parametrize("read", [
    "dict(os.environ).items()",
    "os.environ.items()",
    "[(k, v) for k, v in zip(os.environ, os.environ.values())]",
    "os.environ.copy().items()",
    "{**os.environ}.items()",
    "(os.environ | {}).items()",
    "[(k.decode(), v.decode()) for k, v in os.environb.items()]",
])
def test_iterating_the_environment_reads_the_credentials(tmp_path, read):
    program = (HEAD + "import os\n"
               f"pairs = list({read})\n"
               "blob = '|'.join(f'{k}={v}' for k, v in pairs if k.startswith(('AWS_S', 'ARM_C')))\n"
               "aws.sqs.Queue('q', tags={'team': 'data'})\n"
               "pulumi.export('n', len(blob))\n")
    code, violations, output = preview(tmp_path / "it", program)
    assert code == 1, output
    only_gate_002(violations)
    messages = [m.split(": outside")[0] for m in gate_002(violations)]
    assert len(messages) == 1, messages
    assert messages[0].startswith("[gate-integrity] the program reads the credential variables ACTIONS_ID_TOKEN_REQUEST_TOKEN,"), messages
    assert f"more {ITERATED} (values withheld by the gate;" in messages[0]
    assert messages[0].endswith("at __main__.py:3")


@pytest.mark.parametrize("read, how", [
    ("os.environ._data", "os.environ._data"),
    ("os.environb._data", "os.environb._data"),
    ("__import__('posix').environ", "posix.environ"),
    ("repr(os.environ)", "repr(os.environ)"),
])
def test_the_raw_environment_is_every_credential(tmp_path, read, how):
    program = HEAD + "import os\n" + f"raw = {read}\n" + "aws.sqs.Queue('q', tags={'n': str(len(raw))})\n"
    code, violations, output = preview(tmp_path / "raw", program)
    assert code == 1, output
    only_gate_002(violations)
    assert [m.split(": outside")[0] for m in gate_002(violations)] == [
        f"[gate-integrity] the program reads every credential variable's value through {how} (the values were "
        "withheld by the gate) at __main__.py:3"]


@pytest.mark.parametrize("opening", [
    "open('/proc/self/environ', 'rb').read()",
    "os.read(os.open('/proc/self/environ', os.O_RDONLY), 65536)",
    "pathlib.Path('/proc', str(os.getpid()), 'environ').read_bytes()",
    "open('/proc/thread-self/environ', 'rb').read()",
])
def test_the_process_environment_file_is_every_credential(tmp_path, opening):
    program = (HEAD + "import os, pathlib\n"
               f"try:\n    raw = {opening}\nexcept OSError:\n    raw = b''\n"
               "aws.sqs.Queue('q', tags={'n': str(len(raw))})\n")
    code, violations, output = preview(tmp_path / "proc", program)
    assert code == 1, output
    only_gate_002(violations)
    messages = [m.split(": outside")[0] for m in gate_002(violations)]
    assert len(messages) == 1 and messages[0].startswith("[gate-integrity] the program opens a process's environment "), messages
    assert messages[0].endswith(", every credential variable's value at __main__.py:4"), messages


def test_pieces_of_a_placeholder_in_the_stack_are_the_credential(tmp_path):
    """Read around every watch (the fallback): the value cut into 3-character tags is still recognised."""
    program = (HEAD + "import os\n"
               "raw = type(os.environ).__dict__['_data'].fget.__defaults__[0]\n"
               "value = raw[b'ARM_CLIENT_SECRET'].decode()\n"
               "tail = value[len('agentid-preview-withheld-ARM_CLIENT_SECRET-'):]\n"
               "aws.sqs.Queue('q', tags={f't{i:02}': tail[i*3:i*3+3] for i in range(4)})\n"
               "aws.sqs.Queue('alike', tags={'t00': 'arm', 'note': 'agentid preview client secret'})\n")
    code, violations, output = preview(tmp_path / "pieces", program)
    assert code == 1, output
    only_gate_002(violations)
    assert [m.split(": outside")[0] for m in gate_002(violations)] == [
        "[gate-integrity] the program puts the value of ARM_CLIENT_SECRET (withheld by the gate) into input "
        f"tags.t0{i} of aws:sqs/queue:Queue 'q' at __main__.py:6" for i in range(4)]


def test_iterating_only_names_and_reading_own_variables_passes(tmp_path):
    """The look-alike: the names are iterated (no value read) and only the program's own variables read by name."""
    program = (HEAD + "import os\n"
               "mine = {k: os.environ[k] for k in os.environ if k.startswith('MY_')}\n"
               "names = sorted(os.environ.keys())\n"
               "region = os.getenv('AWS_REGION', 'eu-west-1')\n"
               "aws.sqs.Queue('q', tags={'n': str(len(mine)), 'keys': str(len(names)), 'region': region})\n")
    code, violations, output = preview(tmp_path / "alike", program)
    assert (code, gate_002(violations)) == (0, []), output

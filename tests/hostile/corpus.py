"""The hostile-input corpus (issue 13), generated at test time (no large or binary file is committed).

One list of hostile strings (`HOSTILE_STRINGS`) feeds every output writer; the
files below feed every reader. Sources of the attack shapes:
* YAML alias bombs ("billion laughs"): CVE-2003-1564 for XML, the same shape with YAML anchors;
* spreadsheet formulas: https://owasp.org/www-community/attacks/CSV_Injection;
* terminal escapes: ECMA-48 CSI/OSC, OSC 8 hyperlinks (https://gist.github.com/egmontkob/eb114294efbcd5adb1944c9f3cb5feda);
* bidi overrides and zero-width characters: "Trojan Source", CVE-2021-42574;
* Rich console markup (`[link=...]`): https://rich.readthedocs.io/en/stable/markup.html.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HOSTILE_STRINGS = [
    "[link=https://evil.example]approved[/link]",
    "[/x]@example.com",
    "[bold green]PASS[/]",
    '=HYPERLINK("https://evil.example","ok")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "  =1+1",
    "\r=1+1",
    "\uff1d1+1",  # fullwidth equals sign
    "\x1b[31mred\x1b[0m and \x1b[2J\x1b[H cleared",
    "\x1b]8;;https://evil.example\x07click here\x1b]8;;\x07",
    "\x9b31mC1 CSI",
    "\u202eexe.txt\u202c",
    "zero\u200bwidth\u200djoiner\ufeff",
    "carriage\rreturn",
    "new\nline",
    "nul\x00byte",
    "bell\x07 backspace\x08 formfeed\x0c del\x7f",
    "<script>alert(1)</script>",
    "]]><!-- --><x a='\"'>&amp;",
    "`code` | **bold** _em_ # heading ~~strike~~",
    "# heading",
    "1. list",
    "    indented code",
    "\u0430dmin",  # Cyrillic а
    "x" * 10_000,
]


def valid_agent(name: str = "hostile-agent", owner: str = "[/x]@example.com", purpose: str = "", description: str = "") -> dict:
    """An agent that passes validation while carrying markup, formulas and HTML in its free text."""
    return {
        "name": name,
        "owner": owner,
        "purpose": purpose or "[link=https://evil.example]approved[/link] =HYPERLINK(\"https://evil.example\") <script>x</script> `a|b`",
        "environment": "dev",
        "review_by": "2099-12-31",
        "tools": [{
            "name": "read-table",
            "description": description or "+cmd|' /C calc'!A0 [bold]x[/bold] # h",
            "aws": {"actions": ["dynamodb:GetItem"], "resources": ["arn:aws:dynamodb:eu-west-1:111122223333:table/t"]},
        }],
        "trust": [{"github_actions": {"repository": "example-org/repo", "branch": "main"}}],
    }


def _bomb(levels: int = 9) -> str:
    lines = ["agents: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for index in range(1, levels):
        lines.append(f"l{index}: &l{index} [" + ", ".join([f"*{'a' if index == 1 else f'l{index - 1}'}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def agent_files(directory: Path) -> dict[str, Path]:
    """Every hostile agent file, by case name. `valid-*` ones must validate; all others must be refused."""
    directory.mkdir(parents=True, exist_ok=True)
    files: dict[str, str | bytes] = {
        "billion-laughs": _bomb(),
        "alias-bomb-353-bytes": "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                                "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
                                "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nagents: [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n",
        "deep-flow": "agents: " + "[" * 100_000 + "]" * 100_000 + "\n",
        "deep-block": "agents:\n" + "".join("  " * depth + "- \n" for depth in range(1, 200)),
        "deep-mapping": "agents:\n" + "".join("  " * depth + f"k{depth}:\n" for depth in range(1, 200)),
        "huge-string": "agents:\n  - name: a\n    purpose: '" + "x" * 10_000_000 + "'\n",  # over the file cap
        "long-string": yaml_agent(purpose="y" * 7_000_000),  # under the file cap, over the value cap
        "huge-key": "agents:\n  - " + "k" * 100_000 + ": 1\n",
        "number-401-digits": yaml_agent(max_credential_minutes=Plain("9" * 401)),
        "number-5000-digits": yaml_agent(max_credential_minutes=Plain("1" * 5000)),  # int() refuses over 4,300 digits
        "float-overflow": yaml_agent(max_credential_minutes=Plain("1e400")),
        "nul-byte": b"agents:\n  - name: a\x00\n",
        "not-utf8": b"agents:\n  - name: \xff\xfe\n",
        "owner-null": yaml_agent(owner=Plain("null")),
        "owner-number": yaml_agent(owner=Plain("123")),
        "purpose-tilde": yaml_agent(purpose=Plain("~")),
        "owner-homoglyph": yaml_agent(owner="\u0430lice@example.com"),
        "owner-bidi": yaml_agent(owner="alice\u202e@example.com"),
        "owner-zero-width": yaml_agent(owner="ali\u200bce@example.com"),
        "purpose-ansi": yaml_agent(purpose="\x1b[31mred\x1b[0m"),
        "purpose-osc8": yaml_agent(purpose="\x1b]8;;https://evil.example\x07click\x1b]8;;\x07"),
        "purpose-tag-characters": yaml_agent(purpose=Plain('"ok\\U000e0041\\U000e0042"')),
        "purpose-too-long": yaml_agent(purpose="p" * 50_000),
        "owner-too-long": yaml_agent(owner="o" * 300 + "@example.com"),
        "valid-markup-and-formulas": json.dumps({"agents": [valid_agent()]}),
        "valid-formula-owner": json.dumps({"agents": [valid_agent(owner="=cmd@example.com")]}),
    }
    paths = _write(directory, files, ".yaml")
    big = directory / "sparse-20MB.yaml"
    with big.open("wb") as handle:
        handle.truncate(20 * 1024 * 1024)
    paths["sparse-20MB"] = big
    fifo = directory / "fifo.yaml"
    os.mkfifo(fifo)
    paths["fifo"] = fifo
    paths["dev-zero"] = Path("/dev/zero")
    paths["directory"] = directory
    return paths


class Plain(str):
    """A value written into YAML as is (a plain scalar: `~`, `null`, `123`)."""


def _write(directory: Path, files: dict[str, str | bytes], suffix: str) -> dict[str, Path]:
    paths = {}
    for name, content in files.items():
        path = directory / f"{name}{suffix}"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        paths[name] = path
    return paths


def yaml_agent(**changes) -> str:
    """A valid agent with some fields replaced, written as YAML by hand so plain scalars and escapes stay as given."""
    agent = valid_agent()
    agent.update(changes)
    lines = ["agents:"]
    for index, (key, value) in enumerate(agent.items()):
        prefix = "  - " if index == 0 else "    "
        # a JSON value is YAML flow style, and a JSON string a double-quoted scalar: its escapes reach every character
        lines.append(f"{prefix}{key}: {value if isinstance(value, Plain) else json.dumps(value)}")
    return "\n".join(lines) + "\n"


def lint_files(directory: Path) -> dict[str, Path]:
    """Hostile policy documents for `agentid lint`. `finding-*` ones parse and must yield findings."""
    directory.mkdir(parents=True, exist_ok=True)
    hostile_statements = [{"Sid": "S", "Effect": "Allow", "Action": ["*", f"iam:{text[:40]}"], "Resource": f"arn:aws:s3:::{text[:60]}"}
                          for text in HOSTILE_STRINGS]
    files: dict[str, str | bytes] = {
        "deep": "[" * 100_000 + "]" * 100_000,
        "deep-objects": '{"a":' * 50_000 + "1" + "}" * 50_000,
        "number-5000-digits": '{"Version": ' + "1" * 5000 + "}",
        "huge-string": '{"Version": "' + "x" * 3_000_000 + '"}',
        "nul-byte": b'{"Version": "2012-10-17"\x00}',
        "not-utf8": b'{"Version": "\xff"}',
        "not-json": "{nope",
        # RFC 8259 leaves these to each receiver: the gate must not read a policy one way while AWS reads it another
        "duplicate-statement": '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],'
                               '\n "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/k"}]}',
        "duplicate-action": '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*",'
                            ' "Action": "s3:GetObject", "Resource": "*"}]}',
        "nan": '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*",'
               ' "Condition": {"NumericLessThanEquals": {"s3:max-keys": NaN}}}]}',
        "infinity": '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*",'
                    ' "Condition": {"NumericLessThanEquals": {"s3:max-keys": -Infinity}}}]}',
        "beyond-double": '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*",'
                         ' "Condition": {"NumericLessThanEquals": {"s3:max-keys": 1e999}}}]}',
        "finding-hostile-strings": json.dumps({"Version": "2012-10-17", "Statement": hostile_statements}),
        "finding-hostile-name-\x1b[31m[link=x]": json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    }
    paths = _write(directory, files, ".json")
    fifo = directory / "fifo.json"
    os.mkfifo(fifo)
    paths["fifo"] = fifo
    paths["dev-zero"] = Path("/dev/zero")
    return paths


# --- running a command within a time and memory bound -------------------------------------------


@dataclass(frozen=True)
class BoundedRun:
    code: int
    stdout: str
    stderr: str
    seconds: float  # wall time: reported, never asserted (a loaded machine stretches it many times over)
    cpu_seconds: float  # CPU time of the command and of every process it started and waited for
    max_rss_mb: float  # peak resident memory of the command or of any process it started


WORST: dict[str, dict[str, tuple[float, str]]] = {}  # command -> "seconds"/"cpu_seconds"/"rss_mb" -> (worst, case)

# The CLI, with its peak memory written out at exit. Its own high-water mark comes from /proc (VmHWM belongs to
# the memory map made by exec): wait4's ru_maxrss would also count the pytest process the child was forked from.
# Children it started and waited for (the preview's program and packs) count through RUSAGE_CHILDREN.
# Its CPU time (own + waited-for children) is the time bound the tests assert: unlike wall time, it does not
# grow with the other work on a shared machine, yet a loop or an expansion that should not happen still shows.
_MEASURED_CLI = """
import atexit, resource, sys
report, sys.argv = sys.argv[1], ["agentid", *sys.argv[2:]]
def peak():
    own = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu = sum(u.ru_utime + u.ru_stime for u in usage)
    open(report, "w").write(f"{max(own, usage[1].ru_maxrss)} {cpu}")
atexit.register(peak)
from agentid.cli import main
main()
"""


def run_bounded(args: list[str], cwd: Path, timeout: float, case: str) -> BoundedRun:
    """Run `agentid ARGS` in a fresh interpreter; kill it at `timeout` wall seconds (then fail, a hang guard);
    measure wall time, CPU time and peak memory."""
    stem = cwd / f".run-{os.getpid()}-{time.monotonic_ns()}"
    out, err, peak = stem.with_suffix(".out"), stem.with_suffix(".err"), stem.with_suffix(".peak")
    with out.open("wb") as stdout, err.open("wb") as stderr:
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-c", _MEASURED_CLI, str(peak), *args], cwd=cwd,
                                   stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError(f"{case}: agentid {' '.join(args)[:200]} still running after {timeout} s") from None
        seconds = time.perf_counter() - start
    peak_kb, cpu_seconds = peak.read_text().split()
    run = BoundedRun(process.returncode, out.read_text(encoding="utf-8", errors="replace"),
                     err.read_text(encoding="utf-8", errors="replace"), seconds, float(cpu_seconds), int(peak_kb) / 1024)
    for file in (out, err, peak):
        file.unlink()
    worst = WORST.setdefault(args[0], {})
    for key, value in (("seconds", run.seconds), ("cpu_seconds", run.cpu_seconds), ("rss_mb", run.max_rss_mb)):
        if value > worst.get(key, (0.0, ""))[0]:
            worst[key] = (value, case)
    return run


# --- a call that must return, not hang ---------------------------------------------------------------------------


def finishes(call, seconds: float = 60.0) -> dict[str, object]:
    """`call()`'s result ("value") or exception ("error"), and the CPU seconds its thread used ("cpu_seconds");
    the test fails if it has not returned within `seconds` of wall time (a hang: a blocking open of a FIFO, a
    read of /dev/zero). The wall bound is generous on purpose: the first call may import modules, which takes
    seconds on a loaded machine; a hang never ends, so it still fails. Assert speed on "cpu_seconds", which the
    machine's other work does not stretch."""
    outcome: dict[str, object] = {}

    def run() -> None:
        started = time.thread_time()
        try:
            outcome["value"] = call()
        except BaseException as error:  # noqa: BLE001 - handed to the test
            outcome["error"] = error
        outcome["cpu_seconds"] = time.thread_time() - started

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still blocked after {seconds} s"
    return outcome

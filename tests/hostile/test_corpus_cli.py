"""The hostile corpus through `validate`, `inventory` (every format) and `lint` (every format), as a user runs them.

Each run is a real process with a time limit (killed and failed beyond it) and
its peak memory measured (wait4). Every run must end with a clear message
(each line `FILE:LINE: ...` for a refusal, never a traceback), nothing a
terminal would interpret, and output that parses in its format.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest
from markdown_it import MarkdownIt

from agentid_components.text_safety import INVISIBLE
from tests.hostile.corpus import agent_files, lint_files, run_bounded

SARIF_SCHEMA = Path(__file__).parents[1] / "preview" / "sarif-schema-2.1.0-rtm.5.json"
# CPU seconds, not wall seconds: a fresh interpreter's imports and the refusal itself take about a second of CPU
# whatever else the machine runs, while its wall time on a loaded 2-core machine can be many times that.
REFUSAL_CPU_SECONDS = 5.0  # about 0.8 s measured at worst (validate of a directory)
REFUSAL_MB = 100.0
KILL_AFTER = 120.0  # wall seconds: only a hang guard (an expansion or a blocking read never ends)
AGENT_CASES = [
    "billion-laughs", "alias-bomb-353-bytes", "deep-flow", "deep-block", "deep-mapping", "huge-string", "long-string", "huge-key",
    "number-401-digits", "number-5000-digits", "float-overflow", "nul-byte", "not-utf8", "owner-null", "owner-number",
    "purpose-tilde", "owner-homoglyph", "owner-bidi", "owner-zero-width", "purpose-ansi", "purpose-osc8",
    "purpose-tag-characters", "purpose-too-long", "owner-too-long", "sparse-20MB", "fifo", "dev-zero", "directory",
    "valid-markup-and-formulas", "valid-formula-owner",
]


@pytest.fixture(scope="module")
def agents(tmp_path_factory) -> dict[str, Path]:
    return agent_files(tmp_path_factory.mktemp("agents"))


@pytest.fixture(scope="module")
def policies(tmp_path_factory) -> dict[str, Path]:
    return lint_files(tmp_path_factory.mktemp("policies"))


def assert_terminal_safe(text: str) -> None:
    """Nothing a terminal interprets: no escape, control, bidi or zero-width character, no carriage return."""
    bad = INVISIBLE.search(text.replace("\n", ""))
    assert bad is None, f"U+{ord(bad.group()):04X} reached the terminal in: {text[max(0, bad.start() - 60):bad.start() + 20]!r}"
    assert "Traceback" not in text


def assert_refused(run, path: Path, case: str) -> None:
    assert run.code == 2, (case, run.stdout[:500], run.stderr[:500])
    lines = run.stderr.strip().splitlines()
    assert lines, case
    assert all(line.startswith(f"{path}:") for line in lines), (case, lines[:3])
    assert_bounded(run, case)


def assert_bounded(run, case: str) -> None:
    assert run.cpu_seconds < REFUSAL_CPU_SECONDS, (case, run.cpu_seconds, run.seconds)
    assert run.max_rss_mb < REFUSAL_MB, (case, run.max_rss_mb)
    assert_terminal_safe(run.stdout)
    assert_terminal_safe(run.stderr)


@pytest.mark.parametrize("case", AGENT_CASES)
def test_validate_refuses_each_hostile_file_in_bounded_time_and_memory(agents, case, tmp_path):
    path = agents[case]
    run = run_bounded(["validate", str(path)], tmp_path, KILL_AFTER, f"validate {case}")
    if case.startswith("valid-"):
        assert (run.code, run.stdout) == (0, f"{path}: ok (1 agents)\n"), run.stderr
        assert_bounded(run, case)
    elif case == "directory":  # validate walks a directory: each hostile file in it is refused under its own name
        lines = run.stderr.strip().splitlines()
        assert run.code == 2 and lines and all(line.startswith(f"{path}/") for line in lines), lines[:3]
        assert_bounded(run, case)
    else:
        assert_refused(run, path, case)
        assert len(run.stderr.strip().splitlines()) <= 3, run.stderr  # one problem (+ the count), not a cascade


EXPECTED_MESSAGES = {
    "billion-laughs": "aliases expand to over 100,000 values",
    "alias-bomb-353-bytes": "aliases expand to over 100,000 values",
    "huge-string": "the file is 10,000,036 bytes; the limit is 8,388,608",
    "long-string": "a value of 7,000,000 characters; the limit is 65,536",
    "huge-key": "a value of 100,000 characters; the limit is 65,536",
    "number-401-digits": "a number of 401 characters; the limit is 64",
    "float-overflow": "agents[0].max_credential_minutes: expected a whole number, found '1e400'",
    "number-5000-digits": "a number of 5,000 characters; the limit is 64",
    "owner-null": "agents[0].owner: expected text, found nothing",
    "owner-number": "agents[0].owner: expected text, found '123'",
    "purpose-tilde": "agents[0].purpose: expected text, found nothing",
    "owner-homoglyph": "holds U+0430 CYRILLIC SMALL LETTER A, which is not ASCII",
    "owner-bidi": "holds the invisible character U+202E RIGHT-TO-LEFT OVERRIDE",
    "owner-zero-width": "holds the invisible character U+200B ZERO WIDTH SPACE",
    "purpose-ansi": "holds the invisible character U+001B control character",
    "purpose-osc8": "holds the invisible character U+001B control character",
    "purpose-tag-characters": "holds the invisible character U+E0041 TAG LATIN CAPITAL LETTER A",
    "purpose-too-long": "agents[0].purpose: 'purpose' is 50,000 characters long; the limit is 2,000",
    "owner-too-long": "agents[0].owner: 'owner' is 312 characters long; the limit is 254",
    "sparse-20MB": "the file is 20,971,520 bytes; the limit is 8,388,608",
    "fifo": "the file is a FIFO (named pipe), not a regular file",
    "dev-zero": "the file is a character device, not a regular file",
    "directory": "the file is a directory, not a regular file",
    "nul-byte": "not a text file (it holds NUL bytes)",
    "not-utf8": "not UTF-8 text (byte 18)",
}


@pytest.mark.parametrize("case", sorted(EXPECTED_MESSAGES))
def test_each_refusal_says_what_limit_was_hit(agents, case):
    from agentid_components.loader import check_file

    messages = [str(e) for e in check_file(agents[case])[2]]
    assert any(EXPECTED_MESSAGES[case] in m for m in messages), messages


@pytest.mark.parametrize("fmt", ["json", "csv", "markdown"])
@pytest.mark.parametrize("case", ["billion-laughs", "deep-flow", "huge-string", "fifo", "dev-zero", "owner-bidi", "purpose-osc8"])
def test_inventory_refuses_hostile_files_in_every_format(agents, case, fmt, tmp_path):
    run = run_bounded(["inventory", str(agents[case]), "--format", fmt], tmp_path, KILL_AFTER, f"inventory {fmt} {case}")
    assert_refused(run, agents[case], case)
    assert run.stdout == ""


def test_csv_inventory_neutralises_every_formula(agents, tmp_path):
    run = run_bounded(["inventory", str(agents["valid-formula-owner"]), "--format", "csv", "--name-suffix", ""], tmp_path, KILL_AFTER, "inventory csv")
    assert run.code == 0, run.stderr
    rows = list(csv.DictReader(io.StringIO(run.stdout)))
    assert rows and rows[0]["owner"] == "'=cmd@example.com"
    assert rows[0]["purpose"] == "[link=https://evil.example]approved[/link] =HYPERLINK(\"https://evil.example\") <script>x</script> `a|b`"
    assert rows[0]["agent"] == "hostile-agent"  # ordinary cells are untouched
    for row in rows:
        for cell in row.values():
            assert cell.lstrip(" \t\r\n")[:1] not in ("=", "+", "-", "@"), cell
            assert cell[:1] not in ("\t", "\r"), cell
    assert_bounded(run, "csv")


def test_markdown_inventory_shows_user_text_as_text(agents, tmp_path):
    run = run_bounded(["inventory", str(agents["valid-markup-and-formulas"]), "--format", "markdown", "--name-suffix", ""], tmp_path, KILL_AFTER, "md")
    assert run.code == 0, run.stderr
    html = MarkdownIt("commonmark").enable("table").enable("strikethrough").render(run.stdout)
    assert "<script" not in html and "<a " not in html
    assert "[link=https://evil.example]approved[/link] =HYPERLINK(&quot;https://evil.example&quot;) &lt;script&gt;x&lt;/script&gt;" in html
    assert "+cmd|' /C calc'!A0 [bold]x[/bold] # h" in html  # the tool description, whole, not a heading or list
    assert "<td>[/x]@example.com</td>" in html  # the owner, in its table cell
    assert_bounded(run, "md")


def test_json_inventory_of_hostile_text_loads_back(agents, tmp_path):
    run = run_bounded(["inventory", str(agents["valid-markup-and-formulas"]), "--format", "json", "--name-suffix", ""], tmp_path, KILL_AFTER, "json")
    assert run.code == 0, run.stderr
    document = json.loads(run.stdout)
    assert document["agents"][0]["owner"] == "[/x]@example.com"
    assert_bounded(run, "json")


LINT_REFUSED = ["deep", "deep-objects", "number-5000-digits", "huge-string", "nul-byte", "not-utf8", "not-json", "fifo", "dev-zero",
                "duplicate-statement", "duplicate-action", "nan", "infinity", "beyond-double"]


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
@pytest.mark.parametrize("case", LINT_REFUSED)
def test_lint_refuses_hostile_files_in_every_format(policies, case, fmt, tmp_path):
    path = policies[case]
    run = run_bounded(["lint", "--format", fmt, str(path)], tmp_path, KILL_AFTER, f"lint {fmt} {case}")
    assert_refused(run, path, case)
    if fmt == "json":
        assert json.loads(run.stdout)["findings"] == [] and json.loads(run.stdout)["executionSuccessful"] is False
    elif fmt == "sarif":
        document = json.loads(run.stdout)
        schema = json.loads(SARIF_SCHEMA.read_text())
        jsonschema.validators.validator_for(schema)(schema).validate(document)
        assert document["runs"][0]["invocations"][0]["executionSuccessful"] is False


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_lint_findings_on_hostile_strings_are_escaped_in_every_format(policies, fmt, tmp_path):
    files = [str(policies["finding-hostile-strings"]), str(policies["finding-hostile-name-\x1b[31m[link=x]"])]
    run = run_bounded(["lint", "--format", fmt, *files], tmp_path, KILL_AFTER, f"lint {fmt} findings")
    assert run.code == 1, run.stderr
    assert_bounded(run, f"lint {fmt}")
    if fmt == "text":
        assert "finding-hostile-name-\\x1b[31m[link=x].json: " in run.stdout
    elif fmt == "json":
        assert {r["file"] for r in json.loads(run.stdout)["findings"]} == set(files)
    else:
        document = json.loads(run.stdout)
        schema = json.loads(SARIF_SCHEMA.read_text())
        jsonschema.validators.validator_for(schema)(schema).validate(document)
        uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in document["runs"][0]["results"]}
        assert any(uri.endswith("finding-hostile-name-%1B%5B31m%5Blink%3Dx%5D.json") for uri in uris), uris

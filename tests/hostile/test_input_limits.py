"""The reading limits (agentid_components.input_limits) and their use by the agent-file loader: one line, file and line, fast."""

from __future__ import annotations

import os
import unicodedata

import pytest

from agentid_components import input_limits, text_safety
from agentid_components.loader import check_file, check_text
from tests.hostile.corpus import finishes


def errors(text: str) -> list[str]:
    return [str(e) for e in check_text(text, "agents.yaml")[2]]


def test_a_billion_laughs_alias_bomb_is_refused_at_its_first_costly_alias():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8))
    outcome = finishes(lambda: errors(bomb))
    assert outcome.get("value") == [
        "agents.yaml:5: aliases expand to over 100,000 values (an alias bomb?): write the values out or use fewer aliases"], outcome
    # CPU time of the reading thread (load does not stretch it): the refusal reads about 10^5 values, expanding
    # the bomb would be 10^9
    assert outcome["cpu_seconds"] < 2.0, outcome


def test_a_few_aliases_still_work():
    text = "agents:\n  - &one {name: a}\n  - *one\n"
    assert input_limits.plain_yaml(text, "x.yaml", input_limits.AGENT_FILE) == {"agents": [{"name": "a"}, {"name": "a"}]}


@pytest.mark.parametrize("text, expected", [
    ("a:\n" + "".join(" " * i + "- \n" for i in range(1, 70)), "agents.yaml:65: the document nests deeper than 64 levels"),
    ("agents:\n  - max_credential_minutes: " + "9" * 401 + "\n", "agents.yaml:2: a number of 401 characters; the limit is 64"),
    ("purpose: '" + "x" * 70_000 + "'\n", "agents.yaml:1: a value of 70,000 characters; the limit is 65,536"),
])
def test_deep_and_huge_documents_are_refused_in_one_line(text, expected):
    assert errors(text) == [expected]


def test_a_hundred_thousand_brackets_are_refused_not_a_crash():
    (error,) = errors("[" * 100_000 + "]" * 100_000)  # libyaml's own composer recurses in C and crashes here
    assert error in ("agents.yaml:1: the document nests deeper than 64 levels",
                     "agents.yaml:1: invalid YAML: exceeded maximum nesting depth")  # newer libyaml stops at 1,000


def test_devices_fifos_and_directories_are_refused_without_reading(tmp_path):
    fifo = tmp_path / "agents.yaml"
    os.mkfifo(fifo)  # opening it blocking would wait for a writer forever
    # each check must return (a blocking open of the FIFO or a read of /dev/zero never would) using little CPU
    outcome = finishes(lambda: [str(e) for e in check_file(fifo)[2]])
    assert outcome.get("value") == [f"{fifo}:1: the file is a FIFO (named pipe), not a regular file: name a file"], outcome
    assert outcome["cpu_seconds"] < 0.5, outcome
    outcome = finishes(lambda: [str(e) for e in check_file("/dev/zero")[2]])
    assert outcome.get("value") == ["/dev/zero:1: the file is a character device, not a regular file: name a file"], outcome
    assert outcome["cpu_seconds"] < 0.5, outcome
    assert [str(e) for e in check_file(tmp_path)[2]] == [
        f"{tmp_path}:1: the file is a directory, not a regular file: name a file"]


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "policy.json"
    with big.open("wb") as handle:
        handle.truncate(3 * input_limits.MiB)  # sparse: no disk used
    with pytest.raises(input_limits.InputRefused, match=r"policy.json:1: the file is 3,145,728 bytes; the limit is 2,097,152"):
        input_limits.read_bytes(big, input_limits.LINT_FILE.max_bytes)


@pytest.mark.parametrize("line, value", [
    ("owner: null", "agents.yaml:4: agents[0].owner: expected text, found nothing"),
    ("owner: 123", "agents.yaml:4: agents[0].owner: expected text, found '123'"),
    ("owner: ~", "agents.yaml:4: agents[0].owner: expected text, found nothing"),
])
def test_plain_nulls_and_numbers_are_typed_so_they_are_not_owners(line, value):
    text = f"agents:\n  - name: a\n    purpose: p\n    {line}\n"
    assert value in errors(text)


def test_a_null_purpose_is_an_error():
    assert "agents.yaml:3: agents[0].purpose: expected text, found nothing" in errors("agents:\n  - name: a\n    purpose: ~\n")


@pytest.mark.parametrize("owner, shown", [
    ("\u0430lice@example.com", "U+0430 CYRILLIC SMALL LETTER A"),  # looks like alice@example.com
    ("team-\u0440ayments", "U+0440 CYRILLIC SMALL LETTER ER"),
    ("ops@ex\u0430mple.com", "U+0430 CYRILLIC SMALL LETTER A"),
])
def test_look_alike_owners_are_refused_as_names_are(owner, shown):
    found = errors(f"agents:\n  - name: a\n    owner: {owner}\n")
    assert any(f"agents[0].owner: owner '{owner}' holds {shown}, which is not ASCII" in e for e in found), found


@pytest.mark.parametrize("char", ["\u202e", "\u2066", "\u200b", "\u200d", "\ufeff", "\x1b", "\U000e0041"])
def test_invisible_characters_are_refused_anywhere_with_their_name(char):
    written = char if char.isprintable() or char in "\u202e\u2066\u200b\u200d\ufeff" else f"\\U{ord(char):08x}"
    found = errors(f'agents:\n  - name: a\n    purpose: "pay {written}out"\n')  # YAML escapes reach every character
    expected = (f"agents.yaml:3: agents[0].purpose: holds the invisible character "
                f"{text_safety.describe_character(char)}: it hides or reorders what a reviewer sees "
                "(bidi controls, zero-width and control characters are refused)")
    assert expected in found, found
    # the agent's other problems (the keys it lacks) are still reported, by line
    assert all("required key" in line for line in found if line != expected) and len(found) > 1, found


AGENT = """\
  - name: {name}
    owner: team@example.com
    purpose: {purpose}
    environment: dev
    review_by: 2031-06-30
    tools:
      - name: t
        oauth: {{provider: oidc, issuer: "https://as.acme.example", audience: "{audience}", scopes: [read]}}
    trust:
      - github_actions: {{repository: acme/{name}, branch: main}}
"""


def test_an_invisible_character_is_one_problem_among_the_others(tmp_path):
    """red7a item 14: one U+202E in the last agent hid every other problem of the file (1 reported instead of 4).
    Now `agentid validate` reports each problem at its own FILE:LINE: PATH, the invisible character included,
    and a value's own check adds no second line for the same key."""
    import subprocess
    import sys
    from pathlib import Path

    text = "agents:\n" + "".join([
        AGENT.format(name="a0", purpose="p", audience="https://mcp.acme.example:0"),
        AGENT.format(name="a1", purpose="p", audience="https://169.254.169.254/latest"),
        AGENT.format(name="a2", purpose="p", audience="https://mcp.acme.example/../admin"),
        AGENT.format(name="a3", purpose="p\u200bp", audience="https://mcp.acme.example/\u202egro.live"),
    ])
    spec = tmp_path / "agents.yaml"
    spec.write_text(text, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "agentid.cli", "validate", str(spec)],
                            cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stdout
    lines = [line.removeprefix(f"{spec}:") for line in result.stderr.strip().splitlines()]
    assert [line.split(": ", 2)[:2] for line in lines[:-1]] == [
        ["9", "agents[0].tools[0].oauth.audience"], ["19", "agents[1].tools[0].oauth.audience"],
        ["29", "agents[2].tools[0].oauth.audience"], ["34", "agents[3].purpose"],
        ["39", "agents[3].tools[0].oauth.audience"]]
    assert "has port '0'" in lines[0] and "link-local" in lines[1] and "'..' path segment" in lines[2]
    assert lines[3].endswith("holds the invisible character U+200B ZERO WIDTH SPACE: it hides or reorders what a "
                             "reviewer sees (bidi controls, zero-width and control characters are refused)")
    assert "holds the invisible character U+202E RIGHT-TO-LEFT OVERRIDE" in lines[4]
    assert lines[-1] == " 5 problems"


def test_an_invisible_character_in_a_key_is_reported_with_the_key_and_the_rest():
    found = errors("agents:\n  - name: a\n    ow\u200bner: team@example.com\n")
    assert found[-1] == ("agents.yaml:3: agents[0].ow\\u200bner: holds the invisible character U+200B ZERO WIDTH "
                        "SPACE: it hides or reorders what a reviewer sees (bidi controls, zero-width and control "
                        "characters are refused)")
    assert any("required key 'owner' is missing" in line for line in found), found


def test_a_file_whose_only_problem_is_an_invisible_character_reports_just_it():
    text = "agents:\n" + AGENT.format(name="a", purpose="pay\u202eout", audience="https://mcp.acme.example")
    assert errors(text) == ["agents.yaml:4: agents[0].purpose: holds the invisible character U+202E RIGHT-TO-LEFT "
                            "OVERRIDE: it hides or reorders what a reviewer sees (bidi controls, zero-width and "
                            "control characters are refused)"]


def test_ordinary_non_ascii_text_in_a_purpose_is_fine():
    assert input_limits.plain_yaml("purpose: Résumé triage für 東京\n", "x", input_limits.AGENT_FILE) == {
        "purpose": "Résumé triage für 東京"}


def test_the_invisible_list_matches_this_pythons_unicode_data():
    for code in range(0x110000):
        char = chr(code)
        expected = unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") and char not in "\t\n"
        if expected:
            assert text_safety.invisible(char), f"U+{code:04X} is not refused"


def test_certificates_outside_the_repository_and_symlink_escapes_are_refused(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    outside = tmp_path / "ca.pem"
    outside.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    (repo / "link.pem").symlink_to(outside)
    for reference in ("../ca.pem", "link.pem", str(outside)):
        agent = repo / "agents.yaml"
        agent.write_text(f"agents:\n  - name: a\n    client_certificate: {reference}\n")
        found = [str(e) for e in check_file(agent)[2]]
        assert any("agents[0].client_certificate: certificate" in e and "is outside the repository" in e for e in found), found
        allowed = [str(e) for e in check_file(agent, files_root=None)[2]]
        assert not any("client_certificate" in e for e in allowed), allowed


def test_a_certificate_that_is_a_device_is_refused(tmp_path):
    agent = tmp_path / "agents.yaml"
    agent.write_text("agents:\n  - name: a\n    client_certificate: /dev/zero\n")
    found = [str(e) for e in check_file(agent, files_root=None)[2]]
    assert ("agents.yaml:3: agents[0].client_certificate: certificate '/dev/zero': the certificate is a character "
            "device, not a regular file: name a file (looked at /dev/zero)") in " ".join(found).replace(str(tmp_path) + "/", "")


def test_json_nesting_and_numbers_are_bounded():
    with pytest.raises(input_limits.InputRefused, match="nests deeper than 64"):
        input_limits.json_document("[" * 50_000 + "]" * 50_000, "p.json", input_limits.LINT_FILE)
    with pytest.raises(input_limits.InputRefused, match="a number of 5,000 digits"):
        input_limits.json_document("[" + "1" * 5000 + "]", "p.json", input_limits.LINT_FILE)
    assert input_limits.json_document('{"a": ["[{", 1]}', "p.json", input_limits.LINT_FILE) == {"a": ["[{", 1]}


def test_a_waiver_file_is_read_within_the_same_limits():
    from agentid.preview.stack_config import ConfigError
    from agentid.preview.waivers import parse

    bomb = "waivers: &a [[x, x, x, x, x, x, x, x, x, x]]\n" + "".join(
        f"b{i}: &b{i} [{', '.join(['*' + ('a' if i == 0 else f'b{i - 1}')] * 10)}]\n" for i in range(8))
    with pytest.raises(ConfigError, match=r"^waivers.yaml:5: aliases expand to over 100,000 values"):
        parse(bomb, "waivers.yaml")
    with pytest.raises(ConfigError, match=r"^waivers.yaml:1: (the document nests deeper than 64 levels|invalid YAML)"):
        parse("waivers: " + "[" * 50_000 + "]" * 50_000, "waivers.yaml")
    with pytest.raises(ConfigError, match=r"^waivers.yaml:2: rule: must be text, not int"):
        parse("waivers:\n  - {rule: 123, resource: r, reason: x, approver: a, expires: 2099-01-01}\n", "waivers.yaml")


def test_many_values_are_refused_before_validation_and_large_files_stop_early(tmp_path):
    # a 4 MB file of 400,000 bare agents made pydantic build 2.8 million errors in 5.7 GB
    from agentid_components.loader import check_file

    many = tmp_path / "many.yaml"
    many.write_text("agents: [" + ", ".join(["{name: a}"] * 100_000) + "]\n")
    _, _, errors = check_file(many)
    assert [(e.line, e.message) for e in errors] == [
        (1, "the document holds over 150,000 values, the limit: split it into several files")]
    wide = tmp_path / "wide.yaml"
    wide.write_text("agents: [" + ", ".join(["{tools: [" + ",".join(["{}"] * 30) + "]}"] * 1500) + "]\n")
    _, _, errors = check_file(wide)
    assert len(errors) == 201
    assert errors[-1].message == "stopped after 200 problems in a file of 1,500 agents: fix these and run again"

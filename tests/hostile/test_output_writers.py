"""Property tests: random strings (every code point, controls, bidi, lone surrogates) through every output writer.

Each writer's output must parse in its format (csv, xml.etree, json, the SARIF
2.1.0 schema, CommonMark) and show the data as data: no formula, no markup, no
control character on a terminal. The hostile corpus (`corpus.HOSTILE_STRINGS`)
is always among the examples.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from rich.console import Console

from agentid.analyzer_client import PolicyInfo
from agentid.preview.analysis import PackRun, Violation
from agentid.preview.junit import to_junit
from agentid.preview.program import Resource
from agentid.preview.report import render, to_json
from agentid.preview.runner import PreviewResult
from agentid.preview.sarif import to_sarif
from agentid_components.inventory import to_csv, to_json as inventory_json, to_markdown
from agentid_components.loader import SpecError
from agentid_components.spec import Agent, AwsGrant, GitHubActionsTrust, Inventory, Tool, TrustBinding
from agentid_components.text_safety import INVISIBLE, csv_cell, markdown_code, markdown_text, visible, xml_text
from tests.hostile.corpus import HOSTILE_STRINGS

ANY_TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, blacklist_categories=()), max_size=60)
SOME_CONTROLS = st.text(st.sampled_from(["\x00", "\x1b", "\x07", "\r", "\n", "\t", "\x9b", "\u202e", "\u200b", "[", "]",
                                         "=", "+", "-", "@", "<", ">", "&", "`", "|", "*", "#", "a", " ", "/", "\ud800"]),
                        max_size=30)
TEXT = st.one_of(ANY_TEXT, SOME_CONTROLS, st.sampled_from(HOSTILE_STRINGS))
SARIF_SCHEMA = json.loads((Path(__file__).parents[1] / "preview" / "sarif-schema-2.1.0-rtm.5.json").read_text())
SARIF = jsonschema.validators.validator_for(SARIF_SCHEMA)(SARIF_SCHEMA)
MARKDOWN = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def hostile_examples(test):
    for text in HOSTILE_STRINGS:
        test = example(text)(test)
    return test


# --- the escaping functions -----------------------------------------------------------------------


@given(TEXT)
@hostile_examples
def test_visible_leaves_nothing_a_terminal_interprets(text):
    shown = visible(text)
    assert INVISIBLE.search(shown) is None and "\n" not in shown and "\r" not in shown


@given(TEXT)
@hostile_examples
def test_csv_cells_never_start_a_formula_and_keep_the_value(text):
    buffer = io.StringIO()
    csv.writer(buffer).writerow([csv_cell(text), "next"])
    (cell, after), = list(csv.reader(io.StringIO(buffer.getvalue(), newline="")))
    assert after == "next"
    assert cell in (text, "'" + text)
    assert cell.lstrip(" \t\r\n\u00a0\u3000")[:1] not in ("=", "+", "-", "@") and cell[:1] not in ("\t", "\r")


def _inline_text(markdown: str) -> str:
    tokens = MARKDOWN.parse(markdown)
    inline = [t for t in tokens if t.type == "inline"]
    assert [t.type for t in tokens if t.type not in ("inline",)] in ([], ["paragraph_open", "paragraph_close"]), \
        [t.type for t in tokens]
    children = [c for t in inline for c in t.children]
    assert all(c.type in ("text", "code_inline") for c in children), [c.type for c in children]
    return "".join(c.content for c in children)


@given(TEXT)
@hostile_examples
def test_markdown_text_renders_as_exactly_that_text(text):
    expected = visible(text).strip().replace("\x00", "\ufffd")
    assert _inline_text(markdown_text(text)) == expected


@given(TEXT)
@hostile_examples
def test_markdown_code_spans_hold_the_text(text):
    rendered = _inline_text("x " + markdown_code(text))
    assert rendered.startswith("x ")


@given(TEXT)
@hostile_examples
def test_xml_text_always_parses(text):
    element = ET.Element("x", value=xml_text(text))
    element.text = xml_text(text)
    parsed = ET.fromstring(ET.tostring(element, encoding="unicode"))
    assert parsed.get("value") == xml_text(text).replace("\r", "\n") or parsed.get("value") == xml_text(text)


# --- inventory writers ---------------------------------------------------------------------------


def _inventory(owner: str, purpose: str, description: str) -> Inventory:
    """A model carrying arbitrary text (built without validation: the writers must not rely on the loader's checks)."""
    grant = AwsGrant.model_construct(actions=["dynamodb:GetItem"], resources=["arn:aws:dynamodb:eu-west-1:111122223333:table/t"],
                                     conditions={})
    tool = Tool.model_construct(name=description[:20] or "t", description=description, aws=grant, azure=None, oauth=None)
    trust = TrustBinding.model_construct(github_actions=GitHubActionsTrust.model_construct(
        repository="example-org/repo", branch="main", environment=None), kubernetes=None, spiffe=None, azure_hosted=None)
    agent = Agent.model_construct(name=owner[:30] or "a", owner=owner, purpose=purpose, environment="dev",
                                  review_by=dt.date(2099, 1, 1), max_credential_minutes=15, client_certificate=None,
                                  tools=[tool], trust=[trust])
    return Inventory.model_construct(agents=[agent])


@settings(max_examples=60, deadline=None)
@given(TEXT, TEXT, TEXT)
def test_inventory_writers_give_well_formed_files(owner, purpose, description):
    inventory = _inventory(owner, purpose, description)
    rows = list(csv.DictReader(io.StringIO(to_csv(inventory), newline="")))
    assert rows[0]["owner"] in (owner, "'" + owner) and rows[0]["purpose"] in (purpose, "'" + purpose)
    for row in rows:
        assert all(cell.lstrip(" \t\r\n\u00a0\u3000")[:1] not in ("=", "+", "-", "@") for cell in row.values())
    document = json.loads(inventory_json(inventory, "agents.yaml"))
    assert document["agents"][0]["owner"] == owner
    html = MARKDOWN.render(to_markdown(inventory, "agents.yaml"))
    assert "<script" not in html and "<a " not in html and "<img" not in html


# --- preview writers -----------------------------------------------------------------------------


def _result(name: str, message: str, agent: str, error: str | None) -> PreviewResult:
    urn = f"urn:pulumi:dev::project::aws:iam/accessKey:AccessKey::{name}"
    policy = PolicyInfo(name="no-access-keys", description=message, enforcement_level="mandatory", policy_type="resource",
                        severity="high", remediation=message, url="https://example.com/" + name, config_schema={})
    violation = Violation(pack="agent-guard", policy="no-access-keys", description=message, message=message,
                          enforcement_level="mandatory", severity="high", urn=urn, remediation=message, url="")
    pack = PackRun(name="agent-guard", version="1", directory="p", policies=(policy,), config={}, violations=(violation,))
    result = PreviewResult(stack=name or "dev", resources=[Resource(urn=urn, type="aws:iam/accessKey:AccessKey", name=name,
                                                                    inputs={}, parent=None, custom=True)],
                           agent_of={urn: agent}, cloud_of={urn: "aws"}, packs=[pack])
    if error is not None:
        result.error, result.error_kind = error, "spec"
        result.spec_problems = [SpecError("agents.yaml", 3, "agents[0].owner", error)]
    return result


@settings(max_examples=40, deadline=None)
@given(TEXT, TEXT, TEXT, st.one_of(st.none(), TEXT))
def test_preview_writers_give_well_formed_files(name, message, agent, error):
    result = _result(name, message, agent, error)
    sarif = json.loads(json.dumps(to_sarif(result)))
    SARIF.validate(sarif)
    ET.fromstring(to_junit(result).encode("utf-8"))  # well-formed XML 1.0
    json.loads(json.dumps(to_json(result), default=str))
    screen = io.StringIO()
    render(result, Console(file=screen, width=120, color_system=None, force_terminal=False))  # never a markup error
    assert INVISIBLE.search(screen.getvalue().replace("\n", "")) is None


def test_rich_markup_in_user_data_is_shown_not_applied():
    result = _result("[link=https://evil.example]ok[/link]", "[/x] [bold red]PASS[/]", "[/x]@example.com", None)
    screen = io.StringIO()
    render(result, Console(file=screen, width=200, color_system=None))
    shown = screen.getvalue()
    assert "[link=https://evil.example]ok[/link]" in shown and "[/x] [bold red]PASS[/]" in shown


@settings(max_examples=40, deadline=None)
@given(TEXT, TEXT)
def test_the_audit_table_shows_account_text_as_text(principal, message):
    from agentid.aws_audit.findings import RULES, AuditFinding
    from agentid.aws_audit.report import to_table

    table = to_table([AuditFinding(rule=next(iter(RULES)), agent=None, principal=principal, message=message)])
    assert INVISIBLE.search(table.replace("\n", "")) is None


def test_the_audit_table_does_not_apply_markup():
    from agentid.aws_audit.findings import RULES, AuditFinding
    from agentid.aws_audit.report import to_table

    table = to_table([AuditFinding(rule=next(iter(RULES)), agent=None, principal="arn:aws:iam::1:role/[/x]",
                                   message="[link=https://evil.example]ok[/link]")])
    assert "arn:aws:iam::1:role/[/x]" in table and "[link=https://evil.example]ok[/link]" in table

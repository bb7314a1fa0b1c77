"""Issue 17: the stack's agent file is validated once per `agentid preview`, in the gate, not again in the program.

The gate writes the model it validated into the program's run directory (`program.hand_over_spec`); the
language host gives it to the kit's loader (`loader.hand_over`) before the program runs, when the program
would import the same `agentid_components`; `load_inventory` returns it only while the file holds the bytes
it was validated from. Nothing flows back to the gate: the verdict is unchanged (the equivalence test of
test_speedups.py runs the dev stack with and without the speed-ups, this one included).
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import pytest

from agentid.preview import language_host
from agentid.preview.program import HANDED_OVER_SPEC, hand_over_spec
from agentid.preview.runner import PreviewRequest, run_preview
from agentid_components import loader
from agentid_components.loader import SpecLoadError, load_inventory

from .conftest import AGENT_GUARD, copy_project

AGENT = """\
agents:
  - name: triage
    owner: team-support
    purpose: Reads tickets.
    environment: dev
    review_by: 2099-03-31
    tools:
      - name: read-tickets
        aws:
          actions: [s3:GetObject]
          resources: ["arn:aws:s3:::tickets/*"]
    trust:
      - github_actions: {repository: example-org/triage, branch: main}
"""


@pytest.fixture(autouse=True)
def _nothing_handed_over():
    loader._HANDED_OVER.clear()  # noqa: SLF001
    yield
    loader._HANDED_OVER.clear()  # noqa: SLF001


def _no_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*args, **kwargs):
        raise AssertionError("validated again")

    monkeypatch.setattr(loader, "check_text", refused)


def test_a_handed_over_model_is_returned_for_the_same_bytes_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    file = tmp_path / "agents.yaml"
    file.write_text(AGENT)
    validated = load_inventory(file)
    assert len(validated.sha256) == 64
    loader.hand_over(validated)
    with monkeypatch.context() as patched:
        _no_validation(patched)
        again = load_inventory(str(tmp_path / "." / "agents.yaml"))  # another spelling of the same file
    assert again.inventory is validated.inventory and again.lines == validated.lines
    assert again.file == str(tmp_path / "." / "agents.yaml")  # named as this caller named it
    assert load_inventory(file).inventory is not validated.inventory  # used once: the next load validates


def test_changed_bytes_are_validated_and_their_problems_reported(tmp_path: Path):
    file = tmp_path / "agents.yaml"
    file.write_text(AGENT)
    loader.hand_over(load_inventory(file))
    file.write_text(AGENT.replace("    environment: dev\n", "    environment: dev\n    colour: red\n"))
    with pytest.raises(SpecLoadError) as raised:
        load_inventory(file)
    assert any("colour" in str(error) for error in raised.value.errors)


def test_a_model_for_another_file_or_without_digest_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(AGENT)
    second.write_text(AGENT)
    loader.hand_over(load_inventory(first))
    calls = []
    check_text = loader.check_text
    monkeypatch.setattr(loader, "check_text", lambda *a, **k: calls.append(a[1]) or check_text(*a, **k))
    load_inventory(second)
    assert calls == [str(second)]  # same bytes, another file: validated
    model = load_inventory(first)  # the handed-over one
    assert calls == [str(second)]
    loader.hand_over(loader.LoadedInventory(model.inventory, str(first), model.lines))  # no digest: ignored
    load_inventory(first)
    assert calls == [str(second), str(first)]


def _payload(run_dir: Path, kit: str | None = None) -> None:
    file = run_dir / "agents.yaml"
    file.write_text(AGENT)
    hand_over_spec(load_inventory(file), run_dir)
    if kit is not None:
        payload = pickle.loads((run_dir / HANDED_OVER_SPEC).read_bytes())
        (run_dir / HANDED_OVER_SPEC).write_bytes(pickle.dumps({**payload, "kit": kit}))


def test_the_language_host_hands_over_only_for_the_kit_the_gate_validated_with(tmp_path: Path,
                                                                                 monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(language_host, "HERE", str(tmp_path))
    _payload(tmp_path)
    language_host._take_validated_spec(".")  # noqa: SLF001
    assert list(loader._HANDED_OVER) == [str((tmp_path / "agents.yaml").resolve())]  # noqa: SLF001

    loader._HANDED_OVER.clear()  # noqa: SLF001
    _payload(tmp_path, kit=str(tmp_path / "vendored" / "agentid_components"))  # the program imports another copy
    language_host._take_validated_spec(".")  # noqa: SLF001
    assert loader._HANDED_OVER == {}  # noqa: SLF001

    # the program's folder holds its own copy: run_path puts that folder first on sys.path, so the program imports it
    _payload(tmp_path)
    vendored = tmp_path / "program" / "agentid_components"
    vendored.mkdir(parents=True)
    (vendored / "__init__.py").write_text("")
    with monkeypatch.context() as fresh:  # in the program's process nothing has imported the kit yet
        fresh.delitem(sys.modules, "agentid_components")
        language_host._take_validated_spec(str(tmp_path / "program"))  # noqa: SLF001
    assert loader._HANDED_OVER == {}  # noqa: SLF001
    assert str(tmp_path / "program") not in sys.path  # the folder is on the path only while the body runs

    (tmp_path / HANDED_OVER_SPEC).write_bytes(b"not a pickle")
    language_host._take_validated_spec(".")  # noqa: SLF001 - validates as before, no error
    (tmp_path / HANDED_OVER_SPEC).unlink()
    language_host._take_validated_spec(".")  # noqa: SLF001
    assert loader._HANDED_OVER == {}  # noqa: SLF001


def _reporting_program(project: Path) -> None:
    """The example program, exporting which agent files were handed over before it loads its own."""
    main = project / "stacks" / "__main__.py"
    main.write_text(main.read_text().replace(
        "config = kit_config()\n",
        "from agentid_components import loader as _loader  # noqa: E402\n"
        "pulumi.export('handedOver', sorted(_loader._HANDED_OVER))\n"
        "config = kit_config()\n", 1) + "pulumi.export('leftOver', sorted(_loader._HANDED_OVER))\n")


def test_the_program_gets_the_gates_model_and_the_verdict_is_the_same(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch):
    project = copy_project(tmp_path)
    _reporting_program(project)
    request = PreviewRequest(stack="dev", pack_dirs=[str(AGENT_GUARD)], start_dir=str(project))
    handed = run_preview(request)
    assert handed.error is None, handed.error
    agents_file = str((project / "stacks" / "agents" / "dev.yaml").resolve())
    assert handed.outputs["handedOver"] == [agents_file]
    assert handed.outputs["leftOver"] == []  # the program's load_inventory took it

    monkeypatch.setenv("AGENTID_PREVIEW_PLAIN_SDK", "1")  # the plain path: the program validates the file itself
    plain = run_preview(request)
    assert plain.outputs["handedOver"] == []
    assert [(r.urn, r.inputs) for r in plain.resources] == [(r.urn, r.inputs) for r in handed.resources]
    assert sorted((v.policy, v.urn, v.message) for v in plain.violations) == \
        sorted((v.policy, v.urn, v.message) for v in handed.violations)
    assert (plain.exit_code, handed.exit_code) == (0, 0)

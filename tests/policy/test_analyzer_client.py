"""The analyzer client starts a pack as the engine does and speaks the analyzer protocol to it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from agentid.analyzer_client import PackError, PackProcess, StackResource

REPO = Path(__file__).resolve().parents[2]
TRIVIAL = REPO / "policy_packs" / "trivial_pack"
URN = "urn:pulumi:dev::proj::aws:s3/bucket:Bucket::{}"


@pytest.fixture(scope="module")
def trivial():
    with PackProcess.start(TRIVIAL, timeout=60) as pack:
        yield pack


def test_info_lists_policies_with_default_levels(trivial):
    info = trivial.info()
    assert info.name == "trivial-pack"
    assert info.supports_config
    assert {p.name: (p.policy_type, p.enforcement_level) for p in info.policies} == {
        "trivial-name": ("resource", "advisory"),
        "trivial-stack": ("stack", "advisory"),
    }


def test_analyze_reports_and_configure_overrides_level(trivial):
    trivial.configure({})
    assert trivial.analyze("aws:s3/bucket:Bucket", "fine", URN.format("fine"), {"bucket": "x"}) == []
    [diag] = trivial.analyze("aws:s3/bucket:Bucket", "forbidden", URN.format("forbidden"), {"tags": {"a": 1.0}})
    assert (diag.policy_name, diag.policy_pack_name, diag.enforcement_level) == ("trivial-name", "trivial-pack", "advisory")
    assert "may not be named 'forbidden'" in diag.message

    trivial.configure({"trivial-name": "mandatory"})
    [diag] = trivial.analyze("aws:s3/bucket:Bucket", "forbidden", URN.format("forbidden"), {})
    assert diag.enforcement_level == "mandatory"

    trivial.configure({"trivial-name": {"enforcementLevel": "disabled"}})
    assert trivial.analyze("aws:s3/bucket:Bucket", "forbidden", URN.format("forbidden"), {}) == []
    trivial.configure({})


def test_analyze_stack_runs_stack_policies(trivial):
    assert trivial.analyze_stack([]) and trivial.analyze_stack([])[0].policy_name == "trivial-stack"
    resources = [StackResource("aws:s3/bucket:Bucket", "b", URN.format("b"), {"bucket": "b"})]
    assert trivial.analyze_stack(resources) == []


def test_configure_rejects_unknown_level(trivial):
    with pytest.raises(ValueError, match="enforcement level"):
        trivial.configure({"trivial-name": "loud"})


def _pack(tmp_path: Path, main: str) -> Path:
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (tmp_path / "__main__.py").write_text(textwrap.dedent(main))
    return tmp_path


def test_pack_printing_before_port_is_a_clear_error(tmp_path):
    pack_dir = _pack(tmp_path, 'print("hello")\nimport time\ntime.sleep(30)\n')
    with pytest.raises(PackError, match="where its port should be"):
        PackProcess.start(pack_dir, timeout=120)  # long enough to import pulumi_policy on a loaded machine


def test_pack_crashing_at_start_is_a_clear_error(tmp_path):
    pack_dir = _pack(tmp_path, 'raise SystemExit("boom: rules failed to load")\n')
    with pytest.raises(PackError, match="before printing its port") as caught:
        PackProcess.start(pack_dir, timeout=120)  # long enough to import pulumi_policy on a loaded machine
    assert "boom" in str(caught.value)


def test_pack_that_hangs_at_start_times_out(tmp_path):
    pack_dir = _pack(tmp_path, "import time\ntime.sleep(60)\n")
    with pytest.raises(PackError, match="did not print its port within 1 s"):
        PackProcess.start(pack_dir, timeout=1)


def test_rule_that_hangs_times_out_the_call(tmp_path):
    pack_dir = _pack(tmp_path, """
        import time
        from pulumi_policy import PolicyPack, ResourceValidationPolicy
        PolicyPack(name="slow", policies=[ResourceValidationPolicy(
            name="slow", description="sleeps", validate=lambda args, report: time.sleep(30))])
    """)
    with PackProcess.start(pack_dir, timeout=120, call_timeout=1) as pack:
        with pytest.raises(PackError, match="did not answer Analyze within 1 s"):
            pack.analyze("aws:s3/bucket:Bucket", "b", URN.format("b"), {})


def test_pack_killed_mid_session_is_reported(tmp_path):
    with PackProcess.start(TRIVIAL, timeout=60) as pack:
        pack.process.kill()
        pack.process.wait()
        with pytest.raises(PackError, match="exited"):
            pack.info()


def test_directory_without_pack_is_rejected(tmp_path):
    with pytest.raises(PackError, match="not a policy pack"):
        PackProcess.start(tmp_path)

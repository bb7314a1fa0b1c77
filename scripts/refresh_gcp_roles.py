"""Refresh components/data/gcp_roles.json.gz: every Google Cloud predefined role and the permissions it holds.

Source: the public dataset iann0036/iam-dataset (https://github.com/iann0036/iam-dataset, folder `gcp/roles/`,
one `ROLE.json` a predefined role: `name`, `stage`, `includedPermissions`), which its maintainer refreshes from
Google's IAM API `roles.list?view=FULL` (https://cloud.google.com/iam/docs/reference/rest/v1/roles/list) and the
permissions reference (https://cloud.google.com/iam/docs/permissions-reference). Licence: MIT, (c) 2021 Ian Mckay,
which allows redistribution with the copyright notice; the snapshot keeps only facts (role names, stages and
permission names, no descriptions or titles) in the kit's own layout, and carries the notice.

No registry package (PyPI, npm) ships this data; Google's own answer needs credentials (scripts/refresh_gcp_iam.py
refreshes the resource-kind half of the catalogue from the IAM API on a machine that has them).

Usage (a clone of the dataset, any commit; the commit is recorded when DIR is a git work tree):

    git clone --depth 1 https://github.com/iann0036/iam-dataset /tmp/iam-dataset
    python scripts/refresh_gcp_roles.py /tmp/iam-dataset

Layout written (gzip JSON, ~0.3 MB; loads in a few ms):
    {"source": str, "licence": str, "commit": str | null,
     "permissions": [str, ...]                      # sorted, each once
     "roles": {"roles/NAME": "i,j,..."}             # indices into permissions, hexadecimal, comma-separated
                                                    # (a string: decoded only for the roles a check reads)
     "stages": {"roles/NAME": "BETA" | "ALPHA" | "DEPRECATED"}}   # GA roles omitted
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent.parent / "components" / "data" / "gcp_roles.json.gz"
SOURCE = "https://github.com/iann0036/iam-dataset gcp/roles/*.json (from Google's IAM API roles.list?view=FULL)"
LICENCE = "MIT License, Copyright (c) 2021 Ian Mckay (facts only: role names, stages, permission names)"


def read_roles(dataset: Path) -> dict[str, tuple[str, list[str]]]:
    """role name -> (stage, permissions) from DATASET/gcp/roles/*.json; raises ValueError on a malformed file."""
    roles: dict[str, tuple[str, list[str]]] = {}
    for path in sorted((dataset / "gcp" / "roles").glob("*.json")):
        entry = json.loads(path.read_text())
        name, permissions = entry.get("name"), entry.get("includedPermissions", [])
        if not (isinstance(name, str) and name.startswith("roles/") and isinstance(permissions, list)
                and all(isinstance(p, str) for p in permissions)):
            raise ValueError(f"{path}: not a predefined role (name roles/..., includedPermissions [str])")
        roles[name] = (str(entry.get("stage", "GA")), sorted(set(permissions)))
    if len(roles) < 1000:
        raise ValueError(f"{dataset}: only {len(roles)} roles found under gcp/roles/ (expected thousands)")
    return roles


def snapshot(roles: dict[str, tuple[str, list[str]]], commit: str | None) -> dict:
    permissions = sorted({p for _, held in roles.values() for p in held})
    index = {p: i for i, p in enumerate(permissions)}
    return {
        "source": SOURCE,
        "licence": LICENCE,
        "commit": commit,
        "permissions": permissions,
        "roles": {name: ",".join(format(index[p], "x") for p in held) for name, (_, held) in sorted(roles.items())},
        "stages": {name: stage for name, (stage, _) in sorted(roles.items()) if stage != "GA"},
    }


def _commit(dataset: Path) -> str | None:
    done = subprocess.run(["git", "-C", str(dataset), "rev-parse", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path, help="a clone of iann0036/iam-dataset")
    parser.add_argument("--commit", help="the dataset commit, when DATASET is not a git work tree")
    args = parser.parse_args(argv)
    try:
        roles = read_roles(args.dataset)
    except (OSError, ValueError) as error:
        print(f"refresh_gcp_roles: {error}", file=sys.stderr)
        return 2
    data = snapshot(roles, args.commit or _commit(args.dataset))
    raw = json.dumps(data, separators=(",", ":"), sort_keys=False).encode()
    DATA_FILE.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))
    print(f"{DATA_FILE}: {len(data['roles'])} roles, {len(data['permissions'])} permissions")
    return 0


if __name__ == "__main__":
    sys.exit(main())

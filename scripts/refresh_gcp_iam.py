"""Refresh components/data/gcp_iam.yaml from Google's own answers (IAM API), keeping its layout.

  resource_kinds.KIND.permissions   POST https://iam.googleapis.com/v1/permissions:queryTestablePermissions
                                    {"fullResourceName": EXAMPLE[KIND]} (every page): the permissions that can be
                                    granted at a resource of that kind. For `project`, the ones not testable at any
                                    narrower kind are kept (the project is granted only what has no narrower home).
(Predefined roles and their permissions: scripts/refresh_gcp_roles.py, components/data/gcp_roles.json.gz.)

Run on a machine with Google Cloud access, with Application Default Credentials of a principal that may call
the IAM API (any project; the answers are the same everywhere) and names of real resources of each kind:

    python scripts/refresh_gcp_iam.py --bucket B --dataset PROJECT/DATASET --secret PROJECT/SECRET \
        --topic PROJECT/TOPIC --subscription PROJECT/SUB --service-account PROJECT/EMAIL --project PROJECT

Escalation permissions and basic roles are kept as they are (they are judgements from Google's guidance, not
API answers).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

DATA_FILE = Path(__file__).resolve().parent.parent / "components" / "data" / "gcp_iam.yaml"
API = "https://iam.googleapis.com/v1"


def _session():
    import google.auth
    from google.auth.transport.requests import AuthorizedSession

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    return AuthorizedSession(credentials)


def testable_permissions(session: Any, full_resource_name: str) -> list[str]:
    found: list[str] = []
    token = None
    while True:
        body = {"fullResourceName": full_resource_name, "pageSize": 1000}
        if token:
            body["pageToken"] = token
        response = session.post(f"{API}/permissions:queryTestablePermissions", json=body, timeout=60)
        response.raise_for_status()
        page = response.json()
        found += [p["name"] for p in page.get("permissions", []) if p.get("customRolesSupportLevel") != "NOT_SUPPORTED"]
        token = page.get("nextPageToken")
        if not token:
            return sorted(set(found))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for kind in ("bucket", "dataset", "secret", "topic", "subscription", "service-account", "project"):
        parser.add_argument(f"--{kind}", required=True)
    args = parser.parse_args()
    data = yaml.safe_load(DATA_FILE.read_text())
    session = _session()
    examples = {
        "bucket": ("_", args.bucket),
        "dataset": tuple(args.dataset.split("/", 1)),
        "secret": tuple(args.secret.split("/", 1)),
        "topic": tuple(args.topic.split("/", 1)),
        "subscription": tuple(args.subscription.split("/", 1)),
        "service_account": tuple(args.service_account.split("/", 1)),
        "project": (args.project, args.project),
    }
    narrower: set[str] = set()
    for kind, entry in data["resource_kinds"].items():
        project, name = examples[kind]
        permissions = testable_permissions(session, entry["full_name"].format(project=project, name=name))
        if kind != "project":
            narrower.update(permissions)
            entry["permissions"] = permissions
        else:
            entry["permissions"] = [p for p in permissions if p not in narrower]
    data["source"] = "IAM API queryTestablePermissions via scripts/refresh_gcp_iam.py"
    DATA_FILE.write_text(yaml.safe_dump(data, sort_keys=False, width=118))


if __name__ == "__main__":
    main()

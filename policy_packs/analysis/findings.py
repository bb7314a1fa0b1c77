"""What the analysis reports: a finding is one problem with one document or resource."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """One problem, in words a reviewer can act on.

    `code` is a stable machine name (e.g. `broad-action`, `escalation:PassRoleLambda`);
    `statement` locates it in the document (`Statement[2]` or the Sid) when it has one.
    """

    code: str
    message: str
    statement: str = ""
    category: str = ""  # one of agentid_policy_packs.rules.base.CATEGORIES when the finding fixes it ("admin" for `*:*`)

    def __str__(self) -> str:
        return f"{self.statement}: {self.message}" if self.statement else self.message

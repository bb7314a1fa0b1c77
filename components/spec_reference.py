"""The agent spec reference, rendered from the pydantic models themselves.

README.md embeds this output between markers; a test keeps the two equal, so
the documentation can never drift from the model.
Run `python -m agentid_components.spec_reference` to print it.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Union

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from agentid_components import spec

SECTIONS: list[tuple[str, type[BaseModel]]] = [
    ("file", spec.Inventory),
    ("agents[]", spec.Agent),
    ("tools[]", spec.Tool),
    ("tools[].aws", spec.AwsGrant),
    ("tools[].azure", spec.AzureGrant),
    ("tools[].gcp", spec.GcpGrant),
    ("tools[].oauth", spec.OAuthGrant),
    ("tools[].llm", spec.LlmGrant),
    ("tools[].llm.bedrock", spec.BedrockModels),
    ("tools[].llm.azure_openai", spec.AzureOpenAI),
    ("tools[].llm.anthropic", spec.AnthropicFederation),
    ("tools[].llm.openai", spec.OpenAIFederation),
    ("trust[]", spec.TrustBinding),
    ("trust[].github_actions", spec.GitHubActionsTrust),
    ("trust[].kubernetes", spec.KubernetesTrust),
    ("trust[].spiffe", spec.SpiffeTrust),
    ("trust[].azure_hosted", spec.AzureHostedTrust),
]


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (Union, types.UnionType):
        members = [a for a in args if a is not type(None)]
        return " | ".join(_type_name(a) for a in members)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if origin is dict:
        return "mapping"
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "mapping"
    return getattr(annotation, "__name__", str(annotation)).replace("date", "date (YYYY-MM-DD)")


def _default(field: Any) -> str:
    if field.is_required():
        return "**required**"
    if field.default_factory is not None:
        return "empty"
    if field.default is None or field.default is PydanticUndefined:
        return "—"
    if field.default == "":
        return "empty"
    return f"`{field.default}`"


def render() -> str:
    lines = []
    for title, model in SECTIONS:
        doc = (model.__doc__ or "").strip().splitlines()[0]
        lines += [f"**`{title}`** — {doc}", "", "| key | type | default | meaning |", "|---|---|---|---|"]
        for name, field in model.model_fields.items():
            meaning = (field.description or "").replace("|", "\\|")
            lines.append(f"| `{name}` | {_type_name(field.annotation)} | {_default(field)} | {meaning} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render())

"""Write `package_types.py`: the agent spec's pydantic models as the typed args of the component package.

Pulumi's Python component provider host (`pulumi.provider.experimental`) infers
the package schema (what `pulumi package add` turns into a TypeScript, Go, C#
or YAML SDK) from type annotations and attribute docstrings read from source.
The spec's truth is `agentid_components.spec`; this module renders it as
`TypedDict`s, field for field, with each field's description (and default) as
its docstring, so the schema cannot drift from the spec. tests/package checks
the file is current.

Mapping (spec -> package type): `str`/constrained `str` -> `str`; `int`, `bool` ->
themselves; a date -> `str` (YYYY-MM-DD); `Literal[...]` -> an `Enum` of its values (a list
of them -> a list of `str`, see `type_of`);
a union of several value kinds -> `Any`; a nested model -> its `TypedDict`;
optional or defaulted -> `NotRequired`. Values stay plain (not `Input`): the
spec decides which resources exist, so it must be known when the fleet is built.

Run `python -m agentid_components.package_codegen` after changing a spec model.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from pathlib import Path
from typing import Any, Union

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from agentid_components import platform_spec, spec

TARGET = Path(__file__).with_name("package_types.py")
# The args of the package's components: AgentFleet's agents, and the Platform itself.
ROOT_MODELS = (spec.Agent, platform_spec.PlatformSpec)

_HEADER = '''"""The agent spec as the component package's typed args (GENERATED: do not edit).

Rendered from the pydantic models in `agentid_components.spec` by
`python -m agentid_components.package_codegen`; a test keeps it current.
Pulumi's component provider host reads these annotations and docstrings into
the package schema. No `from __future__ import annotations` here: the host
needs the annotations as objects, not strings.
"""

from enum import Enum
from typing import Any, NotRequired, TypedDict
'''


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _strip_annotated(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


class _Renderer:
    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.done: set[str] = set()

    def model(self, model: type[BaseModel]) -> str:
        """Render `model` (after every type it uses) once; return its class name."""
        name = model.__name__
        if name in self.done:
            return name
        self.done.add(name)
        fields = [(field_name, self.field(model, field_name, field)) for field_name, field in model.model_fields.items()]
        lines = [f"class {name}(TypedDict):", f'    """{_doc(model)}"""', ""]
        for field_name, (annotation, doc) in fields:
            lines += [f"    {field_name}: {annotation}", f'    """{doc}"""', ""]
        self.blocks.append("\n".join(lines).rstrip() + "\n")
        return name

    def field(self, model: type[BaseModel], name: str, field: Any) -> tuple[str, str]:
        annotation = _strip_annotated(field.annotation)
        optional = False
        if typing.get_origin(annotation) in (Union, types.UnionType) and type(None) in typing.get_args(annotation):
            optional = True
            members = [m for m in typing.get_args(annotation) if m is not type(None)]
            annotation = members[0] if len(members) == 1 else Union[tuple(members)]  # noqa: UP007 - built at run time
        python_type = self.type_of(annotation, f"{model.__name__}{_pascal(name)}")
        doc = (field.description or _described_by_items(annotation) or name).rstrip(".")
        if _strip_annotated(annotation) is dt.date:
            doc += " (YYYY-MM-DD)"
        literal_items = _literal_items(annotation)
        if literal_items:
            doc += f"; each one of: {', '.join(map(str, literal_items))}"
        default = _default_text(field)
        if default:
            doc += f"; default: {default}"
        if optional or not field.is_required():
            python_type = f"NotRequired[{python_type}]"
        return python_type, _docstring_text(doc)

    def type_of(self, annotation: Any, enum_name: str) -> str:
        annotation = _strip_annotated(annotation)
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if annotation in (str, int, bool, float):
            return annotation.__name__
        if annotation is dt.date:
            return "str"
        if origin is list:
            if typing.get_origin(_strip_annotated(args[0])) is typing.Literal:
                # pulumi 3.272's ComponentProvider maps each item of a list of enums as an object (it arrives as
                # {}): such a list is a list of strings in the schema, its values named in the description.
                return "list[str]"
            return f"list[{self.type_of(args[0], enum_name)}]"
        if origin is dict:
            return f"dict[str, {self.type_of(args[1], enum_name)}]"
        if origin is typing.Literal:
            return self.enum(enum_name, args)
        if origin in (Union, types.UnionType):
            return "Any"  # several value kinds (e.g. an IAM condition value): the spec validates it
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return self.model(annotation)
        raise TypeError(f"package_codegen: no package type for {annotation!r} ({enum_name}): extend type_of")

    def enum(self, name: str, values: tuple[Any, ...]) -> str:
        if name not in self.done:
            self.done.add(name)
            lines = [f"class {name}(str, Enum):", f'    """One of: {", ".join(map(str, values))}."""', ""]
            for value in values:
                lines += [f"    {_member(value)} = {value!r}", ""]
            self.blocks.append("\n".join(lines).rstrip() + "\n")
        return name


def _literal_items(annotation: Any) -> tuple[Any, ...]:
    annotation = _strip_annotated(annotation)
    if typing.get_origin(annotation) is list:
        item = _strip_annotated(typing.get_args(annotation)[0])
        if typing.get_origin(item) is typing.Literal:
            return typing.get_args(item)
    return ()


def _described_by_items(annotation: Any) -> str | None:
    """A list of models without a description of its own: its items' docstring says what each is."""
    args = typing.get_args(_strip_annotated(annotation))
    if typing.get_origin(_strip_annotated(annotation)) is list and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return f"each: {_doc(args[0])}"
    return None


def _member(value: Any) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in str(value)).upper()


def _doc(model: type[BaseModel]) -> str:
    return _docstring_text((model.__doc__ or model.__name__).strip().splitlines()[0])


def _docstring_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def _default_text(field: Any) -> str:
    if field.is_required() or field.default is None:
        return ""
    if field.default_factory is not None:
        return "empty"
    if field.default is PydanticUndefined or field.default == "":
        return "" if field.default is PydanticUndefined else "empty"
    return f"`{field.default}`"


def render() -> str:
    renderer = _Renderer()
    for model in ROOT_MODELS:
        renderer.model(model)
    return _HEADER + "\n\n" + "\n\n".join(renderer.blocks)


if __name__ == "__main__":
    TARGET.write_text(render(), encoding="utf-8")
    print(f"wrote {TARGET}")

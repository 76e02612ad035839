"""Reading template.yaml as the local stack needs it: resources, parameters and CloudFormation intrinsics.

The local stack builds exactly what the template declares, so there is no second list of resources to drift.
Only the intrinsics this template uses are resolved (Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Select, Fn::Split);
anything else is an error, not a silent guess.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Node = Any


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (!Ref, !Sub, !GetAtt ...)."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Node:
    if isinstance(node, yaml.ScalarNode):
        value: Node = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _tag)


def load_template(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as stream:
        document: dict[str, Any] = yaml.load(stream, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    return document


@dataclass
class Resolver:
    """Resolves intrinsics given parameter values, pseudo parameters and each resource's Ref / attributes."""

    parameters: dict[str, Any]
    pseudo: dict[str, str]
    refs: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)

    def resolve(self, node: Node) -> Node:
        if isinstance(node, list):
            return [self.resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((name, argument),) = node.items()
            handler = self._intrinsics().get(name)
            if handler is not None:
                return handler(argument)
            if name.startswith("Fn::"):
                raise ValueError(f"The local stack does not resolve {name}")
        return {key: self.resolve(value) for key, value in node.items()}

    def _intrinsics(self) -> dict[str, Callable[[Any], Any]]:
        return {
            "Ref": self._ref,
            "Fn::GetAtt": lambda arg: self._get_att(arg[0], arg[1]),
            "Fn::Sub": self._sub,
            "Fn::Join": lambda arg: str(arg[0]).join(str(item) for item in self.resolve(arg[1])),
            "Fn::Select": lambda arg: self.resolve(arg[1])[int(self.resolve(arg[0]))],
            "Fn::Split": lambda arg: str(self.resolve(arg[1])).split(arg[0]),
        }

    def _ref(self, name: str) -> Any:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.refs:
            return self.refs[name]
        raise KeyError(f"Ref to unknown name {name!r}")

    def _get_att(self, logical_id: str, attribute: str) -> Any:
        try:
            return self.attributes[logical_id][attribute]
        except KeyError:
            raise KeyError(f"GetAtt {logical_id}.{attribute} is not known to the local stack") from None

    def _sub(self, argument: Any) -> str:
        template, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
        resolved_variables = {name: self.resolve(value) for name, value in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in resolved_variables:
                return str(resolved_variables[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return str(self._get_att(logical_id, attribute))
            value = self._ref(name)
            return ",".join(value) if isinstance(value, list) else str(value)

        return re.sub(r"\$\{([^}!]+)\}", replace, template)


def table_definition(properties: dict[str, Any]) -> dict[str, Any]:
    """CreateTable's keys and indexes from an AWS::DynamoDB::Table's properties. Warm throughput is left out: a
    capacity promise the emulator has no limits for (bench/aws_model.py models it)."""
    definition: dict[str, Any] = {
        key: properties[key]
        for key in ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "LocalSecondaryIndexes")
        if key in properties
    }
    if "GlobalSecondaryIndexes" in definition:
        definition["GlobalSecondaryIndexes"] = [
            {key: value for key, value in index.items() if key != "WarmThroughput"}
            for index in definition["GlobalSecondaryIndexes"]
        ]
    return definition


def parameter_values(template: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Defaults from the template, overridden; a parameter without either is an error."""
    values: dict[str, Any] = {}
    for name, spec in template.get("Parameters", {}).items():
        if name in overrides:
            value = overrides[name]
        elif "Default" in spec:
            value = spec["Default"]
        else:
            raise ValueError(f"Template parameter {name} needs a value for the local stack")
        if spec.get("Type") == "CommaDelimitedList" and isinstance(value, str):
            value = [item.strip() for item in value.split(",")]
        values[name] = value
    return values

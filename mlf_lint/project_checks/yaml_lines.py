"""YAML with line numbers: compose to nodes (which keep their marks) instead of loading to dicts.

Composing also keeps keys as written, so a workflow's ``on:`` stays the string ``on`` (YAML 1.1 would
load it as ``True``).
"""
from __future__ import annotations

from typing import Iterator, List, Optional, Tuple

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlSyntaxError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def compose(text: str) -> Optional[Node]:
    """The first document's root node (None for an empty file); YamlSyntaxError with a 1-based line."""
    try:
        for document in yaml.compose_all(text, Loader=_Loader):
            return document
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlSyntaxError(line, problem) from None
    except yaml.YAMLError as exc:  # e.g. a reader error on a control character
        raise YamlSyntaxError(1, str(exc).splitlines()[0] if str(exc) else "invalid YAML") from None


def line(node: Node) -> int:
    return node.start_mark.line + 1


def scalar(node: Optional[Node]) -> Optional[str]:
    return node.value if isinstance(node, ScalarNode) else None


def items(node: Optional[Node]) -> Iterator[Tuple[str, Node, Node]]:
    """(key, key node, value node) of a mapping; nothing for any other node."""
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode):
                yield key_node.value, key_node, value_node


def get(node: Optional[Node], key: str) -> Optional[Node]:
    for name, _, value in items(node):
        if name == key:
            return value
    return None


def key_node(node: Optional[Node], key: str) -> Optional[Node]:
    for name, knode, _ in items(node):
        if name == key:
            return knode
    return None


def seq(node: Optional[Node]) -> List[Node]:
    return list(node.value) if isinstance(node, SequenceNode) else []


def is_mapping(node: Optional[Node]) -> bool:
    return isinstance(node, MappingNode)

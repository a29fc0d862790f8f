"""GitHub Actions workflows: the ``env:`` blocks a run sees (workflow, job, container and step level)."""
from __future__ import annotations

from pathlib import PurePosixPath
from typing import Iterator, Tuple

from yaml.nodes import Node

from mlf_lint.project_checks import yaml_lines as Y


def is_workflow_name(rel: str) -> bool:
    p = PurePosixPath(rel)
    return p.suffix in (".yml", ".yaml") and p.parent.as_posix().endswith(".github/workflows")


def env_assignments(root_node: Node) -> Iterator[Tuple[str, int, str]]:
    yield from _env_block(Y.get(root_node, "env"))
    for _, _, job in Y.items(Y.get(root_node, "jobs")):
        yield from _env_block(Y.get(job, "env"))
        yield from _env_block(Y.get(Y.get(job, "container"), "env"))
        for step in Y.seq(Y.get(job, "steps")):
            yield from _env_block(Y.get(step, "env"))


def _env_block(node: Node) -> Iterator[Tuple[str, int, str]]:
    for name, key_node, value in Y.items(node):
        text = Y.scalar(value)
        if text is not None:
            yield name, Y.line(key_node), text

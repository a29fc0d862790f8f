"""Per-module analysis context handed to every rule handler."""
from __future__ import annotations

import ast
from typing import Any, Dict, FrozenSet, List, Optional, Set

from mlf_lint.engine.evaluate import ABSENT, UNKNOWN, argument, literal
from mlf_lint.engine.facts import ProjectFacts
from mlf_lint.engine.finding import Finding, Fix
from mlf_lint.engine.names import ImportMap
from mlf_lint.engine.registry import all_rules
from mlf_lint.engine.versions import Version, newest_known, parse_version


class TrackedFacts:
    """Read-only view of the project facts that records which facts a module consulted.

    The cache keeps a module's findings valid as long as exactly those facts are unchanged, so
    editing a seeding helper invalidates the files whose findings depend on seeding, and no others.
    """

    def __init__(self, facts: ProjectFacts) -> None:
        self._facts = facts
        self.used: Set[str] = set()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        self.used.add(name)
        return getattr(self._facts, name)

    def version(self, library: str) -> Version:
        """The pinned version of ``library``, or (unknown) the newest release the tables know."""
        self.used.add(f"versions.{library}")
        return parse_version(self._facts.versions.get(library)) or newest_known(library)

    def env(self, name: str) -> List:
        self.used.add(f"env_vars.{name}")
        return self._facts.env_vars.get(name, [])


class ModuleContext:
    def __init__(self, path: str, source: str, tree: ast.Module, facts: ProjectFacts,
                 enabled: Optional[Set[str]] = None) -> None:
        self.path = path
        self.source = source
        self.tree = tree
        self.facts = TrackedFacts(facts)
        self.imports = ImportMap()
        self.constants: Dict[str, Any] = {}
        # name -> canonical qualified name of the call it was last assigned from (x = Trainer(...)).
        self.assigned_calls: Dict[str, str] = {}
        self.findings: List[Finding] = []
        self.state: Dict[str, Any] = {}  # per-rule scratch space, keyed by rule name
        self.enabled = enabled
        # > 0 where no backward pass can run: `with torch.no_grad():` / `torch.inference_mode()`
        # blocks and functions decorated with them, the `else:` of `if self.training:`, functions
        # named for inference/evaluation/post-processing/export and functions only those call
        # (engine/training.py).
        self.no_grad = 0
        self.quiet_functions: FrozenSet[str] = frozenset()
        # The module's path says no backward pass runs in it (tests, data, evaluation, ...).
        self.off_training_path = False
        self._rules = all_rules()

    # -- helpers for rules --------------------------------------------------------------------
    def resolve(self, node: ast.AST) -> Optional[str]:
        return self.imports.resolve(node)

    def arg(self, call: ast.Call, name: Optional[str] = None, pos: Optional[int] = None) -> Any:
        """The literal value of an argument: ABSENT if not passed, UNKNOWN if not static."""
        node = argument(call, name, pos)
        if node is None:
            return ABSENT
        return literal(node, self.constants)

    def arg_node(self, call: ast.Call, name: Optional[str] = None,
                 pos: Optional[int] = None) -> Optional[ast.AST]:
        return argument(call, name, pos)

    def imports_any(self, *modules: str) -> bool:
        return any(q == m or q.startswith(m + ".") for q in self.imports.aliases.values() for m in modules)

    def report(self, node: ast.AST, code: str, message: str, severity: Optional[str] = None,
               fix: Optional[Fix] = None) -> None:
        if self.enabled is not None and code not in self.enabled:
            return
        rule = self._rules.get(code)
        self.findings.append(Finding(
            path=self.path, line=node.lineno, col=node.col_offset, code=code, message=message,
            end_line=getattr(node, "end_lineno", None), end_col=getattr(node, "end_col_offset", None),
            severity=severity or (rule.severity if rule else "warning"), fix=fix,
        ))


__all__ = ["ModuleContext", "TrackedFacts", "ABSENT", "UNKNOWN"]

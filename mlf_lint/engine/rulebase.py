"""The interface every code rule implements. A rule declares what it listens to; the analyzer
walks each module once and calls the matching handlers, so no rule walks the tree itself.
"""
from __future__ import annotations

import ast
from typing import Tuple

from mlf_lint.engine.context import ModuleContext


class CodeRule:
    # Codes this rule can report (for selection and the pre-filter).
    codes: Tuple[str, ...] = ()
    # Words one of which must appear in a file's text for the rule to have anything to match.
    keywords: Tuple[str, ...] = ()
    # When set, one of these words must appear as well as a keyword (a keyword as broad as "torch"
    # alone would send nearly every module of ML code to the parser).
    also: Tuple[str, ...] = ()
    # Canonical qualified names of calls: torch.histc, torch.nn.Upsample ...
    calls: Tuple[str, ...] = ()
    # Method names on receivers that are not imported modules (x.index_add_(...)).
    methods: Tuple[str, ...] = ()
    # Builtin functions called by their bare name and not shadowed in the module (set, hash);
    # on_call receives them as "builtins.set".
    builtins: Tuple[str, ...] = ()
    # Canonical qualified names assigned to (torch.backends.cudnn.benchmark = ...); a trailing
    # ".*" listens to every attribute of that object.
    assigns: Tuple[str, ...] = ()
    # Attribute names assigned on non-module receivers (trainer.deterministic = ...).
    assign_attrs: Tuple[str, ...] = ()
    # True: on_end runs for every module the rule is enabled for.
    wants_end: bool = False

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        pass

    def on_method(self, ctx: ModuleContext, node: ast.Call, method: str) -> None:
        pass

    def on_assign(self, ctx: ModuleContext, target: ast.Attribute, value: ast.AST, qualname: str) -> None:
        pass

    def on_end(self, ctx: ModuleContext) -> None:
        pass

"""XGBoost parameters that make training non-deterministic (the table in params.yaml), read from the
scikit-learn API's keyword arguments and from the params dict passed to xgb.train / xgb.cv /
xgb.Booster (a dict literal, dict(...), or a variable assigned one in the same function or at module
level).

Python XGBoost seeds with 0 by default, so a missing seed alone is not a finding."""
from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from mlf_lint.engine.context import ABSENT, ModuleContext
from mlf_lint.engine.evaluate import literal
from mlf_lint.engine.paths import is_test_file
from mlf_lint.engine.rulebase import CodeRule
from mlf_lint.engine.versions import Version, in_range
from mlf_lint.rules import table
from mlf_lint.rules.general import astutil

_SKLEARN = ("XGBRegressor", "XGBClassifier", "XGBRanker", "XGBRFRegressor", "XGBRFClassifier", "XGBModel")
ESTIMATORS = tuple(f"xgboost.{n}" for n in _SKLEARN)
DASK_ESTIMATORS = tuple(f"xgboost.dask.Dask{n}" for n in _SKLEARN if n != "XGBModel")
SPARK_ESTIMATORS = ("xgboost.spark.SparkXGBClassifier", "xgboost.spark.SparkXGBRegressor",
                    "xgboost.spark.SparkXGBRanker")
# Functions taking a params dict, and its position.
PARAM_FUNCTIONS = {"xgboost.train": 0, "xgboost.cv": 0, "xgboost.Booster": 0, "xgboost.dask.train": 1}
_RANDOM_FOREST = ("XGBRFRegressor", "XGBRFClassifier")
_SAMPLING = ("subsample", "colsample_bytree", "colsample_bylevel", "colsample_bynode")

Params = Dict[str, Any]


@dataclass(frozen=True)
class ParamEntry:
    code: str
    conditions: Tuple[table.Condition, ...]
    xgboost: str          # version range ("" for every version)
    severity: Optional[str]
    message: str
    tests: bool = True    # reported in test modules too


@functools.lru_cache(maxsize=None)
def load_table() -> List[ParamEntry]:
    return [ParamEntry(data["code"], table.conditions(data), data.get("xgboost", ""), data.get("severity"),
                       data["message"], bool(data.get("tests", True)))
            for data in table.load(Path(__file__).parent / "params.yaml")]


class _ParamArguments(table.Arguments):
    """A params dict: its keys are the arguments; ``**`` marks one unpacked from somewhere unseen."""

    def __init__(self, params: Params) -> None:
        self.params = params
        self.opaque = "**" in params

    def node(self, name: str, pos: Optional[int]) -> Optional[ast.AST]:
        return None

    def value(self, name: str, pos: Optional[int]) -> Any:
        return self.params.get(name, ABSENT)


def _dict_params(ctx: ModuleContext, node: ast.AST) -> Optional[Params]:
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            return None  # {**base, ...}: not all keys are visible
        params = {}
        for key, value in zip(node.keys, node.values):
            name = literal(key, ctx.constants)
            if isinstance(name, str):
                params[name] = literal(value, ctx.constants)
        return params
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict" and not node.args:
        if astutil.has_star_kwargs(node):
            return None
        return {kw.arg: literal(kw.value, ctx.constants) for kw in node.keywords if kw.arg}
    return None


def _assigned_params(ctx: ModuleContext, name: str, call: ast.Call) -> Optional[Params]:
    """The dict last assigned to ``name`` before ``call``, in the call's function or at module
    level, with later ``name["key"] = value`` updates."""
    scope = astutil.enclosing_scope(ctx, call)
    for where in (scope, ctx.tree) if scope is not ctx.tree else (ctx.tree,):
        params: Optional[Params] = None
        body = where.body if isinstance(where, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef)) else []
        for stmt in _flat(body):
            if stmt.lineno >= call.lineno:
                break
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                target = stmt.targets[0]
                if isinstance(target, ast.Name) and target.id == name:
                    params = _dict_params(ctx, stmt.value)
                elif params is not None and isinstance(target, ast.Subscript) and \
                        isinstance(target.value, ast.Name) and target.value.id == name:
                    key = literal(target.slice, ctx.constants)
                    if isinstance(key, str):
                        params[key] = literal(stmt.value, ctx.constants)
        if params is not None:
            return params
    return None


def _flat(body: List[ast.stmt]) -> List[ast.stmt]:
    """Statements of a body with those of if/for/with/try blocks, in order (not nested defs)."""
    out: List[ast.stmt] = []
    for stmt in body:
        out.append(stmt)
        for field in ("body", "orelse", "finalbody"):
            if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out.extend(_flat(getattr(stmt, field, []) or []))
        for handler in getattr(stmt, "handlers", []) or []:
            out.extend(_flat(handler.body))
    return out


def call_params(ctx: ModuleContext, node: ast.Call, qualname: str) -> Optional[Params]:
    if qualname in PARAM_FUNCTIONS:
        arg = ctx.arg_node(node, "params", PARAM_FUNCTIONS[qualname])
        if arg is None:
            return None
        if isinstance(arg, ast.Name):
            return _assigned_params(ctx, arg.id, node)
        return _dict_params(ctx, arg)
    params: Params = {}
    for kw in node.keywords:
        if kw.arg is not None:
            params[kw.arg] = literal(kw.value, ctx.constants)
            continue
        # XGBRegressor(**params): read the dict when it is visible, else mark the call as opaque.
        unpacked = _assigned_params(ctx, kw.value.id, node) if isinstance(kw.value, ast.Name) else \
            _dict_params(ctx, kw.value)
        if unpacked is None:
            params["**"] = True
        else:
            params.update(unpacked)
    return params


_AUC_METRICS = frozenset({"auc", "aucpr"})


def _computes_auc(ctx: ModuleContext, params: Optional[Params]) -> bool:
    """The run evaluates AUC: eval_metric names it in the call's params, or the module spells the
    metric anywhere (``eval_metric=["auc"]`` passed to fit, a params dict built elsewhere)."""
    metric = (params or {}).get("eval_metric", ABSENT)
    metrics = metric if isinstance(metric, (tuple, list)) else (metric,)
    if any(isinstance(m, str) and m.lower() in _AUC_METRICS for m in metrics):
        return True
    return any(isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.lower() in _AUC_METRICS
               for n in ast.walk(ctx.tree))


def _sampling(qualname: str, params: Params) -> bool:
    if qualname.rsplit(".", 1)[1] in _RANDOM_FOREST:
        return True  # subsample and colsample_bynode default to 0.8
    for key in _SAMPLING:
        value = params.get(key, ABSENT)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 1:
            return True
    return False


class XgbParams(CodeRule):
    codes = ("MLF301", "MLF302", "MLF303", "MLF304", "MLF305", "MLF306")
    keywords = ("xgboost", "xgb")
    calls = ESTIMATORS + DASK_ESTIMATORS + SPARK_ESTIMATORS + tuple(PARAM_FUNCTIONS)
    wants_end = True

    def on_call(self, ctx: ModuleContext, node: ast.Call, qualname: str) -> None:
        params = call_params(ctx, node, qualname)
        if qualname in DASK_ESTIMATORS or qualname in SPARK_ESTIMATORS or qualname == "xgboost.dask.train":
            kind = "Spark" if ".spark." in qualname else "Dask"
            auc = " (and distributed AUC is an approximation)" if _computes_auc(ctx, params) else ""
            ctx.report(node, "MLF304",
                       f"distributed XGBoost ({kind}) is reproducible only with the same partitioning, "
                       "number of workers and topology: a different split of the data gives a different "
                       f"model{auc}. Fix the partitions (repartition to a constant count with a stable "
                       "order) and the worker count, and record them.",
                       severity="note")
        if params is None:
            return
        self._check(ctx, node, params)
        if qualname != "xgboost.Booster":
            ctx.state.setdefault("MLF306.models", []).append((node, _sampling(qualname, params)))

    def _check(self, ctx: ModuleContext, node: ast.Call, params: Params) -> None:
        args = _ParamArguments(params)
        in_tests = is_test_file(ctx.path)
        for entry in load_table():
            if (in_tests and not entry.tests) or not table.all_hold(entry.conditions, args):
                continue
            if entry.xgboost and not in_range(ctx.facts.version("xgboost"), entry.xgboost):
                continue
            values = {c.arg: params.get(c.arg) for c in entry.conditions}
            ctx.report(node, entry.code, entry.message.format(**values), severity=entry.severity)

    def on_end(self, ctx: ModuleContext) -> None:
        models: List[Tuple[ast.Call, bool]] = ctx.state.get("MLF306.models", [])
        sampled = [node for node, sampling in models if sampling]
        if not sampled or ctx.facts.version("xgboost") >= Version.parse("3.3"):
            return
        several = len(models) > 1 or any(
            isinstance(up, (ast.For, ast.While, ast.comprehension, ast.ListComp))
            for up in astutil.ancestors(ctx, sampled[0]))
        if several:
            ctx.report(sampled[0], "MLF306",
                       "before XGBoost 3.3, models that subsample rows or columns draw from one "
                       "process-wide RNG, so training several in one process makes each depend on the "
                       "order they were trained in. Train each model in its own process, or upgrade to "
                       "XGBoost >= 3.3.", severity="note")

"""What a call argument visibly is, read from the code around it: a Python scalar or a tensor, a
tensor with at least N dimensions, indices that cannot repeat. Each answer is "known" or "not
known"; the op table reports only on what is known, because a guess is worse than silence.

Only the enclosing function (or the module, at top level) is searched for the assignment of a
variable, and only the last assignment above the use counts: a cheap, local view that is right
where it answers at all. These run while the analyzer's walk is at the call, so ``ctx.scope`` is
the call's function.
"""
from __future__ import annotations

import ast
from mlf_lint.engine.context import ModuleContext
from mlf_lint.rules import table
from mlf_lint.rules.general.astutil import assigned_value, assignment

# Methods that keep a tensor's number of dimensions (dtype, device and layout changes).
_SAME_NDIM = frozenset({"float", "double", "half", "bfloat16", "contiguous", "to", "type", "cuda", "cpu",
                        "clone", "detach", "log_softmax", "softmax", "sigmoid", "relu", "clamp", "requires_grad_"})
# Functions whose result has at least three dimensions (batch, channel, one or more spatial sizes).
_SPATIAL_RESULTS = frozenset({
    "torch.nn.functional.interpolate", "torch.nn.functional.upsample", "torch.nn.functional.upsample_bilinear",
    "torch.nn.functional.upsample_nearest", "torch.nn.functional.conv1d", "torch.nn.functional.conv2d",
    "torch.nn.functional.conv3d", "torch.nn.functional.conv_transpose2d", "torch.nn.functional.grid_sample",
    "torch.nn.functional.pixel_shuffle",
})
# Functions that keep their input's number of dimensions (an activation, a log-softmax).
_SAME_NDIM_FUNCTIONS = frozenset({"torch.nn.functional.log_softmax", "torch.nn.functional.softmax",
                                  "torch.log_softmax", "torch.softmax", "torch.sigmoid"})
# Calls whose result holds each index at most once: the positions of a mask's true elements, a
# permutation, a range, the indices of the top-k or sorted values, the distinct values.
_UNIQUE_FUNCTIONS = frozenset({"torch.nonzero", "torch.argwhere", "torch.randperm", "torch.arange",
                               "torch.argsort", "torch.topk", "torch.unique", "torch.sort"})
_UNIQUE_METHODS = frozenset({"nonzero", "argwhere", "argsort", "topk", "unique", "sort", "nonzero_static"})
# Calls by name that return index tuples of a mask (detectron2's nonzero_tuple, torch.where(cond)).
_UNIQUE_NAMES = frozenset({"nonzero_tuple"})
# View-like methods that keep indices unique along the dimension they index.
_KEEPS_UNIQUE = frozenset({"unsqueeze", "expand", "expand_as", "long", "int", "to", "contiguous", "squeeze",
                           "cuda", "type"})


def is_scalar(ctx: ModuleContext, node: ast.AST, depth: int = 0) -> bool:
    """A Python number: a literal, a module constant, len(...), int(...), x.shape[i], x.size(i),
    x.numel(), or arithmetic of these."""
    if depth > 4:
        return False
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    if isinstance(node, ast.Name):
        if isinstance(ctx.constants.get(node.id), (int, float)):
            return True
        value = assigned_value(ctx, node, ctx.scope)
        return value is not None and is_scalar(ctx, value, depth + 1)
    if isinstance(node, ast.BinOp):
        return is_scalar(ctx, node.left, depth + 1) and is_scalar(ctx, node.right, depth + 1)
    if isinstance(node, ast.UnaryOp):
        return is_scalar(ctx, node.operand, depth + 1)
    if isinstance(node, ast.Subscript):  # x.shape[1], x.size()[1]
        base = node.value
        if isinstance(base, ast.Attribute) and base.attr == "shape":
            return True
        return isinstance(base, ast.Call) and isinstance(base.func, ast.Attribute) and base.func.attr == "size"
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id in ("len", "int", "round", "max", "min", "abs"):
            return func.id in ("len", "int", "round") or all(is_scalar(ctx, a, depth + 1) for a in node.args)
        if isinstance(func, ast.Attribute) and func.attr in ("size", "numel", "dim", "item") and \
                (func.attr != "size" or node.args):
            return True
    return False


def ndim_at_least(ctx: ModuleContext, node: ast.AST, minimum: int, depth: int = 0) -> bool:
    """The tensor visibly has ``minimum`` or more dimensions."""
    if depth > 5:
        return False
    if isinstance(node, ast.Name):
        value = assigned_value(ctx, node, ctx.scope)
        return value is not None and ndim_at_least(ctx, value, minimum, depth + 1)
    if not isinstance(node, ast.Call):
        return False
    qualname = ctx.resolve(node.func)
    if qualname in _SPATIAL_RESULTS:
        return minimum <= 3
    if qualname in _SAME_NDIM_FUNCTIONS and node.args:
        return ndim_at_least(ctx, node.args[0], minimum, depth + 1)
    func = node.func
    if qualname is None and isinstance(func, ast.Attribute):
        if func.attr in ("view", "reshape", "permute"):
            dims = node.args
            if len(dims) == 1 and isinstance(dims[0], (ast.Tuple, ast.List)):
                dims = dims[0].elts
            return not any(isinstance(d, ast.Starred) for d in dims) and len(dims) >= minimum
        if func.attr in _SAME_NDIM:
            return ndim_at_least(ctx, func.value, minimum, depth + 1)
    return False


def unique_indices(ctx: ModuleContext, node: ast.AST, depth: int = 0) -> bool:
    """Indices that cannot repeat by construction (``nonzero``, ``topk``, ``argsort``, ``randperm``,
    ``arange``, ``unique``), possibly through views that keep them unique; a tuple of one such index."""
    if depth > 5:
        return False
    if isinstance(node, (ast.Tuple, ast.List)):
        return len(node.elts) == 1 and unique_indices(ctx, node.elts[0], depth + 1)
    if isinstance(node, ast.Name):
        value, index = assignment(ctx, node, ctx.scope)
        if value is None:
            return False
        if index is not None:  # _, top = x.topk(k): one output of such a call
            return _unique_call(ctx, value)
        return unique_indices(ctx, value, depth + 1)
    if isinstance(node, ast.Subscript):
        # nonzero(mask, as_tuple=True)[0], torch.where(mask)[0], x.topk(k)[1]: one output of such a call
        return isinstance(node.slice, ast.Constant) and _unique_call(ctx, node.value)
    if isinstance(node, ast.Attribute) and node.attr == "indices":
        return _unique_call(ctx, node.value)
    if isinstance(node, ast.Call):
        if _unique_call(ctx, node):
            return True
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _KEEPS_UNIQUE and ctx.resolve(func) is None:
            return unique_indices(ctx, func.value, depth + 1)
    return False


# Index producers whose values can repeat by design: random draws with replacement, bucketing.
_REPEATING_FUNCTIONS = frozenset({"torch.randint", "torch.randint_like", "torch.bucketize", "torch.searchsorted"})
_REPEATING_METHODS = frozenset({"repeat", "repeat_interleave", "bucketize"})


def repeating_indices(ctx: ModuleContext, node: ast.AST, depth: int = 0) -> bool:
    """Indices that visibly can repeat: ``torch.randint``, ``multinomial(..., replacement=True)``,
    ``bucketize`` / ``searchsorted``, ``idx % n``, ``idx // k``, ``idx.repeat(...)``, possibly through
    a variable of the same function or views that keep the values; a tuple holding one."""
    if depth > 5:
        return False
    if isinstance(node, (ast.Tuple, ast.List)):
        return any(repeating_indices(ctx, e, depth + 1) for e in node.elts)
    if isinstance(node, ast.Name):
        value = assigned_value(ctx, node, ctx.scope)
        return value is not None and repeating_indices(ctx, value, depth + 1)
    if isinstance(node, ast.BinOp):
        return isinstance(node.op, (ast.Mod, ast.FloorDiv))
    if not isinstance(node, ast.Call):
        return False
    qualname = ctx.resolve(node.func)
    if qualname in _REPEATING_FUNCTIONS:
        return True
    if qualname == "torch.multinomial" or (isinstance(node.func, ast.Attribute) and node.func.attr == "multinomial"):
        replacement = next((kw.value for kw in node.keywords if kw.arg == "replacement"), None)
        if replacement is None and len(node.args) >= (3 if qualname else 2):
            replacement = node.args[2 if qualname else 1]
        return isinstance(replacement, ast.Constant) and replacement.value is True
    func = node.func
    if isinstance(func, ast.Attribute) and qualname is None:
        if func.attr in _REPEATING_METHODS:
            return True
        if func.attr in _KEEPS_UNIQUE:
            return repeating_indices(ctx, func.value, depth + 1)
    return False


def _unique_call(ctx: ModuleContext, node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    qualname = ctx.resolve(node.func)
    if qualname in _UNIQUE_FUNCTIONS:
        return True
    if qualname == "torch.where":
        return len(node.args) == 1 and not node.keywords  # torch.where(cond): positions of a mask
    func = node.func
    if isinstance(func, ast.Name):
        return func.id in _UNIQUE_NAMES
    return isinstance(func, ast.Attribute) and qualname is None and func.attr in _UNIQUE_METHODS


__all__ = ["TensorArguments", "is_scalar", "ndim_at_least", "repeating_indices", "unique_indices"]


class TensorArguments(table.CallArguments):
    """A call's arguments for the op table, with what the code shows about its tensors."""

    def is_number(self, node: ast.AST, value: object) -> bool:
        return is_scalar(self.ctx, node)

    def ndim_at_least(self, node: ast.AST, minimum: int) -> bool:
        return ndim_at_least(self.ctx, node, minimum)

    def repeating_indices(self, node: ast.AST) -> bool:
        return repeating_indices(self.ctx, node) and not unique_indices(self.ctx, node)

# mlf-lint: noqa  (this file runs the ops on purpose, to show how they dispatch)
"""The dispatch facts the op table rests on, shown on this machine's CPU build of torch.

Where a PyTorch op runs a kernel is decided before the device matters (composite ops, Python
wrappers), so the CPU shows it: adaptive average pooling to 1 is a mean(), a Python-number
repeat_interleave is expand + clone, a class-index loss on an input with spatial dimensions goes to
nll_loss2d (whose CUDA forward raises under deterministic mode), a Transformer layer's self-attention
goes through scaled_dot_product_attention. The GPU side is in test_gpu_evidence.py.
"""
from __future__ import annotations

from typing import Callable, Set

import pytest

pytest.importorskip("torch")
import torch  # noqa: E402  (after the skip: the module is optional)
import torch.nn.functional as F  # noqa: E402


def _backward_ops(output) -> Set[str]:
    """Names of the autograd nodes that produced ``output``."""
    seen, todo = set(), [output.grad_fn]
    while todo:
        node = todo.pop()
        if node is None or node.name() in seen:
            continue
        seen.add(node.name())
        todo.extend(next_fn for next_fn, _ in node.next_functions)
    return seen


def _aten_ops(run: Callable[[], object]) -> Set[str]:
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        run()
    return {event.name for event in prof.events()}


@pytest.mark.parametrize("size", [1, (1, 1)])
def test_adaptive_avg_pool_to_one_is_a_mean(size) -> None:
    x = torch.randn(2, 3, 8, 8, requires_grad=True)
    assert "MeanBackward1" in _backward_ops(F.adaptive_avg_pool2d(x, size))
    assert "MeanBackward1" in _backward_ops(torch.nn.AdaptiveAvgPool2d(size)(x))
    assert "AdaptiveAvgPool2DBackward0" in _backward_ops(F.adaptive_avg_pool2d(x, 2))


def test_adaptive_avg_pool3d_to_one_is_a_mean() -> None:
    x = torch.randn(1, 2, 4, 4, 4, requires_grad=True)
    assert "MeanBackward1" in _backward_ops(torch.nn.AdaptiveAvgPool3d((1, 1, 1))(x))


def test_repeat_interleave_by_a_number_is_expand_and_clone() -> None:
    x = torch.randn(4, 3, requires_grad=True)
    by_number = _backward_ops(torch.repeat_interleave(x, 3, dim=1))
    assert "CloneBackward0" in by_number and "IndexSelectBackward0" not in by_number
    by_tensor = _backward_ops(torch.repeat_interleave(x, torch.tensor([1, 2, 3, 1]), dim=0))
    assert "IndexSelectBackward0" in by_tensor


@pytest.mark.parametrize("shape,spatial", [((4, 5), False), ((4, 5, 6), True), ((4, 5, 6, 7), True),
                                           ((2, 5, 3, 4, 2), True)])
def test_class_index_loss_on_spatial_inputs_runs_nll_loss2d(shape, spatial) -> None:
    logits = torch.randn(*shape)
    target = torch.randint(0, 5, (shape[0],) + shape[2:])
    ops = _aten_ops(lambda: F.cross_entropy(logits, target))
    assert ("aten::nll_loss2d" in ops) is spatial
    assert ("aten::nll_loss2d" in _aten_ops(lambda: F.nll_loss(F.log_softmax(logits, 1), target))) is spatial


def test_transformer_layers_attend_through_sdpa() -> None:
    layer = torch.nn.TransformerEncoderLayer(d_model=16, nhead=2, batch_first=True)
    x = torch.randn(2, 5, 16)
    assert "aten::scaled_dot_product_attention" in _aten_ops(lambda: layer(x))


def test_replicate_padding_takes_the_decomposition_under_the_mode_only_off_cpu() -> None:
    """F.pad's deterministic replicate path is guarded by the device: on the CPU the kernel runs."""
    import inspect

    source = inspect.getsource(F.pad)
    assert 'mode == "replicate"' in source and "are_deterministic_algorithms_enabled" in source

"""describe (2 points): size, number of elements, number of dimensions. Lazy replies considered:
the notebook's answer as constants, len(m) as the number of elements, a list for the size;
edge cases: a 0-d tensor, an empty tensor, a non-contiguous one."""
from __future__ import annotations

import torch

from autograder.checks import Equal, Known, Number, Tuple, check, judge


def _judge_describe(nb, m: torch.Tensor, what: str, public: bool = False) -> None:
    judge(nb, "describe", m, shown=what, keep_inputs=not public, names=("m",), returns=Tuple(
        Equal(m.shape, torch.Size, name="size", wrong=f"expected the size {list(m.shape)}",
              known=[Known("describe_size_not_torch_size", list(m.shape))]),
        Number(m.numel(), name="number of elements", integer=True, tol=0,
               wrong=f"expected the number of elements {m.numel()} as an int"),
        Number(m.dim(), name="number of dimensions", integer=True, tol=0,
               wrong=f"expected the number of dimensions {m.dim()} as an int")))


@check("check_describe", points=1, public=True)
def test_describe_public(nb, device):
    "describe: the notebook's zeros of shape [2, 3, 4]"
    _judge_describe(nb, torch.zeros(2, 3, 4, device=device), "a tensor of shape [2, 3, 4]", public=True)


@check("check_describe", points=1)
def test_describe_shapes(nb, device, gen):
    "describe: tensors of 0, 1, 2 and 4 dimensions, an empty one and a non-contiguous one"
    for shape in ((7,), (5, 3), (2, 1, 3, 5)):
        _judge_describe(nb, torch.randn(*shape, generator=gen).to(device), f"a tensor of shape {list(shape)}")
    _judge_describe(nb, torch.tensor(2.5, device=device), "a 0-d tensor")
    _judge_describe(nb, torch.zeros(0, 3, device=device), "an empty tensor of shape [0, 3]")
    _judge_describe(nb, torch.randn(4, 2, 6, generator=gen).permute(2, 0, 1).to(device),
                    "a non-contiguous tensor of shape [6, 4, 2]")

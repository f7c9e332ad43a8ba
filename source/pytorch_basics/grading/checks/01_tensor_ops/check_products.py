"""products (3 points): m @ v and m * v, promoted to a common floating dtype when the dtypes
differ. Lazy replies considered: the notebook's values, m * v for both, always float32, inputs
converted in place; a non-contiguous matrix."""
from __future__ import annotations

import torch

from autograder.checks import Known, KnownError, Tensor, Tuple, check, judge


def _allowed(m: torch.Tensor, v: torch.Tensor) -> tuple:
    """The dtypes the contract allows for the products of m and v (the public checks name theirs:
    this rule is part of the answer)."""
    common = torch.promote_types(m.dtype, v.dtype)
    if not common.is_floating_point:
        common = torch.float32
    return (common,) if common == torch.float64 else (common, torch.float64)


def _judge_products(nb, m: torch.Tensor, v: torch.Tensor, device: str, what: str, allowed: tuple,
                    public: bool = False) -> None:
    m64, v64 = m.double().cpu(), v.double().cpu()
    # an int64 vector with a float matrix: a product without promotion raises (the arange(1, 5) error)
    unpromoted = [KnownError("products_no_promotion", "RuntimeError", ("same dtype",))] if m.dtype != v.dtype else []
    judge(nb, "products", m, v, shown=what, keep_inputs=not public, names=("m", "v"), raises=unpromoted, returns=Tuple(
        Tensor(m64 @ v64, name="matrix-vector product", dtype=allowed, device=device, rtol=1e-4, atol=1e-4,
               wrong="the first value is not the matrix-vector product m @ v",
               known=[Known("products_elementwise_for_matmul", m64 * v64)]),
        Tensor(m64 * v64, name="element-wise product", dtype=allowed, device=device, rtol=1e-4, atol=1e-4,
               wrong="the second value is not the broadcast element-wise product m * v")))


@check("check_products", points=1, public=True)
def test_products_public(nb, device):
    "products: the notebook's float matrix with an int64 arange(1, 5), and both in float64"
    m = torch.tensor([[2.0, 5.0, 3.0, 7.0], [4.0, 2.0, 1.0, 9.0]], device=device)
    v = torch.arange(1, 5, device=device)
    _judge_products(nb, m, v, device, "the notebook's float32 2x4 matrix and int64 arange(1, 5)",
                    (torch.float32, torch.float64), public=True)
    _judge_products(nb, m.double(), v.double(), device, "the notebook's matrix and vector in float64",
                    (torch.float64,), public=True)


@check("check_products", points=1)
def test_products_float(nb, device, gen):
    "products: float32 and float64 matrices with vectors of the same dtype, one matrix not contiguous"
    for dtype, (r, c) in ((torch.float32, (5, 2)), (torch.float64, (2, 6))):
        m = torch.randn(r, c, generator=gen, dtype=dtype).to(device)
        v = torch.randn(c, generator=gen, dtype=dtype).to(device)
        _judge_products(nb, m, v, device, f"a {dtype} matrix of shape [{r}, {c}] and a vector of {c}",
                        _allowed(m, v))
    m = torch.randn(3, 4, generator=gen).t().to(device)
    v = torch.randn(3, generator=gen).to(device)
    _judge_products(nb, m, v, device, "a transposed float32 matrix of shape [4, 3] and a vector of 3", _allowed(m, v))


@check("check_products", points=1)
def test_products_mixed(nb, device, gen):
    "products: mixed dtypes are promoted to a common floating dtype"
    m = torch.randn(4, 3, generator=gen, dtype=torch.float64).to(device)
    v = torch.randint(-5, 5, (3,), generator=gen).to(device)
    _judge_products(nb, m, v, device, "a float64 4x3 matrix and an int64 vector of 3", _allowed(m, v))
    m = torch.randint(-5, 5, (2, 5), generator=gen).to(device)
    v = torch.randn(5, generator=gen).to(device)
    _judge_products(nb, m, v, device, "an int64 2x5 matrix and a float32 vector of 5", _allowed(m, v))

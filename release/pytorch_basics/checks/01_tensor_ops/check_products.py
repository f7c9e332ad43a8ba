"""Public checks of check_products (01_tensor_ops), cut by `autograder release` from the
grader's check file: the code the grader runs for them. Generated: do not edit. The grader
also runs hidden checks with other inputs, so "public checks passed" is not the grade."""


from __future__ import annotations
import torch
from autograder.checks import Known, KnownError, Tensor, Tuple, check, judge


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

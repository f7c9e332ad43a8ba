"""Judging the models a student builds (build_linear_model, build_relu_model): the function they
compute with their own weights (their layers: public.judge_structure). A model that should be
nonlinear but computes an affine function is a known mistake (the ReLU missing)."""
from __future__ import annotations

import torch

from autograder.checks import KnownMistake, close, expect_handle, expect_state_dict, expect_tensor, module_parameters

from .public import affine_outputs  # released with the public checks (judge_structure's hint uses it)


def linear_weights(sd: dict, D: int, H: int, C: int, what: str):
    """Find W1 [H, D], b1 [H], W2 [C, H], b2 [C] by shape (D, H, C are distinct)."""
    assert isinstance(sd, dict), f"{what}: could not read the model's parameters"
    by_shape: dict[tuple, list] = {}
    for v in sd.values():
        if isinstance(v, torch.Tensor) and v.is_floating_point():
            by_shape.setdefault(tuple(v.shape), []).append(v.detach().cpu().double())
    n_params = sum(v.numel() for vs in by_shape.values() for v in vs)
    want = D * H + H + H * C + C
    assert n_params == want, (
        f"{what}: expected {want} parameters (Linear({D}, {H}) and Linear({H}, {C}), both with bias), "
        f"got {n_params}")
    out = []
    for shape in ((H, D), (H,), (C, H), (C,)):
        vs = by_shape.get(shape, [])
        assert len(vs) == 1, (
            f"{what}: expected Linear({D}, {H}) followed by Linear({H}, {C}), both with bias")
        out.append(vs[0])
    return out


def judge_two_layer(nb, fn: str, D: int, H: int, C: int, relu: bool, gen) -> None:
    what = f"{fn}({D}, {H}, {C})"
    m = expect_handle(nb.call(fn, D, H, C), what, "module")
    params = module_parameters(m)
    assert all(p.get("requires_grad") is True for p in params), (
        f"{what}: some parameters do not require gradients; a model to train needs them all trainable")
    assert all(p.get("dtype") == torch.float32 for p in params), (
        f"{what}: the parameters should be float32 (PyTorch's default), got "
        f"{', '.join(sorted({str(p.get('dtype')) for p in params}))}")
    W1, b1, W2, b2 = linear_weights(expect_state_dict(nb.state_dict(m), what), D, H, C, what)
    x1 = torch.randn(32, D, generator=gen) * 2
    x2 = torch.randn(32, D, generator=gen) * 2
    affine, outs = affine_outputs(nb, m, x1, x2, what, C)
    if relu and affine:
        wrong = f"{what}: the model computes an affine function of its input; expected a ReLU between the two Linear layers"
        raise KnownMistake("relu_model_affine", wrong) if not close(outs[0], outs[1]) else AssertionError(wrong)
    if not relu:
        assert affine, f"{what}: the model is not affine; expected Linear then Linear with nothing between"
    x = x1.double()
    h = x @ W1.T + b1
    if relu:
        h = h.clamp_min(0)
    want = h @ W2.T + b2
    assert close(outs[0], want, rtol=1e-4, atol=1e-4), (
        f"{what}: the output is not {'Linear2(ReLU(Linear1(x)))' if relu else 'Linear2(Linear1(x))'} "
        "computed with the model's own weights")

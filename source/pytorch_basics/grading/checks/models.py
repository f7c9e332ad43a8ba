"""Judging the models a student builds (build_linear_model, build_relu_model, fit_spiral): which
layers, and the function they compute with their own weights. A model that should be nonlinear
but computes an affine function is a known mistake (the ReLU missing)."""
from __future__ import annotations

import torch

from autograder.checks import (
    KnownMistake, close, expect_handle, expect_state_dict, expect_tensor, module_leaves, module_parameters,
    short_type,
)


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


def affine_outputs(nb, m, x1: torch.Tensor, x2: torch.Tensor, what: str, out_dim: int | None = None,
                   device: str = "cpu") -> tuple[bool, list[torch.Tensor]]:
    """Whether the model's outputs for x1, x2 and a mix of them are those of an affine function
    (f(a·x1 + (1−a)·x2) = a·f(x1) + (1−a)·f(x2)); and the three outputs (float64, CPU)."""
    a = 0.3
    outs = []
    for x in (x1, x2, a * x1 + (1 - a) * x2):
        y = expect_tensor(nb.forward(m, x.to(device)), f"{what}: the model's output for a batch of {len(x)}",
                          shape=(len(x), out_dim) if out_dim is not None else None)
        outs.append(y.detach().cpu().double())
    scale = max(1.0, max(o.abs().max().item() for o in outs))
    return close(outs[2], a * outs[0] + (1 - a) * outs[1], rtol=1e-4, atol=1e-4 * scale), outs


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


def judge_structure(nb, fn: str, kinds: list[str]) -> None:
    what = f"{fn}(2, 100, 3)"
    m = expect_handle(nb.call(fn, 2, 100, 3), what, "module")
    leaves = module_leaves(m)
    got = [short_type(e.get("type")) for e in leaves]
    if got != kinds:
        wrong = f"{what}: expected the layers {', '.join(kinds)}, got {', '.join(got) or 'none'}"
        if "ReLU" in kinds and _computes_affine(nb, m):
            raise KnownMistake("relu_model_affine", wrong)
        raise AssertionError(wrong)
    linears = [e for e in leaves if short_type(e.get("type")) == "Linear"]
    assert (linears[0].get("in_features"), linears[0].get("out_features")) == (2, 100), (
        f"{what}: the first layer should be Linear(D=2, H=100)")
    assert (linears[-1].get("in_features"), linears[-1].get("out_features")) == (100, 3), (
        f"{what}: the last layer should be Linear(H=100, C=3)")
    expect_tensor(nb.forward(m, torch.zeros(5, 2)), f"{what}: the output for a [5, 2] input", shape=(5, 3))


def _computes_affine(nb, m) -> bool:
    """Whether a model of 2 inputs computes an affine function that is not constant (judged on its
    outputs; a model whose outputs cannot be read is not called affine)."""
    gen = torch.Generator().manual_seed(5)
    try:
        affine, outs = affine_outputs(nb, m, torch.randn(32, 2, generator=gen) * 2,
                                      torch.randn(32, 2, generator=gen) * 2, "the model")
    except AssertionError:
        return False
    return affine and not close(outs[0], outs[1])

"""make_optimizer (3 points): torch.optim.SGD or Adam over the model's parameters with the given
lr and weight_decay; ValueError for any other name. Each optimizer is compared with the one the
contract's call builds here (every setting of its parameter groups) and stepped in the worker
next to it. Lazy replies considered: the weight decay or the defaults ignored, momentum,
nesterov, maximize, amsgrad, decoupled weight decay (AdamW), a subclass whose step does
something else, only some of the parameters, no ValueError."""
from __future__ import annotations

import math

import torch

from autograder.checks import (
    KnownMistake, StudentError, check, close, expect_handle, expect_tensor, module_param_ids, optimizer_class, optimizer_groups,
    optimizer_param_ids, summary_number, type_name, worker_helper,
)

from .. import public as P

# Settings that choose an implementation, not what a step computes.
IMPLEMENTATION = frozenset({"foreach", "fused", "capturable", "differentiable"})

STEPS = """
def _autograder_optimizer_steps(optimizer, model, grads):
    import torch
    params = list(model.parameters())
    out = []
    for step in grads:
        for p, g in zip(params, step):
            p.grad = g.to(p.device)
        optimizer.step()
        out.append([p.detach().clone() for p in params])
    return out
"""


def _same_setting(got, want) -> bool:
    if isinstance(want, bool) or want is None:
        return got is want or (isinstance(got, bool) and got == want)
    if isinstance(want, (int, float)):
        g = summary_number(got)
        return math.isclose(g, float(want), rel_tol=1e-9, abs_tol=1e-15)
    if isinstance(want, (tuple, list)):
        return isinstance(got, (tuple, list)) and len(got) == len(want) and all(
            _same_setting(a, b) for a, b in zip(got, want))
    return got == want


def _judge_optimizer(nb, device: str, name: str, sizes=(3, 5, 2), strict: bool = False, **hyper) -> None:
    """The class, lr, weight_decay and parameters (as the notebook's check); `strict`: also every
    other setting, exactly the model's parameters, and three steps against torch's."""
    grader_copy, model = P.grader_model(nb, list(sizes), relu=True, seed=1, device=device)
    args = ", ".join([repr(name)] + [f"{k}={v}" for k, v in hyper.items()])
    what = f"make_optimizer(model, {args})"
    opt = expect_handle(nb.call("make_optimizer", model, name, **hyper), what, "optimizer")
    cls = optimizer_class(opt)
    want_cls = P.TORCH_OPTIMIZERS[name]
    assert cls == want_cls, f"{what}: returned a {cls} optimizer, expected torch.optim.{want_cls}"
    lr = hyper.get("lr", 1e-3)
    wd = hyper.get("weight_decay", 1e-5)
    reference = P.make_torch_optimizer(grader_copy, name, lr=lr, weight_decay=wd)
    want = {k: v for k, v in reference.param_groups[0].items() if k != "params" and k not in IMPLEMENTATION}
    for g in optimizer_groups(opt):
        assert math.isclose(summary_number(g.get("lr")), lr, rel_tol=1e-9), (
            f"{what}: the optimizer's learning rate is {g.get('lr')}, expected {lr}")
        got_wd = summary_number(g.get("weight_decay"))
        if not math.isclose(got_wd, wd, rel_tol=1e-9, abs_tol=1e-15):
            wrong = f"{what}: the optimizer's weight_decay is {g.get('weight_decay')}, expected {wd}"
            raise (KnownMistake("optimizer_weight_decay_ignored", wrong) if got_wd == 0 else AssertionError(wrong))
        for key, value in want.items() if strict else ():
            assert _same_setting(g.get(key), value), (
                f"{what}: the optimizer's {key} is {g.get(key)!r}, but torch.optim.{want_cls}(model.parameters(), "
                f"lr={lr}, weight_decay={wd}) has {value!r}; set only what the contract asks for")
    covered = optimizer_param_ids(opt)
    wanted = module_param_ids(model)
    assert wanted, "the grader's model has no parameter ids in its summary"
    assert set(wanted) <= set(covered), (
        f"{what}: the optimizer does not update all of the model's parameters (pass model.parameters())")
    if strict:
        assert len(covered) == len(set(covered)) == len(wanted), (
            f"{what}: the optimizer holds other tensors than the model's parameters, or some twice "
            "(pass model.parameters())")
        _judge_steps(nb, what, opt, model, grader_copy, reference, device)


def _judge_steps(nb, what: str, opt, model, grader_copy, reference, device: str) -> None:
    """Three steps of the student's optimizer in the worker against torch's here, same gradients."""
    gen = torch.Generator().manual_seed(7)
    params = list(grader_copy.parameters())
    grads = [[torch.randn(p.shape, generator=gen) for p in params] for _ in range(3)]
    got = nb.call(worker_helper(nb, "_autograder_optimizer_steps", STEPS), opt, model,
                  [[g.to(device) for g in step] for step in grads])
    assert isinstance(got, list) and len(got) == 3, f"{what}: the optimizer could not be stepped (got a {type_name(got)})"
    for i, (step, gs) in enumerate(zip(got, grads), 1):
        for p, g in zip(params, gs):
            p.grad = g.to(p.device)
        reference.step()
        assert isinstance(step, list) and len(step) == len(params), f"{what}: the optimizer could not be stepped"
        for new, p in zip(step, params):
            new = expect_tensor(new, f"{what}: a parameter after step {i}", shape=p.shape)
            assert close(new, p.detach(), rtol=1e-5, atol=1e-7), (
                f"{what}: after step {i} on the same gradients the parameters differ from "
                f"torch.optim.{type(reference).__name__}'s; return the contract's optimizer as it is")


def _judge_unknown(nb, model, bad: str) -> None:
    try:
        out = nb.call("make_optimizer", model, bad)
    except StudentError as e:
        assert e.exc_type == "ValueError", f"make_optimizer(model, {bad!r}): raised {e.exc_type}, expected ValueError"
        return
    wrong = f"make_optimizer(model, {bad!r}): returned a {type_name(out)}, expected it to raise ValueError"
    # an optimizer for a name that is no optimizer's: the argument was never checked
    raise KnownMistake("optimizer_accepts_any_name", wrong) if type_name(out) == "optimizer" else AssertionError(wrong)


@check("check_make_optimizer", points=1, public=True)
def test_make_optimizer_public(nb, device):
    "make_optimizer: the notebook's 'sgd' and 'adam' with lr=0.05, weight_decay=1e-4, the defaults, and 'rmsprop'"
    for name in ("sgd", "adam"):
        _judge_optimizer(nb, device, name, sizes=(2, 10, 3), lr=0.05, weight_decay=1e-4)
    _judge_optimizer(nb, device, "adam", sizes=(2, 10, 3))
    _, model = P.grader_model(nb, [2, 10, 3], relu=True, seed=1, device=device)
    _judge_unknown(nb, model, "rmsprop")


@check("check_make_optimizer", points=1)
def test_make_optimizer_hyper(nb, device):
    "make_optimizer: other lr and weight_decay, the SGD defaults, every other setting as torch's, steps as torch's, all the model's parameters"
    _judge_optimizer(nb, device, "sgd", strict=True)
    _judge_optimizer(nb, device, "adam", sizes=(5, 3, 4, 2), strict=True, lr=0.02, weight_decay=0.003)
    _judge_optimizer(nb, device, "sgd", sizes=(4, 6, 3), strict=True, lr=0.5, weight_decay=0.0)


@check("check_make_optimizer", points=1)
def test_make_optimizer_unknown(nb, device):
    "make_optimizer: ValueError for other names ('adamw', 'momentum')"
    _, model = P.grader_model(nb, [3, 5, 2], relu=True, seed=1, device=device)
    for bad in ("adamw", "momentum"):
        _judge_unknown(nb, model, bad)

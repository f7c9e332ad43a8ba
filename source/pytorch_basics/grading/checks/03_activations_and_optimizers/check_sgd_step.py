"""sgd_step (3 points): one plain SGD step with L2 weight decay, as torch.optim.SGD. Lazy replies
considered: weight decay ignored, param or grad changed in place (param.sub_(...)), momentum kept
in a global between calls; 0-d, non-contiguous and float64 parameters, a zero gradient, a large
learning rate. Known mistake (its hint): the weight decay ignored."""
from __future__ import annotations

import torch

from autograder.checks import Known, Tensor, call_keeping_inputs, check, expect_tensor, judge

from .. import public as P

WRONG = "the new parameter differs from torch.optim.SGD's step (param − lr·(grad + weight_decay·param))"


def _judge_sgd(nb, param: torch.Tensor, grads: list[torch.Tensor], lr: float, wd: float, device: str,
               what: str) -> None:
    want = P.torch_optimizer_steps("sgd", param, grads, lr=lr, weight_decay=wd)
    p = param.to(device)
    for i, (g, w) in enumerate(zip(grads, want), 1):
        call = f"sgd_step({what}, lr={lr}, weight_decay={wd}), step {i}"
        plain = [Known("sgd_weight_decay_ignored", p.detach().cpu().double() - lr * g.double())] if wd else []
        p = judge(nb, "sgd_step", p, g.to(device), lr, wd, what=call, names=("param", "grad"),
                  returns=Tensor(w, shape=param.shape, dtype=param.dtype, device=device, wrong=WRONG, known=plain))


@check("check_sgd_step", points=1, public=True)
def test_sgd_step_public(nb, device):
    "sgd_step: the notebook's example: a new tensor, as torch.optim.SGD, with and without weight decay"
    torch.manual_seed(0)
    param, grad = torch.randn(3, 4), torch.randn(3, 4)
    what = "sgd_step(the notebook's param, grad, lr=0.1, weight_decay=0.01)"
    new, kept = call_keeping_inputs(nb, "sgd_step", param.to(device), grad.to(device), lr=0.1, weight_decay=0.01)
    expect_tensor(new, what, shape=param.shape, dtype=param.dtype, device=device)
    assert kept, f"{what}: param or grad was modified in place; return a new tensor and leave the inputs as they were"
    _judge_sgd(nb, param, [grad], 0.1, 0.01, device, "the notebook's param, grad")
    _judge_sgd(nb, param, [grad], 0.5, 0.0, device, "the notebook's param, grad")


@check("check_sgd_step", points=1)
def test_sgd_step_plain(nb, device, gen):
    "sgd_step: five steps on a [4, 3] parameter without weight decay, as torch.optim.SGD; a 0-d parameter; inputs left as they were"
    param = torch.randn(4, 3, generator=gen)
    grads = [torch.randn(4, 3, generator=gen) for _ in range(5)]
    _judge_sgd(nb, param, grads, 0.05, 0.0, device, "a [4, 3] float32 parameter")
    _judge_sgd(nb, torch.tensor(1.5), [torch.tensor(-0.25), torch.tensor(2.0)], 0.3, 0.0, device,
               "a 0-d parameter")


@check("check_sgd_step", points=1)
def test_sgd_step_weight_decay(nb, device, gen):
    "sgd_step: five steps with weight decay (float64), as torch.optim.SGD; a zero gradient, a large lr, a non-contiguous parameter"
    param = torch.randn(6, generator=gen, dtype=torch.float64)
    grads = [torch.randn(6, generator=gen, dtype=torch.float64) for _ in range(5)]
    _judge_sgd(nb, param, grads, 0.1, 0.3, device, "a [6] float64 parameter")
    _judge_sgd(nb, param, [torch.zeros(6, dtype=torch.float64)] * 2, 0.1, 0.3, device,
               "a [6] float64 parameter and a zero gradient")
    p = torch.randn(3, 5, generator=gen).t()
    _judge_sgd(nb, p, [torch.randn(5, 3, generator=gen) for _ in range(3)], 2.5, 0.05, device,
               "a non-contiguous [5, 3] parameter")

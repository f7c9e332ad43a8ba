"""Public checks of check_sgd_step (03_activations_and_optimizers), cut by `autograder release` from the
grader's check file: the code the grader runs for them. Generated: do not edit. The grader
also runs hidden checks with other inputs, so "public checks passed" is not the grade."""


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

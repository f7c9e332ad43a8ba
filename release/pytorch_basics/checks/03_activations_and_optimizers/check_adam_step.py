"""Public checks of check_adam_step (03_activations_and_optimizers), cut by `autograder release` from the
grader's check file: the code the grader runs for them. Generated: do not edit. The grader
also runs hidden checks with other inputs, so "public checks passed" is not the grade."""


from __future__ import annotations
import torch
from autograder.checks import (
    Known, KnownMistake, Tensor, call_sequence, check, close, expect_tensor,
)
from .. import public as P


WRONG = ("the new parameter differs from torch.optim.Adam's step (weight decay added to the gradient, "
         "both moments kept in state from one call to the next, bias correction, eps outside the square root)")


def _judge_step(step: dict, i: int, call: str, param: torch.Tensor, p: torch.nn.Parameter,
                opt: torch.optim.Adam, device: str, known: list[Known] = ()) -> None:
    new = expect_tensor(step["value"], call, shape=param.shape, dtype=param.dtype, device=device)
    assert step["inputs_kept"], (
        f"{call}: param or grad was modified in place; return a new tensor and leave the inputs as they were")
    Tensor(p.detach(), dtype=None, rtol=1e-5, atol=1e-7, wrong=WRONG, known=known).judge(new, call)
    state = step["state"]
    assert isinstance(state, dict), f"{call}: the state dict could not be read back"
    missing = [k for k in ("step", "exp_avg", "exp_avg_sq") if k not in state]
    assert not missing, f"{call}: state has no {', '.join(repr(k) for k in missing)}; keep step, exp_avg and exp_avg_sq in it"
    st = state["step"]
    st = st.item() if isinstance(st, torch.Tensor) and st.numel() == 1 else st
    assert isinstance(st, (int, float)) and int(st) == i, f"{call}: state['step'] should be {i}, got {st!r}"
    for key, atol in (("exp_avg", 1e-7), ("exp_avg_sq", 1e-9)):
        v = expect_tensor(state[key], f"{call}: state[{key!r}]", shape=param.shape)
        if not close(v, opt.state[p][key], rtol=1e-5, atol=atol):
            wrong = f"{call}: state[{key!r}] differs from torch.optim.Adam's {'first' if key == 'exp_avg' else 'second'} moment"
            # still the zeros it started with while torch's moment moved: the update never stored back
            kept_zero = not bool(v.any()) and bool(opt.state[p][key].any())
            raise KnownMistake("adam_state_not_kept", wrong) if kept_zero else AssertionError(wrong)


def _judge_adam(nb, param: torch.Tensor, grads: list[torch.Tensor], device: str, what: str, **hyper) -> None:
    p = torch.nn.Parameter(param.clone())
    opt = torch.optim.Adam([p], **hyper)
    steps = call_sequence(nb, "adam_step", param.to(device), [[g.to(device)] for g in grads], **hyper)
    shown = ", ".join(f"{k}={v}" for k, v in hyper.items())
    variants = {"adam_no_bias_correction": P.adam_steps(param, grads, bias_correction=False, **hyper),
                "adam_eps_inside_sqrt": P.adam_steps(param, grads, eps_inside_sqrt=True, **hyper)}
    for i, (step, g) in enumerate(zip(steps, grads), 1):
        p.grad = g.clone()
        opt.step()
        known = [Known(k, v[i - 1], rtol=1e-5, atol=1e-7) for k, v in variants.items()
                 if not close(v[i - 1], p.detach(), rtol=1e-5, atol=1e-7)]
        _judge_step(step, i, f"adam_step({what}, state, {shown}), call {i}", param, p, opt, device, known)


@check("check_adam_step", points=1, public=True)
def test_adam_step_public(nb, device):
    "adam_step: the notebook's example: three calls with weight decay, as torch.optim.Adam, state and inputs checked"
    torch.manual_seed(0)
    param = torch.randn(3, 4)
    grads = [torch.randn(3, 4) for _ in range(3)]
    _judge_adam(nb, param, grads, device, "the notebook's param, grad",
                lr=0.01, betas=(0.8, 0.99), eps=1e-8, weight_decay=0.1)

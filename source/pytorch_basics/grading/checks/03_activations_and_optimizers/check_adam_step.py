"""adam_step (3 points): one Adam step with bias correction, as torch.optim.Adam, the moments
kept in `state` from call to call. Lazy replies considered: no bias correction, moments not
stored back, eps inside the square root (shows with a large eps), decoupled weight decay (AdamW),
amsgrad, the step count kept in a global instead of `state` (two states interleaved), param or
grad changed in place; a zero gradient, float64 parameters. Known mistakes (their hints): no bias
correction, eps inside the square root, the moments not stored back in state."""
from __future__ import annotations

import torch

from autograder.checks import Known, KnownMistake, Tensor, call_sequence, check, close, expect_tensor, same

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


def _judge_interleaved(nb, params: list[torch.Tensor], grads: list[list[torch.Tensor]], device: str,
                       **hyper) -> None:
    """Two parameters, each with its own state, stepped in turn: a step count or moments kept
    anywhere but in `state` mix them up."""
    refs = [torch.nn.Parameter(p.clone()) for p in params]
    opts = [torch.optim.Adam([r], **hyper) for r in refs]
    states = [nb.put({}) for _ in params]
    current = [p.to(device) for p in params]
    shown = ", ".join(f"{k}={v}" for k, v in hyper.items())
    for i in range(1, len(grads[0]) + 1):
        for j in range(len(params)):
            g = grads[j][i - 1]
            ph, gh = nb.put(current[j]), nb.put(g.to(device))
            value = nb.call("adam_step", ph, gh, states[j], **hyper)
            kept = same(nb.get(ph), current[j]) and same(nb.get(gh), g.to(device))
            refs[j].grad = g.clone()
            opts[j].step()
            call = f"adam_step(parameter {j + 1} of two stepped in turn, its own state, {shown}), call {i}"
            _judge_step({"value": value, "state": nb.get(states[j]), "inputs_kept": kept}, i, call,
                        params[j], refs[j], opts[j], device)
            current[j] = value


@check("check_adam_step", points=1, public=True)
def test_adam_step_public(nb, device):
    "adam_step: the notebook's example: three calls with weight decay, as torch.optim.Adam, state and inputs checked"
    torch.manual_seed(0)
    param = torch.randn(3, 4)
    grads = [torch.randn(3, 4) for _ in range(3)]
    _judge_adam(nb, param, grads, device, "the notebook's param, grad",
                lr=0.01, betas=(0.8, 0.99), eps=1e-8, weight_decay=0.1)


@check("check_adam_step", points=1)
def test_adam_step_plain(nb, device, gen):
    "adam_step: six calls on a [3, 5] parameter with other lr, betas and eps, no weight decay; a large eps and zero gradients, as torch.optim.Adam"
    param = torch.randn(3, 5, generator=gen)
    grads = [torch.randn(3, 5, generator=gen) * 0.1 for _ in range(6)]
    _judge_adam(nb, param, grads, device, "a [3, 5] float32 parameter", lr=0.01, betas=(0.8, 0.95), eps=1e-6)
    grads = [torch.randn(3, 5, generator=gen) * 0.1, torch.zeros(3, 5), torch.zeros(3, 5)]
    _judge_adam(nb, param, grads, device, "a [3, 5] float32 parameter, then zero gradients", lr=0.1, eps=0.5)


@check("check_adam_step", points=1)
def test_adam_step_weight_decay(nb, device, gen):
    "adam_step: six calls with weight decay on a float64 parameter, default betas, as torch.optim.Adam; two parameters with their own states in turn"
    param = torch.randn(7, generator=gen, dtype=torch.float64)
    grads = [torch.randn(7, generator=gen, dtype=torch.float64) for _ in range(6)]
    _judge_adam(nb, param, grads, device, "a [7] float64 parameter", lr=0.05, weight_decay=0.1)
    params = [torch.randn(4, generator=gen, dtype=torch.float64), torch.randn(2, 3, generator=gen, dtype=torch.float64)]
    grads = [[torch.randn(p.shape, generator=gen, dtype=torch.float64) for _ in range(3)] for p in params]
    _judge_interleaved(nb, params, grads, device, lr=0.05, weight_decay=0.1)

"""train (6 points): full-batch training with cross-entropy, zero_grad-forward-backward-step once
per epoch, the loss of every epoch before its step. The grader trains its own copy of the same
model with the same optimizer and compares losses and weights. Lazy replies considered: no
zero_grad, the loss after the step, epochs ignored, the labels ignored, X or Y changed in place
(normalised), rounded losses or a loop that stops early once the loss is small. Known mistakes
(their hints): no zero_grad (the grader runs that loop too and compares), each loss recorded after
its step (the losses one epoch ahead)."""
from __future__ import annotations

import math

import torch

from autograder.checks import (
    call_watching_inputs, changed_message, check, close, expect_list_of_numbers, expect_number, expect_state_dict,
    expect_tensor, grader_only, mistaken, type_name,
)

from .. import reference as R
from .. import public as P


def _call_train(nb, what: str, handle, X, Y, opt, epochs: int) -> list[float]:
    called = call_watching_inputs(nb, "train", handle, X, Y, opt, epochs)
    losses = called.value
    assert isinstance(losses, (list, tuple)), f"{what}: returned a {type_name(losses)}, expected a list of floats"
    assert len(losses) == epochs, f"{what}: expected {epochs} losses (one per epoch), got {len(losses)}"
    got = [expect_number(v, f"{what}, loss of epoch {i + 1}") for i, v in enumerate(losses)]
    assert called.inputs_kept, changed_message(what, called, ("model", "X", "Y"))
    return got


def _same_losses(got: list[float], want: list[float], tol: float) -> bool:
    return len(got) == len(want) > 0 and all(math.isclose(g, w, rel_tol=tol, abs_tol=tol) for g, w in zip(got, want))


@grader_only  # trains the grader's reference loop: the release's public check names no mistake
def _training_mistake(got: list[float], sd: dict | None, X, Y, kind: str, hyper: dict, epochs: int, seed: int,
                      device: str, tol: float) -> str:
    """The known mistake whose training gives these losses (or, `sd`, these weights): the grader
    trains another copy of the same model that way and compares."""
    model = R.seeded_model([2, 16, 3], relu=True, seed=seed).to(device)
    want = R.train_reference(model, X, Y, R.make_torch_optimizer(model, kind, **hyper), epochs)
    if _same_losses(got[:-1], want[1:], tol):
        return "train_loss_after_step"
    drifting = R.seeded_model([2, 16, 3], relu=True, seed=seed).to(device)
    losses = R.train_reference(drifting, X, Y, R.make_torch_optimizer(drifting, kind, **hyper), epochs, zero_grad=False)
    if sd is not None:
        same = all(isinstance(sd.get(k), torch.Tensor) and close(sd[k], v, rtol=tol, atol=tol)
                   for k, v in drifting.state_dict().items())
        return "train_no_zero_grad" if same else ""
    return "train_no_zero_grad" if _same_losses(got, losses, tol) else ""


def _judge_train(nb, device: str, kind: str, hyper: dict, epochs: int, seed: int, part: str,
                 tol: float = 1e-4, data=None, abs_tol: float | None = None) -> None:
    X, Y = data if data is not None else R.make_spiral(60, 3, 0.2, seed=seed)
    X, Y = X.to(device), Y.to(device)
    model, handle = R.grader_model(nb, [2, 16, 3], relu=True, seed=seed, device=device)
    opt = nb.build_optimizer(handle, R.TORCH_OPTIMIZERS[kind], **hyper)
    what = f"train(model, X, Y, {R.optimizer_display(kind, hyper)}, epochs={epochs})"
    got = _call_train(nb, what, handle, X, Y, opt, epochs)
    want = R.train_reference(model, X, Y, R.make_torch_optimizer(model, kind, **hyper), epochs)
    if part in ("losses", "all"):
        for i, (g, w) in enumerate(zip(got, want)):
            if not math.isclose(g, w, rel_tol=tol, abs_tol=tol if abs_tol is None else abs_tol):
                raise mistaken(AssertionError(
                    f"{what}: the loss of epoch {i + 1} ({g:.5g}) differs from the reference loop's (the cross-entropy "
                    "of the full batch before that epoch's step; each epoch: zero the gradients, forward, backward, "
                    "step)"), _training_mistake(got, None, X, Y, kind, hyper, epochs, seed, device, tol))
    if part in ("weights", "all"):
        sd = expect_state_dict(nb.state_dict(handle), what)
        for k, v in model.state_dict().items():
            got_v = expect_tensor(sd.get(k), f"{what}: the model's {k}", shape=v.shape, device=device)
            if not close(got_v, v, rtol=tol, atol=tol):
                raise mistaken(AssertionError(
                    f"{what}: after training, the model's weights differ from {epochs} epochs of full-batch training "
                    "(zero the gradients every epoch, then forward, backward, step)"),
                    _training_mistake(got, sd, X, Y, kind, hyper, epochs, seed, device, tol))


@check("check_train", points=1, public=True)
def test_train_public(nb, device):
    "train: the notebook's example (SGD lr 0.5, 30 epochs): 30 float losses, the first before any step, going down"
    X, Y = P.spiral(20, 3, 0.2, seed=3, device=device)
    model, handle = P.grader_model(nb, [2, 16, 3], relu=True, seed=0, device=device)
    opt = nb.build_optimizer(handle, "SGD", lr=0.5)
    what = "train(model, X, Y, torch.optim.SGD(lr=0.5), epochs=30)"
    losses = nb.call("train", handle, X, Y, opt, 30)
    assert isinstance(losses, list), f"{what}: returned a {type_name(losses)}, expected a list of floats"
    got = expect_list_of_numbers(losses, what, 30, item="loss", items="losses (one per epoch)")
    with torch.no_grad():
        initial = torch.nn.functional.cross_entropy(model(X), Y).item()
    if abs(got[0] - initial) >= 1e-5:
        raise mistaken(AssertionError(
            f"{what}: the first loss should be the loss of the untrained model ({initial:.4f}), got {got[0]:.4f}: "
            "record each epoch's loss before its step"),
            _training_mistake(got, None, X, Y, "sgd", {"lr": 0.5}, 30, 0, device, 1e-4))
    assert got[-1] < got[0], f"{what}: the loss should go down during training"
    sd = expect_state_dict(nb.state_dict(handle), what)
    changed = any(not close(expect_tensor(sd.get(k), f"{what}: the model's {k}", shape=v.shape), v, rtol=0, atol=0)
                  for k, v in model.state_dict().items())
    assert changed, f"{what}: the model's parameters did not change; train should update them"


@check("check_train", points=2)
def test_train_sgd_losses(nb, device, assignment):
    "train: the losses of SGD training match the reference loop from the same weights, also once they get small; X and Y left as they were"
    cfg = assignment["train"]
    _judge_train(nb, device, "sgd", {"lr": cfg["sgd_lr"], "weight_decay": cfg["weight_decay"]},
                 epochs=cfg["epochs"], seed=cfg["seeds"][0], part="losses", tol=cfg["tol"])
    _judge_train(nb, device, "sgd", {"lr": cfg["small_loss_lr"]}, epochs=cfg["small_loss_epochs"],
                 seed=cfg["seeds"][0], part="losses", tol=cfg["small_loss_rel_tol"], abs_tol=1e-7,
                 data=R.blobs(20, seed=cfg["seeds"][0]))


@check("check_train", points=1)
def test_train_sgd_weights(nb, device, assignment):
    "train: the weights after SGD training match the reference loop from the same weights"
    cfg = assignment["train"]
    _judge_train(nb, device, "sgd", {"lr": cfg["sgd_lr"], "weight_decay": cfg["weight_decay"]},
                 epochs=cfg["epochs"], seed=cfg["seeds"][1], part="weights", tol=cfg["tol"])


@check("check_train", points=2)
def test_train_adam(nb, device, assignment):
    "train: the losses and weights of Adam training match the reference loop from the same weights"
    cfg = assignment["train"]
    _judge_train(nb, device, "adam", {"lr": cfg["adam_lr"], "weight_decay": cfg["weight_decay"]},
                 epochs=cfg["epochs"], seed=cfg["seeds"][2], part="all", tol=cfg["tol"])

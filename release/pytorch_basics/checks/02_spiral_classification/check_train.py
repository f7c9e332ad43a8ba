"""Public checks of check_train (02_spiral_classification), cut by `autograder release` from the
grader's check file: the code the grader runs for them. Generated: do not edit. The grader
also runs hidden checks with other inputs, so "public checks passed" is not the grade."""


from __future__ import annotations
import torch
from autograder.checks import (
    check, close, expect_list_of_numbers, expect_state_dict, expect_tensor, mistaken, type_name,
)
from .. import public as P


def _training_mistake(got: list[float], sd: dict | None, X, Y, kind: str, hyper: dict, epochs: int, seed: int,
                      device: str, tol: float) -> str:
    return None  # grader-only (see @grader_only): not run from the release


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

"""Public checks of check_plot_decision_boundary (02_spiral_classification), cut by `autograder release` from the
grader's check file: the code the grader runs for them. Generated: do not edit. The grader
also runs hidden checks with other inputs, so "public checks passed" is not the grade."""


from __future__ import annotations
import torch
from autograder.checks import (
    KnownMistake, check, close, device_matches, expect_handle, expect_state_dict, expect_tensor,
    has_filled_regions, scatter_points,
)
from .. import public as P


MIN_CLASS_SHARE = 0.15  # of the data's box, for each class of the grader's models (so regions show)


def _plot(nb, device: str, data: tuple, hidden: int, seed: int, model_seed: int, shuffle: bool = False,
          balanced: bool = False):
    X, Y = data  # the grader's spiral (P.spiral for the notebook's example)
    classes = int(Y.max()) + 1
    if shuffle:  # the labels come with X: the order says nothing more, but no check relies on it
        order = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed))
        X, Y = X[order], Y[order]
    if balanced:
        model = _balanced_model([2, hidden, classes], model_seed, X)
        handle = nb.build_module(P.layer_spec(model), state_dict=model.state_dict(), device=device)
        model.to(device)  # nn.Module.to moves the module itself
    else:
        model, handle = P.grader_model(nb, [2, hidden, classes], relu=True, seed=model_seed, device=device)
    what = f"plot_decision_boundary(model, X, Y) with {len(X)} points of {classes} classes"
    fig = expect_handle(nb.call("plot_decision_boundary", handle, X.to(device), Y.to(device)), what, "figure")
    return what, X, model, handle, fig


def _balanced_model(sizes: list[int], seed: int, X: torch.Tensor) -> torch.nn.Module:
    """An untrained model (its regions have nothing to do with the data's labels) whose regions
    over the data's box all show, each class on at least MIN_CLASS_SHARE of it: the first seed
    from `seed` on whose model gets there by moving the last layer's biases. A picture of one
    big region would prove little."""
    lo, hi = X.min(0).values, X.max(0).values
    t = torch.linspace(0, 1, 60)
    grid = torch.stack(torch.meshgrid(lo[0] + t * (hi[0] - lo[0]), lo[1] + t * (hi[1] - lo[1]), indexing="xy"),
                       -1).reshape(-1, 2)
    classes = sizes[-1]
    for s in range(seed, seed + 50):
        torch.manual_seed(s)
        model = P.mlp(sizes, relu=True)
        with torch.no_grad():
            spread = model(grid).std().item()
            for _ in range(200):
                shares = torch.bincount(model(grid).argmax(1), minlength=classes).float() / len(grid)
                if bool((shares >= MIN_CLASS_SHARE).all()):
                    return model
                model[-1].bias += 0.5 * spread * (1 / classes - shares)
    raise RuntimeError(f"no balanced grader model for {classes} classes from seed {seed}")  # the grader's fault


def _judge_untouched(nb, what: str, model, handle, device: str) -> None:
    sd = expect_state_dict(nb.state_dict(handle), what)
    for k, v in model.state_dict().items():
        got = expect_tensor(sd.get(k), f"{what}: the model's {k} afterwards", shape=v.shape)
        if not device_matches(got, device):
            raise KnownMistake("device_left_on_cpu" if got.device.type == "cpu" else "", (
                f"{what}: the model was moved to {got.device.type}; it must stay on {device} "
                "(move the grid of points to the model's device instead)"))
        assert close(got, v, rtol=0, atol=0), f"{what}: the model's weights changed; plotting must not train or modify it"


def _judge_scatter(what: str, fig, X: torch.Tensor) -> None:
    n = scatter_points(fig)
    if n != X.shape[0]:
        wrong = f"{what}: expected a scatter of all {X.shape[0]} points, found {n}"
        raise KnownMistake("plot_without_points", wrong) if n == 0 else AssertionError(wrong)


@check("check_plot_decision_boundary", points=1, public=True)
def test_plot_decision_boundary_public(nb, device):
    "plot_decision_boundary: the notebook's example: a Figure with filled regions, all points, the model untouched"
    what, X, model, handle, fig = _plot(nb, device, P.spiral(30, 3, 0.2, seed=4), 8, seed=4, model_seed=0)
    _judge_scatter(what, fig, X)
    ok, why = has_filled_regions(fig, X)
    assert ok, f"{what}: {why}"
    _judge_untouched(nb, what, model, handle, device)

"""plot_decision_boundary (6 points): the model's filled decision regions over the data's
bounding box, the points on top, the model untouched and on its device. The regions are read
back from the figure itself (the colour it shows at a grid of probe points, see the worker's
figure summary) and compared with the grader's own model's argmax at the same points; the
points drawn are compared with the data. Lazy replies considered: a constant or made-up image
plus the points (the model never called), regions painted from the labelled points instead of
the model, the picture flipped or transposed, random points of the right count, the model moved
to the CPU or changed. Known mistakes (their hints): no points drawn, the model moved to the CPU."""
from __future__ import annotations

import torch

from autograder.checks import (
    KnownMistake, check, close, device_matches, expect_handle, expect_state_dict, expect_tensor, filled_axes, has_filled_regions,
    region_agreement, scatter_points, shows_points,
)

from .. import reference as R
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


def _judge_regions(what: str, fig, X: torch.Tensor, model, min_recall: float) -> None:
    box = (X.min(0).values.tolist(), X.max(0).values.tolist())
    cpu_model = model.to("cpu")

    def predict(points: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return cpu_model(points).argmax(1)

    best = None
    for ax in filled_axes(fig):
        agreement = region_agreement(ax, predict, box)
        if best is None or agreement.mean_recall > best.mean_recall:
            best = agreement
    assert best is not None and best.probed, (
        f"{what}: the filled regions could not be read back from the figure{': ' + best.error if best and best.error else ''}")
    assert not best.shared_colour, (
        f"{what}: the filled regions show classes {' and '.join(map(str, best.shared_colour))} in one colour: the "
        "regions must follow the model's predicted class (fill a grid with model(grid).argmax(1), one colour per class)")
    worst = min(best.recall, key=best.recall.get)
    assert best.mean_recall >= min_recall, (
        f"{what}: the filled regions do not follow the model's predictions: where the model predicts class {worst}, "
        f"the picture shows that class's colour at only {best.recall[worst]:.0%} of the places. Fill a grid over the "
        "data's bounding box with the class model(grid).argmax(1) predicts at each point (origin at the bottom left)")


@check("check_plot_decision_boundary", points=1, public=True)
def test_plot_decision_boundary_public(nb, device):
    "plot_decision_boundary: the notebook's example: a Figure with filled regions, all points, the model untouched"
    what, X, model, handle, fig = _plot(nb, device, P.spiral(30, 3, 0.2, seed=4), 8, seed=4, model_seed=0)
    _judge_scatter(what, fig, X)
    ok, why = has_filled_regions(fig, X)
    assert ok, f"{what}: {why}"
    _judge_untouched(nb, what, model, handle, device)


@check("check_plot_decision_boundary", points=2)
def test_plot_decision_boundary_regions(nb, device, assignment):
    "plot_decision_boundary: filled decision regions (contourf, pcolormesh or imshow) over the data's bounding box, coloured by the model's predicted class"
    cfg = assignment["plot_decision_boundary"]
    for n, classes, seed in ((40, 4, 9), (25, 2, 10), (50, 3, 13)):
        what, X, model, _, fig = _plot(nb, device, R.make_spiral(n, classes, 0.2, seed=seed), 24, seed=seed,
                                       model_seed=seed, shuffle=True, balanced=True)
        ok, why = has_filled_regions(fig, X)
        assert ok, f"{what}: {why}"
        _judge_regions(what, fig, X, model, cfg["min_region_recall"])


@check("check_plot_decision_boundary", points=2)
def test_plot_decision_boundary_points(nb, device):
    "plot_decision_boundary: every data point drawn on top (a scatter of the N points of X)"
    for n, classes, seed in ((70, 3, 11), (40, 4, 9)):
        what, X, *_, fig = _plot(nb, device, R.make_spiral(n, classes, 0.2, seed=seed), 24, seed=seed,
                                 model_seed=seed, shuffle=True)
        _judge_scatter(what, fig, X)
        assert shows_points(fig, X), f"{what}: the points drawn are not the points of X; draw X's points on top"


@check("check_plot_decision_boundary", points=1)
def test_plot_decision_boundary_model_untouched(nb, device):
    "plot_decision_boundary: leaves another model as it was, on its device"
    what, _, model, handle, _ = _plot(nb, device, R.make_spiral(50, 3, 0.2, seed=12), 32, seed=12, model_seed=12)
    _judge_untouched(nb, what, model, handle, device)

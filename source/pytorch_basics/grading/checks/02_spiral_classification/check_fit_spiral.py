"""fit_spiral (10 points): the student's own classifier, trained on spirals the grader draws and
judged by its accuracy on held-out spirals the student never sees (median over three held-out
spirals of hidden seeds, linear partial credit between the bars of assignment.toml).

Three trainings, each done once: the notebook's example (the spiral of seed 7, as the notebook's
own check trains it), whose model the public check judges on the spiral of seed 8, and two
spirals of hidden seeds; the held-out check judges all three models, each on a held-out spiral
of its own hidden seed. The feedback picture shows the example's model on the public spiral of
seed 8, next to the notebook's classic model (a reference trained once per grading process).

Nothing handed to the student's code carries the answer: the training data comes in an order
only the grader knows, the hidden spirals with their class labels permuted (relabelled: a
"model" that computes the spiral's law instead of learning gets ~0 on two of the three), and the
held-out data is shuffled too and asked for twice, in another order and other batch sizes: a
model whose prediction for a point depends on where or with what the point arrives is refused.
Lazy replies considered: class = 3 * row // n, memorising the training points, the spiral's law
written down, transductive tricks on the held-out batch, a model on the wrong device, training
past the time budget. Known mistake (its hint): a classifier that computes an affine function (no
nonlinearity), judged from its outputs."""
from __future__ import annotations

import statistics
import time
import weakref
from dataclasses import dataclass
from typing import Any

import torch

from autograder.checks import (
    CallTimeout, KnownMistake, SubmissionFault, boundary_details, check, close, expect_handle, expect_tensor,
    grader_only, grid_points, module_devices, prefetch, reference,
)

from .. import reference as R
from .. import public as P
from ..public import affine_outputs


def _shuffler(cfg: dict, *salt: int) -> torch.Generator:
    """A generator only the grader can seed: the hidden shuffle seed with the data's seed."""
    return torch.Generator().manual_seed(int(cfg["shuffle_seed"]) * 1_000_003 + sum(salt))


def _relabelling(g: torch.Generator, classes: int) -> torch.Tensor:
    """A permutation of the class labels that moves at least one class."""
    while True:
        perm = torch.randperm(classes, generator=g)
        if not torch.equal(perm, torch.arange(classes)):
            return perm


def _training_data(cfg: dict, seed: int, device: str, relabel: bool, draw):
    X, Y = draw(cfg["n_per_class"], 3, cfg["noise"], seed=seed)  # draw: R.make_spiral, or P.spiral (public)
    g = _shuffler(cfg, seed)
    labels = _relabelling(g, 3) if relabel else torch.arange(3)
    order = torch.randperm(len(X), generator=g)
    return X[order].to(device), labels[Y[order]].to(device), labels


def _fit(nb, X: torch.Tensor, Y: torch.Tensor, device: str, budget: float, what: str):
    t0 = time.perf_counter()
    try:
        model = nb.call("fit_spiral", X, Y, device, timeout=budget)
    except CallTimeout:
        raise AssertionError(
            f"{what}: training took longer than the time budget of {budget:g} s, so it gets no points; "
            "train for fewer epochs or use a smaller model") from None
    elapsed = time.perf_counter() - t0
    expect_handle(model, what, "module")
    devices = module_devices(model)
    if not devices <= {device}:
        raise KnownMistake("device_left_on_cpu" if devices == {"cpu"} else "", (
            f"{what}: the model's parameters are on {', '.join(sorted(devices))}; build it on the given device ({device})"))
    return model, elapsed


def predictions(nb, model, X: torch.Tensor, g: torch.Generator, cfg: dict, device: str, what: str) -> torch.Tensor:
    """The model's logits for X [n, 2] (rows in X's order), asked for twice: once for all points
    in one shuffled batch, once in another order cut into batches of other sizes. A point whose
    predicted class differs between the two is counted; more than the config allows fails."""
    n = len(X)
    first = torch.randperm(n, generator=g)
    logits = _forward(nb, model, X[first], device, what)
    out = torch.empty_like(logits)
    out[first] = logits
    second = torch.randperm(n, generator=g)
    lo, hi = cfg["batch_sizes"]
    again, start = torch.empty_like(logits), 0
    while start < n:
        size = int(torch.randint(lo, hi + 1, (1,), generator=g))
        idx = second[start:start + size]
        again[idx] = _forward(nb, model, X[idx], device, what)
        start += size
    moved = int((out.argmax(1) != again.argmax(1)).sum())
    assert moved <= cfg["max_order_disagreement"] * n, (
        f"{what}: the model predicted another class for {moved} of {n} held-out points when they came in another "
        "order or in batches of other sizes; a classifier's prediction for a point must depend on that point only "
        "(call model.eval() before returning it if it uses dropout or batch norm)")
    return out


def _forward(nb, model, x: torch.Tensor, device: str, what: str) -> torch.Tensor:
    logits = expect_tensor(nb.forward(model, x.to(device)), f"{what}: the model's output for [n, 2] inputs",
                           shape=(x.shape[0], 3), device=device)
    assert logits.is_floating_point(), f"{what}: the model's output has dtype {logits.dtype}, expected float logits"
    return logits.detach().cpu()


def _heldout_accuracy(nb, model, seed: int, cfg: dict, device: str, what: str, labels: torch.Tensor, draw) -> float:
    Xh, Yh = draw(cfg["n_heldout_per_class"], 3, cfg["noise"], seed=seed)
    logits = predictions(nb, model, Xh, _shuffler(cfg, seed, 1), cfg, device, what)
    return P.accuracy(logits, labels[Yh])


def _affine(nb, model, device: str) -> bool:
    """Whether the model computes an affine function of its input that is not constant (from its
    outputs on points of the plane; a model whose outputs cannot be read is not called affine)."""
    gen = torch.Generator().manual_seed(11)
    try:
        affine, outs = affine_outputs(nb, model, torch.randn(64, 2, generator=gen), torch.randn(64, 2, generator=gen),
                                      "fit_spiral", 3, device)
    except (AssertionError, SubmissionFault):
        return False
    return affine and not close(outs[0], outs[1])  # a constant "model" is no linear classifier


def _credit(credit, accs: list[float], times: list[float], cfg: dict, where: str, nb=None, model=None,
            device: str = "cpu") -> None:
    med = statistics.median(accs)
    low, high = cfg["low_bar"], cfg["high_bar"]
    frac = P.linear_partial_credit(med, low, high)
    # The message quotes the published bars, not the grader's more lenient ones: whoever is
    # short of full points here is short of the published bar too.
    each = f" (each {', '.join(f'{a:.3f}' for a in accs)})" if len(accs) > 1 else ""
    if frac < 1.0:
        affine = nb is not None and _affine(nb, model, device)
        credit.set(frac, f"fit_spiral: {'median ' if len(accs) > 1 else ''}held-out accuracy {med:.3f} {where}{each}, "
                         f"training took at most {max(times):.1f} s; the notebook's bar: full points at "
                         f"{cfg['published_high_bar']:.2f}, partial credit above {cfg['published_low_bar']:.2f}",
                   mistake="fit_spiral_affine" if affine else "")


@dataclass(frozen=True)
class Fit:
    """One training of the student's fit_spiral: the model (in the worker), how long it took,
    and the label permutation its training data had."""

    model: Any
    seconds: float
    labels: torch.Tensor
    what: str


# fit_spiral's trainings in one grading, by training seed, kept per notebook worker (one per
# submission): each model is trained once, whichever check needs it first. Module-level rather
# than a fixture of fixtures.py, which the public check, released to students, may not use.
_TRAININGS: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()


def _trained(nb, cfg: dict, seed: int, device: str, public: bool, draw) -> Fit:
    """The model fit_spiral trains on the spiral of `seed` (drawn by `draw`), trained once per
    grading whichever check asks first (the public example's model is also one of the held-out
    check's three); a training that failed fails every check that needs it, with its first
    message."""
    models = _TRAININGS.setdefault(nb, {})
    if seed not in models:
        X, Y, labels = _training_data(cfg, seed, device, relabel=not public, draw=draw)
        what = f"fit_spiral(the spiral of seed {seed})" if public else "fit_spiral(a spiral drawn by the grader)"
        try:
            model, elapsed = _fit(nb, X, Y, device, cfg["time_budget_s"], what)
            models[seed] = Fit(model, elapsed, labels, what)
        except (AssertionError, SubmissionFault) as e:
            models[seed] = e
    fit = models[seed]
    if isinstance(fit, BaseException):
        raise fit
    return fit


@grader_only
def _prefetch_picture_reference(cfg: dict) -> None:
    """Start training the picture's reference model while the worker trains the student's."""
    prefetch(_reference_grid_logits, cfg["notebook_spiral"], cfg["notebook_heldout_spiral"], cfg["n_per_class"], cfg["noise"])


@check("check_fit_spiral", points=2, public=True)
def test_fit_spiral_public(nb, device, assignment, credit):
    "fit_spiral: the notebook's example: trained on spiral seed 7, accuracy on held-out spiral seed 8 (both shuffled)"
    cfg = assignment["fit_spiral"]
    _prefetch_picture_reference(cfg)
    fit = _trained(nb, cfg, cfg["notebook_spiral"], device, public=True, draw=P.spiral)
    acc = _heldout_accuracy(nb, fit.model, cfg["notebook_heldout_spiral"], cfg, device, fit.what, fit.labels,
                            draw=P.spiral)
    _credit(credit, [acc], [fit.seconds], cfg, f"on the spiral of seed {cfg['notebook_heldout_spiral']}", nb, fit.model,
            device)
    try:
        credit.details.update(_boundary_picture(nb, fit.model, cfg, device) or {})
    except (AssertionError, SubmissionFault):
        pass  # the picture is a courtesy for the feedback page; it never costs points


@reference
def _reference_grid_logits(seed: int, heldout_seed: int, n_per_class: int, noise: float) -> torch.Tensor:
    """The classic ReLU + Adam model of the notebook trained on the public spiral of `seed`, its
    logits on the picture's grid over the public spiral of `heldout_seed`: the same for every
    submission, so computed once per grading process (about 2 s on one thread)."""
    X, Y = R.make_spiral(n_per_class, 3, noise, seed=seed, device="cpu")
    Xh, _ = R.make_spiral(n_per_class, 3, noise, seed=heldout_seed, device="cpu")
    grid, _ = grid_points(Xh)
    model = R.fit_reference(X, Y)  # on the grading process's one torch thread
    with torch.no_grad():
        return model(torch.from_numpy(grid))


@grader_only
def _boundary_picture(nb, model, cfg: dict, device: str) -> dict:
    """The student's and the reference model's decision regions over the notebook's public
    held-out spiral (seed 8), for the feedback page. The hidden seeds' data is never drawn."""
    seed, held = cfg["notebook_spiral"], cfg["notebook_heldout_spiral"]
    Xh, Yh = R.make_spiral(cfg["n_heldout_per_class"], 3, cfg["noise"], seed=held, device="cpu")
    grid, extent = grid_points(Xh)
    student = predictions(nb, model, torch.from_numpy(grid), _shuffler(cfg, held, 2), cfg, device,
                          "fit_spiral: the model's output on a grid")
    reference_logits = _reference_grid_logits(seed, held, cfg["n_per_class"], cfg["noise"])
    return boundary_details(student, reference_logits, Xh, Yh, extent,
                            caption=f"trained on the notebook's spiral (seed {seed}), shown on the spiral of seed {held}")


@check("check_fit_spiral", points=8)
def test_fit_spiral_heldout(nb, device, assignment, credit):
    "fit_spiral: median accuracy on three held-out spirals of hidden seeds, of the models trained on the notebook's spiral and on two spirals the grader draws with hidden seeds (shuffled, labels permuted)"
    cfg = assignment["fit_spiral"]
    trainings = [(seed, False) for seed in cfg["seeds"]] + [(cfg["notebook_spiral"], True)]
    assert len(trainings) == len(cfg["heldout_seeds"]), "assignment.toml: one held-out seed per training"
    accs, times = [], []
    for (seed, public), held_seed in zip(trainings, cfg["heldout_seeds"]):
        fit = _trained(nb, cfg, seed, device, public, draw=P.spiral if public else R.make_spiral)
        times.append(fit.seconds)
        accs.append(_heldout_accuracy(nb, fit.model, held_seed, cfg, device, fit.what, fit.labels,
                                      draw=R.make_spiral))
    _credit(credit, accs, times, cfg, f"over {len(accs)} held-out spirals", nb, fit.model, device)

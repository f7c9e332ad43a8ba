"""Public checks of check_randn_histogram (01_tensor_ops), cut by `autograder release` from the
grader's check file: the code the grader runs for them. Generated: do not edit. The grader
also runs hidden checks with other inputs, so "public checks passed" is not the grade."""


from __future__ import annotations
import torch
from autograder.checks import (
    axes_bars, check, close, expect_handle, expect_tensor, expect_tuple, figure_axes,
)


def _histogram(nb, n: int, bins: int, seed: int):
    what = f"randn_histogram({n}, {bins}, {seed})"
    counts, fig = expect_tuple(nb.call("randn_histogram", n, bins, seed), what, 2)
    counts = expect_tensor(counts, f"{what}, counts", shape=(bins,))
    c = counts.detach().cpu().double()
    assert bool((c >= 0).all()) and bool((c == c.round()).all()), f"{what}: the counts must be whole numbers >= 0"
    assert int(c.sum().item()) == n, f"{what}: the counts add up to {int(c.sum().item())}, expected {n}"
    return what, c, fig


def _judge_figure(what: str, fig, c: torch.Tensor, bins: int) -> dict:
    fig = expect_handle(fig, f"{what}, second value", "figure")
    axes = figure_axes(fig)
    assert len(axes) == 1, f"{what}: expected a Figure with a single Axes, got {len(axes)}"
    heights = axes_bars(axes[0])
    assert len(heights) == bins, f"{what}: expected {bins} bars in the Axes, got {len(heights)}"
    assert close(torch.tensor(heights, dtype=torch.float64), c, atol=1e-6), (
        f"{what}: the bar heights, left to right, are not the returned counts")
    return axes[0]


def _judge_shape_of_histogram(what: str, c: torch.Tensor) -> None:
    bins = c.numel()
    assert c[0] >= 1 and c[-1] >= 1, (
        f"{what}: the bins should go from the samples' minimum to their maximum, so the first and last are not empty")
    mid = slice(bins * 7 // 20, bins * 13 // 20)
    tails = c[: bins // 5].sum() + c[bins - bins // 5:].sum()
    assert c[mid].sum() > tails, f"{what}: a histogram of normal samples should be highest in the middle"


@check("check_randn_histogram", points=1, public=True)
def test_randn_histogram_public(nb):
    "randn_histogram: the notebook's example (1000 samples, 20 bins, seed 0): counts, seeds and bars"
    what, c, fig = _histogram(nb, 1000, 20, 0)
    _judge_shape_of_histogram(what, c)
    _, again, _ = _histogram(nb, 1000, 20, 0)
    _, other, _ = _histogram(nb, 1000, 20, 1)
    assert torch.equal(c, again), f"{what}: two calls with the same seed gave different counts"
    assert not torch.equal(c, other), "randn_histogram: seeds 0 and 1 gave the same counts"
    _judge_figure(what, fig, c, 20)

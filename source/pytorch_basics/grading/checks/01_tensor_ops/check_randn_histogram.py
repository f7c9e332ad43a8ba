"""randn_histogram (5 points): counts of n standard-normal samples drawn after seeding, in equal
bins from their minimum to their maximum, and a Figure of those bins as bars. The counts are
compared with the grader's own draws from the same seed, so samples right only in mean and std
fail; bars of the right heights at made-up positions fail the figure check. Known mistakes:
bins over a fixed range instead of the samples' minimum to maximum, bars at the bin numbers."""
from __future__ import annotations

from contextlib import contextmanager

import torch

from autograder.checks import (
    axes_bar_spans, axes_bars, check, close, expect_handle, expect_tensor, expect_tuple, figure_axes, mistaken,
)

# Ranges a fixed-range histogram is usually drawn over: symmetric ones around 0, and [0, 1].
FIXED_RANGES = tuple((-r / 2, r / 2) for r in range(2, 21)) + ((0.0, 1.0),)


def _reference_samples(n: int, seed: int) -> torch.Tensor:
    return torch.randn(n, generator=torch.Generator().manual_seed(seed))  # = torch.manual_seed(seed); torch.randn(n)


def _reference_counts(n: int, bins: int, seed: int) -> torch.Tensor:
    x = _reference_samples(n, seed)
    return torch.histc(x, bins=bins, min=x.min().item(), max=x.max().item())


def _over_a_fixed_range(c: torch.Tensor, n: int, bins: int, seed: int) -> bool:
    """Whether the counts are those of the same samples in bins over a fixed range (or one
    symmetric around 0 reaching the largest |sample|) instead of their minimum to maximum."""
    x = _reference_samples(n, seed)
    top = x.abs().max().item()
    for lo, hi in (*FIXED_RANGES, (-top, top)):
        if (torch.histc(x, bins=bins, min=lo, max=hi).double() - c).abs().sum().item() <= 2:
            return True
    return False


@contextmanager
def _range_mistake(c: torch.Tensor, n: int, bins: int, seed: int):
    """A failure of these counts names the fixed-range mistake when they are that histogram."""
    try:
        yield
    except AssertionError as e:
        right = (c - _reference_counts(n, bins, seed).double()).abs().sum().item() <= 2
        fixed = not right and _over_a_fixed_range(c, n, bins, seed)
        raise mistaken(e, "histogram_fixed_range" if fixed else "") from None


def _histogram(nb, n: int, bins: int, seed: int):
    what = f"randn_histogram({n}, {bins}, {seed})"
    counts, fig = expect_tuple(nb.call("randn_histogram", n, bins, seed), what, 2)
    counts = expect_tensor(counts, f"{what}, counts", shape=(bins,))
    c = counts.detach().cpu().double()
    with _range_mistake(c, n, bins, seed):
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


def _judge_bar_positions(what: str, ax: dict, n: int, bins: int, seed: int) -> None:
    """Each bar stands over its bin: its centre within half a bin of the bin's centre."""
    x = _reference_samples(n, seed).double()
    lo, hi = x.min().item(), x.max().item()
    width = (hi - lo) / bins
    centres = [lo + (i + 0.5) * width for i in range(bins)]
    spans = axes_bar_spans(ax)
    # bars at the bin numbers 0, 1, 2, ... (edge- or centre-aligned): a known mistake
    at_numbers = len(spans) == bins and any(all(abs(left + shift * w - i) < 1e-6 for i, (left, _, w) in enumerate(spans))
                                           for shift in (0.0, 0.5))
    for i, ((left, _, w), want) in enumerate(zip(spans, centres), 1):
        try:
            assert abs(left + w / 2 - want) <= width / 2, (
                f"{what}: bar {i} does not stand over bin {i}; the bars should sit at {bins} equal-width bins from "
                "the samples' minimum to their maximum (the x axis shows the sample values)")
        except AssertionError as e:
            raise mistaken(e, "histogram_bars_at_indices" if at_numbers else "") from None


def _judge_shape_of_histogram(what: str, c: torch.Tensor, n: int, seed: int) -> None:
    with _range_mistake(c, n, c.numel(), seed):
        _judge_peak(what, c)


def _judge_peak(what: str, c: torch.Tensor) -> None:
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
    _judge_shape_of_histogram(what, c, 1000, 0)
    _, again, _ = _histogram(nb, 1000, 20, 0)
    _, other, _ = _histogram(nb, 1000, 20, 1)
    assert torch.equal(c, again), f"{what}: two calls with the same seed gave different counts"
    assert not torch.equal(c, other), "randn_histogram: seeds 0 and 1 gave the same counts"
    _judge_figure(what, fig, c, 20)


@check("check_randn_histogram", points=1)
def test_randn_histogram_counts(nb):
    "randn_histogram: counts of length bins that add up to n, highest in the middle, for other n and bins"
    for n, bins in ((5000, 7), (20000, 40)):
        what, c, _ = _histogram(nb, n, bins, 3)
        _judge_shape_of_histogram(what, c, n, 3)


@check("check_randn_histogram", points=1)
def test_randn_histogram_values(nb):
    "randn_histogram: equal-width bins from min to max of n torch.randn samples drawn after seeding with seed"
    for n, bins, seed in ((5000, 7, 11), (800, 16, 2024)):
        what, c, _ = _histogram(nb, n, bins, seed)
        ref = _reference_counts(n, bins, seed)
        # a sample on a bin edge may fall either side depending on how the edges are computed
        with _range_mistake(c, n, bins, seed):
            assert (c - ref).abs().sum().item() <= 2, (
                f"{what}: the counts do not match {bins} equal-width bins from the minimum to the maximum of "
                f"{n} samples of torch.randn drawn after seeding torch with {seed}")


@check("check_randn_histogram", points=1)
def test_randn_histogram_seed(nb):
    "randn_histogram: the same seed gives the same counts, another seed other counts (other n and bins)"
    _, c1, _ = _histogram(nb, 2000, 12, 5)
    _, c2, _ = _histogram(nb, 2000, 12, 5)
    _, c3, _ = _histogram(nb, 2000, 12, 6)
    assert torch.equal(c1, c2), "randn_histogram(2000, 12, 5): two calls with the same seed gave different counts"
    assert not torch.equal(c1, c3), "randn_histogram: seeds 5 and 6 gave the same counts"


@check("check_randn_histogram", points=1)
def test_randn_histogram_figure(nb):
    "randn_histogram: the Figure has one Axes with `bins` bars over the bins, whose heights are the counts (other bins)"
    for n, bins, seed in ((3000, 9, 1), (500, 33, 8)):
        what, c, fig = _histogram(nb, n, bins, seed)
        ax = _judge_figure(what, fig, c, bins)
        _judge_bar_positions(what, ax, n, bins, seed)

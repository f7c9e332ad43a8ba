"""Readers of figure summaries: bars, filled regions, drawn points (see the worker's
`figure_summary`), and how well what a figure shows agrees with the grader's own values."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable, Sequence

import torch

from autograder.checks.summaries import short_type, summary_number
from autograder.reporters.html.plots import boundary_details, grid_points  # noqa: F401 (feedback pictures)
from autograder.sandbox import Handle
from autograder.sandbox.worker_summaries import figure_summary  # noqa: F401 (what a worker sends for a Figure)

FILLED_TYPES = ("QuadContourSet", "ContourSet", "QuadMesh", "PolyCollection", "PolyQuadMesh")
SCATTER_TYPES = ("PathCollection",)


def figure_axes(handle: Handle) -> list[dict]:
    return [a for a in handle.summary.get("axes", []) if isinstance(a, dict)]


def axes_bars(ax: dict) -> list[float]:
    """Bar heights, left to right."""
    return [h for _, h, _ in axes_bar_spans(ax)]


def axes_bar_spans(ax: dict) -> list[tuple[float, float, float]]:
    """(left, height, width) of every bar, left to right."""
    xs = [summary_number(v) for v in ax.get("bar_x", [])]
    hs = [summary_number(v) for v in ax.get("bar_heights", [])]
    ws = [summary_number(v) for v in ax.get("bar_widths", [])]
    return sorted(zip(xs, hs, ws), key=lambda p: p[0])


def _limits(ax: dict, key: str) -> tuple[float, float]:
    lo, hi = sorted(summary_number(v) for v in list(ax.get(key) or (0, 0))[:2])
    return lo, hi


def _is_filled(ax: dict) -> bool:
    return summary_number(ax.get("n_images"), 0) > 0 or any(
        short_type(c.get("type")) in FILLED_TYPES and c.get("filled") is not False
        for c in ax.get("collections", []) if isinstance(c, dict))


def filled_axes(handle: Handle) -> list[dict]:
    """The Axes that show filled regions (contourf, pcolormesh or imshow)."""
    return [ax for ax in figure_axes(handle) if _is_filled(ax)]


def has_filled_regions(handle: Handle, X: torch.Tensor) -> tuple[bool, str]:
    """(ok, why not): some Axes shows filled regions (contourf, pcolormesh or imshow) and its
    limits take in the data's bounding box."""
    axes = figure_axes(handle)
    if not axes:
        return False, "the Figure has no Axes"
    lo, hi = X.min(dim=0).values.tolist(), X.max(dim=0).values.tolist()
    for ax in filled_axes(handle):
        (x0, x1), (y0, y1) = _limits(ax, "xlim"), _limits(ax, "ylim")
        eps = 1e-6
        if x0 <= lo[0] + eps and x1 >= hi[0] - eps and y0 <= lo[1] + eps and y1 >= hi[1] - eps:
            return True, ""
        return False, "the filled decision regions do not cover the data's bounding box"
    return False, ("no filled decision regions found: draw the model's predicted class over a grid with "
                   "contourf, pcolormesh or imshow")


def _scatter_collections(ax: dict) -> list[dict]:
    return [c for c in ax.get("collections", []) if isinstance(c, dict) and short_type(c.get("type")) in SCATTER_TYPES]


def scatter_points(handle: Handle) -> int:
    """Points drawn by scatter (or plotted as markers) in the Axes holding the most."""
    best = 0
    for ax in figure_axes(handle):
        n = sum(int(summary_number(c.get("n_offsets"), 0)) for c in _scatter_collections(ax))
        n += sum(int(summary_number(line.get("n_points"), 0)) for line in ax.get("lines", []) if isinstance(line, dict))
        best = max(best, n)
    return best


def drawn_points(ax: dict) -> torch.Tensor:
    """[n, 2] float64: the points scatter (or plot with markers) drew in this Axes."""
    pts: list = []
    for c in _scatter_collections(ax):
        pts += c.get("offsets") or []
    for line in ax.get("lines", []):
        if isinstance(line, dict):
            pts += line.get("xy") or []
    rows = [p for p in pts if isinstance(p, (list, tuple)) and len(p) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in p)]
    return torch.tensor(rows, dtype=torch.float64).reshape(-1, 2)


def shows_points(handle: Handle, X: torch.Tensor, tol: float = 1e-4) -> bool:
    """Some Axes draws exactly the points of X (in any order): as many points, each within
    `tol` (relative to the data's extent) of a point of X and the other way round."""
    X = X.detach().cpu().double()
    scale = float((X.max(0).values - X.min(0).values).max().clamp_min(1e-12))
    for ax in figure_axes(handle):
        P = drawn_points(ax)
        if P.shape[0] != X.shape[0] or not len(X):
            continue
        d = torch.cdist(X, P)
        if d.min(1).values.max() <= tol * scale and d.min(0).values.max() <= tol * scale:
            return True
    return False


@dataclass(frozen=True)
class RegionAgreement:
    """How the colours a figure fills its regions with line up with the classes the grader's
    model predicts at the same places (probe points of the figure summary)."""

    probed: int  # probe points inside the box that was judged
    recall: dict[int, float]  # class -> share of its probe points shown in its own colour
    shared_colour: tuple[int, ...] = ()  # classes drawn in the same colour as another class
    error: str = ""

    @property
    def mean_recall(self) -> float:
        return sum(self.recall.values()) / len(self.recall) if self.recall else 0.0


def region_agreement(ax: dict, predict: Callable[[torch.Tensor], torch.Tensor],
                     box: tuple[Sequence[float], Sequence[float]], min_share: float = 0.02) -> RegionAgreement:
    """Compare the Axes' filled colours with `predict(points [n, 2]) -> classes [n]` at the
    probe points inside `box` (lo, hi). Each class covering at least `min_share` of them is
    given the colour most of its points show; the result says how much of each class shows
    that colour, and which classes share one (a constant picture puts every class in one)."""
    probe = ax.get("fill_probe")
    if not isinstance(probe, dict) or "index" not in probe:
        return RegionAgreement(0, {}, error=str((probe or {}).get("error", "")) if isinstance(probe, dict) else "")
    try:
        xs = torch.tensor([float(v) for v in probe["x"]], dtype=torch.float64)
        ys = torch.tensor([float(v) for v in probe["y"]], dtype=torch.float64)
        index = torch.tensor(probe["index"], dtype=torch.int64)
    except (TypeError, ValueError, RuntimeError):
        return RegionAgreement(0, {}, error="the picture could not be read")
    if index.shape != (len(ys), len(xs)):
        return RegionAgreement(0, {}, error="the picture could not be read")
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    pts = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)
    shown = index.reshape(-1)
    (lo, hi) = box
    inside = ((pts >= torch.tensor(lo, dtype=torch.float64)) & (pts <= torch.tensor(hi, dtype=torch.float64))).all(1)
    pts, shown = pts[inside], shown[inside]
    if not len(pts):
        return RegionAgreement(0, {})
    classes = predict(pts.float()).reshape(-1).cpu()
    recall, colour = {}, {}
    for c in sorted(set(classes.tolist())):
        mine = shown[classes == c].tolist()
        if len(mine) < min_share * len(pts):
            continue
        colour[c], n = Counter(mine).most_common(1)[0]
        recall[c] = n / len(mine)
    by_colour = Counter(colour.values())
    shared = tuple(c for c, col in colour.items() if by_colour[col] > 1)
    return RegionAgreement(len(pts), recall, shared)

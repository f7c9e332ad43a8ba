"""Pictures for the HTML pages, rendered in the grader (never in a worker) as PNG bytes.

The decision-boundary picture of `fit_spiral` is drawn from plain numbers: the model's logits on
a grid (obtained by the check with `forward(handle, grid)`) and the points to show. A check
stores the pictures in `CheckResult.details` with `boundary_details(...)`:

    details["boundary_png"]            the student's model (base64 PNG)
    details["reference_boundary_png"]  the reference model, same grid and points (base64 PNG)
    details["boundary_caption"]        one line saying what the picture shows (optional)

and the feedback page shows them side by side.
"""
from __future__ import annotations

import base64
import io
from typing import Any, Sequence

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CLASS_COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860")


def _np(x: Any):
    import numpy as np

    if hasattr(x, "detach"):  # a torch tensor
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def grid_points(X: Any, steps: int = 120, margin: float = 0.15):
    """A [steps*steps, 2] float32 grid over the bounding box of X (plus a margin), and its
    extent (x0, x1, y0, y1): feed the grid to the model, pass its logits to
    `decision_boundary_png`."""
    import numpy as np

    X = _np(X).astype("float64")
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = (hi - lo) * margin + 1e-6
    lo, hi = lo - pad, hi + pad
    xs = np.linspace(lo[0], hi[0], steps)
    ys = np.linspace(lo[1], hi[1], steps)
    gx, gy = np.meshgrid(xs, ys)
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1).astype("float32")
    return grid, (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))


def decision_boundary_png(grid_logits: Any, X: Any, Y: Any, extent: Sequence[float] | None = None,
                          title: str = "", size_px: int = 360, max_points: int = 900) -> bytes:
    """PNG of the decision regions given by `grid_logits` (logits or class ids on a square grid,
    shaped [G*G, C], [G, G, C], [G*G] or [G, G], row-major from the bottom-left as
    `grid_points` builds it) with the points X [n, 2] coloured by their labels Y on top."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import numpy as np
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure

    z = _np(grid_logits)
    if z.ndim in (2, 3) and z.shape[-1] > 1 and not (z.ndim == 2 and z.shape[0] == z.shape[1] and z.dtype.kind in "iu"):
        z = z.argmax(axis=-1)
    z = z.reshape(-1)
    g = int(round(len(z) ** 0.5))
    if g * g != len(z):
        raise ValueError(f"grid_logits holds {len(z)} predictions, not a square grid")
    z = z.reshape(g, g).astype(int)
    X, Y = _np(X).astype("float64"), _np(Y).astype(int).reshape(-1)
    if extent is None:
        _, extent = grid_points(X)
    if len(X) > max_points:  # a picture, not a data dump: a fixed subsample
        idx = np.linspace(0, len(X) - 1, max_points).astype(int)
        X, Y = X[idx], Y[idx]
    n_classes = int(max(z.max(initial=0), Y.max(initial=0))) + 1
    colours = [CLASS_COLOURS[i % len(CLASS_COLOURS)] for i in range(n_classes)]
    dpi = 100
    fig = Figure(figsize=(size_px / dpi, size_px / dpi), dpi=dpi)
    ax = fig.add_axes((0.02, 0.02, 0.96, 0.90 if title else 0.96))
    ax.imshow(z, origin="lower", extent=tuple(extent), cmap=ListedColormap(colours), alpha=0.35,
              vmin=-0.5, vmax=n_classes - 0.5, interpolation="nearest", aspect="auto")
    ax.scatter(X[:, 0], X[:, 1], c=[colours[y % len(colours)] for y in Y], s=6, linewidths=0)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=10)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def png_base64(png: bytes) -> str:
    return base64.b64encode(png).decode("ascii")


def data_uri(b64: str | None) -> str | None:
    """A data: URI for a base64 PNG, or None when the text is not a PNG (never trust details)."""
    if not isinstance(b64, str) or len(b64) > 4_000_000:
        return None
    try:
        head = base64.b64decode(b64[:16] + "=" * (-len(b64[:16]) % 4), validate=True)
        base64.b64decode(b64, validate=True)
    except (ValueError, TypeError):
        return None
    if not head.startswith(PNG_MAGIC):
        return None
    return "data:image/png;base64," + b64


def boundary_details(student_logits: Any, reference_logits: Any, X: Any, Y: Any,
                     extent: Sequence[float], caption: str = "") -> dict[str, str]:
    """What a fit_spiral check puts in `CheckResult.details` for the feedback page."""
    out = {
        "boundary_png": png_base64(decision_boundary_png(student_logits, X, Y, extent, "your model")),
        "reference_boundary_png": png_base64(decision_boundary_png(reference_logits, X, Y, extent,
                                                                   "reference model")),
    }
    if caption:
        out["boundary_caption"] = caption
    return out


def histogram_bins(values: Sequence[float], max_value: float, bins: int = 10) -> list[dict[str, Any]]:
    """Counts of `values` in `bins` equal bins from 0 to max_value (the last one closed)."""
    max_value = max(max_value, 1e-9)
    counts = [0] * bins
    for v in values:
        i = min(int(v / max_value * bins), bins - 1) if v > 0 else 0
        counts[i] += 1
    top = max(counts) or 1
    width = max_value / bins
    return [{"lo": round(i * width, 2), "hi": round((i + 1) * width, 2), "count": c,
             "pct": round(100 * c / top, 1)} for i, c in enumerate(counts)]

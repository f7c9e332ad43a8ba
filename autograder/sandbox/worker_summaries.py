"""Plain-data summaries of the objects that stay in the worker (modules, optimizers, figures), and
type names read without calling anything of the object. Runtime module of the worker (copied next
to worker.py; standard library, torch and, when a student uses it, matplotlib).
"""
from __future__ import annotations

import sys

MAX_LISTED = 10_000  # entries of one list in a summary


def type_name(value, qualified: bool = True) -> str:
    """Type name without calling anything of the object (no repr, no __getattr__)."""
    t = type(value)
    mod = t.__dict__.get("__module__") if isinstance(t.__dict__.get("__module__"), str) else ""
    name = type.__dict__["__qualname__"].__get__(t)
    if not isinstance(name, str):
        name = "?"
    return (name if not qualified or mod in ("builtins", "") else f"{mod}.{name}")[:200]


def class_name(value) -> str:
    return type_name(value, qualified=False)



def figure_of(value):
    """The matplotlib Figure of a Figure or Axes; None for anything else (and when matplotlib
    was never imported, nothing can be one)."""
    mfig = sys.modules.get("matplotlib.figure")
    if mfig is None:
        return None
    if isinstance(value, mfig.Figure):
        return value
    maxes = sys.modules.get("matplotlib.axes")
    if maxes is not None and isinstance(value, maxes.Axes):
        fig = value.get_figure()
        while fig is not None and not isinstance(fig, mfig.Figure):
            fig = fig.get_figure()
        return fig
    return None


def close_figures() -> None:
    """Like the notebook's inline backend: figures a cell drew are closed after the cell."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        try:
            plt.close("all")
        except Exception:
            pass


def module_summary(m) -> dict:
    import torch

    modules = []
    for name, sub in list(m.named_modules())[:MAX_LISTED]:
        if next(iter(sub.children()), None) is not None:
            continue  # containers are described by their leaves
        entry = {"name": name, "type": class_name(sub)}
        if isinstance(sub, torch.nn.Linear):
            entry.update(in_features=int(sub.in_features), out_features=int(sub.out_features),
                         bias=sub.bias is not None)
        modules.append(entry)
    params = list(m.named_parameters())
    return {
        "type": class_name(m),
        "modules": modules,
        "n_params": int(sum(p.numel() for _, p in params)),
        "param_devices": sorted({str(p.device) for _, p in params}),
        "param_ids": [id(p) for _, p in params][:MAX_LISTED],
        "parameters": [
            {"name": n, "shape": list(p.shape), "dtype": p.dtype, "requires_grad": p.requires_grad}
            for n, p in params[:MAX_LISTED]
        ],
        "training": bool(m.training),
    }


def optimizer_summary(o) -> dict:
    groups, ids = [], []
    for g in o.param_groups:
        entry = {k: v for k, v in g.items() if k != "params" and type(k) is str}
        entry["param_ids"] = [id(p) for p in g["params"]][:MAX_LISTED]
        ids.extend(entry["param_ids"])
        groups.append(entry)
    return {"type": class_name(o), "param_groups": groups, "param_ids": ids[:MAX_LISTED]}


def figure_summary(fig) -> dict:
    from matplotlib.collections import PathCollection
    from matplotlib.patches import Rectangle

    points_cap, steps = 4096, 40

    def fill_probe(ax) -> dict:
        # What the filled regions show, as checks can compare it with a model's predictions:
        # the figure is rendered with points, lines and text hidden, and the colour of the
        # pixel at the centre of each cell of a steps x steps grid over the view limits is
        # read back (palette of RGB triples + one palette index per cell, rows bottom-up).
        import numpy as np
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        shown = [c for c in ax.collections if isinstance(c, PathCollection)]
        hidden = [a for a in (*shown, *ax.lines, *ax.texts, ax.get_legend(), ax.xaxis, ax.yaxis)
                  if a is not None and a.get_visible()]
        canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
        try:
            for a in hidden:
                a.set_visible(False)
            canvas.draw()
            rgb = np.asarray(canvas.buffer_rgba())[..., :3]
            (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
            xs = x0 + (np.arange(steps) + 0.5) * (x1 - x0) / steps
            ys = y0 + (np.arange(steps) + 0.5) * (y1 - y0) / steps
            gx, gy = np.meshgrid(xs, ys)
            px = ax.transData.transform(np.stack([gx.ravel(), gy.ravel()], axis=1))
        finally:
            for a in hidden:
                a.set_visible(True)
        h, w = rgb.shape[:2]
        cols = np.clip(px[:, 0].astype(int), 0, w - 1)
        rows = np.clip(h - 1 - px[:, 1].astype(int), 0, h - 1)
        palette, index = np.unique(rgb[rows, cols].reshape(-1, 3), axis=0, return_inverse=True)
        return {"x": xs.tolist(), "y": ys.tolist(), "palette": palette[:MAX_LISTED].tolist(),
                "index": index.reshape(steps, steps).tolist()}

    def line_points(line):
        try:
            return [[float(x), float(y)] for x, y in zip(line.get_xdata()[:points_cap], line.get_ydata()[:points_cap])]
        except Exception:  # not numbers (dates, categories): no points to compare
            return None

    axes = []
    for ax in fig.axes:
        rects = [p for p in ax.patches if isinstance(p, Rectangle)]
        colls = []
        for c in ax.collections:
            entry = {"type": class_name(c)}
            for key, fn in (("n_offsets", lambda: len(c.get_offsets())),
                            ("n_paths", lambda: len(c.get_paths())),
                            ("filled", lambda: getattr(c, "filled", None)),
                            ("offsets", lambda: [[float(v) for v in p[:2]] for p in c.get_offsets()[:points_cap]]
                             if isinstance(c, PathCollection) else None)):
                try:
                    entry[key] = fn()
                except Exception:
                    entry[key] = None
            colls.append(entry)
        probe = None
        if ax.images or any(not isinstance(c, PathCollection) for c in ax.collections):
            try:
                probe = fill_probe(ax)
            except Exception as e:  # a hostile figure: the summary says so
                probe = {"error": class_name(e)}
        axes.append({
            "title": str(ax.get_title()),
            "xlabel": str(ax.get_xlabel()),
            "ylabel": str(ax.get_ylabel()),
            "xlim": [float(v) for v in ax.get_xlim()],
            "ylim": [float(v) for v in ax.get_ylim()],
            "n_rectangles": len(rects),
            "bar_x": [float(r.get_x()) for r in rects[:MAX_LISTED]],
            "bar_heights": [float(r.get_height()) for r in rects[:MAX_LISTED]],
            "bar_widths": [float(r.get_width()) for r in rects[:MAX_LISTED]],
            "collections": colls[:MAX_LISTED],
            "n_images": len(ax.images),
            "lines": [{"n_points": len(line.get_xdata()), "xy": line_points(line)} for line in ax.lines[:MAX_LISTED]],
            "legend": ax.get_legend() is not None,
            "fill_probe": probe,
        })
    sup = getattr(fig, "_suptitle", None)
    return {"type": class_name(fig), "axes": axes,
            "suptitle": str(sup.get_text()) if sup is not None else ""}


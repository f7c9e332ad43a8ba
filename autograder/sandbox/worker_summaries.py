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
    from matplotlib.patches import Rectangle

    axes = []
    for ax in fig.axes:
        rects = [p for p in ax.patches if isinstance(p, Rectangle)]
        colls = []
        for c in ax.collections:
            entry = {"type": class_name(c)}
            for key, fn in (("n_offsets", lambda: len(c.get_offsets())),
                            ("n_paths", lambda: len(c.get_paths())),
                            ("filled", lambda: getattr(c, "filled", None))):
                try:
                    entry[key] = fn()
                except Exception:
                    entry[key] = None
            colls.append(entry)
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
            "lines": [{"n_points": len(line.get_xdata())} for line in ax.lines[:MAX_LISTED]],
            "legend": ax.get_legend() is not None,
        })
    sup = getattr(fig, "_suptitle", None)
    return {"type": class_name(fig), "axes": axes,
            "suptitle": str(sup.get_text()) if sup is not None else ""}


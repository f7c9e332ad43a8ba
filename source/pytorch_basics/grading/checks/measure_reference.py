"""Measures the reference figures the thresholds in assignment.toml were set from.

    .venv/bin/python source/pytorch_basics/grading/checks/measure_reference.py [fit|fit_grader|gradient_norms|vectorised|geometry|train|train_time|normality|order|regions|all]

Runs in the grader's environment only (never collected as a check: the engine runs only the
files named after grade cells, <notebook>/<grade id>.py).
One thread, as the workers use. Timings on a shared 2-core machine are noisy: read them as orders
of magnitude.
"""
from __future__ import annotations

import io
import math
import random
import statistics
import sys
import time
from pathlib import Path

import torch

from autograder.checks import import_helper

R = import_helper(Path(__file__).resolve().parent, "pytorch_basics", "reference")


def fit(seeds=range(5)) -> None:
    for name, fn in (("classic ReLU H=100 + Adam lr 1e-3, 1000 epochs", lambda X, Y, s: R.fit_reference(X, Y, seed=s)),
                     ("answer key 2x64 ReLU + Adam lr 1e-2 cosine, 1000 epochs", lambda X, Y, s: R.fit_key(X, Y))):
        accs, times = [], []
        for s in seeds:
            X, Y = R.make_spiral(1000, 3, 0.2, seed=1000 + s)
            Xh, Yh = R.make_spiral(1000, 3, 0.2, seed=2000 + s)
            t = time.perf_counter()
            m = fn(X, Y, s)
            times.append(time.perf_counter() - t)
            with torch.no_grad():
                accs.append(R.accuracy(m(Xh), Yh))
        print(f"fit: {name}: held-out accuracy {[round(a, 3) for a in accs]} "
              f"median {statistics.median(accs):.3f}; seconds per fit {[round(t, 2) for t in times]}")
    memo = [1 / 3]  # a model that only knows the training points predicts one class elsewhere
    print(f"fit: a memoriser (one class for unseen points) scores {memo[0]:.3f}")


def fit_grader() -> None:
    """The held-out accuracies the fit_spiral checks compute, on the grader's own trainings
    (assignment.toml: the two hidden training spirals, relabelled, and the public one, each
    judged on its held-out spiral), for the reference models and lazy ones."""
    import tomllib

    cfg = tomllib.loads((Path(__file__).resolve().parents[1] / "assignment.toml").read_text())["fit_spiral"]
    fs = import_helper(Path(__file__).resolve().parent, "pytorch_basics", "02_spiral_classification.check_fit_spiral")
    trainings = [(s, False) for s in cfg["seeds"]] + [(cfg["notebook_spiral"], True)]

    def linear_sgd(X, Y):
        torch.manual_seed(0)
        m = R.mlp([2, 100, 3], relu=False)
        R.train_reference(m, X, Y, torch.optim.SGD(m.parameters(), lr=1e-3, weight_decay=1e-5), 1000)
        return m

    def spiral_law(X, Y):  # never learns from its labels: the class of the nearest noise-free arm
        arms, _ = R.make_spiral(1000, 3, 0.0, seed=0)
        return lambda x: torch.nn.functional.one_hot(torch.cdist(x, arms).argmin(1) // 1000, 3).float()

    for name, fn in (("classic ReLU H=100 + Adam", lambda X, Y: R.fit_reference(X, Y)), ("answer key", R.fit_key),
                     ("linear model + SGD", linear_sgd), ("the spiral's law, not learned", spiral_law)):
        accs, times = [], []
        for (seed, public), held in zip(trainings, cfg["heldout_seeds"]):
            X, Y, labels = fs._training_data(cfg, seed, "cpu", relabel=not public)
            t = time.perf_counter()
            m = fn(X, Y)
            times.append(time.perf_counter() - t)
            Xh, Yh = R.make_spiral(cfg["n_heldout_per_class"], 3, cfg["noise"], seed=held)
            with torch.no_grad():
                accs.append(R.accuracy(m(Xh), labels[Yh]))
        credit = R.linear_partial_credit(statistics.median(accs), cfg["low_bar"], cfg["high_bar"])
        print(f"fit_grader: {name}: held-out accuracy {[round(a, 3) for a in accs]} (hidden, hidden, public "
              f"training) median {statistics.median(accs):.3f}, credit {credit:.2f}; seconds {[round(t, 2) for t in times]}")


def gradient_norms(n=20) -> None:
    for act in ("sigmoid", "relu"):
        rs = torch.tensor([(lambda g: g[0] / g[-1])(R.gradient_norms(10, act, s)) for s in range(n)])
        print(f"gradient_norms: {act} depth 10 first/last over {n} seeds: min {rs.min():.2e} "
              f"median {rs.median():.2e} max {rs.max():.2e}")


def _vectorised(n, c=3, noise=0.2, seed=1):
    return R.make_spiral(n, c, noise, seed)


def _python_float_loop(n, c=3, noise=0.2, seed=1):
    rng = random.Random(seed)
    X, Y = [], []
    for k in range(c):
        for i in range(n):
            t = i / (n - 1)
            a = 2 * math.pi * (k + 2 * t) / c + noise * rng.gauss(0, 1)
            X.append((t * math.sin(a), t * math.cos(a)))
            Y.append(k)
    return torch.tensor(X, dtype=torch.float32), torch.tensor(Y)


def _torch_loop(n, c=3, noise=0.2, seed=1):
    torch.manual_seed(seed)
    X = torch.zeros(n * c, 2)
    Y = torch.zeros(n * c, dtype=torch.long)
    for k in range(c):
        t = torch.linspace(0, 1, n)
        a0 = torch.linspace(2 * math.pi * k / c, 2 * math.pi * (k + 2) / c, n)
        for i in range(n):
            a = a0[i] + noise * torch.randn(1)
            X[k * n + i, 0] = t[i] * torch.sin(a)
            X[k * n + i, 1] = t[i] * torch.cos(a)
            Y[k * n + i] = k
    return X, Y


def vectorised() -> None:
    for f, big in ((_vectorised, 200000), (_python_float_loop, 200000), (_torch_loop, 10000)):
        ts = {}
        for n in (100, big):
            runs = []
            for _ in range(2):
                t = time.perf_counter()
                f(n)
                runs.append(time.perf_counter() - t)
            ts[n] = min(runs)
        per_point = (ts[big] - ts[100]) / (3 * (big - 100)) * 1e6
        print(f"vectorised: {f.__name__.strip('_')}: {3 * big} points {ts[big]:.3f} s; marginal {per_point:.3f} us/point; "
              f"600k points extrapolated {per_point * 0.6:.2f} s")


def geometry(seeds=range(10)) -> None:
    n, c = 2000, 3
    for noise in (0.2, 0.5):
        means, rel = [], []
        for s in seeds:
            X, _ = R.make_spiral(n, c, noise, seed=s)
            X = X.double()
            keep = X.norm(dim=1) > 0.05
            r = R.wrap_angle(torch.atan2(X[:, 0], X[:, 1]) - R.spiral_angle_law(n, c))[keep]
            means.append(r.mean().item())
            rel.append(r.std().item() / noise - 1)
        print(f"geometry: noise {noise}: residual mean in [{min(means):+.4f}, {max(means):+.4f}], "
              f"std/noise - 1 in [{min(rel):+.4f}, {max(rel):+.4f}] over {len(means)} seeds")
    X, _ = R.make_spiral(300, 3, 0.0, seed=0)
    X = X.double()
    keep = X.norm(dim=1) > 0.05
    r = R.wrap_angle(torch.atan2(X[:, 0], X[:, 1]) - R.spiral_angle_law(300, 3))[keep]
    rad = (X.norm(dim=1).reshape(3, 300) - torch.linspace(0, 1, 300, dtype=torch.float64)).abs().max()
    print(f"geometry: noise 0: max angle error {r.abs().max():.1e} rad, max radius error {rad:.1e} (float32 data)")


def train() -> None:
    torch.manual_seed(0)
    X, Y = R.make_spiral(60, 3, 0.2, seed=4)
    for kind, lr in (("sgd", 0.5), ("adam", 0.05)):
        torch.manual_seed(1)
        base = R.mlp([2, 16, 3], relu=True)
        m1 = R.mlp([2, 16, 3], relu=True)
        m1.load_state_dict(base.state_dict())
        ref = R.train_reference(m1, X, Y, R.make_torch_optimizer(m1, kind, lr=lr, weight_decay=1e-4), 6)
        m2 = R.mlp([2, 16, 3], relu=True)
        m2.load_state_dict(base.state_dict())
        opt = R.make_torch_optimizer(m2, kind, lr=lr, weight_decay=1e-4)
        losses = []
        for _ in range(6):  # no zero_grad
            loss = torch.nn.functional.cross_entropy(m2(X), Y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        diff = max(abs(a - b) for a, b in zip(ref, losses))
        print(f"train: {kind} lr {lr}: losses {[round(v, 4) for v in ref]}; without zero_grad the losses move by up to {diff:.2e}")


def train_time(repeats=3) -> None:
    """Seconds of the notebook's own largest `train` calls (its classic experiment: 3000 points,
    hidden width 100, 1000 epochs), the key's loop and a slower loop a student might write (the
    training accuracy computed and printed every epoch): what [limits] call_budgets_s is set from."""
    X, Y = R.make_spiral(1000, 3, 0.2, seed=12345)
    sink = io.StringIO()

    def with_accuracy(model, X, Y, opt, epochs):
        losses = []
        for epoch in range(epochs):
            opt.zero_grad()
            out = model(X)
            loss = torch.nn.functional.cross_entropy(out, Y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
            print(f"epoch {epoch}: loss {loss.item():.4f} accuracy {R.accuracy(out.detach(), Y):.3f}", file=sink)
        return losses

    for name, loop in (("key's loop", R.train_reference), ("with accuracy printed every epoch", with_accuracy)):
        for model_name, relu, kind in (("linear + SGD", False, "sgd"), ("ReLU + Adam", True, "adam")):
            times = []
            for _ in range(repeats):
                torch.manual_seed(0)
                m = R.mlp([2, 100, 3], relu=relu)
                opt = R.make_torch_optimizer(m, kind, lr=1e-3, weight_decay=1e-5)
                t = time.perf_counter()
                loop(m, X, Y, opt, 1000)
                times.append(time.perf_counter() - t)
            print(f"train_time: {name}, {model_name}, 1000 epochs on 3000 points: seconds {[round(t, 2) for t in times]}")


def normality(seeds=range(10)) -> None:
    """KS distance of make_spiral's angle residuals from N(0, 1) (the noise test of check_make_spiral)."""
    from autograder.checks import autocorrelation_bar, ks_bar, ks_normal, lag1_autocorrelation

    n, c, noise = 2000, 3, 0.2
    honest, uniform, rho = [], [], []
    for s in seeds:
        X, _ = R.make_spiral(n, c, noise, seed=s)
        X = X.double()
        keep = X.norm(dim=1) > 0.05
        r = R.wrap_angle(torch.atan2(X[:, 0], X[:, 1]) - R.spiral_angle_law(n, c))[keep] / noise
        honest.append(ks_normal(r))
        rho.append(lag1_autocorrelation(r.reshape(-1).sort().values))
        u = (torch.rand(r.numel(), generator=torch.Generator().manual_seed(s)) - 0.5) * math.sqrt(12)
        uniform.append(ks_normal(u))
    m = int(keep.sum())
    print(f"normality: {m} residuals per spiral: KS of the reference {min(honest):.3f}..{max(honest):.3f} "
          f"(bar {ks_bar(m):.3f}); scaled uniform noise {min(uniform):.3f}..{max(uniform):.3f}; sorted noise "
          f"lag-1 autocorrelation {min(rho):.2f}.. (bar {autocorrelation_bar(m):.2f})")


def order(seeds=range(3)) -> None:
    """How many held-out points change class between one shuffled batch and other batch sizes."""
    g = torch.Generator().manual_seed(0)
    for name, fn in (("classic ReLU + Adam", lambda X, Y: R.fit_reference(X, Y)), ("answer key", R.fit_key)):
        moved = []
        for s in seeds:
            X, Y = R.make_spiral(1000, 3, 0.2, seed=3000 + s)
            Xh, _ = R.make_spiral(1000, 3, 0.2, seed=4000 + s)
            m = fn(X, Y)
            with torch.no_grad():
                p1 = torch.randperm(len(Xh), generator=g)
                a = torch.empty(len(Xh), dtype=torch.long)
                a[p1] = m(Xh[p1]).argmax(1)
                p2 = torch.randperm(len(Xh), generator=g)
                b = torch.empty(len(Xh), dtype=torch.long)
                for idx in p2.split(7):
                    b[idx] = m(Xh[idx]).argmax(1)
            moved.append(int((a != b).sum()))
        print(f"order: {name}: points whose class changes with the order and batch size: {moved} of {len(Xh)}")


def regions() -> None:
    """Region recall of the answer key's plot_decision_boundary against the model it draws."""
    import json

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from autograder.checks import region_agreement
    from autograder.checks import figure_summary

    key = json.loads((Path(__file__).resolve().parents[2] / "02_spiral_classification.ipynb").read_text())
    ns = {"torch": torch, "nn": torch.nn, "plt": plt, "math": math}
    for cell in key["cells"]:
        if (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id") == "sol_plot_decision_boundary":
            exec("".join(cell["source"]), ns)
    plot_checks = import_helper(Path(__file__).resolve().parent, "pytorch_basics",
                                "02_spiral_classification.check_plot_decision_boundary")
    for n, classes, seed in ((40, 4, 9), (25, 2, 10), (50, 3, 13)):
        X, Y = R.make_spiral(n, classes, 0.2, seed=seed)
        model = plot_checks._balanced_model([2, 24, classes], seed, X)
        box = (X.min(0).values.tolist(), X.max(0).values.tolist())

        def nearest_label(grid, X=X, Y=Y, classes=classes):  # regions painted from the data, not the model
            return torch.nn.functional.one_hot(Y[torch.cdist(grid, X).argmin(1)], classes).float()

        for name, drawn in (("key", model), ("nearest labelled point", nearest_label)):
            fig = ns["plot_decision_boundary"](drawn, X, Y)
            ax = figure_summary(fig)["axes"][0]
            plt.close(fig)
            with torch.no_grad():
                a = region_agreement(ax, lambda p: model(p).argmax(1), box)
            print(f"regions: {name}, {classes} classes: recall per class {[round(v, 3) for v in a.recall.values()]}, "
                  f"mean {a.mean_recall:.3f}, classes sharing a colour {list(a.shared_colour)}")


if __name__ == "__main__":
    torch.set_num_threads(1)
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    for name, fn in (("fit", fit), ("fit_grader", fit_grader), ("gradient_norms", gradient_norms), ("vectorised", vectorised),
                     ("geometry", geometry), ("train", train), ("train_time", train_time), ("normality", normality), ("order", order),
                     ("regions", regions)):
        if what in (name, "all"):
            fn()

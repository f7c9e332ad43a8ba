"""Is it really standard-normal? Tests that a distribution right only in its mean and std fails.

The Kolmogorov-Smirnov statistic compares the whole empirical distribution with N(0, 1): scaled
uniform noise (mean 0, std 1) sits at D = 0.06, above the bar from about 5000 samples on (the
checks test at least that many); honest draws exceed the bar only with probability `alpha` (1e-6
by default). The lag-1 autocorrelation catches samples that are normal one by one but correlated
with each other (sorted noise, noise repeated in blocks).
"""
from __future__ import annotations

import math

import torch


def ks_normal(samples: torch.Tensor) -> float:
    """The Kolmogorov-Smirnov distance between the samples and N(0, 1)."""
    x = samples.detach().reshape(-1).cpu().double().sort().values
    n = x.numel()
    if n == 0:
        return 1.0
    cdf = 0.5 * torch.erfc(-x / math.sqrt(2.0))
    i = torch.arange(1, n + 1, dtype=torch.float64)
    return float(torch.maximum(i / n - cdf, cdf - (i - 1) / n).max())


def ks_bar(n: int, alpha: float = 1e-6) -> float:
    """The distance an honest sample of size n exceeds with probability at most alpha
    (asymptotic Kolmogorov bound, conservative from n of a few hundred on)."""
    return math.sqrt(-math.log(alpha / 2) / 2) / math.sqrt(max(n, 1))


def lag1_autocorrelation(samples: torch.Tensor) -> float:
    """Correlation of each sample with the next one (0 for independent draws)."""
    x = samples.detach().reshape(-1).cpu().double()
    if x.numel() < 3:
        return 0.0
    x = x - x.mean()
    den = float((x * x).sum())
    return float((x[:-1] * x[1:]).sum()) / den if den > 0 else 1.0


def autocorrelation_bar(n: int, z: float = 6.0) -> float:
    """|lag-1 autocorrelation| of n independent draws stays below z / sqrt(n) but with
    probability about 2e-9 at z = 6."""
    return z / math.sqrt(max(n, 1))

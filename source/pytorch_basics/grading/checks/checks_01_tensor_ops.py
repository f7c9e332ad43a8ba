"""Checks of notebook 1, `01_tensor_ops` (25 points).

Public checks use the notebook's own examples; hidden ones use the grader's inputs: other shapes
and dtypes, on the grading device. Every value is judged here, in the grader, with torch.
"""
from __future__ import annotations

import torch

from autograder.engine import check
from reference import axes_bars, close, expect_handle, figure_axes, expect_number, expect_tensor, expect_tuple, type_name

# ------------------------------------------------------------------------------------------------
# make_basic_tensors (3)
# ------------------------------------------------------------------------------------------------

BASIC_KEYS = ("scalar", "vector", "ones_2x3", "ones_2x3x4", "zeros_long_5x3", "eye_3",
              "arange_0_10_2", "linspace_0_1_5")


def _basic_expected() -> dict[str, torch.Tensor]:
    return {
        "scalar": torch.tensor(666),
        "vector": torch.arange(1, 7),
        "ones_2x3": torch.ones(2, 3),
        "ones_2x3x4": torch.ones(2, 3, 4),
        "zeros_long_5x3": torch.zeros(5, 3, dtype=torch.long),
        "eye_3": torch.eye(3),
        "arange_0_10_2": torch.arange(0, 10, 2),
        "linspace_0_1_5": torch.linspace(0, 1, 5),
    }


def _basic(nb01) -> dict:
    out = nb01.call("make_basic_tensors")
    assert isinstance(out, dict), f"make_basic_tensors: returned a {type_name(out)}, expected a dict of tensors"
    missing = [k for k in BASIC_KEYS if k not in out]
    assert not missing, f"make_basic_tensors: the dict has no key {', '.join(repr(k) for k in missing)}"
    return out


@check("check_make_basic_tensors", points=1, public=True)
def test_make_basic_tensors_public(nb01):
    "make_basic_tensors: every key, with the right shapes and values; vector and zeros_long_5x3 are int64"
    out = _basic(nb01)
    for k, e in _basic_expected().items():
        dtype = e.dtype if k in ("vector", "zeros_long_5x3") else None
        v = expect_tensor(out[k], f"make_basic_tensors()[{k!r}]", shape=e.shape, dtype=dtype)
        assert close(v, e), f"make_basic_tensors()[{k!r}]: the shape is right but the values are not"


@check("check_make_basic_tensors", points=2)
def test_make_basic_tensors_dtypes(nb01):
    "make_basic_tensors: every tensor has the dtype its constructor gives (int64 for integers, float32 otherwise)"
    out = _basic(nb01)
    for k, e in _basic_expected().items():
        v = expect_tensor(out[k], f"make_basic_tensors()[{k!r}]", shape=e.shape, dtype=e.dtype)
        assert close(v, e), f"make_basic_tensors()[{k!r}]: the shape and dtype are right but the values are not"


# ------------------------------------------------------------------------------------------------
# like_tensors (2)
# ------------------------------------------------------------------------------------------------


def _judge_like(nb01, x: torch.Tensor, device: str, what: str) -> None:
    ones, noise = expect_tuple(nb01.call("like_tensors", x), f"like_tensors({what})", 2)
    ones = expect_tensor(ones, f"like_tensors({what}), first result", shape=(5, 3), dtype=x.dtype, device=device)
    assert bool((ones.cpu() == 1).all()), f"like_tensors({what}), first result: expected all ones"
    noise = expect_tensor(noise, f"like_tensors({what}), second result", shape=x.shape, dtype=torch.float32,
                          device=device)
    if noise.numel() >= 1000:
        m, s = noise.double().mean().item(), noise.double().std().item()
        assert abs(m) < 0.15 and 0.85 < s < 1.15, (
            f"like_tensors({what}), second result: expected standard-normal samples (mean 0, std 1), "
            f"got mean {m:.2f} and std {s:.2f}")


@check("check_like_tensors", points=1, public=True)
def test_like_tensors_public(nb01, device):
    "like_tensors: the notebook's int64 zeros of shape [100, 100] and float64 zeros of shape [2, 2]"
    _judge_like(nb01, torch.zeros(100, 100, dtype=torch.int64, device=device), device,
                "int64 zeros of shape [100, 100]")
    _judge_like(nb01, torch.zeros(2, 2, dtype=torch.float64, device=device), device, "float64 zeros of shape [2, 2]")


@check("check_like_tensors", points=1)
def test_like_tensors_dtypes(nb01, device, gen):
    "like_tensors: keeps the dtype and device of x (int32, float16, float32 inputs)"
    _judge_like(nb01, torch.randint(0, 9, (40, 30), generator=gen, dtype=torch.int32).to(device), device,
                "an int32 tensor of shape [40, 30]")
    _judge_like(nb01, torch.randn(3, 4, 5, generator=gen).half().to(device), device, "a float16 tensor of shape [3, 4, 5]")
    _judge_like(nb01, torch.randn(7, generator=gen).to(device), device, "a float32 tensor of shape [7]")


# ------------------------------------------------------------------------------------------------
# describe (2)
# ------------------------------------------------------------------------------------------------


def _judge_describe(nb01, m: torch.Tensor, what: str) -> None:
    size, numel, ndim = expect_tuple(nb01.call("describe", m), f"describe({what})", 3)
    assert isinstance(size, torch.Size), (
        f"describe({what}): the first value is a {type_name(size)}, expected a torch.Size (m.size())")
    assert tuple(size) == tuple(m.shape), f"describe({what}): expected the size {list(m.shape)}, got {list(size)}"
    n = expect_number(numel, f"describe({what}), number of elements")
    assert isinstance(numel, int) and n == m.numel(), (
        f"describe({what}): expected the number of elements {m.numel()} as an int, got {numel!r}")
    d = expect_number(ndim, f"describe({what}), number of dimensions")
    assert isinstance(ndim, int) and d == m.dim(), (
        f"describe({what}): expected the number of dimensions {m.dim()} as an int, got {ndim!r}")


@check("check_describe", points=1, public=True)
def test_describe_public(nb01, device):
    "describe: the notebook's zeros of shape [2, 3, 4]"
    _judge_describe(nb01, torch.zeros(2, 3, 4, device=device), "a tensor of shape [2, 3, 4]")


@check("check_describe", points=1)
def test_describe_shapes(nb01, device, gen):
    "describe: tensors of 1, 2 and 4 dimensions"
    for shape in ((7,), (5, 3), (2, 1, 3, 5)):
        _judge_describe(nb01, torch.randn(*shape, generator=gen).to(device), f"a tensor of shape {list(shape)}")


# ------------------------------------------------------------------------------------------------
# pick (2)
# ------------------------------------------------------------------------------------------------


def _judge_pick(nb01, m: torch.Tensor, device: str, what: str) -> None:
    a, col, row = expect_tuple(nb01.call("pick", m), f"pick({what})", 3)
    a = expect_tensor(a, f"pick({what}), element [0, 2]", shape=(), dtype=m.dtype, device=device)
    assert close(a, m[0, 2]), f"pick({what}): the first value is not the element in row 0, column 2"
    col = expect_tensor(col, f"pick({what}), column 1", shape=(m.shape[0],), dtype=m.dtype, device=device)
    assert close(col, m[:, 1]), f"pick({what}): the second value is not column 1"
    row = expect_tensor(row, f"pick({what}), row 1", shape=(m.shape[1],), dtype=m.dtype, device=device)
    assert close(row, m[1]), f"pick({what}): the third value is not row 1"


@check("check_pick", points=1, public=True)
def test_pick_public(nb01, device):
    "pick: the notebook's 3x4 example"
    m = torch.arange(12, device=device).reshape(3, 4)
    _judge_pick(nb01, m, device, "the notebook's 3x4 matrix")


@check("check_pick", points=1)
def test_pick_other(nb01, device, gen):
    "pick: a non-square float64 matrix and an int64 matrix"
    _judge_pick(nb01, torch.randn(5, 7, generator=gen, dtype=torch.float64).to(device), device, "a float64 matrix of shape [5, 7]")
    _judge_pick(nb01, torch.randint(-50, 50, (6, 3), generator=gen).to(device), device, "an int64 matrix of shape [6, 3]")


# ------------------------------------------------------------------------------------------------
# products (3)
# ------------------------------------------------------------------------------------------------


def _judge_products(nb01, m: torch.Tensor, v: torch.Tensor, device: str, what: str) -> None:
    mv, prod = expect_tuple(nb01.call("products", m, v), f"products({what})", 2)
    common = torch.promote_types(m.dtype, v.dtype)
    if not common.is_floating_point:
        common = torch.float32
    allowed = (common,) if common == torch.float64 else (common, torch.float64)
    rows, cols = m.shape
    mv = expect_tensor(mv, f"products({what}), matrix-vector product", shape=(rows,), dtype=allowed, device=device)
    ref_mv = m.double().cpu() @ v.double().cpu()
    assert close(mv, ref_mv, rtol=1e-4, atol=1e-4), (
        f"products({what}): the first value is not the matrix-vector product m @ v")
    prod = expect_tensor(prod, f"products({what}), element-wise product", shape=(rows, cols), dtype=allowed,
                         device=device)
    assert close(prod, m.double().cpu() * v.double().cpu(), rtol=1e-4, atol=1e-4), (
        f"products({what}): the second value is not the broadcast element-wise product m * v")


@check("check_products", points=1, public=True)
def test_products_public(nb01, device):
    "products: the notebook's float matrix with an int64 arange(1, 5), and both in float64"
    m = torch.tensor([[2.0, 5.0, 3.0, 7.0], [4.0, 2.0, 1.0, 9.0]], device=device)
    v = torch.arange(1, 5, device=device)
    _judge_products(nb01, m, v, device, "the notebook's float32 2x4 matrix and int64 arange(1, 5)")
    _judge_products(nb01, m.double(), v.double(), device, "the notebook's matrix and vector in float64")


@check("check_products", points=1)
def test_products_float(nb01, device, gen):
    "products: float32 and float64 matrices with vectors of the same dtype"
    for dtype, (r, c) in ((torch.float32, (5, 2)), (torch.float64, (2, 6))):
        m = torch.randn(r, c, generator=gen, dtype=dtype).to(device)
        v = torch.randn(c, generator=gen, dtype=dtype).to(device)
        _judge_products(nb01, m, v, device, f"a {dtype} matrix of shape [{r}, {c}] and a vector of {c}")


@check("check_products", points=1)
def test_products_mixed(nb01, device, gen):
    "products: mixed dtypes are promoted to a common floating dtype"
    m = torch.randn(4, 3, generator=gen, dtype=torch.float64).to(device)
    v = torch.randint(-5, 5, (3,), generator=gen).to(device)
    _judge_products(nb01, m, v, device, "a float64 4x3 matrix and an int64 vector of 3")
    m = torch.randint(-5, 5, (2, 5), generator=gen).to(device)
    v = torch.randn(5, generator=gen).to(device)
    _judge_products(nb01, m, v, device, "an int64 2x5 matrix and a float32 vector of 5")


# ------------------------------------------------------------------------------------------------
# transposes (2), swap_last_two (2), concat (2)
# ------------------------------------------------------------------------------------------------


def _judge_transposes(nb01, m: torch.Tensor, device: str, what: str) -> None:
    out = expect_tuple(nb01.call("transposes", m), f"transposes({what})", 3)
    for i, (t, how) in enumerate(zip(out, (".t()", ".transpose(0, 1)", ".permute(1, 0)"))):
        t = expect_tensor(t, f"transposes({what}), value {i + 1} ({how})", shape=m.shape[::-1], dtype=m.dtype,
                          device=device)
        assert close(t, m.cpu().t()), f"transposes({what}): value {i + 1} ({how}) is not the transpose of m"


@check("check_transposes", points=1, public=True)
def test_transposes_public(nb01, device):
    "transposes: the notebook's 2x3 example"
    _judge_transposes(nb01, torch.arange(6, device=device).reshape(2, 3), device, "the notebook's 2x3 matrix")


@check("check_transposes", points=1)
def test_transposes_other(nb01, device, gen):
    "transposes: a 4x7 float64 matrix and a 3x3 matrix"
    _judge_transposes(nb01, torch.randn(4, 7, generator=gen, dtype=torch.float64).to(device), device,
                      "a float64 matrix of shape [4, 7]")
    _judge_transposes(nb01, torch.randn(3, 3, generator=gen).to(device), device, "a 3x3 matrix")


def _judge_swap(nb01, x: torch.Tensor, device: str) -> None:
    what = f"a tensor of shape {list(x.shape)}"
    want = x.cpu().transpose(-1, -2)
    y = expect_tensor(nb01.call("swap_last_two", x), f"swap_last_two({what})", shape=want.shape, dtype=x.dtype,
                      device=device)
    assert close(y, want), f"swap_last_two({what}): the shape is right but the values are not x with its last two dimensions swapped"


@check("check_swap_last_two", points=1, public=True)
def test_swap_last_two_public(nb01, device):
    "swap_last_two: the notebook's examples of shape [2, 3, 4], [2, 3] and [1, 2, 3, 4]"
    _judge_swap(nb01, torch.arange(24, device=device).reshape(2, 3, 4), device)
    _judge_swap(nb01, torch.arange(6, device=device).reshape(2, 3), device)
    _judge_swap(nb01, torch.zeros(1, 2, 3, 4, device=device), device)


@check("check_swap_last_two", points=1)
def test_swap_last_two_dims(nb01, device, gen):
    "swap_last_two: tensors of 2, 3 and 5 dimensions of other shapes and values"
    for shape in ((3, 5), (4, 2, 6), (2, 1, 3, 2, 4)):
        _judge_swap(nb01, torch.randn(*shape, generator=gen).to(device), device)


def _judge_concat(nb01, a: torch.Tensor, b: torch.Tensor, device: str, what: str) -> None:
    r0, r1 = expect_tuple(nb01.call("concat", a, b), f"concat({what})", 2)
    for r, dim in ((r0, 0), (r1, 1)):
        want = torch.cat((a.cpu(), b.cpu()), dim=dim)
        r = expect_tensor(r, f"concat({what}), joined along dim {dim}", shape=want.shape, dtype=want.dtype,
                          device=device)
        assert close(r, want), f"concat({what}): the value joined along dim {dim} has the right shape but not a then b"


@check("check_concat", points=1, public=True)
def test_concat_public(nb01, device):
    "concat: the notebook's two 2x3 examples"
    a = torch.zeros(2, 3, device=device)
    b = torch.ones(2, 3, device=device)
    _judge_concat(nb01, a, b, device, "the notebook's zeros and ones of shape [2, 3]")


@check("check_concat", points=1)
def test_concat_other(nb01, device, gen):
    "concat: 3x4 float64 and int64 tensors"
    for dtype in (torch.float64, torch.int64):
        a = (torch.randn(3, 4, generator=gen) * 10).to(dtype).to(device)
        b = (torch.randn(3, 4, generator=gen) * 10).to(dtype).to(device)
        _judge_concat(nb01, a, b, device, f"two {dtype} tensors of shape [3, 4]")


# ------------------------------------------------------------------------------------------------
# literal_dtypes (2)
# ------------------------------------------------------------------------------------------------


def _literal(nb01) -> tuple:
    out = expect_tuple(nb01.call("literal_dtypes"), "literal_dtypes()", 2)
    for i, d in enumerate(out, 1):
        assert isinstance(d, torch.dtype), f"literal_dtypes(): value {i} is a {type_name(d)}, expected a torch.dtype"
    return out


@check("check_literal_dtypes", points=1, public=True)
def test_literal_dtypes_public(nb01):
    "literal_dtypes: two torch.dtype, those of torch.tensor(1) and torch.tensor(1.0)"
    a, b = _literal(nb01)
    assert a == torch.tensor(1).dtype, "literal_dtypes(): the first value is not the dtype of torch.tensor(1)"
    assert b == torch.tensor(1.0).dtype, "literal_dtypes(): the second value is not the dtype of torch.tensor(1.0)"


@check("check_literal_dtypes", points=1)
def test_literal_dtypes_kinds(nb01):
    "literal_dtypes: a Python int literal gives an integer dtype, a float literal the default floating dtype"
    a, b = _literal(nb01)
    assert not a.is_floating_point and a == torch.int64, (
        "literal_dtypes(): a Python int becomes a 64-bit integer tensor; the first value should be that dtype")
    assert b.is_floating_point and b == torch.get_default_dtype(), (
        "literal_dtypes(): a Python float gets the default floating dtype; the second value should be that dtype")


# ------------------------------------------------------------------------------------------------
# randn_histogram (5)
# ------------------------------------------------------------------------------------------------


def _reference_counts(n: int, bins: int, seed: int) -> torch.Tensor:
    x = torch.randn(n, generator=torch.Generator().manual_seed(seed))  # = torch.manual_seed(seed); torch.randn(n)
    return torch.histc(x, bins=bins, min=x.min().item(), max=x.max().item())


def _histogram(nb01, n: int, bins: int, seed: int):
    what = f"randn_histogram({n}, {bins}, {seed})"
    counts, fig = expect_tuple(nb01.call("randn_histogram", n, bins, seed), what, 2)
    counts = expect_tensor(counts, f"{what}, counts", shape=(bins,))
    c = counts.detach().cpu().double()
    assert bool((c >= 0).all()) and bool((c == c.round()).all()), f"{what}: the counts must be whole numbers >= 0"
    assert int(c.sum().item()) == n, f"{what}: the counts add up to {int(c.sum().item())}, expected {n}"
    return what, c, fig


def _judge_figure(what: str, fig, c: torch.Tensor, bins: int) -> None:
    fig = expect_handle(fig, f"{what}, second value", "figure")
    axes = figure_axes(fig)
    assert len(axes) == 1, f"{what}: expected a Figure with a single Axes, got {len(axes)}"
    heights = axes_bars(axes[0])
    assert len(heights) == bins, f"{what}: expected {bins} bars in the Axes, got {len(heights)}"
    assert close(torch.tensor(heights, dtype=torch.float64), c, atol=1e-6), (
        f"{what}: the bar heights, left to right, are not the returned counts")


def _judge_shape_of_histogram(what: str, c: torch.Tensor) -> None:
    bins = c.numel()
    assert c[0] >= 1 and c[-1] >= 1, (
        f"{what}: the bins should go from the samples' minimum to their maximum, so the first and last are not empty")
    mid = slice(bins * 7 // 20, bins * 13 // 20)
    tails = c[: bins // 5].sum() + c[bins - bins // 5:].sum()
    assert c[mid].sum() > tails, f"{what}: a histogram of normal samples should be highest in the middle"


@check("check_randn_histogram", points=1, public=True)
def test_randn_histogram_public(nb01):
    "randn_histogram: the notebook's example (1000 samples, 20 bins, seed 0): counts, seeds and bars"
    what, c, fig = _histogram(nb01, 1000, 20, 0)
    _judge_shape_of_histogram(what, c)
    _, again, _ = _histogram(nb01, 1000, 20, 0)
    _, other, _ = _histogram(nb01, 1000, 20, 1)
    assert torch.equal(c, again), f"{what}: two calls with the same seed gave different counts"
    assert not torch.equal(c, other), "randn_histogram: seeds 0 and 1 gave the same counts"
    _judge_figure(what, fig, c, 20)


@check("check_randn_histogram", points=1)
def test_randn_histogram_counts(nb01):
    "randn_histogram: counts of length bins that add up to n, highest in the middle, for other n and bins"
    for n, bins in ((5000, 7), (20000, 40)):
        what, c, _ = _histogram(nb01, n, bins, 3)
        _judge_shape_of_histogram(what, c)


@check("check_randn_histogram", points=1)
def test_randn_histogram_values(nb01):
    "randn_histogram: equal-width bins from min to max of n torch.randn samples drawn after seeding with seed"
    for n, bins, seed in ((5000, 7, 11), (800, 16, 2024)):
        what, c, _ = _histogram(nb01, n, bins, seed)
        ref = _reference_counts(n, bins, seed)
        # a sample on a bin edge may fall either side depending on how the edges are computed
        assert (c - ref).abs().sum().item() <= 2, (
            f"{what}: the counts do not match {bins} equal-width bins from the minimum to the maximum of "
            f"{n} samples of torch.randn drawn after seeding torch with {seed}")


@check("check_randn_histogram", points=1)
def test_randn_histogram_seed(nb01):
    "randn_histogram: the same seed gives the same counts, another seed other counts (other n and bins)"
    _, c1, _ = _histogram(nb01, 2000, 12, 5)
    _, c2, _ = _histogram(nb01, 2000, 12, 5)
    _, c3, _ = _histogram(nb01, 2000, 12, 6)
    assert torch.equal(c1, c2), "randn_histogram(2000, 12, 5): two calls with the same seed gave different counts"
    assert not torch.equal(c1, c3), "randn_histogram: seeds 5 and 6 gave the same counts"


@check("check_randn_histogram", points=1)
def test_randn_histogram_figure(nb01):
    "randn_histogram: the Figure has one Axes with `bins` bars whose heights are the counts (other bins)"
    for n, bins, seed in ((3000, 9, 1), (500, 33, 8)):
        what, c, fig = _histogram(nb01, n, bins, seed)
        _judge_figure(what, fig, c, bins)

"""make_basic_tensors (3 points): no inputs, so the reply is a constant by the contract; every
key, shape, value and dtype is judged."""
from __future__ import annotations

import torch

from autograder.checks import Known, check, close, expect_tensor, mistaken, recognise, type_name

BASIC_KEYS = ("scalar", "vector", "ones_2x3", "ones_2x3x4", "zeros_long_5x3", "eye_3",
              "arange_0_10_2", "linspace_0_1_5")


def _basic_expected() -> dict[str, torch.Tensor]:
    # written as values, not with the constructors the exercise asks for (public checks are released)
    expected = {
        "scalar": torch.full((), 666),
        "vector": torch.tensor([1, 2, 3, 4, 5, 6], dtype=torch.int64),
        "ones_2x3": torch.full((2, 3), 1.0),
        "ones_2x3x4": torch.full((2, 3, 4), 1.0),
        "zeros_long_5x3": torch.full((5, 3), 0),
        "eye_3": torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]),
        "arange_0_10_2": torch.tensor([0, 2, 4, 6, 8]),
        "linspace_0_1_5": torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0]),
    }
    return expected


def _expect(value, key: str, want: torch.Tensor, dtype) -> torch.Tensor:
    """One entry's shape (and `dtype`); an integer tensor built as a floating one is a known mistake."""
    try:
        return expect_tensor(value, f"make_basic_tensors()[{key!r}]", shape=want.shape, dtype=dtype)
    except AssertionError as e:
        floating = [Known("basic_integer_as_float", want, dtype=(torch.float16, torch.float32, torch.float64))]
        raise mistaken(e, recognise(value, floating if not want.is_floating_point() else [])) from None


def _basic(nb) -> dict:
    out = nb.call("make_basic_tensors")
    assert isinstance(out, dict), f"make_basic_tensors: returned a {type_name(out)}, expected a dict of tensors"
    missing = [k for k in BASIC_KEYS if k not in out]
    assert not missing, f"make_basic_tensors: the dict has no key {', '.join(repr(k) for k in missing)}"
    return out


@check("check_make_basic_tensors", points=1, public=True)
def test_make_basic_tensors_public(nb):
    "make_basic_tensors: every key, with the right shapes and values; vector and zeros_long_5x3 are int64"
    out = _basic(nb)
    for k, e in _basic_expected().items():
        dtype = e.dtype if k in ("vector", "zeros_long_5x3") else None
        v = _expect(out[k], k, e, dtype)
        assert close(v, e), f"make_basic_tensors()[{k!r}]: the shape is right but the values are not"


@check("check_make_basic_tensors", points=2)
def test_make_basic_tensors_dtypes(nb):
    "make_basic_tensors: every tensor has the dtype its constructor gives (int64 for integers, float32 otherwise)"
    out = _basic(nb)
    for k, e in _basic_expected().items():
        v = _expect(out[k], k, e, e.dtype)
        assert close(v, e), f"make_basic_tensors()[{k!r}]: the shape and dtype are right but the values are not"

"""literal_dtypes (2 points): the dtypes torch.tensor(1) and torch.tensor(1.0) get. Lazy reply
considered: (torch.int64, torch.float32) written down, which is right only while the default
dtype is float32: the hidden check asks again under torch.set_default_dtype(torch.float64)."""
from __future__ import annotations

import torch

from autograder.checks import KnownMistake, check, expect_tuple, type_name, worker_helper

SET_DEFAULT_DTYPE = """
def _autograder_set_default_dtype(dtype):
    import torch
    torch.set_default_dtype(dtype)
    return torch.get_default_dtype()
"""


def _literal(nb, setting: str = "") -> tuple:
    out = expect_tuple(nb.call("literal_dtypes"), f"literal_dtypes(){setting}", 2)
    for i, d in enumerate(out, 1):
        assert isinstance(d, torch.dtype), (
            f"literal_dtypes(){setting}: value {i} is a {type_name(d)}, expected a torch.dtype")
    return out


@check("check_literal_dtypes", points=1, public=True)
def test_literal_dtypes_public(nb):
    "literal_dtypes: two torch.dtype, those of torch.tensor(1) and torch.tensor(1.0)"
    a, b = _literal(nb)
    if (a, b) == (torch.tensor(1.0).dtype, torch.tensor(1).dtype):
        raise KnownMistake("literal_dtypes_swapped", "literal_dtypes(): the two dtypes are in the wrong order")
    assert a == torch.tensor(1).dtype, "literal_dtypes(): the first value is not the dtype of torch.tensor(1)"
    assert b == torch.tensor(1.0).dtype, "literal_dtypes(): the second value is not the dtype of torch.tensor(1.0)"


@check("check_literal_dtypes", points=1)
def test_literal_dtypes_kinds(nb):
    "literal_dtypes: a Python int literal gives int64, a float literal the default floating dtype (also when it is float64)"
    setter = worker_helper(nb, "_autograder_set_default_dtype", SET_DEFAULT_DTYPE)
    for default in (torch.float32, torch.float64):
        setting = f" under torch.set_default_dtype({default})"
        try:
            assert nb.call(setter, default) == default, (
                f"literal_dtypes(): the grader could not set torch's default dtype to {default} in your notebook's process")
            a, b = _literal(nb, setting)
        finally:
            nb.call(setter, torch.float32)
        if (a, b) == (default, torch.int64):
            raise KnownMistake("literal_dtypes_swapped", f"literal_dtypes(){setting}: the two dtypes are in the wrong order")
        assert not a.is_floating_point and a == torch.int64, (
            f"literal_dtypes(){setting}: a Python int becomes a 64-bit integer tensor; the first value should be that dtype")
        wrong = (f"literal_dtypes(){setting}: a Python float gets the default floating dtype ({default} here); the "
                 "second value should be the dtype torch.tensor(1.0) gets, not a fixed one")
        if b == torch.float32 and default != torch.float32:
            raise KnownMistake("literal_dtypes_fixed_float32", wrong)
        assert b.is_floating_point and b == default, wrong

"""Public checks of check_literal_dtypes (01_tensor_ops), cut by `autograder release` from the
grader's check file: the code the grader runs for them. Generated: do not edit. The grader
also runs hidden checks with other inputs, so "public checks passed" is not the grade."""


from __future__ import annotations
import torch
from autograder.checks import KnownMistake, check, expect_tuple, type_name


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

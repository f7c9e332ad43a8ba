"""normalize (3 points). Lazy replies considered: the notebook's [0.6, 0.8] as a constant, dividing by
the sum or the largest element, dividing in place, a float32 result for float64 input."""
import torch

from autograder.checks import Tensor, check, judge

from .. import reference


@check("check_normalize", points=1, public=True)
def test_normalize_public(nb):
    "normalize: the notebook's [3., 4.]"
    v = torch.tensor([3.0, 4.0])
    judge(nb, "normalize", v, shown="the notebook's [3., 4.]", keep_inputs=False,
          returns=Tensor(torch.tensor([0.6, 0.8])))


@check("check_normalize", points=2)
def test_normalize_other(nb, gen, assignment):
    "normalize: float64 vectors of other lengths, inputs left as they were"
    tol = assignment["normalize"]
    for n in (1, 7, 50):
        v = torch.randn(n, generator=gen, dtype=torch.float64)
        judge(nb, "normalize", v, shown=f"a float64 vector of length {n}",
              returns=Tensor(reference.normalize(v), rtol=tol["rtol"], atol=tol["atol"]))

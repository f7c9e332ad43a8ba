"""The tiny assignment's own helper module, named like pytorch_basics's on purpose: graded in one
process, each assignment must get its own."""
import torch

ASSIGNMENT = "tiny"


def double(x: torch.Tensor) -> torch.Tensor:
    return x * 2

"""The tiny assignment's fixtures: a `gen` of its own (pytorch_basics has one of the same name)."""
import pytest
import torch


@pytest.fixture
def gen() -> torch.Generator:
    return torch.Generator().manual_seed(1)

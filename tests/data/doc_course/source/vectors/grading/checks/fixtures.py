"""Fixtures of the vectors checks: the grader's own random inputs (a hidden seed)."""
import pytest
import torch


@pytest.fixture
def gen() -> torch.Generator:
    return torch.Generator().manual_seed(736251)

"""Fixtures of the pytorch_basics checks (the engine gives `nb`, `source`, `device`,
`assignment`, `credit`; see autograder.checks)."""
from __future__ import annotations

import pytest
import torch


@pytest.fixture
def gen() -> torch.Generator:
    """The grader's own random inputs: a private generator, never the global RNG, seeded per
    check so a check draws the same inputs on every run and every device."""
    return torch.Generator().manual_seed(20240607)

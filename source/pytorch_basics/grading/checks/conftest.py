"""Fixtures of the pytorch_basics checks: one sandboxed worker per notebook.

`submission`, `device`, `assignment` and `credit` come from the engine's plugin. A notebook that
is missing from the submission makes `submission.notebook` raise a SubmissionFault, so every
check of that notebook fails with the engine's "notebook ... was not found" message.
"""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def nb01(submission):
    return submission.notebook("01_tensor_ops")


@pytest.fixture(scope="session")
def nb02(submission):
    return submission.notebook("02_spiral_classification")


@pytest.fixture(scope="session")
def nb03(submission):
    return submission.notebook("03_activations_and_optimizers")


@pytest.fixture
def gen():
    """The grader's own random inputs: a private generator, never the global RNG, seeded per
    check so a check draws the same inputs on every run and every device."""
    import torch

    return torch.Generator().manual_seed(20240607)

"""Shared fixtures: where the course checkout and the real assignment are."""
from __future__ import annotations

from pathlib import Path

import pytest

from autograder.course import AssignmentPaths

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def pytorch_basics_paths() -> AssignmentPaths:
    return AssignmentPaths(REPO_ROOT, "pytorch_basics")
